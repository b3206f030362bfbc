"""An agent-based model of why researchers leave a lab, and what would have kept them.

Researchers choose each month between their lab, its spin-outs and rival labs by a nested logit
over openness, research culture, product pace, pay, colleagues and home city. A world (a cohort,
its labs, their dated events, the observed history and the statistics to read off it) is a folder
of data files; two are shipped in ``sim/data``. Two engines run the same rule, move for move
identical: the Mesa model (the reference) and a compiled ensemble engine.

The house, in layers that import downwards only (an import-linter contract in pyproject.toml)::

    cli/          one module per command; nothing below it knows argparse
    app/          the page (sim app): catalog, settings, computation, figures, replay, layout
    reports/      result objects -> Markdown, tables, figures
    analysis/     compare, explain (causes, Shapley values, attribution), sweep, sensitivity,
                  robustness
    inference/    abc/ (smc, targets, priors), posterior (emcee), joint, reference, diagnostics
    engines/      ensemble (compiled), mesa_model (Mesa), simulate() that every driver calls
    likelihood/   the probability of an observed history: panel, evaluate, forecast draws
    results/      Trajectories and what is read off them; the output folders (store)
    config/       the parameter space (params) and scenario files
    world/        a world's files, loading, compiled form, timeline, observed history, merges
    kernel/       the choice rule (behavior), philox, streams: imports nothing from sim

Beside them, ``errors`` (InputError) and ``paths`` serve every layer. The names below are the
public API; everything else may change. They load on first use, so ``import sim`` (and every
``sim`` command before it parses its options) imports no numerical library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the same names, for type checkers and the API reference
    from sim.config.params import PARAMETER_SPACE, sample_prior
    from sim.config.scenario import Scenario, load_scenario
    from sim.engines.run import run_scenario
    from sim.engines.simulate import simulate
    from sim.errors import InputError
    from sim.kernel.streams import replicate_seeds
    from sim.results import (
        Trajectories,
        destination_counts,
        replicate_summaries,
        retention_curve,
        summary_table,
    )
    from sim.world import World, load_world

__version__ = "0.1.0"

#: Where each public name is defined.
_HOMES = {
    "PARAMETER_SPACE": "sim.config.params",
    "sample_prior": "sim.config.params",
    "Scenario": "sim.config.scenario",
    "load_scenario": "sim.config.scenario",
    "run_scenario": "sim.engines.run",
    "simulate": "sim.engines.simulate",
    "InputError": "sim.errors",
    "replicate_seeds": "sim.kernel.streams",
    "Trajectories": "sim.results",
    "destination_counts": "sim.results",
    "replicate_summaries": "sim.results",
    "retention_curve": "sim.results",
    "summary_table": "sim.results",
    "World": "sim.world",
    "load_world": "sim.world",
}

__all__ = [
    "PARAMETER_SPACE",
    "InputError",
    "Scenario",
    "Trajectories",
    "World",
    "destination_counts",
    "load_scenario",
    "load_world",
    "replicate_seeds",
    "replicate_summaries",
    "retention_curve",
    "run_scenario",
    "sample_prior",
    "simulate",
    "summary_table",
]
assert set(__all__) == set(_HOMES), "every public name needs its home module"


def __getattr__(name: str):
    """A public name, imported from its module on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names and the public ones not loaded yet."""
    return sorted({*globals(), *_HOMES})
