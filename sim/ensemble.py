"""The vectorised engine: many replicates at once, move for move identical to the Mesa model.

One numba-compiled loop runs a batch of replicates in parallel (one thread per core, replicates
split between them), each replicate with its own parameter vector and its own random stream.
Inside, every decision is the same compiled :func:`sim.behavior.decide` the Mesa model calls, and
the month is scheduled as in :class:`sim.model.ExodusModel`: merges at the start of the month,
decisions from the state at the start of the month, moves applied together at its end, tenure
reset on a move and advanced by a twelfth of a year otherwise.

Random numbers come from :func:`sim.streams.replicate_draws`, in the order the Mesa model draws
them, so replicate r here and a Mesa run seeded with replicate r's seed agree exactly.
Large runs are cut into chunks (:func:`iter_chunks`), so memory stays bounded whatever R is.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit, prange

from sim.behavior import SIGMA_U, decide, fixed_utilities, month_weights
from sim.streams import replicate_draws
from sim.world import CompiledWorld

#: Replicates simulated per chunk: ~50 MB of random numbers for the default world.
DEFAULT_CHUNK = 8192


@njit(cache=True, parallel=True, nogil=True)
def _simulate_batch(
    theta, z, match, u, start_labs, start_tenure, attributes, exists, changed, merge_into, ties,
    home, founder, out,
):  # fmt: skip
    n_reps, n_months, n_people = u.shape
    n_labs = attributes.shape[1]
    for r in prange(n_reps):
        labs = start_labs.copy()
        chosen = np.empty(n_people, dtype=np.int64)
        tenure = start_tenure.copy()
        restlessness = theta[r, SIGMA_U] * z[r]
        base = np.empty(n_labs)
        base_weights = np.empty(n_labs)
        probabilities = np.empty(n_labs)
        peer = np.empty(n_labs)
        shift = 0.0
        fixed_utility = np.empty((n_people, n_labs))
        fixed_weight = np.empty((n_people, n_labs))
        fixed_utilities(theta[r], home, founder, match[r], start_labs, fixed_utility, fixed_weight)
        for t in range(n_months):
            for i in range(n_people):
                target = merge_into[t, labs[i]]
                if target >= 0:
                    labs[i] = target
            if changed[t]:  # the labs look as last month otherwise: same shared terms
                shift = month_weights(theta[r], attributes[t], exists[t], base, base_weights)
            for i in range(n_people):
                chosen[i] = decide(
                    theta[r], i, labs, tenure[i], restlessness[i], base, base_weights, shift,
                    fixed_utility, fixed_weight, ties, u[r, t, i], probabilities, peer,
                )  # fmt: skip
            for i in range(n_people):
                if chosen[i] != labs[i]:
                    labs[i] = chosen[i]
                    tenure[i] = 0.0
                else:
                    tenure[i] += 1.0 / 12.0
                out[r, t, i] = labs[i]


def iter_chunks(
    world: CompiledWorld, theta: np.ndarray, seeds: np.ndarray, chunk_size: int = DEFAULT_CHUNK
) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield ``(replicate slice, lab codes [r, T, N])`` chunk by chunk, for bounded memory.

    The random numbers of the next chunk are drawn in a second thread while the compiled loop
    (which releases the GIL) runs the current one; the results do not depend on the chunking.
    """
    seeds = np.asarray(seeds, dtype=np.uint64)
    theta = np.atleast_2d(theta)
    parts = [
        slice(start, min(start + chunk_size, len(seeds)))
        for start in range(0, len(seeds), chunk_size)
    ]
    if not parts:
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(_draws, world, seeds[parts[0]])
        for k, part in enumerate(parts):
            draws = pending.result()
            if k + 1 < len(parts):
                pending = pool.submit(_draws, world, seeds[parts[k + 1]])
            yield part, _run(world, theta if theta.shape[0] == 1 else theta[part], draws)


def _draws(world: CompiledWorld, seeds: np.ndarray):
    n_labs = world.timeline.attributes.shape[1]
    return replicate_draws(
        np.asarray(seeds, dtype=np.uint64), world.n_researchers, n_labs, world.n_months
    )


def _run(world: CompiledWorld, theta: np.ndarray, draws) -> np.ndarray:
    z, match, u = draws
    theta = np.ascontiguousarray(np.broadcast_to(theta, (len(z), theta.shape[-1])))
    out = np.empty((len(z), world.n_months, world.n_researchers), dtype=np.int8)
    tl = world.timeline
    _simulate_batch(
        theta, z, match, u, world.start_labs, world.start_tenure, tl.attributes, tl.exists,
        tl.changed, tl.merge_into, world.ties, world.home, world.founder, out,
    )  # fmt: skip
    return out
