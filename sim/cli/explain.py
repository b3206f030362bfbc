"""TEMPORARY: ``sim explain`` still registered by sim.analysis.explain (to move here)."""

from sim.analysis.explain import register_cli as register  # noqa: F401
