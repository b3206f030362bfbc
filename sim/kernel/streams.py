"""Random numbers as a pure function of where they are used.

Every random number of a run is computed, not drawn: a Philox4x32-10 block
(:mod:`sim.kernel.philox`) keyed by the replicate's seed, at a counter that says where the number
is used::

    counter = (stream | month << 8,  researcher key (low 32 bits),  researcher key (high 32 bits),
               lab key)

* stream :data:`RESTLESSNESS` (month 0, lab 0): a standard normal per researcher, u_i before
  scaling by sigma_u;
* stream :data:`CHOICE` (month t, lab 0): the uniform that decides researcher i's month t;
* stream :data:`FIT` (month 0, lab j): a standard normal per researcher and lab, the fit m_ij
  before scaling by sigma_match;
* stream :data:`OPENING` (month 0, researcher key 0, lab j): the uniform that draws lab j's
  founding month where it is known only to an interval (:func:`opening_months_into`).

Researcher and lab keys are stable hashes of their names (:func:`sim.world.structure.name_keys`),
not array positions. So common random numbers hold by construction: a scenario that changes the
horizon, adds or removes labs, or adds a researcher leaves every other number where it was. There
are no pre-drawn arrays and no reserved blocks: both engines compute each number where they use
it, through the same compiled functions.

Replicate r of a run with seed S is keyed by ``replicate_seeds(S, R)[r]``: the first R 64-bit
words of ``SeedSequence(S)``, independent of the executor and the number of workers, and recorded
in every result row so that any single history can be re-run.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernel.philox import normal, uniform

RESTLESSNESS, CHOICE, FIT, OPENING = 0, 1, 2, 3
_LOW = np.uint64(0xFFFFFFFF)


def replicate_seeds(seed: int, replicates: int) -> np.ndarray:
    """The 64-bit key of each of ``replicates`` replicates of a run seeded with ``seed``."""
    if replicates < 0:
        raise ValueError("replicates must be >= 0")
    return np.random.SeedSequence(int(seed)).generate_state(replicates, np.uint64)


@njit(cache=True, inline="always")
def choice_uniform(seed, month, researcher_key):
    """The uniform in [0, 1) deciding a researcher's choice in ``month`` of a replicate."""
    return uniform(
        seed, np.uint64(CHOICE) | (np.uint64(month) << np.uint64(8)),
        researcher_key & _LOW, researcher_key >> np.uint64(32), np.uint64(0),
    )  # fmt: skip


@njit(cache=True, inline="always")
def restlessness_normal(seed, researcher_key):
    """The standard normal behind a researcher's restlessness u_i in a replicate."""
    return normal(
        seed, np.uint64(RESTLESSNESS), researcher_key & _LOW, researcher_key >> np.uint64(32),
        np.uint64(0),
    )  # fmt: skip


@njit(cache=True, inline="always")
def fit_normal(seed, researcher_key, lab_key):
    """The standard normal behind researcher i's fit m_ij with lab j in a replicate."""
    return normal(
        seed, np.uint64(FIT), researcher_key & _LOW, researcher_key >> np.uint64(32), lab_key
    )


@njit(cache=True)
def replicate_normals(seed, researcher_keys, lab_keys, restlessness, fits):
    """Fill one replicate's restlessness normals [N] and fit normals [N, L] (before scaling)."""
    for i in range(researcher_keys.shape[0]):
        restlessness[i] = restlessness_normal(seed, researcher_keys[i])
        for j in range(lab_keys.shape[0]):
            fits[i, j] = fit_normal(seed, researcher_keys[i], lab_keys[j])


@njit(cache=True)
def opening_months_into(seed, lab_keys, opening, out):
    """Fill one replicate's founding months ``out`` [L]: drawn where known only to an interval.

    ``opening`` [L, 2] holds each lab's first and last possible month (-1, -1 where its month is
    known: ``out`` is then -1, no constraint beyond the timeline). The month is uniform over the
    interval, from the replicate's :data:`OPENING` uniform of the lab. Returns whether any lab
    was drawn.
    """
    drawn = False
    for j in range(lab_keys.shape[0]):
        first, last = opening[j, 0], opening[j, 1]
        if first < 0:
            out[j] = -1
            continue
        u = uniform(seed, np.uint64(OPENING), np.uint64(0), np.uint64(0), lab_keys[j])
        out[j] = first + min(int(u * (last - first + 1)), last - first)
        drawn = True
    return drawn
