"""The likelihood of an observed monthly panel: who was at which lab after each month.

Groundwork for full-information calibration (the panel mixed logit; Train 2009, chapters 6 and
10). Given everyone's lab after each month, each researcher-month is one draw of the nested-logit
choice of :mod:`sim.behavior`, whose peer terms are observed; researchers are independent given
the panel except through their own latent terms, the restlessness u_i ~ N(0, sigma_u) and the fits
m_ij ~ N(0, sigma_match), which are integrated per researcher:

    L_i = E_{u, m} [ prod_t P(lab_i(t) | state(t), u, m) ],    log L = sum_i log L_i

u_i by Gauss-Hermite quadrature (``quadrature`` nodes), m_i. by randomised quasi-Monte Carlo (a
scrambled Sobol sequence of ``fit_points`` points, mapped to normals; the same points for every
parameter vector, so the approximation is smooth in theta). Each month's probability is
:func:`sim.behavior.choice_probability`, built from the parts :func:`sim.behavior.decide` draws
with: nothing about the choice is re-implemented here. The month is scheduled as in the engines:
merges at its start, the choice from the state at its start, tenure reset by a move.

What is not here yet: interval-censored move months (an observed panel must be complete),
posterior sampling and forecasts from the observed state.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.behavior import (
    SIGMA_U,
    choice_probability,
    fixed_utilities,
    month_weights,
    tie_factors_into,
)
from sim.errors import InputError
from sim.world import CompiledWorld


def panel_log_likelihood(
    world: CompiledWorld,
    theta: np.ndarray,
    panel: np.ndarray,
    *,
    quadrature: int = 20,
    fit_points: int = 256,
    seed: int = 0,
) -> np.ndarray:
    """Each researcher's log-likelihood of the panel, float [N] (their sum is log L).

    Args:
        world: the compiled world; its horizon covers the panel's months.
        theta: one parameter vector [P].
        panel: int [T, N], each researcher's lab code after each month 0 .. T-1.
        quadrature: Gauss-Hermite nodes for the restlessness.
        fit_points: quasi-Monte Carlo points for the fits (a power of 2).
        seed: the scrambling of the Sobol points.
    """
    from scipy.stats import norm, qmc

    panel = np.asarray(panel, dtype=np.int64)
    n_months, n_people = panel.shape
    if n_people != world.n_researchers or n_months > world.n_months:
        raise InputError(
            f"a panel of {n_months} months x {n_people} researchers does not fit this world "
            f"({world.n_months} months x {world.n_researchers} researchers)"
        )
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    n_labs = world.timeline.attributes.shape[1]
    nodes, weights = np.polynomial.hermite.hermgauss(quadrature)
    sobol = qmc.Sobol(d=n_people * n_labs, scramble=True, rng=np.random.default_rng(seed))
    uniforms = np.clip(sobol.random(fit_points), 1e-12, 1 - 1e-12)
    fits = norm.ppf(uniforms).reshape(fit_points, n_people, n_labs)
    tl = world.timeline
    log_l = _log_likelihoods(
        theta, panel, world.start_labs, world.start_tenure, tl.attributes, tl.exists,
        tl.merge_into, world.tie_indptr, world.tie_indices, world.tie_weights, world.home,
        world.founder, math.sqrt(2.0) * nodes, fits,
    )  # fmt: skip
    peak = log_l.max(axis=(1, 2), keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)  # an impossible history: every term is -inf
    mixed = np.exp(log_l - peak).mean(axis=2) @ (weights / math.sqrt(math.pi))
    with np.errstate(divide="ignore"):
        return np.log(mixed) + peak[:, 0, 0]


@njit(cache=True)
def _log_likelihoods(
    theta, panel, start_labs, start_tenure, attributes, exists, merge_into, tie_indptr,
    tie_indices, tie_weights, home, founder, z_nodes, fits,
):  # fmt: skip
    """Log prod_t P per researcher, restlessness node and fit point: float [N, Q, M]."""
    n_months, n_people = panel.shape
    n_labs = attributes.shape[1]
    n_nodes, n_points = z_nodes.shape[0], fits.shape[0]
    out = np.zeros((n_people, n_nodes, n_points))
    base = np.empty(n_labs)
    base_weights = np.empty(n_labs)
    probabilities = np.empty(n_labs)
    peer = np.empty(n_labs)
    personal = np.empty(n_labs)
    fixed_utility = np.empty((n_people, n_labs))
    fixed_weight = np.empty((n_people, n_labs))
    tie_factors = np.empty(tie_weights.shape[0])
    tie_factors_into(theta, tie_weights, tie_factors)
    labs = np.empty(n_people, dtype=np.int64)
    tenure = np.empty(n_people)
    for m in range(n_points):
        fixed_utilities(theta, home, founder, fits[m], start_labs, fixed_utility, fixed_weight)
        labs[:] = start_labs
        tenure[:] = start_tenure
        for t in range(n_months):
            for i in range(n_people):
                if merge_into[t, labs[i]] >= 0:
                    labs[i] = merge_into[t, labs[i]]
            shift = month_weights(theta, attributes[t], exists[t], base, base_weights)
            for i in range(n_people):
                for q in range(n_nodes):
                    p = choice_probability(
                        theta, i, labs, tenure[i], theta[SIGMA_U] * z_nodes[q], base,
                        base_weights, shift, fixed_utility, fixed_weight, tie_indptr,
                        tie_indices, tie_weights, tie_factors, panel[t, i], probabilities, peer,
                        personal,
                    )  # fmt: skip
                    out[i, q, m] += math.log(p) if p > 0.0 else -math.inf
            for i in range(n_people):
                if panel[t, i] != labs[i]:
                    labs[i] = panel[t, i]
                    tenure[i] = 0.0
                else:
                    tenure[i] += 1.0 / 12.0
    return out
