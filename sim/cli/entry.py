"""The installed ``sim`` command's first lines: Ctrl-C is handled before anything is imported.

A Ctrl-C that lands while the command's modules are still being imported (0.2 s in, on a loaded
machine, inside ``import difflib``) used to print a KeyboardInterrupt traceback: no handler of the
command existed yet. :func:`console` installs one first, imports the command
(:mod:`sim.cli.command`) and only then hands Ctrl-C back to Python, whose KeyboardInterrupt the
command handles itself. Nothing is written before that point, so the early handler only says so and
exits with 130.
"""

import os
import signal
import sys


def _interrupted_while_starting(signum, frame) -> None:
    sys.stderr.write("sim: interrupted; finished files are kept.\n")
    sys.stderr.flush()
    os._exit(130)


def console() -> None:
    """The ``sim`` command (pyproject's script, and ``python -m sim.cli``)."""
    signal.signal(signal.SIGINT, _interrupted_while_starting)
    from sim.cli.command import console as run

    signal.signal(signal.SIGINT, signal.default_int_handler)
    run()
