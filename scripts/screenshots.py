"""Take the docs' screenshot of the page (docs/images/app.png) in a real browser.

Starts ``sim app`` on a free port of this machine, opens it in Debian's Chromium through
Playwright with every request off this machine refused (the page must draw offline), removes
Mistral under "Labs (present or removed)" as the how-to describes, waits for the charts and
saves a screenshot. About half a minute::

    .venv/bin/python scripts/screenshots.py                  # docs/images/app.png
    .venv/bin/python scripts/screenshots.py --out /tmp/app.png --width 1400 --height 1000
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images" / "app.png"
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1")


def chromium() -> str:
    """Debian's Chromium (SIM_CHROMIUM if set)."""
    for candidate in (
        os.environ.get("SIM_CHROMIUM"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    raise SystemExit("screenshots: no Chromium found (apt-get install chromium, or SIM_CHROMIUM)")


def serve() -> tuple[subprocess.Popen, str]:
    """``sim app`` on a free port; its process and address once it answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "app", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"screenshots: sim app exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("screenshots: sim app did not answer within 90 s")


def only_this_machine(route) -> None:
    """Let requests to this machine through; refuse any other (no CDN, no network)."""
    if route.request.url.startswith(LOCAL):
        route.continue_()
    else:
        route.abort()


def shoot(url: str, out: Path, width: int, height: int) -> None:
    """Open the page, remove Mistral, wait for the charts, save the screenshot."""
    from playwright.sync_api import sync_playwright

    ready = (
        "() => { const s = document.querySelector('.sim-status');"
        " return s && s.textContent === 'ready'; }"
    )
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=chromium(), headless=True,
            args=["--no-sandbox", "--headless", "--disable-gpu"],
            viewport={"width": width, "height": height},
        )  # fmt: skip
        page = context.new_page()
        page.route("**/*", only_this_machine)
        page.goto(url)
        page.wait_for_function(ready, timeout=120_000)
        before = page.inner_text(".sim-headline")
        page.locator(".v-expansion-panel-header", has_text="Labs").first.click()
        page.get_by_text("Mistral (founded 2023-04)", exact=True).click()
        page.wait_for_function(
            "(b) => document.querySelector('.sim-headline').textContent !== b", arg=before
        )
        page.wait_for_function(ready, timeout=60_000)
        page.wait_for_function(
            "() => window.simCharts && ['retention', 'difference', 'destinations']"
            ".every(n => window.simCharts[n])",
            timeout=60_000,
        )
        page.wait_for_timeout(800)  # the charts' last drawing
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        context.close()


def main(argv: list[str] | None = None) -> int:
    """Take the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="default docs/images/app.png")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args(argv)
    proc, url = serve()
    try:
        shoot(url, args.out, args.width, args.height)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"screenshots: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
