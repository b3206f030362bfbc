"""The sim command: the top layer, one module per subcommand, nothing below it knows argparse.

Modules: :mod:`~sim.cli.run`, :mod:`~sim.cli.compare`, :mod:`~sim.cli.sweep` (sweep and
sensitivity), :mod:`~sim.cli.calibrate`, :mod:`~sim.cli.robustness`, :mod:`~sim.cli.baselines`,
:mod:`~sim.cli.explain`,
:mod:`~sim.cli.app`; :mod:`~sim.cli.common` holds the help layout and argument types. Each
command parses its options, calls the algorithm of the layers below and its report writer.

Bad input (a malformed scenario, an unknown lab or parameter, a date outside the window, a
corrupt results file) prints one paragraph naming the file, the key and what was expected, and
exits with status 2; it never leaves a traceback and never overwrites earlier results.

The parser and the entry live in :mod:`sim.cli.command`; this package imports nothing at first, so
the command's entry (:mod:`sim.cli.entry`, ``python -m sim.cli``) can take Ctrl-C from its first
line, before any import that could be interrupted. :func:`main`, :func:`console` and
:func:`build_parser` are read from :mod:`sim.cli.command` on first use.
"""

from __future__ import annotations

import importlib

_LAZY = ("main", "console", "build_parser")


def __getattr__(name: str):
    """``main``, ``console`` and ``build_parser`` from :mod:`sim.cli.command`, on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module("sim.cli.command"), name)
    raise AttributeError(f"module 'sim.cli' has no attribute {name!r}")
