"""The page of `sim app` in a real browser: Playwright driving Debian's Chromium.

A module fixture starts `sim app` on a free port in a subprocess and stops it after; each test
opens the page in a fresh tab (its own Solara session). Screenshots go to out/test-artifacts/.
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
    """A tab on the page, recording the browser console's errors."""

    def __init__(self, context, url: str):
        self.tab = context.new_page()
        self.errors: list[str] = []
        self.tab.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.tab.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.tab.goto(url)
        self.wait_ready(timeout=FIRST_LOAD)

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

    def curve(self) -> bytes:
        """The retention figure as drawn on the screen."""
        return self.tab.locator("img.sim-retention").screenshot()

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.tab.wait_for_function("() => [...document.images].every(i => i.complete)")
        self.tab.wait_for_timeout(400)  # let the tables and cards settle
        self.tab.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    def close(self) -> None:
        self.tab.close()


@pytest.fixture
def page(server, browser, request):
    tab = Page(browser, server)
    yield tab
    tab.screenshot(f"app-{request.node.name}")
    tab.close()


def test_the_page_loads_with_no_console_errors(page):
    match = HEADLINE.search(page.headline())
    assert match and match["lab"] == "Meta" and match["month"] == "2025-05", page.headline()
    assert 0 <= float(match["value"]) <= 14
    assert "Paired difference" in page.tab.inner_text(".sim-difference")
    for figure in ("sim-retention", "sim-difference-figure", "sim-destinations", "sim-replicate"):
        assert page.tab.locator(f"img.{figure}").count() == 1, figure
    page.screenshot("app-loaded")
    assert not page.errors, page.errors


def test_moving_a_lever_changes_the_number_and_the_curve(page):
    before, curve = page.headline(), page.curve()
    page.open_panel("Labs")
    page.tab.get_by_text("Mistral (founded 2023-04)", exact=True).click()
    after = page.wait_headline_change(before)
    assert page.number() != float(HEADLINE.search(before)["value"]), (before, after)
    page.tab.wait_for_timeout(300)  # the new figure's image is swapped in with the numbers
    assert page.curve() != curve, "the retention figure did not change"
    assert "Mistral never exists" in page.tab.inner_text(".sim-edits")
    page.screenshot("app-lever-moved")
    assert not page.errors, page.errors


def test_a_downloaded_scenario_reproduces_the_page(page, tmp_path):
    from sim.config.scenario import load_scenario
    from sim.engines.run import run_scenario
    from sim.results import checkpoint_month

    before = page.headline()
    page.open_panel("Labs")
    page.tab.get_by_text("Kyutai (founded 2023-11)", exact=True).click()
    page.wait_headline_change(before)
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
    assert not page.errors, page.errors


def test_switching_scenarios_and_worlds(page):
    before = page.headline()
    page.choose("Scenario", "mistral-never-founded")
    after = page.wait_headline_change(before)
    assert "Mistral never exists" not in page.tab.inner_text(".sim-edits")  # the scenario's own
    assert page.tab.inner_text(".sim-difference").startswith("Unedited mistral-never-founded")
    page.screenshot("app-scenario-switched")
    page.choose("World", "openai-founders")
    switched = page.wait_headline_change(after)
    assert HEADLINE.search(switched)["lab"] == "OpenAI", switched
    page.screenshot("app-world-switched")
    assert not page.errors, page.errors


def test_bad_input_shows_a_message_not_a_stack_trace(page, tmp_path):
    field = page.tab.get_by_label("Replicates")
    field.fill("0")
    field.press("Enter")
    page.tab.wait_for_selector(".sim-error", timeout=15000)
    message = page.tab.inner_text(".sim-error")
    assert "replicates" in message and "1 to 100,000" in message, message
    assert "Traceback" not in page.tab.inner_text("body")
    page.screenshot("app-bad-lever")
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "baseline"\ndescription = "x"\nreplicats = 5\n')
    entry = page.tab.get_by_label("or open a scenario file (path, Enter)")
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
