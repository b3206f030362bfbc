"""The world layer: a cohort, its labs, their dated events and its observed history, from files.

Modules: :mod:`~sim.world.structure` (the world and its compiled, array form),
:mod:`~sim.world.loading` (reading a world's folder), :mod:`~sim.world.timeline` (calendar and
month-by-month lab attributes), :mod:`~sim.world.observed` (the observed moves),
:mod:`~sim.world.statistics` (the declared statistics), :mod:`~sim.world.merges` (following a
researcher through merges), :mod:`~sim.world.openings` (founding months known only to an
interval), :mod:`~sim.world.files` and :mod:`~sim.world.checks` (reading and
checking a user's files). It imports only :mod:`sim.kernel` and :mod:`sim.errors`; the layers
above import its names from here.
"""

from sim.world.checks import check_founded
from sim.world.files import StrictModel, explain_validation_error, read_toml
from sim.world.founding import NEVER, is_own_startup, with_own_startups, without_own_startups
from sim.world.loading import load_world, packaged_worlds
from sim.world.observed import Move, Observed, load_observed
from sim.world.openings import (
    founding_interval,
    founding_month,
    interval_labs,
    opening_variants,
)
from sim.world.relocations import Relocation
from sim.world.statistics import (
    BUILT_IN,
    KINDS,
    Statistic,
    check_statistics,
    find_statistic,
    latest_at_focal,
    simulated,
)
from sim.world.structure import (
    CompiledWorld,
    Event,
    World,
    tie_rows,
)
from sim.world.timeline import Calendar, LabTimeline, compile_timeline, format_month

__all__ = [
    "Relocation",
    "BUILT_IN",
    "KINDS",
    "NEVER",
    "Calendar",
    "CompiledWorld",
    "Event",
    "LabTimeline",
    "Move",
    "Observed",
    "Statistic",
    "StrictModel",
    "World",
    "check_founded",
    "check_statistics",
    "compile_timeline",
    "explain_validation_error",
    "find_statistic",
    "format_month",
    "founding_interval",
    "founding_month",
    "interval_labs",
    "is_own_startup",
    "latest_at_focal",
    "load_observed",
    "load_world",
    "opening_variants",
    "packaged_worlds",
    "read_toml",
    "simulated",
    "tie_rows",
    "with_own_startups",
    "without_own_startups",
]
