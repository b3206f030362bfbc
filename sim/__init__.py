"""An agent-based model of why researchers leave a lab, and what would have kept them.

Researchers choose each month between their lab, its spin-outs and rival labs by a nested logit
over openness, research culture, product pace, pay, colleagues and home city
(:mod:`sim.behavior`). A world (a cohort, its labs, their dated events, the observed history and
the statistics to read off it) is a folder of data files (:func:`load_world`); two are shipped in
``sim/data``.
Two engines run the same rule: the Mesa model (:mod:`sim.model`, the reference) and a compiled
ensemble engine (:mod:`sim.ensemble`) that runs many replicates at once, move for move identical.
"""

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
