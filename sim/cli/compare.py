"""TEMPORARY: ``sim compare`` still registered by sim.analysis.compare (to move here)."""

from sim.analysis.compare import register_cli as register  # noqa: F401
