"""What the page shows when a lever moves: the numbers with their three figures."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sim.app.compute import Result, compute
from sim.app.figures import destinations_png, difference_png, retention_png
from sim.app.reference import Reference
from sim.app.settings import Settings


@dataclass(frozen=True)
class View:
    """A result with its figures (PNG), as the page shows it."""

    result: Result
    retention: bytes
    difference: bytes
    destinations: bytes
    seconds: float  # the whole recompute: load, simulate, summarise, draw


def recompute(settings: Settings, reference: Reference | None = None) -> View:
    """What the page does when a lever moves: :func:`compute`, then the three figures."""
    start = time.perf_counter()
    result = compute(settings, reference)
    return View(
        result=result,
        retention=retention_png(result),
        difference=difference_png(result),
        destinations=destinations_png(result),
        seconds=time.perf_counter() - start,
    )
