"""What the likelihood adds where founding is a choice (:mod:`sim.kernel.behavior`).

A potential lab's existence in month t is not data but the history's: it has been founded once
someone has been there. For researcher i's forward recursion (:mod:`sim.likelihood.evaluate`),
a potential lab is open if anyone else has been there by the start of the month (their positions
as the panel reads them: exact in a complete panel, imputed at interval middles otherwise, as
every colleague's position is) or i has moved there in an earlier move of the state; if not, and i
is among its founders, it is i's founding alternative, with the founding term the engines use.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernel.behavior import founding_factor
from sim.likelihood.panel import Panel
from sim.world import CompiledWorld


def founding_history(world: CompiledWorld, panel: Panel) -> tuple[np.ndarray, np.ndarray]:
    """What the panel says about foundings, as the likelihood reads it (founding by choice).

    ``arrived[t, j]`` (int [T, L]): how many researchers have been at potential lab j at the
    start of some month up to t, so j has been founded before month t if anyone but the
    researcher being evaluated is counted; ``founded_by[t, c]`` (bool [T, N]): colleague c has
    moved to a lab they found by the start of month t (the engines' ``has_founded``, by the rule
    of :func:`sim.kernel.behavior.record_move`, read off the panel's positions). Both are
    empty of meaning, and cheap, in a world where founding is given.
    """
    positions = panel.start_of_month
    n_months, n_people = positions.shape
    arrived = np.zeros((n_months, world.potential.shape[0]), dtype=np.int64)
    founded_by = np.zeros((n_months, n_people), dtype=np.bool_)
    if not world.founding:
        return arrived, founded_by
    for j in np.flatnonzero(world.potential):
        arrived[:, j] = np.logical_or.accumulate(positions == j, axis=0).sum(axis=1)
    starts = world.start_labs if world.colleague_start_labs is None else world.colleague_start_labs
    founder = world.founder if world.colleague_founder is None else world.colleague_founder
    moved_to_own = (positions != starts[None, :]) & (
        founder[np.arange(n_people)[None, :], positions] > 0.0
    )
    founded_by[:] = np.logical_or.accumulate(moved_to_own, axis=0)
    return arrived, founded_by


@njit(cache=True)
def founding_terms(
    theta, i, t, k, current, first, to, start_labs, start_tenure, founder, potential,
    potential_w, climate, barred, arrived, own_first, founded_by, contagion, tie_indptr,
    tie_indices, tie_weights, pull, shared, unfounded,
):  # fmt: skip
    """Set ``shared[j]`` at the potential labs for researcher i in month t after k moves.

    A potential lab is open (founded) if anyone else has been there by the start of month t, or
    the researcher has moved there before (one of their first k moves); then it is a lab like
    any other. If not, and i is among its founders and not barred, it is i's founding
    alternative: its weight carries exp(F_it / lam) (:func:`~sim.kernel.behavior.founding_factor`,
    with the seniority the engines use). Otherwise it cannot be chosen (0). ``unfounded`` [L] is
    scratch, overwritten.
    """
    for j in range(potential.shape[0]):
        unfounded[j] = False
        if not potential[j] or j == current:
            continue
        others = arrived[j] - (1 if own_first[j] <= t else 0)
        mine = False
        for kk in range(k):
            mine = mine or to[first + kk] == j
        if others > 0 or mine:
            shared[j] = potential_w[j] * pull[j]
        else:
            shared[j] = 0.0
            unfounded[j] = potential_w[j] > 0.0
    factor = founding_factor(
        theta, i, current, start_tenure[i] + t / 12.0, climate, barred, founder[i], unfounded,
        contagion, tie_indptr, tie_indices, tie_weights, founded_by,
    )  # fmt: skip
    if factor > 0.0:
        for j in range(potential.shape[0]):
            if unfounded[j] and founder[i, j] > 0.0:
                shared[j] = potential_w[j] * pull[j] * factor
