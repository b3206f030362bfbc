"""The vectorised engine: many replicates at once, move for move identical to the Mesa model.

One numba-compiled loop runs a batch of replicates in parallel (one thread per core, replicates
split between them), each replicate with its own parameter vector and its own key. Inside, every
decision is the same compiled :func:`sim.behavior.decide` the Mesa model calls, and the month is
scheduled as in :class:`sim.model.ExodusModel`: merges at the start of the month, decisions from
the state at the start of the month, moves applied together at its end, tenure reset on a move and
advanced by a twelfth of a year otherwise.

Random numbers are computed where they are used (:mod:`sim.streams`), by the same compiled
functions the Mesa model calls, so replicate r here and a Mesa run keyed by replicate r's seed
agree exactly, with no pre-drawn arrays. Large runs are cut into chunks whose output fits a
memory budget in bytes (:func:`chunk_size`), so memory stays bounded whatever R and N are.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numba import njit, prange

from sim.behavior import (
    SIGMA_U,
    STALE,
    WEIGHTS_CURRENT,
    decide,
    fixed_utilities,
    month_weights,
    tie_factors_into,
)
from sim.streams import choice_uniform, replicate_normals
from sim.world import CompiledWorld

#: Default bytes of output and working arrays per chunk.
DEFAULT_BUDGET = 256 * 2**20


@njit(cache=True, parallel=True, nogil=True)
def _simulate_batch(
    theta, seeds, researcher_keys, lab_keys, start_labs, start_tenure, attributes, exists, changed,
    merge_into, tie_indptr, tie_indices, tie_weights, tied_indptr, tied_indices, home, founder,
    out,
):  # fmt: skip
    n_reps, n_months, n_people = out.shape
    n_labs = attributes.shape[1]
    for r in prange(n_reps):
        seed = seeds[r]
        # one view per replicate: a slice per call would touch the shared array's reference
        # count from every thread (atomic increments on one cache line; ~3x slower)
        th = theta[r]
        labs = start_labs.copy()
        chosen = np.empty(n_people, dtype=np.int64)
        tenure = start_tenure.copy()
        restlessness = np.empty(n_people)
        fits = np.empty((n_people, n_labs))
        replicate_normals(seed, researcher_keys, lab_keys, restlessness, fits)
        restlessness *= th[SIGMA_U]
        base = np.empty(n_labs)
        base_weights = np.empty(n_labs)
        probabilities = np.empty(n_labs)
        peer = np.empty(n_labs)
        shift = 0.0
        fixed_utility = np.empty((n_people, n_labs))
        fixed_weight = np.empty((n_people, n_labs))
        fixed_utilities(th, home, founder, fits, start_labs, fixed_utility, fixed_weight)
        tie_factors = np.empty(tie_weights.shape[0])
        tie_factors_into(th, tie_weights, tie_factors)
        cached_iv = np.empty(n_people)
        cached_peer = np.empty(n_people)
        cached_weights = np.empty((n_people, n_labs))
        state = np.full(n_people, STALE, dtype=np.int8)
        for t in range(n_months):
            for i in range(n_people):
                target = merge_into[t, labs[i]]
                if target >= 0:
                    labs[i] = target
                    state[:] = STALE
            if changed[t]:  # the labs look as last month otherwise: same shared terms
                shift = month_weights(th, attributes[t], exists[t], base, base_weights)
                for i in range(n_people):
                    state[i] = min(state[i], WEIGHTS_CURRENT)
            for i in range(n_people):
                chosen[i] = decide(
                    th, i, labs, tenure[i], restlessness[i], base, base_weights, shift,
                    fixed_utility, fixed_weight, tie_indptr, tie_indices, tie_weights, tie_factors,
                    choice_uniform(seed, t, researcher_keys[i]), probabilities, peer, cached_iv,
                    cached_peer, cached_weights, state,
                )  # fmt: skip
            for i in range(n_people):
                if chosen[i] != labs[i]:
                    labs[i] = chosen[i]
                    tenure[i] = 0.0
                    state[i] = STALE  # a move changes the mover's and their colleagues' terms
                    for e in range(tied_indptr[i], tied_indptr[i + 1]):
                        state[tied_indices[e]] = STALE
                else:
                    tenure[i] += 1.0 / 12.0
                out[r, t, i] = labs[i]


def replicate_bytes(world: CompiledWorld) -> int:
    """Bytes one replicate of a chunk takes: its output [T, N] int8 and its working arrays."""
    n_labs = world.timeline.attributes.shape[1]
    ties = world.tie_weights.shape[0]
    return world.n_months * world.n_researchers + 8 * (
        world.n_researchers * (4 * n_labs + 6) + ties
    )


def chunk_size(world: CompiledWorld, budget: int = DEFAULT_BUDGET) -> int:
    """Replicates per chunk such that a chunk's arrays stay within ``budget`` bytes (at least 1)."""
    return max(1, budget // replicate_bytes(world))


def iter_chunks(
    world: CompiledWorld, theta: np.ndarray, seeds: np.ndarray, chunk: int | None = None
) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield ``(replicate slice, lab codes [r, T, N])`` chunk by chunk, for bounded memory.

    ``chunk`` replicates at a time (default :func:`chunk_size`); the results do not depend on it.
    """
    seeds = np.asarray(seeds, dtype=np.uint64)
    theta = np.atleast_2d(theta)
    chunk = chunk or chunk_size(world)
    for start in range(0, len(seeds), chunk):
        part = slice(start, min(start + chunk, len(seeds)))
        yield part, _run(world, theta if theta.shape[0] == 1 else theta[part], seeds[part])


def _run(world: CompiledWorld, theta: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    theta = np.ascontiguousarray(np.broadcast_to(theta, (len(seeds), theta.shape[-1])))
    out = np.empty((len(seeds), world.n_months, world.n_researchers), dtype=np.int8)
    tl = world.timeline
    _simulate_batch(
        theta, seeds, world.researcher_keys, world.lab_keys, world.start_labs, world.start_tenure,
        tl.attributes, tl.exists, tl.changed, tl.merge_into, world.tie_indptr, world.tie_indices,
        world.tie_weights, world.tied_indptr, world.tied_indices, world.home, world.founder, out,
    )  # fmt: skip
    return out
