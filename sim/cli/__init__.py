"""The sim command: the top layer, one module per subcommand, nothing below it knows argparse.

Modules: :mod:`~sim.cli.run`, :mod:`~sim.cli.compare`, :mod:`~sim.cli.sweep` (sweep and
sensitivity), :mod:`~sim.cli.calibrate`, :mod:`~sim.cli.robustness`, :mod:`~sim.cli.explain`,
:mod:`~sim.cli.app`; :mod:`~sim.cli.common` holds the help layout and argument types. Each
command parses its options, calls the algorithm of the layers below and its report writer.

Bad input (a malformed scenario, an unknown lab or parameter, a date outside the window, a
corrupt results file) prints one paragraph naming the file, the key and what was expected, and
exits with status 2; it never leaves a traceback and never overwrites earlier results.
"""

from __future__ import annotations

import argparse
import sys

from sim.cli.common import HelpFormatter
from sim.errors import InputError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: each command's module of this package adds its subcommand(s)."""
    parser = argparse.ArgumentParser(
        prog="sim",
        description=(
            "Simulate researchers leaving a lab: run scenarios, compare counterfactuals under "
            "common random\nnumbers, sweep parameters and calibrate them to an observed history. "
            "'sim COMMAND --help' says more.\nBad input exits with status 2 and one paragraph "
            "naming the file, the key and what was expected."
        ),
        epilog="examples:\n  sim run baseline\n  sim compare --all\n  sim calibrate --quiet",
        formatter_class=HelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from sim.cli import app, calibrate, compare, explain, robustness, run, sweep

    for command in (run, compare, sweep, calibrate, robustness, explain, app):
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse, run, and turn bad input into exit status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"sim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"sim {args.command}: interrupted; finished files are kept.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
