"""The sim command's parser and entry: parse, run, and turn bad input into exit status 2.

Each subcommand's module of :mod:`sim.cli` adds itself to the parser (:func:`build_parser`);
:func:`main` runs one command and :func:`console` is the installed command's body, reached
through :mod:`sim.cli.entry`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings

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

    from sim.cli import app, baselines, calibrate, compare, explain, robustness, run, sweep

    for command in (run, compare, sweep, calibrate, robustness, baselines, explain, app):
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse, run, and turn bad input into exit status 2.

    Ctrl-C at any moment, the first second's imports included, ends with status 130 and one
    line, never a traceback (:mod:`sim.cli.entry` takes it before the first import).
    """
    command = "sim"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        command = f"sim {args.command}"
        return args.func(args)
    except InputError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command}: interrupted; finished files are kept.", file=sys.stderr)
        return 130


def _one_line(message, category, filename, lineno, line=None) -> str:
    """A warning as the command prints it: ``sim: warning: ...``."""
    return f"sim: warning: {message}\n"


def _unraisable(unraisable, default=sys.unraisablehook) -> None:
    """End the command on a Ctrl-C that Python cannot raise (one line, status 130).

    A Ctrl-C landing in a clean-up (an import lock's callback, a destructor) would print
    'Exception ignored ... KeyboardInterrupt' and be lost. Anything else is reported as usual.
    """
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        print("sim: interrupted; finished files are kept.", file=sys.stderr)
        sys.stderr.flush()
        os._exit(130)
    default(unraisable)


def _interrupt(signum, frame) -> None:
    """SIGTERM handler: unwind as Ctrl-C does, so staging folders are removed on the way."""
    raise KeyboardInterrupt


def console() -> None:
    """The ``sim`` command's body, after :mod:`sim.cli.entry` imported it: :func:`main`, exit.

    SIGTERM is handled as Ctrl-C (the output-folder policy's staging folder is removed on the
    way out). After either it leaves through ``os._exit(130)``: an interrupt that lands while
    a library evaluates a string during its import (numpy does) makes CPython end the process
    by SIGINT at exit even though the interrupt was handled, and the status 130 would be lost.
    """
    signal.signal(signal.SIGTERM, _interrupt)  # a kill cleans up as Ctrl-C does
    sys.unraisablehook = _unraisable
    warnings.formatwarning = _one_line  # a warning reads as the errors do, without a code line
    status = main()
    if status == 130:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(status)
