"""TEMPORARY: ``sim robustness`` still registered by sim.analysis.robustness (to move here)."""

from sim.analysis.robustness import register_cli as register  # noqa: F401
