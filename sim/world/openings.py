"""Founding months, and those known only to an interval: the worlds each possible month makes.

``labs.csv`` may give a lab's ``founded`` as ``YYYY-MM..YYYY-MM`` where sources disagree on the
month, or date only a quarter or a year (a lab founded by people outside the cohort; where
founding is chosen, the interval of a potential lab only bounds the observation). The founding
month is then a random variable, uniform over the interval's months:

* **in a run** each replicate draws it (:func:`sim.kernel.streams.opening_months_into`, keyed by
  the replicate and the lab, so both engines and every scenario draw the same month), and the
  lab exists from that month;
* **in the likelihood** it is summed over: L = sum over the months m the intervals allow of
  P(m) L(history | the lab founded in m), each term a world whose timeline has the lab from m
  (:func:`opening_variants`). Several interval labs give every combination of their months. The
  full-information sampler holds the combination as one more latent variable of each walker,
  updated by Gibbs from its exact conditional (:mod:`sim.inference.posterior`).

A move observed into such a lab reads from the interval's first month (the loader's clamp to the
founding); in a world where the lab is founded later, the months before it have probability 0.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np

from sim.errors import InputError
from sim.world.checks import check_founded
from sim.world.founding import NEVER
from sim.world.timeline import Calendar


def founding_interval(founded: str, calendar: Calendar) -> tuple[int, int]:
    """The first and last month index a lab may be founded in, from ``labs.csv``'s ``founded``.

    ``""`` (exists at the start): (0, 0); :data:`NEVER`: a huge number twice; ``YYYY-MM``: that
    month twice; ``YYYY-MM..YYYY-MM``: a founding month known only to an interval (each run
    draws it, the likelihood sums over it: :mod:`sim.world.openings`).
    """
    if founded == NEVER:
        return 10**9, 10**9
    if not founded:
        return 0, 0
    return check_founded(founded, calendar, None, "founded")


def founding_month(founded: str, calendar: Calendar) -> int:
    """Month index from which a lab may exist: 0 for "", a huge number for NEVER.

    For a founding month known to an interval, its first month.
    """
    return founding_interval(founded, calendar)[0]


#: The most combinations of founding months a likelihood sums over (each is one evaluation).
MAX_VARIANTS = 256


def interval_labs(world) -> np.ndarray:
    """The codes of the labs whose founding month is known only to an interval, int [K]."""
    return np.flatnonzero(world.opening[:, 0] >= 0)


def opening_variants(world) -> list[tuple[float, object]]:
    """Each combination of the interval labs' founding months, as (log probability, world).

    ``world`` is a :class:`~sim.world.structure.CompiledWorld`. Each returned world is it with
    every interval lab existing from its month of the combination on (its ``opening`` all -1:
    nothing is drawn in it); the probabilities are uniform over the combinations. A world
    without interval labs gives itself, with log probability 0.

    Raises:
        InputError: more than :data:`MAX_VARIANTS` combinations, naming the labs.
    """
    labs = interval_labs(world)
    if labs.size == 0:
        return [(0.0, world)]
    months = [range(int(world.opening[j, 0]), int(world.opening[j, 1]) + 1) for j in labs]
    count = math.prod(len(r) for r in months)
    if count > MAX_VARIANTS:
        names = ", ".join(world.world.labs[j] for j in labs)
        raise InputError(
            f"the founding months of {names} are known only to intervals whose combinations "
            f"number {count:,}; the likelihood sums over at most {MAX_VARIANTS}: narrow them",
            source=f"{world.world.source}/labs.csv", key="founded",
        )  # fmt: skip
    known = np.full_like(world.opening, -1)
    out = []
    for combination in itertools.product(*months):
        exists = world.timeline.exists.copy()
        for j, month in zip(labs, combination, strict=True):
            exists[:month, j] = False
        timeline = dataclasses.replace(world.timeline, exists=exists)
        out.append((-math.log(count), dataclasses.replace(world, timeline=timeline, opening=known)))
    return out
