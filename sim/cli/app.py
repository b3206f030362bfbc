"""``sim app``: serve the interactive page (:mod:`sim.app`) on this machine."""

from __future__ import annotations

import argparse
import sys

from sim.app.server import DEFAULT_HOST, DEFAULT_PORT, check_port, serve
from sim.cli.common import add_command
from sim.errors import InputError


def register(sub) -> None:
    """Add ``sim app`` to the subcommands."""
    cmd = add_command(
        sub,
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
    cmd.set_defaults(func=app_command)


def _port(text: str) -> int:
    """An argparse ``type``: a port number from 1 to 65535 (a usage error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {text!r}")
    return value


def app_command(args: argparse.Namespace) -> int:
    """Check the port and the scenario, then serve the page until Ctrl-C."""
    from sim.app.reference import load_reference

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
