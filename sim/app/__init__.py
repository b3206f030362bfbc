"""``sim app``: an interactive page to explore scenarios, served on localhost by Solara.

The page (:mod:`sim.app.page`, built with Solara and Mesa's SolaraViz components) lets one
choose a world and one of its scenarios, move levers (an offset to any attribute of any lab from
a month, each event on or off, each lab present or removed, parameters fixed within their bounds
or drawn from the posterior, the number of replicates) and see at once the retention band
against the baseline's with the observed history, the paired difference from the unedited
scenario under common random numbers, the destinations at the checkpoint month and one
replicate played month by month by the Mesa model; the settings download as a scenario file
that ``sim run`` accepts unchanged. Its logic is in :mod:`sim.app.logic` (no browser needed).

Solara is an optional dependency (``pip install -e '.[app]'``, or the ``dev`` extra); this
module imports it only when the command runs.
"""

from __future__ import annotations

import argparse
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


def register_cli(subparsers) -> None:
    """Add ``sim app`` to the ``sim`` command."""
    from sim.cli.common import add_command

    cmd = add_command(
        subparsers,
        "app",
        "serve an interactive page to explore scenarios (Solara, on localhost)",
        "Starts a web page (Solara, with Mesa's SolaraViz components) where you choose a world\n"
        "and a scenario, move levers (an offset to any lab attribute from a month, each event\n"
        "on or off, each lab present or removed, parameters fixed within their bounds or drawn\n"
        "from the posterior, the number of replicates) and see the retention band against the\n"
        "baseline's, the paired difference from the unedited scenario under common random\n"
        "numbers, where the cohort is at the checkpoint month and one replicate played month\n"
        "by month by the Mesa model. The settings download as a scenario file that 'sim run'\n"
        "accepts unchanged. Stop it with Ctrl-C. A port already in use is an error (exit\n"
        "status 2).",
        [
            "sim app",
            "sim app --port 8800",
            "sim app --scenario scenarios/openai-founders/baseline.toml",
        ],
    )
    cmd.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        metavar="PORT",
        help=f"port to serve on (default {DEFAULT_PORT})",
    )
    cmd.add_argument(
        "--host",
        default=DEFAULT_HOST,
        metavar="HOST",
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only)",
    )
    cmd.add_argument(
        "--scenario",
        default="baseline",
        metavar="SCENARIO",
        help="the scenario the page opens with: a file or a name in scenarios/ (default baseline)",
    )
    cmd.set_defaults(func=_cmd_app)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {text!r}")
    return value


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
    os.environ[SCENARIO_ENV] = scenario
    threading.Thread(target=warm_up, args=(scenario,), daemon=True).start()
    from solara.__main__ import cli

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
    from sim.app import logic

    try:
        reference = logic.load_reference(scenario)
        view = logic.recompute(logic.initial_settings(reference, 20), reference)
        logic.replicate_model(view.result, 0).step()
    except Exception as exc:  # the page reports errors itself; this is only a head start
        print(f"sim app: warm-up skipped ({type(exc).__name__}: {exc})", file=sys.stderr)


def _cmd_app(args: argparse.Namespace) -> int:
    from sim.app.logic import load_reference

    check_port(args.host, args.port)
    scenario = str(load_reference(args.scenario).path)  # malformed: the usual error
    try:
        import solara  # noqa: F401
    except ModuleNotFoundError:
        raise InputError("the page needs Solara: pip install -e '.[app]' (or make app)") from None
    try:
        serve(args.host, args.port, scenario)
    except KeyboardInterrupt:
        print("sim app: stopped.", file=sys.stderr)
    return 0
