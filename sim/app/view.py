"""What the page shows when a lever moves: the numbers, against one reference, with their charts.

:func:`recompute` runs the settings (:func:`sim.app.compute.compute`) and :func:`charts` builds
the Vega-Lite specs (:mod:`sim.app.charts`) of the result against the reference the page compares
with; changing only that reference rebuilds the charts, not the simulation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sim.app.charts import destinations_chart, difference_chart, retention_chart
from sim.app.compute import COMPARE_WITH, Against, Result, compute
from sim.app.reference import Reference
from sim.app.settings import Settings


@dataclass(frozen=True)
class View:
    """A result against one reference, with its charts, as the page shows it."""

    result: Result
    against: Against
    retention: dict  # Vega-Lite specs
    difference: dict | None  # None: the difference is exactly zero (no edits yet)
    destinations: dict
    seconds: float  # building the charts


def charts(result: Result, compare_with: str = COMPARE_WITH[0]) -> View:
    """The result against ``compare_with`` (``baseline`` or ``scenario``), with its charts."""
    start = time.perf_counter()
    against = result.against(compare_with)
    return View(
        result=result,
        against=against,
        retention=retention_chart(against),
        difference=difference_chart(against),
        destinations=destinations_chart(against),
        seconds=time.perf_counter() - start,
    )


def recompute(
    settings: Settings, reference: Reference | None = None, compare_with: str = COMPARE_WITH[0]
) -> View:
    """What the page does when a lever moves: :func:`compute`, then the charts."""
    return charts(compute(settings, reference), compare_with)
