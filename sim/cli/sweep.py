"""TEMPORARY: ``sim sweep`` still registered by sim.analysis.sweep (to move here)."""

from sim.analysis.sweep import register_cli as register  # noqa: F401
