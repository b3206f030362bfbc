"""The page of `sim app` in a real browser: Playwright driving Debian's Chromium.

A module fixture starts `sim app` on a free port in a subprocess and stops it after; each test
opens the page in a fresh tab (its own Solara session) that refuses every request off this
machine, so the page and its charts must draw offline. The tests read the charts' data
(`window.simCharts[name]`: the Vega-Lite spec and the Vega view, see sim/app/vega.py), not only
their presence. Screenshots go to out/test-artifacts/.
Without a Chromium (SIM_CHROMIUM, chromium on PATH, or /usr/bin/chromium) or without the
playwright package, every test here is skipped with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, run_sim


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("SIM_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM = _chromium()
try:
    import playwright.sync_api as pw
except ModuleNotFoundError:  # the dev extra installs it
    pw = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="browser tests skipped: no Chromium found (set SIM_CHROMIUM, or apt-get install "
        "chromium)",
    ),
    pytest.mark.skipif(
        pw is None, reason="browser tests skipped: the playwright package is not installed"
    ),
]

ARTIFACTS = REPO / "out" / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Seconds to wait for the page's first numbers (the server compiles the engines first).
FIRST_LOAD = 90
HEADLINE = re.compile(r"Still at (?P<lab>.+?) in (?P<month>\d{4}-\d{2}): (?P<value>[\d.]+) of")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """`sim app` on a free port, until the module's tests are done."""
    port = _free_port()
    log = tempfile.TemporaryFile(mode="w+")
    env = {**os.environ, "PYTHONPATH": str(REPO), "CI": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "app", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"sim app exited with {proc.returncode}:\n{log.read()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("sim app did not answer within 60 s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium with a fresh profile."""
    with tempfile.TemporaryDirectory() as profile, pw.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1500, "height": 2200},
            accept_downloads=True,
        )
        yield context
        context.close()


class Page:
    """A tab on the page, offline, recording the browser console's errors."""

    def __init__(self, context, url: str):
        self.tab = context.new_page()
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.tab.route("**/*", self._only_this_machine)
        self.tab.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.tab.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.tab.goto(url)
        self.wait_ready(timeout=FIRST_LOAD)

    def _only_this_machine(self, route) -> None:
        if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1")):
            route.continue_()
        else:  # a CDN or anything else off this machine: refused
            self.blocked.append(route.request.url)
            route.abort()

    def wait_ready(self, timeout: float = 30) -> None:
        """Until the page has finished computing (or shows an error)."""
        self.tab.wait_for_function(
            "() => { const s = document.querySelector('.sim-status');"
            " return s && (s.textContent === 'ready' || s.textContent === 'error'); }",
            timeout=timeout * 1000,
        )

    def headline(self) -> str:
        return self.tab.inner_text(".sim-headline")

    def number(self) -> float:
        """The mean number still at the focal lab at the checkpoint, as the page reports it."""
        match = HEADLINE.search(self.headline())
        assert match, self.headline()
        return float(match["value"])

    def wait_headline_change(self, before: str, timeout: float = 30) -> str:
        self.tab.wait_for_function(
            "(before) => { const h = document.querySelector('.sim-headline');"
            " const s = document.querySelector('.sim-status');"
            " return h && s && s.textContent === 'ready' && h.textContent !== before; }",
            arg=before,
            timeout=timeout * 1000,
        )
        return self.headline()

    def open_panel(self, title: str) -> None:
        """Open one of the sidebar's folded sections."""
        self.tab.locator(".v-expansion-panel-header", has_text=title).first.click()

    def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in the select labelled ``label``."""
        field = self.tab.locator(".v-select", has=self.tab.locator("label", has_text=label))
        field.first.locator(".v-select__slot").click()
        menu = self.tab.locator(".menuable__content__active")
        menu.get_by_text(option, exact=True).first.click()

    # ----------------------------------------------------------------- the charts' data
    def wait_chart(self, name: str, reference: str | None = None, timeout: float = 30) -> None:
        """Until chart ``name`` is drawn (an SVG), for ``reference`` if given."""
        self.tab.wait_for_function(
            "([name, ref]) => { const c = window.simCharts && window.simCharts[name];"
            " const el = document.querySelector(`[data-sim-chart='${name}'] svg`);"
            " return c && el && c.view && (!ref || c.spec.usermeta.reference === ref); }",
            arg=[name, reference],
            timeout=timeout * 1000,
        )

    def chart_meta(self, name: str) -> dict:
        return self.tab.evaluate("(n) => window.simCharts[n].spec.usermeta", name)

    def chart_rows(self, name: str, dataset: str) -> list[dict]:
        """The rows of a named data set as the drawn Vega view holds them."""
        return self.tab.evaluate(
            "([n, d]) => JSON.parse(JSON.stringify(window.simCharts[n].view.data(d)))",
            [name, dataset],
        )

    def chart_value(self, name: str, dataset: str, scenario: str, month: str) -> float:
        rows = [
            r
            for r in self.chart_rows(name, dataset)
            if r["month"] == month and r["scenario"] == scenario
        ]
        assert len(rows) == 1, (name, scenario, month, rows[:3])
        return float(rows[0]["mean"])

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.tab.wait_for_timeout(400)  # let the charts and cards settle
        self.tab.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    def close(self) -> None:
        self.tab.close()


@pytest.fixture
def page(server, browser, request):
    tab = Page(browser, server)
    yield tab
    tab.screenshot(f"app-{request.node.name}")
    tab.close()


def _remove(page: Page, lab: str) -> str:
    """Untick a lab under "Labs"; return the new headline once recomputed."""
    before = page.headline()
    page.open_panel("Labs")
    page.tab.get_by_text(lab, exact=True).click()
    return page.wait_headline_change(before)


def test_the_page_and_its_charts_draw_offline(page):
    match = HEADLINE.search(page.headline())
    assert match and match["lab"] == "Meta" and match["month"] == "2025-05", page.headline()
    assert 0 <= float(match["value"]) <= 14
    for name in ("retention", "destinations"):
        page.wait_chart(name)
        assert page.tab.locator(f"[data-sim-chart='{name}'] svg path").count() > 3, name
    assert page.chart_rows("retention", "retention"), "no data drawn"
    # on opening, nothing is edited: the difference is exactly zero, and the page says so
    assert page.tab.locator("[data-sim-chart='difference']").count() == 0
    assert page.tab.inner_text(".sim-no-difference").startswith("No edits yet")
    assert page.blocked == [], page.blocked  # nothing was asked of a CDN or any other machine
    body = page.tab.inner_text("body")
    assert "This website runs on Solara" not in body  # the badge covers no card
    breaks = page.tab.evaluate(
        "() => [...document.querySelectorAll('.v-card__title')]"
        ".map(e => getComputedStyle(e).wordBreak)"
    )
    assert breaks and set(breaks) == {"normal"}, breaks  # headings wrap between words only
    page.screenshot("app-loaded")
    assert not page.errors, page.errors


def test_removing_mistral_moves_the_headline_and_the_chart_by_the_paired_difference(page):
    # compare with the unedited scenario
    page.tab.get_by_role("button", name="scenario", exact=True).click()
    page.wait_chart("retention", reference="baseline")
    edited = page.chart_meta("retention")["edited"]
    before = page.number()
    chart_before = page.chart_value("retention", "retention", edited, "2025-05")
    assert chart_before == pytest.approx(before, abs=1e-3)
    start = time.monotonic()
    _remove(page, "Mistral (founded 2023-04)")
    page.wait_chart("difference", reference="baseline")
    print(f"\nlever to redrawn page: {time.monotonic() - start:.2f} s (1,000 replicates)")
    after = page.number()
    page.tab.wait_for_function(
        "(v) => Math.abs(window.simCharts.retention.view.data('retention')"
        ".find(r => r.month === '2025-05' && r.scenario === window.simCharts.retention.spec"
        ".usermeta.edited).mean - v) < 1e-3",
        arg=after,
        timeout=15000,
    )
    chart_after = page.chart_value("retention", "retention", edited, "2025-05")
    paired = page.chart_value("difference", "difference", edited, "2025-05")
    assert after != before
    assert after - before == pytest.approx(paired, abs=2e-3)  # the headline moved by it
    assert chart_after - chart_before == pytest.approx(paired, abs=2e-3)  # and so did the chart
    said = re.search(r"draws\): ([+-][\d.]+)", page.tab.inner_text(".sim-difference"))
    assert said and float(said[1]) == pytest.approx(paired, abs=1e-3)
    assert "Mistral never exists" in page.tab.inner_text(".sim-edits")
    page.screenshot("app-lever-moved")
    assert not page.errors, page.errors


def test_the_reference_named_in_the_header_is_the_one_every_chart_uses(page):
    before = page.headline()
    page.choose("Scenario", "culture-kept")
    page.wait_headline_change(before)
    assert page.tab.inner_text(".sim-reference") == "Compared with: baseline (the world's baseline)"
    for name in ("retention", "difference", "destinations"):
        page.wait_chart(name, reference="baseline")
        assert page.chart_meta(name)["reference"] == "baseline", name
    scenarios = {r["scenario"] for r in page.chart_rows("retention", "retention")}
    assert scenarios == {"baseline", "culture-kept-explored"}
    assert {r["scenario"] for r in page.chart_rows("destinations", "destinations")} == scenarios
    page.screenshot("app-against-baseline")
    page.tab.get_by_role("button", name="scenario", exact=True).click()
    page.tab.wait_for_function(
        "() => document.querySelector('.sim-reference').textContent.includes('culture-kept')"
    )
    assert "the scenario as opened, unedited" in page.tab.inner_text(".sim-reference")
    for name in ("retention", "destinations"):
        page.wait_chart(name, reference="culture-kept")
    assert {r["scenario"] for r in page.chart_rows("retention", "retention")} == {
        "culture-kept",
        "culture-kept-explored",
    }
    assert page.tab.inner_text(".sim-no-difference").startswith("No edits yet")
    page.screenshot("app-against-the-scenario")
    assert not page.errors, page.errors


def test_edits_survive_a_scenario_switch(page):
    _remove(page, "Kyutai (founded 2023-11)")
    before = page.headline()
    page.choose("Scenario", "culture-kept")
    page.wait_headline_change(before)
    assert "Kyutai never exists" in page.tab.inner_text(".sim-edits")
    page.open_panel("The file")
    assert 'remove_labs = ["Kyutai"]' in page.tab.inner_text(".sim-toml")
    assert "culture-kept" in page.tab.inner_text(".sim-toml")
    assert not page.errors, page.errors


def test_a_downloaded_scenario_reproduces_the_page(page, tmp_path):
    from sim.config.scenario import load_scenario
    from sim.engines.run import run_scenario
    from sim.results import checkpoint_month

    _remove(page, "Kyutai (founded 2023-11)")
    shown = page.number()
    with page.tab.expect_download() as download:
        page.tab.get_by_text("Download scenario (.toml)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".toml"
    scenario = load_scenario(path)
    assert scenario.spec.world.remove_labs == ["Kyutai"]
    traj = run_scenario(scenario, scenario.spec.replicates, scenario.spec.seed)
    t = traj.world.calendar.index(checkpoint_month(traj))
    assert traj.shape[0] == 1000
    assert round(float(traj.at_focal()[:, t].mean()), 3) == shown
    page.wait_chart("retention")
    edited = page.chart_meta("retention")["edited"]
    assert page.chart_value("retention", "retention", edited, "2025-05") == pytest.approx(
        float(traj.at_focal()[:, t].mean()), abs=1e-4
    )
    assert not page.errors, page.errors


def test_one_replicate_reads_in_words(page):
    assert page.tab.inner_text(".sim-replicate-month") == "Month 0 of 47: start (2023-02)"
    assert "Hugo Touvron" in page.tab.inner_text(".sim-replicate")  # names in full
    page.tab.get_by_role("button", name="Step", exact=True).click()
    page.tab.wait_for_function(
        "() => document.querySelector('.sim-replicate-month').textContent.startsWith('Month 1')"
    )
    assert page.tab.inner_text(".sim-replicate-month") == "Month 1 of 47: 2023-02"
    page.tab.get_by_role("button", name="Step", exact=True).click()
    page.tab.wait_for_function(
        "() => document.querySelector('.sim-replicate-month').textContent.startsWith('Month 2')"
    )
    moves = page.tab.inner_text(".sim-replicate-moves")
    assert moves.startswith(("Moves this month: ", "No one moves this month.")), moves
    page.wait_chart("replicate")
    page.tab.wait_for_function(  # the chart is redrawn a moment after the text
        "() => window.simCharts.replicate.view.data('replicate').length === 2"
    )
    assert [r["month"] for r in page.chart_rows("replicate", "replicate")] == ["2023-02", "2023-03"]
    assert not page.errors, page.errors


def test_the_attribution_is_a_waterfall_with_its_table(page):
    page.tab.get_by_role("button", name="Attribute", exact=True).click()
    for source in ("posterior", "prior"):
        page.wait_chart(f"attribution-{source}", timeout=120)
        steps = page.chart_rows(f"attribution-{source}", "waterfall")
        assert steps[0]["step"] == "every cause off" and steps[-1]["step"] == "scenario"
        total = steps[0]["end"] + sum(s["value"] for s in steps[1:-1])
        assert total == pytest.approx(steps[-1]["end"], abs=0.05), steps
    page.tab.get_by_text("The table", exact=True).click()
    table = page.tab.inner_text(".sim-attribution-table")
    assert "Mistral" in table and "total" in table
    page.screenshot("app-attribution")
    assert not page.errors, page.errors


def test_switching_worlds(page):
    before = page.headline()
    page.choose("World", "openai-founders")
    switched = page.wait_headline_change(before)
    assert HEADLINE.search(switched)["lab"] == "OpenAI", switched
    page.wait_chart("retention")
    page.screenshot("app-world-switched")
    assert not page.errors, page.errors


def test_bad_input_shows_a_message_not_a_stack_trace(page, tmp_path):
    field = page.tab.get_by_role("textbox", name="Replicates", exact=True)
    field.fill("0")
    field.press("Enter")
    page.tab.wait_for_selector(".sim-error", timeout=15000)
    message = page.tab.inner_text(".sim-error")
    assert "replicates" in message and "1 to 100,000" in message, message
    assert "Traceback" not in page.tab.inner_text("body")
    page.screenshot("app-bad-lever")
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "baseline"\ndescription = "x"\nreplicats = 5\n')
    entry = page.tab.get_by_role(
        "textbox", name="or open a scenario file (path, Enter)", exact=True
    )
    entry.fill(str(bad))
    entry.press("Enter")
    page.tab.wait_for_function(
        "() => { const e = document.querySelector('.sim-error');"
        " return e && e.textContent.includes('bad.toml'); }",
        timeout=15000,
    )
    cli = run_sim("run", bad)
    assert cli.returncode == 2
    expected = cli.stderr.strip().removeprefix("sim run: error: ")
    assert " ".join(page.tab.inner_text(".sim-error").split()) == expected
    page.screenshot("app-malformed-scenario")
    assert not page.errors, page.errors
