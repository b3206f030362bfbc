"""The likelihood of a world's observed history: who was at which lab after each month.

The panel mixed logit (Train 2009, chapters 6 and 10). Each researcher-month is one draw of the
nested-logit choice of :mod:`sim.kernel.behavior`; the only latent quantities are each researcher's
restlessness u_i ~ N(0, sigma_u) and fits m_ij ~ N(0, sigma_match), integrated per researcher::

    L_i = E_{u, m} [ sum over the move months the intervals allow  prod_t P(lab_i(t) | ...) ]
    log L = sum_i log L_i

**Interval-censored months, summed exactly for the researcher's own moves.** A move observed
only within ``earliest .. latest`` is summed over every month of its interval, and a chain of
moves over every combination of months, by a forward recursion over the states (moves made so
far, month of the last move): the month of the last move fixes the tenure, so the sum is exact,
in time linear in the interval widths. **The others' positions are imputed** (the one
approximation): where researcher i's colleagues are, which sets i's peer terms, is read with
each of their moves at the middle of its interval (:meth:`Panel.imputed`). The exact joint sum
over everyone's months is a sum over products of intervals, out of reach beyond toy worlds; a
test compares the two on one (``tests/statistical/test_likelihood.py``: two researchers with
four-month intervals among six, the imputed likelihood 0.32 above the exact one in log). The
error grows with the pull of a single colleague (b_peer times their share of one's ties) and
with the overlap of tied researchers' intervals. Where every interval is a single month (a
complete panel) nothing is imputed and the likelihood is exact.

**Integration.** u_i by Gauss-Hermite quadrature (``quadrature`` nodes); m_i. by randomised
quasi-Monte Carlo, a scrambled Sobol sequence in as many dimensions as labs, mapped to normals and
tilted towards the researcher's destinations (:func:`tilted_fits`). A researcher integrates over
its first ``fit_points`` points, or more the more moves their history has
(:meth:`Integration.points_for`), and the points are the same for every parameter vector, so the
approximation is a smooth, deterministic function of theta, as a sampler needs. Both sizes are
settings (:class:`Integration`); the full-information sampler re-weights draws made with few
points to a finer integration (:mod:`sim.inference.posterior`). The log of a Monte Carlo average
is biased low by about half its relative variance, and over a panel these biases add up: the
allocation by moves and the founders' untilted fits are there to keep each researcher's variance
small where it was largest. By default every researcher shares one point set, so its error is
one function of theta for all of them and moves a big panel's mode by a fixed amount; for panels
of thousands (the Laplace sampler) each researcher gets their own scramble, and the log's bias
its jackknife correction (:mod:`sim.likelihood.integration`).

**One definition of the choice.** Each month's probabilities come from the parts
:func:`sim.kernel.behavior.decide` draws with (:func:`~sim.kernel.behavior.month_weights`,
:func:`~sim.kernel.behavior.personal_weights`, :func:`~sim.kernel.behavior.move_weights`,
:func:`~sim.kernel.behavior.stay_utility`, :func:`~sim.kernel.behavior.move_logit`). The
restlessness enters the log odds of moving additively (:func:`~sim.kernel.behavior.move_logit`), so
P(move | u) is the logistic of (log odds at u = 0) + u, and the exponential is factored as exp(log
odds) * exp(u): the month's weights are formed once and each quadrature node costs a
multiplication. The month is scheduled as in the engines: merges at its start, the choice from the
state at its start, tenure restarting on a move.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from sim.errors import InputError
from sim.kernel.behavior import (
    LAM,
    SIGMA_U,
    colleague_positions,
    fixed_utilities,
    fixed_utility_row,
    inclusive_value,
    month_weights,
    move_logit,
    move_weights,
    personal_weights,
    potential_weights_into,
    stay_utility,
    tie_factors_into,
)
from sim.likelihood.founding import founding_history, founding_terms
from sim.likelihood.integration import Integration, jackknifed, log_sum
from sim.likelihood.panel import Panel
from sim.world import CompiledWorld

#: |log odds| beyond which a month's choice is certain to float precision (exp stays finite).
_LOGIT_CLAMP = 300.0
#: Rescale a researcher's forward probabilities below this (products over long panels).
_TINY = 1e-150


def log_likelihood(
    world: CompiledWorld,
    theta: np.ndarray,
    panel: Panel,
    integration: Integration | None = None,
) -> np.ndarray:
    """Each researcher's log-likelihood of the panel, float [N] (their sum is log L).

    Args:
        world: the compiled world; its horizon covers the panel's months.
        theta: one parameter vector [P].
        panel: the observed history (:func:`observed_panel`, :func:`complete_panel`).
        integration: the integration points (default :meth:`Integration.build` with the
            world's labs and the default sizes).
    """
    integration = integration or Integration.build(world.timeline.attributes.shape[1])
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    points = np.array([integration.points_for(n) for n in np.diff(panel.chain)], dtype=np.int64)
    out = np.empty(panel.n_researchers)
    log_nodes = np.log(integration.z_weights)
    for count in np.unique(points):
        members = np.flatnonzero(points == count)
        normals = integration.normals_for(members, count)
        fits, log_ratio = tilted_fits(world, theta, panel, normals, members)
        log_l = conditional_log_likelihoods(world, theta, panel, integration.z, fits, members)
        # quadrature over the restlessness, then the mean over the fit points (importance-weighted)
        per_point = _quadrature(log_l, log_nodes) + log_ratio
        out[members] = (jackknifed(per_point) if integration.jackknife and count >= 2
                        else log_sum(per_point) - math.log(count))  # fmt: skip
    return out


@njit(cache=True, parallel=True)
def _quadrature(log_l, log_nodes):
    """The quadrature over the restlessness: log sum_q exp(log_l[i, m, q] + log_nodes[q]).

    :func:`log_sum` of ``log_l + log_nodes`` to rounding, in parallel over researchers and
    without the [n, M, Q] temporaries.
    """
    n, points, nodes = log_l.shape
    out = np.empty((n, points))
    for i in prange(n):
        for m in range(points):
            peak = -np.inf
            for q in range(nodes):
                peak = max(peak, log_l[i, m, q] + log_nodes[q])
            if not np.isfinite(peak):
                out[i, m] = peak
                continue
            total = 0.0
            for q in range(nodes):
                total += math.exp(log_l[i, m, q] + log_nodes[q] - peak)
            out[i, m] = math.log(total) + peak
    return out


def tilted_fits(
    world: CompiledWorld, theta: np.ndarray, panel: Panel, normals: np.ndarray,
    members: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Fit normals shifted towards each researcher's destinations, with their importance ratios.

    A researcher's move to lab j has the factor s_j(m_ij) in the likelihood, the share of j in
    the move nest, which rises with the fit m_ij = sigma_match * z_j like exp(sigma_match * z_j
    / lam) while the share is small and flattens towards 1 as it grows. So the integral over
    z_j is dominated by its upper tail, which few quasi-random points reach. Sampling z from
    N(a, 1) puts the points there; the ratio of the densities, exp(-a.z - |a|^2 / 2) at the
    unshifted point z, keeps the estimate unbiased whatever a is, and a only sets the variance.

    The shift a_j is the mode of N(z; 0, 1) x prod over the moves to j of s_j(z): the root of
    z = (sigma_match / lam) * sum_k (1 - s_jk(z)), with each share approximated from what every
    researcher of that month shares (the labs' attributes, at the middle of the move's interval)
    and the researcher's own fixed terms (home city, founder), without the colleagues' pull and
    the other fits. Where the share is small the shift is the exponential tilt n_j * sigma_match
    / lam; where a term already fills the share (a founder's own lab: the largest source of the
    integration's error on a shipped cohort while that lab was tilted fully) it is close to 0.
    Bisection to float precision (the root is bracketed) gives the root itself, smooth
    in theta, so the likelihood stays a smooth function of it. Moves back to the start lab have
    no fit there and no shift.

    ``normals`` are the unshifted points: [M, L], shared by every researcher (the integration's
    Sobol points), or [N, M, L], each researcher's own (a forecast's candidates).
    ``members`` (default: everyone) are the researchers whose points are wanted, in that order.

    Returns:
        The shifted normals [n, M, L] and the log ratios [n, M], one row per member.
    """
    if members is None:
        members = np.arange(panel.n_researchers)
    shift = tilt_shifts(world, theta, panel, members)
    if normals.ndim == 2:
        fits = normals[None, :, :] + shift[:, None, :]
        log_ratio = -(normals @ shift.T).T - 0.5 * (shift**2).sum(axis=1)[:, None]
    else:
        fits = normals + shift[:, None, :]
        log_ratio = -np.einsum("iml,il->im", normals, shift) - 0.5 * (shift**2).sum(axis=1)[:, None]
    return fits, log_ratio


#: Bisection steps of :func:`tilt_shifts`: the bracket [0, n * sigma_match / lam] shrinks to
#: 2^-60 of its width, below float precision, so the shift is the root (smooth in theta).
TILT_STEPS = 60


def tilt_shifts(
    world: CompiledWorld, theta: np.ndarray, panel: Panel, members: np.ndarray
) -> np.ndarray:
    """The shift a [n, L] of each member's fit normals (see :func:`tilted_fits`)."""
    from scipy.special import expit

    from sim.kernel.behavior import B_FOUNDER, B_HOME, B_OPEN, B_PAY, LAM, SIGMA_MATCH

    tl = world.timeline
    n_months, n_labs = tl.exists.shape
    lam, scale = theta[LAM], theta[SIGMA_MATCH] / theta[LAM]
    # one entry per move to a lab other than the start lab: member row, lab, month, lab left
    rows, labs, months, left = [], [], [], []
    for row, i in enumerate(members):
        here = world.start_labs[i]
        for k in range(panel.chain[i], panel.chain[i + 1]):
            j = panel.to[k]
            if j != world.start_labs[i]:
                rows.append(row)
                labs.append(j)
                months.append(min(int(panel.earliest[k] + panel.latest[k]) // 2, n_months - 1))
                left.append(here)
            here = j
    shift = np.zeros((len(members), n_labs))
    if not rows:
        return shift
    rows, labs, months, left = (np.array(v, dtype=np.int64) for v in (rows, labs, months, left))
    people = np.asarray(members, dtype=np.int64)[rows]
    # utilities at z = 0 of every lab for each move: the month's attributes, the own terms
    utility = tl.attributes[months] @ theta[B_OPEN : B_PAY + 1]  # [moves, L]
    utility += theta[B_HOME] * world.home[people] + theta[B_FOUNDER] * world.founder[people]
    others = tl.exists[months].copy()
    moves = np.arange(len(rows))
    others[moves, labs] = False
    others[moves, left] = False
    scaled = np.where(others, utility / lam, -np.inf)
    top = scaled.max(axis=1, initial=-np.inf)
    finite = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        log_rest = np.log(np.exp(scaled - finite[:, None]).sum(axis=1)) + finite
    rest = utility[moves, labs] / lam - log_rest  # log odds of j against the rest at z = 0
    cell = rows * n_labs + labs
    cells, which = np.unique(cell, return_inverse=True)
    counts = np.bincount(which)
    # g(z) = z - f(z) rises (g' >= 1) from g(0) <= 0 to g(n * scale) >= 0: the root is
    # bracketed, and bisection halves the bracket each step (Newton's steps stalled on steep
    # shares: on prior draws, 12 of them left the shift up to 1.8 from the root)
    low, high = np.zeros(len(cells)), counts * scale
    for _ in range(TILT_STEPS):
        z = 0.5 * (low + high)
        share = expit(rest + scale * z[which])  # s_jk(z)
        g = z - scale * np.bincount(which, weights=1.0 - share, minlength=len(cells))
        low, high = np.where(g < 0.0, z, low), np.where(g < 0.0, high, z)
    z = 0.5 * (low + high)
    shift.reshape(-1)[cells] = z
    return shift


def conditional_log_likelihoods(
    world: CompiledWorld,
    theta: np.ndarray,
    panel: Panel,
    z: np.ndarray,
    fits: np.ndarray,
    members: np.ndarray | None = None,
) -> np.ndarray:
    """Log-likelihood of each researcher's history given their latent terms, float [N, M, Q].

    Entry [i, m, q] conditions on the restlessness sigma_u * z[q] (z [Q], shared by every
    researcher: the quadrature nodes) or sigma_u * z[i, q] (z [N, Q], each researcher's own
    candidates) and the fit normals fits[i, m] (before scaling by sigma_match, [N, M, L]; 0 at the
    start lab as in the engines), summing over the months the intervals allow. For the integral
    and for drawing a researcher's latent terms given their history
    (:mod:`sim.likelihood.forecast`). With ``members`` (researcher indices), only their rows
    are computed: ``fits`` is then [n, M, L] and the result [n, M, Q], one row per member (their
    colleagues' positions still come from the whole panel).
    """
    if panel.n_months > world.n_months or panel.n_researchers != world.n_researchers:
        raise InputError(
            f"a panel of {panel.n_months} months x {panel.n_researchers} researchers does not "
            f"fit this world ({world.n_months} months x {world.n_researchers} researchers)"
        )
    tl = world.timeline
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    if members is None:
        members = np.arange(panel.n_researchers)
    arrived, founded_by = founding_history(world, panel)
    return _log_likelihoods(
        theta, panel.n_months, panel.chain, panel.to, panel.earliest, panel.latest,
        panel.start_of_month, world.start_labs, world.start_tenure, tl.attributes,
        tl.exists & ~world.potential, tl.merge_into, world.tie_indptr, world.tie_indices,
        world.tie_weights, world.home, world.founder, world.glue, world.contagion,
        world.unmoved_positions, world.relocation_month, world.relocation_researcher,
        world.relocation_home, world.potential, tl.exists & world.potential, world.climate,
        world.barred, arrived, founded_by,
        np.ascontiguousarray(np.broadcast_to(np.atleast_2d(z), (panel.n_researchers, z.shape[-1])),
                             dtype=np.float64),
        np.ascontiguousarray(fits, dtype=np.float64), np.asarray(members, dtype=np.int64),
    )  # fmt: skip


@njit(cache=True, parallel=True)
def _log_likelihoods(
    theta, n_months, chain, to, earliest, latest, start_of_month, start_labs, start_tenure,
    attributes, exists, merge_into, tie_indptr, tie_indices, tie_weights, home, founder, glue,
    contagion, unmoved, relocation_month, relocation_researcher, relocation_home, potential,
    available, climate, barred, arrived, founded_by, z, fits, members,
):  # fmt: skip
    n_people = chain.shape[0] - 1
    n_members = members.shape[0]
    n_labs = attributes.shape[1]
    n_points, n_nodes = fits.shape[1], z.shape[1]
    out = np.empty((n_members, n_points, n_nodes))
    # shared by every researcher and point: the months' lab terms and the colleagues' pulls
    base = np.empty((n_months, n_labs))
    base_weights = np.empty((n_months, n_labs))
    shift = np.empty(n_months)
    # founding by choice: the potential labs' factors on the months' scale (0 elsewhere)
    potential_w = np.zeros((n_months, n_labs))
    for t in range(n_months):
        shift[t] = month_weights(theta, attributes[t], exists[t], base[t], base_weights[t])
        potential_weights_into(theta, base[t], shift[t], available[t], potential_w[t])
    tie_factors = np.empty(tie_weights.shape[0])
    tie_factors_into(theta, tie_weights, tie_factors)
    exp_u = np.empty((n_people, n_nodes))  # each researcher's restlessness nodes, exp(u)
    for i in range(n_people):
        for q in range(n_nodes):
            exp_u[i, q] = math.exp(theta[SIGMA_U] * z[i, q])
    # tasks interleave researchers, so each thread's share holds some of every researcher
    # (their costs differ with their intervals' widths)
    n_blocks = min(n_points, 4)
    size = (n_points + n_blocks - 1) // n_blocks
    for task in prange(n_members * n_blocks):
        row, block = task % n_members, task // n_members
        i = members[row]
        lo, hi = block * size, min((block + 1) * size, n_points)
        out[row, lo:hi] = _researcher(
            theta, i, n_months, chain, to, earliest, latest, start_of_month, start_labs,
            start_tenure, merge_into, tie_indptr, tie_indices, tie_weights, tie_factors, home,
            founder, glue, contagion, unmoved, relocation_month, relocation_researcher,
            relocation_home, fits[row, lo:hi], base, base_weights, shift, exp_u[i], potential,
            potential_w, climate, barred, arrived, founded_by,
        )  # fmt: skip
    return out


@njit(cache=True)
def _researcher(
    theta, i, n_months, chain, to, earliest, latest, start_of_month, start_labs, start_tenure,
    merge_into, tie_indptr, tie_indices, tie_weights, tie_factors, home, founder, glue, contagion,
    unmoved, relocation_month, relocation_researcher, relocation_home, fit_normals, base,
    base_weights, shift, exp_u, potential, potential_w, climate, barred, arrived, founded_by,
):  # fmt: skip
    """Log-likelihood of researcher i's history per fit point and restlessness node [M, Q].

    The forward recursion: state (k moves made, month s of the k-th) with probability
    alpha[state, m, q]. State 0 is "no move yet"; the states of move k are the months of its
    interval, offset[k] .. offset[k] + width - 1.

    Per month and number of moves made, the parts that do not depend on the fit point are
    formed once: the colleagues' pull at every lab (:func:`~sim.kernel.behavior.personal_weights`
    with a unit fixed factor) times the month's shared factor
    (:func:`~sim.kernel.behavior.move_weights`). exp(V_ij / lam) is their product with the fixed
    factor exp(fixed_ij / lam) of each fit point (the factorisation
    :func:`~sim.kernel.behavior.decide` uses), so the move nest's sum at a fit point is a dot
    product; V_stay is linear in the fixed term at the own lab
    (:func:`~sim.kernel.behavior.stay_utility`), so it is formed once and shifted per point.
    """
    n_labs = base.shape[1]
    n_nodes = exp_u.shape[0]
    n_points = fit_normals.shape[0]
    first, n_moves = chain[i], chain[i + 1] - chain[i]
    offset = np.empty(n_moves + 2, dtype=np.int64)
    offset[0], offset[1] = 0, 1
    for k in range(n_moves):
        offset[k + 2] = offset[k + 1] + latest[first + k] - earliest[first + k] + 1
    n_states = offset[n_moves + 1]
    alpha = np.zeros((n_states, n_points, n_nodes))
    alpha[0] = 1.0
    live = np.zeros(n_states, dtype=np.bool_)
    live[0] = True
    log_scale = np.zeros(n_points)
    # the researcher's fixed terms at each fit point: one row of the engines' fixed_utilities
    fixed_utility = np.empty((n_points, n_labs))
    fixed_weight = np.empty((n_points, n_labs))
    for m in range(n_points):
        fixed_utilities(
            theta, home[i : i + 1], founder[i : i + 1], fit_normals[m : m + 1],
            start_labs[i : i + 1], fixed_utility[m : m + 1], fixed_weight[m : m + 1],
        )  # fmt: skip
    # the researcher's relocations (month order): their fixed terms change with their city
    mine = np.empty(relocation_month.shape[0], dtype=np.int64)
    n_mine = 0
    for k in range(relocation_month.shape[0]):
        if relocation_researcher[k] == i:
            mine[n_mine] = k
            n_mine += 1
    relocated = 0
    state_lab = np.empty(n_moves + 1, dtype=np.int64)
    state_lab[0] = start_labs[i]
    for k in range(n_moves):
        state_lab[k + 1] = to[first + k]
    unit = np.ones(n_labs)
    pull = np.empty(n_labs)
    shared = np.empty(n_labs)
    peer = np.empty(n_labs)
    inclusive = np.empty(n_points)
    share = np.empty(n_points)
    p_stay = np.empty(n_nodes)
    lam = theta[LAM]
    # founding by choice: the first month the researcher's own (imputed) positions are at each
    # potential lab, so a lab counts as founded by others where anyone else has been there
    founding = False
    own_first = np.full(n_labs, n_months, dtype=np.int64)
    unfounded = np.zeros(n_labs, dtype=np.bool_)  # scratch of founding_terms
    for j in range(n_labs):
        if potential[j]:
            founding = True
            for t in range(n_months):
                if start_of_month[t, i] == j:
                    own_first[j] = t
                    break
    for t in range(n_months):
        for k in range(n_moves + 1):
            if merge_into[t, state_lab[k]] >= 0:
                state_lab[k] = merge_into[t, state_lab[k]]
        while relocated < n_mine and relocation_month[mine[relocated]] <= t:
            for m in range(n_points):
                fixed_utility_row(
                    theta, relocation_home[mine[relocated]], founder[i], fit_normals[m],
                    start_labs[i], fixed_utility[m], fixed_weight[m],
                )  # fmt: skip
            relocated += 1
        # newest states first, so a move made this month is not moved again
        for k in range(n_moves, -1, -1):
            lo = offset[k]
            hi = offset[k + 1]
            any_live = False
            for s in range(lo, hi):
                any_live = any_live or live[s]
            if not any_live:
                continue
            current = state_lab[k]
            # the colleagues' pull from their imputed labs (never the researcher's own), or from
            # where they would be had none moved (contagion off)
            personal_weights(
                theta, i, colleague_positions(start_of_month[t], unmoved, t, contagion), unit,
                tie_indptr, tie_indices, tie_weights, tie_factors, peer, pull,
            )  # fmt: skip
            move_weights(current, base_weights[t], pull, shared)
            if founding:
                founding_terms(
                    theta, i, t, k, current, first, to, start_labs, start_tenure, founder,
                    potential, potential_w[t], climate[t], barred[t], arrived[t], own_first,
                    founded_by[t], contagion, tie_indptr, tie_indices, tie_weights, pull,
                    shared, unfounded,
                )  # fmt: skip
            has_next = k < n_moves
            can_move = has_next and earliest[first + k] <= t <= latest[first + k]
            must_have_moved = has_next and t >= latest[first + k]
            target = to[first + k] if can_move else 0
            for m in range(n_points):
                total = 0.0
                for j in range(n_labs):
                    total += shared[j] * fixed_weight[m, j]
                inclusive[m] = inclusive_value(shift[t], total)
                share[m] = shared[target] * fixed_weight[m, target] / total if total > 0 else 0.0
            for s in range(lo, hi):
                if not live[s]:
                    continue
                if k == 0:
                    tenure = start_tenure[i] + t / 12.0
                else:
                    tenure = (t - 1 - (earliest[first + k - 1] + s - lo)) / 12.0
                v_stay = stay_utility(
                    theta, base[t, current], glue * peer[current], 0.0, tenure, 0.0
                )
                into = offset[k + 1] + (t - earliest[first + k]) if can_move else 0
                for m in range(n_points):
                    logit = move_logit(v_stay + fixed_utility[m, current], lam, inclusive[m])
                    e_move = math.exp(min(max(logit, -_LOGIT_CLAMP), _LOGIT_CLAMP))
                    for q in range(n_nodes):
                        p_stay[q] = 1.0 / (1.0 + e_move * exp_u[q])
                    if can_move and share[m] > 0.0:
                        for q in range(n_nodes):
                            alpha[into, m, q] += alpha[s, m, q] * (1.0 - p_stay[q]) * share[m]
                    if must_have_moved:
                        for q in range(n_nodes):
                            alpha[s, m, q] = 0.0
                    else:
                        for q in range(n_nodes):
                            alpha[s, m, q] *= p_stay[q]
                if can_move:
                    live[into] = True
                if must_have_moved:
                    live[s] = False
        # keep the products in range over long panels, per fit point
        for m in range(n_points):
            peak = 0.0
            for s in range(n_states):
                if live[s]:
                    for q in range(n_nodes):
                        peak = max(peak, alpha[s, m, q])
            if 0.0 < peak < _TINY:
                for s in range(n_states):
                    for q in range(n_nodes):
                        alpha[s, m, q] /= _TINY
                log_scale[m] += math.log(_TINY)
    result = np.empty((n_points, n_nodes))
    for m in range(n_points):
        for q in range(n_nodes):
            total_q = 0.0
            for s in range(n_states):
                if live[s]:
                    total_q += alpha[s, m, q]
            result[m, q] = math.log(total_q) + log_scale[m] if total_q > 0.0 else -math.inf
    return result
