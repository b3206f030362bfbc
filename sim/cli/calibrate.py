"""TEMPORARY: ``sim calibrate`` still registered by sim.inference.calibrate (to move here)."""

from sim.inference.calibrate import register_cli as register  # noqa: F401
