"""The vectorised engine: many replicates at once, move for move identical to the Mesa model.

One numba-compiled loop runs a batch of replicates in parallel (one thread per core, replicates
split between them), each replicate with its own parameter vector and its own key. Inside, every
decision is the same compiled :func:`sim.kernel.behavior.decide` the Mesa model calls, and the month
is scheduled as in :class:`sim.engines.mesa_model.ExodusModel`: merges (and relocations) at the
start of the month, decisions from the state at the start of the month, moves applied together at
its end, tenure reset on a move and advanced by a twelfth of a year otherwise. Where founding is
a choice, a move to a potential lab not yet founded founds it, and it opens to everyone the month
after (:func:`sim.kernel.availability.open_labs_into`). A lab whose founding month is known only
to an interval opens in a month each replicate draws
(:func:`sim.kernel.streams.opening_months_into`).

Random numbers are computed where they are used (:mod:`sim.kernel.streams`), by the same compiled
functions the Mesa model calls, so replicate r here and a Mesa run keyed by replicate r's seed
agree exactly, with no pre-drawn arrays. Large runs are cut into chunks whose output fits a
memory budget in bytes (:func:`chunk_size`), so memory stays bounded whatever R and N are.

Forecasts from an observed state: a ``prefix`` [T0, N] forces every replicate's first T0 months
(researcher i ends month t at lab ``prefix[t, i]``; merges, month terms and tenure run as usual,
and no choice uniform is computed), and ``latent`` (u [R, N], fits [R, N, L], standard normals
before scaling) replaces each replicate's keyed normals
(:func:`sim.kernel.streams.replicate_normals`). The Mesa model takes the same inputs
(:func:`sim.engines.mesa_model.simulate_mesa`) and stays identical.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numba import njit, prange

from sim.kernel.availability import open_labs_into, opens_in
from sim.kernel.behavior import (
    SIGMA_U,
    STALE,
    WEIGHTS_CURRENT,
    colleague_positions,
    decide,
    fixed_utilities,
    fixed_utility_row,
    founding_factor,
    month_weights,
    potential_weights_into,
    record_move,
    tie_factors_into,
)
from sim.kernel.streams import choice_uniform, opening_months_into, replicate_normals
from sim.world import CompiledWorld

#: Default bytes of output and working arrays per chunk.
DEFAULT_BUDGET = 256 * 2**20


@njit(cache=True, parallel=True, nogil=True)
def _simulate_batch(
    theta, seeds, researcher_keys, lab_keys, start_labs, start_tenure, attributes, exists, changed,
    merge_into, tie_indptr, tie_indices, tie_weights, tied_indptr, tied_indices, home, founder,
    glue, contagion, unmoved, relocation_month, relocation_researcher, relocation_home, potential,
    climate, barred, opening, prefix, latent_u, latent_fits, out,
):  # fmt: skip
    n_reps, n_months, n_people = out.shape
    n_labs = attributes.shape[1]
    n_forced = prefix.shape[0]  # months forced to the prefix (0: none)
    keyed = latent_u.shape[0] == 0  # no latent terms given: the keyed normals
    may_found = np.zeros(n_people, dtype=np.bool_)  # founders of a potential lab
    for i in range(n_people):
        for j in range(n_labs):
            may_found[i] = may_found[i] or (potential[j] and founder[i, j] > 0.0)
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
        if keyed:
            replicate_normals(seed, researcher_keys, lab_keys, restlessness, fits)
        else:
            restlessness[:] = latent_u[r]
            fits[:, :] = latent_fits[r]
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
        relocated = 0  # the relocations applied so far (they come in month order)
        # founding by choice: which potential labs this replicate has founded, who has founded
        # one, and the month's labs (sim.kernel.availability.open_labs_into)
        founded_run = np.zeros(n_labs, dtype=np.bool_)
        has_founded = np.zeros(n_people, dtype=np.bool_)
        open_now = np.empty(n_labs, dtype=np.bool_)
        unfounded = np.zeros(n_labs, dtype=np.bool_)
        potential_w = np.zeros(n_labs)
        any_unfounded = False
        founding_now = False
        # founding months known only to an interval: this replicate's draw of each (-1: none)
        opens = np.empty(n_labs, dtype=np.int64)
        drawn = opening_months_into(seed, lab_keys, opening, opens)
        for t in range(n_months):
            for i in range(n_people):
                target = merge_into[t, labs[i]]
                if target >= 0:
                    labs[i] = target
                    state[:] = STALE
            while relocated < relocation_month.shape[0] and relocation_month[relocated] <= t:
                i = relocation_researcher[relocated]
                fixed_utility_row(
                    th, relocation_home[relocated], founder[i], fits[i], start_labs[i],
                    fixed_utility[i], fixed_weight[i],
                )  # fmt: skip
                state[i] = STALE
                relocated += 1
            # else the labs look as last month: same terms
            if changed[t] or founding_now or (drawn and opens_in(opens, t)):
                any_unfounded = open_labs_into(exists[t], potential, founded_run, opens, t,
                                               open_now, unfounded)  # fmt: skip
                shift = month_weights(th, attributes[t], open_now, base, base_weights)
                potential_weights_into(th, base, shift, unfounded, potential_w)
                founding_now = False
                for i in range(n_people):
                    state[i] = min(state[i], WEIGHTS_CURRENT)
            if t < n_forced:  # an observed month: no decisions, no uniforms
                for i in range(n_people):
                    chosen[i] = prefix[t, i]
            else:
                colleagues = colleague_positions(labs, unmoved, t, contagion)
                for i in range(n_people):
                    factor = 0.0
                    if any_unfounded and may_found[i]:
                        factor = founding_factor(
                            th, i, labs[i], start_tenure[i] + t / 12.0, climate[t], barred[t],
                            founder[i], unfounded, contagion, tie_indptr, tie_indices,
                            tie_weights, has_founded,
                        )  # fmt: skip
                    chosen[i] = decide(
                        th, i, labs, colleagues, glue, tenure[i], restlessness[i], base,
                        base_weights, shift, fixed_utility, fixed_weight, tie_indptr, tie_indices,
                        tie_weights, tie_factors, choice_uniform(seed, t, researcher_keys[i]),
                        probabilities, peer, cached_iv, cached_peer, cached_weights, state,
                        founder[i], potential_w, factor,
                    )  # fmt: skip
            for i in range(n_people):
                if chosen[i] != labs[i]:
                    if record_move(i, chosen[i], start_labs[i], potential, founder[i],
                                   founded_run, has_founded):  # fmt: skip
                        founding_now = True  # the lab opens next month: new month terms
                    labs[i] = chosen[i]
                    tenure[i] = 0.0
                    state[i] = STALE  # a move changes the mover's and their colleagues' terms
                    for e in range(tied_indptr[i], tied_indptr[i + 1]):
                        state[tied_indices[e]] = STALE
                else:
                    tenure[i] += 1.0 / 12.0
                out[r, t, i] = labs[i]


def replicate_bytes(world: CompiledWorld, *, latent: bool = False) -> int:
    """Bytes one replicate of a chunk takes: its output [T, N] int8 and its working arrays.

    ``latent`` True adds the replicate's supplied latent terms (u [N] and fits [N, L], float64).
    """
    n_labs = world.timeline.attributes.shape[1]
    ties = world.tie_weights.shape[0]
    inputs = world.n_researchers * (n_labs + 1) if latent else 0
    return world.n_months * world.n_researchers + 8 * (
        world.n_researchers * (4 * n_labs + 6) + ties + inputs
    )


def chunk_size(world: CompiledWorld, budget: int = DEFAULT_BUDGET, *, latent: bool = False) -> int:
    """Replicates per chunk such that a chunk's arrays stay within ``budget`` bytes (at least 1)."""
    return max(1, budget // replicate_bytes(world, latent=latent))


def check_prefix(world: CompiledWorld, prefix) -> np.ndarray:
    """A forced history as the engines take it: int64 [T0, N], C order; None gives T0 = 0.

    Raises:
        ValueError: not a 2-d integer array with N columns and at most T rows, or a lab code
            outside 0 .. L - 1.
    """
    n, n_labs = world.n_researchers, world.timeline.attributes.shape[1]
    if prefix is None:
        return np.empty((0, n), dtype=np.int64)
    prefix = np.asarray(prefix)
    if prefix.ndim != 2 or prefix.shape[1] != n or prefix.shape[0] > world.n_months:
        raise ValueError(
            f"prefix must have shape [T0, N] with N = {n} researchers and 0 <= T0 <= "
            f"{world.n_months} months, got shape {list(prefix.shape)}"
        )
    if prefix.size and not np.issubdtype(prefix.dtype, np.integer):
        raise ValueError(f"prefix must hold integer lab codes, got dtype {prefix.dtype}")
    if prefix.size and (prefix.min() < 0 or prefix.max() >= n_labs):
        raise ValueError(
            f"prefix holds lab codes from {prefix.min()} to {prefix.max()}; "
            f"expected 0 .. {n_labs - 1}"
        )
    return np.ascontiguousarray(prefix, dtype=np.int64)


def check_latent(world: CompiledWorld, replicates: int, latent) -> tuple[np.ndarray, np.ndarray]:
    """Supplied latent terms as the engines take them: (u [R, N], fits [R, N, L]), float64.

    None gives zero-length arrays: the keyed normals (:func:`sim.kernel.streams.replicate_normals`).

    Raises:
        ValueError: not a pair of arrays of those shapes for ``replicates`` replicates.
    """
    n, n_labs = world.n_researchers, world.timeline.attributes.shape[1]
    if latent is None:
        return np.empty((0, n)), np.empty((0, n, n_labs))
    try:
        u, fits = latent
    except (TypeError, ValueError):
        raise ValueError("latent must be a pair (u [R, N], fits [R, N, L])") from None
    u, fits = np.asarray(u), np.asarray(fits)
    if u.shape != (replicates, n) or fits.shape != (replicates, n, n_labs):
        raise ValueError(
            f"latent must be (u [R, N], fits [R, N, L]) with R = {replicates} replicates, "
            f"N = {n} researchers and L = {n_labs} labs; got u {list(u.shape)} and fits "
            f"{list(fits.shape)}"
        )
    return np.ascontiguousarray(u, dtype=np.float64), np.ascontiguousarray(fits, dtype=np.float64)


def iter_chunks(
    world: CompiledWorld,
    theta: np.ndarray,
    seeds: np.ndarray,
    chunk: int | None = None,
    *,
    prefix: np.ndarray | None = None,
    latent: tuple[np.ndarray, np.ndarray] | None = None,
) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield ``(replicate slice, lab codes [r, T, N])`` chunk by chunk, for bounded memory.

    Args:
        world: the compiled world.
        theta: parameter vectors [R, P], or one [P] (or [1, P]) shared by all replicates.
        seeds: the replicates' integer seeds, length R.
        chunk: replicates at a time (default :func:`chunk_size`); the results do not depend on it.
        prefix: int array [T0, N], 0 <= T0 <= T: the lab each researcher ends month t at, for
            t < T0, in every replicate (None: no forcing, as T0 = 0).
        latent: a pair (u [R, N], fits [R, N, L]) of standard normals before scaling, aligned
            with ``seeds``: replicate r's restlessness and fit normals instead of its keyed ones
            (None: the keyed normals).

    Raises:
        ValueError: at the call, when ``prefix`` or ``latent`` has the wrong shape.
    """
    seeds = np.asarray(seeds, dtype=np.uint64)
    theta = np.atleast_2d(theta)
    prefix = check_prefix(world, prefix)
    given = latent is not None
    u, fits = check_latent(world, len(seeds), latent)
    chunk = chunk or chunk_size(world, latent=given)
    return _chunks(world, theta, seeds, chunk, prefix, (u, fits) if given else None)


def _chunks(world, theta, seeds, chunk, prefix, latent):
    for start in range(0, len(seeds), chunk):
        part = slice(start, min(start + chunk, len(seeds)))
        yield part, _run(
            world, theta if theta.shape[0] == 1 else theta[part], seeds[part], prefix=prefix,
            latent=None if latent is None else (latent[0][part], latent[1][part]),
        )  # fmt: skip


def _run(
    world: CompiledWorld,
    theta: np.ndarray,
    seeds: np.ndarray,
    *,
    prefix: np.ndarray | None = None,
    latent: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    prefix = check_prefix(world, prefix)
    latent_u, latent_fits = check_latent(world, len(seeds), latent)
    theta = np.ascontiguousarray(np.broadcast_to(theta, (len(seeds), theta.shape[-1])))
    out = np.empty((len(seeds), world.n_months, world.n_researchers), dtype=np.int8)
    tl = world.timeline
    _simulate_batch(
        theta, seeds, world.researcher_keys, world.lab_keys, world.start_labs, world.start_tenure,
        tl.attributes, tl.exists, tl.changed, tl.merge_into, world.tie_indptr, world.tie_indices,
        world.tie_weights, world.tied_indptr, world.tied_indices, world.home, world.founder,
        world.glue, world.contagion, world.unmoved_positions, world.relocation_month,
        world.relocation_researcher, world.relocation_home, world.potential, world.climate,
        world.barred, world.opening, prefix, latent_u, latent_fits, out,
    )  # fmt: skip
    return out
