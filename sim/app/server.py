"""Serving the page: its address, a check that the port is free, and Solara's server.

Solara is an optional dependency (``pip install -e '.[app]'``, or the ``dev`` extra); this
module imports it only when the page is served, and imports the page's logic only to warm it up,
so that ``sim --help`` stays light.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import threading

from sim.errors import InputError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: The Solara app: the page component.
APP = "sim.app.page:Page"
#: Environment variable through which ``sim app --scenario`` reaches the page.
SCENARIO_ENV = "SIM_APP_SCENARIO"


def check_port(host: str, port: int) -> None:
    """Refuse a port that cannot be listened on (in use, or an address not on this machine)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError(f"cannot resolve host {host!r} ({exc.strerror})", key="--host") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InputError(
                    f"port {port} on {host} is in use (another server listens there): stop it "
                    "or choose another port with --port",
                    key="--port",
                ) from None
            raise InputError(
                f"cannot listen on {host}:{port} ({exc.strerror})", key="--host"
            ) from None


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, scenario: str = "baseline") -> None:
    """Serve the page with Solara's server until interrupted (production mode, no browser)."""
    # Before Solara reads its settings: no telemetry (the version check is an option below).
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    # no "This website runs on Solara" badge over the page's content; the page's own title
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    os.environ.setdefault("SOLARA_THEME_TITLE", "sim app")
    os.environ[SCENARIO_ENV] = scenario
    threading.Thread(target=warm_up, args=(scenario,), daemon=True).start()
    import solara.server.settings as solara_settings
    from solara.__main__ import cli

    # the settings are read when solara is first imported (sim app checks it is installed first)
    solara_settings.theme.show_banner = False
    solara_settings.theme.title = "sim app"

    print(f"sim app: serving on http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    cli.main(
        [
            "run",
            APP,
            "--host",
            host,
            "--port",
            str(port),
            "--production",
            "--no-open",
            "--no-check-version",
            "--log-level",
            "warning",
        ],
        standalone_mode=False,
    )


def warm_up(scenario: str) -> None:
    """Compile the engines (numba) before the first visitor: run the opening page once, small."""
    from sim.app.reference import load_reference
    from sim.app.replay import replicate_model
    from sim.app.settings import initial_settings
    from sim.app.view import recompute

    try:
        reference = load_reference(scenario)
        view = recompute(initial_settings(reference, 20), reference)
        replicate_model(view.result, 0).step()
        import altair  # noqa: F401  (the charts' library, imported once before a visitor)
    except Exception as exc:  # the page reports errors itself; this is only a head start
        print(f"sim app: warm-up skipped ({type(exc).__name__}: {exc})", file=sys.stderr)
