"""Proper scoring rules for count predictions: the CRPS, and its reading on an interval.

The continuous ranked probability score of a predictive distribution F against an observed
value y is ``CRPS(F, y) = integral (F(x) - 1[x >= y])^2 dx`` (Matheson & Winkler 1976;
Gneiting & Raftery 2007, "Strictly proper scoring rules, prediction, and estimation", JASA
102:359-378, eq. 20). Lower is better; for a point mass at x it is ``|x - y|``, so it is read in
the units of the count. For integer counts F is a step function and the integral is an exact sum
over unit intervals.

A declared count of an observed history is often known only to an interval ``low .. high`` (the
exit months are intervals: :func:`sim.results.observed_readings` gives the earliest and the
latest reading). :func:`crps_interval` then charges the CRPS's own penalty outside the interval
and nothing inside it: ``integral_{x < low} F(x)^2 dx + integral_{x >= high} (1 - F(x))^2 dx``.
It equals the CRPS where ``low == high`` and is never above the CRPS of any value the interval
allows: it charges nothing for how a predictive spreads its mass inside the interval, which the
data cannot check.
"""

from __future__ import annotations

import numpy as np


def crps_interval(samples: np.ndarray, low: int, high: int) -> float:
    """The (interval) CRPS of the empirical distribution of integer ``samples`` (module docstring).

    Args:
        samples: draws of the predictive distribution, integers, any shape.
        low: the smallest value the observation allows.
        high: the largest (``low`` for an exact observation).
    """
    values = np.asarray(samples, dtype=np.int64).ravel()
    if values.size == 0:
        raise ValueError("no samples")
    if low > high:
        raise ValueError(f"low {low} is above high {high}")
    start = min(int(values.min()), low)
    stop = max(int(values.max()), high) + 1
    grid = np.arange(start, stop)
    cdf = np.searchsorted(np.sort(values), grid, side="right") / values.size  # F(k)
    below = np.sum(cdf[grid < low] ** 2)
    above = np.sum((1.0 - cdf[grid >= high]) ** 2)
    return float(below + above)


def crps_energy(samples: np.ndarray, observed: int) -> float:
    """The CRPS by its expectation form ``E|X - y| - E|X - X'| / 2`` (Gneiting & Raftery eq. 21).

    The same number as :func:`crps_interval` with ``low == high`` (a test checks it); kept as
    the independent definition the tests compare with.
    """
    values = np.asarray(samples, dtype=np.float64).ravel()
    spread = np.abs(values[:, None] - values[None, :]).mean()
    return float(np.abs(values - observed).mean() - 0.5 * spread)
