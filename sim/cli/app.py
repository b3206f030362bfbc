"""TEMPORARY: ``sim app`` still registered by sim.app (to move here)."""

from sim.app import register_cli as register  # noqa: F401
