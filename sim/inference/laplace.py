"""The big-panel sampler: a Laplace approximation at the mode, made exact by importance sampling.

With thousands of independent histories the posterior of a dozen parameters is close to normal
(Bernstein-von Mises), and an ensemble's tens of thousands of sequential evaluations are the
cost. Here the evaluations are few and independent of one another:

1. **The mode** of the log posterior on the sampler's unbounded space (each parameter's prior
   quantile through the logit, as in :mod:`sim.inference.posterior`), by L-BFGS within an
   evaluation budget, reporting its progress.
2. **The curvature there**: the Hessian by central finite differences (step ``step`` in the
   unbounded space; 2 d^2 + 1 evaluations for d free parameters), its inverse the covariance of
   the approximation (eigenvalues floored, so a flat direction gives a wide proposal, not a
   failure).
3. **Importance sampling to the exact posterior** (Geweke 1989): ``draws`` proposals from a
   multivariate Student t (``df`` degrees of freedom) centred at the mode, its scale the
   approximation's covariance times ``inflate`` (heavier than the target's tails is what
   importance sampling needs), each weighted by posterior / proposal, with the
   weights Pareto-smoothed (PSIS; Vehtari et al. 2024, arviz-stats). Its k-hat says whether the
   weights can be trusted: above :data:`MAX_KHAT` the normal approximation is too far from the
   posterior and the report says to use the ensemble sampler instead.

The proposals' evaluations are independent, so they may run on a Dask cluster
(:mod:`sim.inference.distributed`). **What is approximated:** the likelihood here is the
interval-summed one (:func:`sim.likelihood.log_likelihood` of the observed panels: each
researcher's own months summed exactly, colleagues read at the middle of their intervals), which is
deterministic in theta as the Laplace step needs; the data-augmented likelihood of the ensemble
sampler is exact in the colleagues' months too. On a panel where no move is interval-censored the
two coincide.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.config.params import PARAMETER_SPACE
from sim.errors import InputError
from sim.inference.posterior import Cohort, LikelihoodResult, LogPosterior, log_jacobian
from sim.likelihood import FIT_POINTS, QUADRATURE

#: Pareto k-hat above which the importance weights are not trusted (Vehtari et al. 2024).
MAX_KHAT = 0.7
#: Smallest eigenvalue of the approximation's precision, in the unbounded space.
MIN_PRECISION = 1e-3


@dataclass(frozen=True)
class LaplaceSettings:
    """How the Laplace sampler works: proposals, finite-difference step, budget, integration."""

    draws: int = 4000  # importance-sampling proposals
    inflate: float = 1.2  # the proposal's scale matrix, as a multiple of the covariance
    df: float = 4.0  # the proposal's degrees of freedom (Student t: heavier tails than the normal)
    step: float = 1e-3  # the Hessian's finite-difference step in the unbounded space
    max_evaluations: int = 20_000  # the mode search's budget
    quadrature: int = QUADRATURE
    fit_points: int = FIT_POINTS
    seed: int = 20230224
    priors: tuple = PARAMETER_SPACE
    fixed: tuple[tuple[str, float], ...] = ()
    per_cohort: tuple[str, ...] | None = None
    cohort_priors: tuple = ()


@dataclass(frozen=True)
class LaplaceFit:
    """The approximation itself: mode and covariance in the unbounded space."""

    mode: np.ndarray
    covariance: np.ndarray
    log_posterior: float  # at the mode
    evaluations: int


def laplace_fit(target, dims: int, settings: LaplaceSettings, progress=None) -> LaplaceFit:
    """The mode of ``target`` (a log density on R^dims) and the inverse of its curvature there.

    Raises:
        InputError: the density is -inf at every point the search tried.
    """
    from scipy.optimize import minimize

    calls = [0]

    def negative(y):
        calls[0] += 1
        if progress and calls[0] % 500 == 0:
            progress(f"mode search: {calls[0]} evaluations")
        value = target(y)
        return -value if np.isfinite(value) else 1e300

    with np.errstate(invalid="ignore"):
        found = minimize(negative, np.zeros(dims), method="L-BFGS-B",
                         bounds=[(-12.0, 12.0)] * dims,
                         options={"maxiter": 500, "maxfun": settings.max_evaluations})  # fmt: skip
    if found.fun >= 1e300:
        raise InputError(
            "the observed history has probability zero at every parameter vector tried: the "
            "world makes it impossible (check observed.csv against the labs' founding months)"
        )
    mode = found.x
    hessian = finite_difference_hessian(target, mode, settings.step)
    calls[0] += 2 * dims * dims + 1
    values, vectors = np.linalg.eigh(-0.5 * (hessian + hessian.T))
    values = np.maximum(values, MIN_PRECISION)
    covariance = (vectors / values) @ vectors.T
    if progress:
        progress(f"mode found: log posterior {-found.fun:.2f} after {calls[0]} evaluations")
    return LaplaceFit(mode, covariance, float(-found.fun), calls[0])


def finite_difference_hessian(f, x: np.ndarray, step: float) -> np.ndarray:
    """The Hessian of ``f`` at ``x`` by central differences (2 d^2 + 1 evaluations).

    Diagonal: (f(x + h e_i) - 2 f(x) + f(x - h e_i)) / h^2; off the diagonal, the four-point
    formula (f(++) - f(+-) - f(-+) + f(--)) / (4 h^2). Exact for quadratics up to rounding.
    """
    d = x.shape[0]
    centre = f(x)
    out = np.empty((d, d))
    unit = np.eye(d) * step
    for i in range(d):
        out[i, i] = (f(x + unit[i]) - 2 * centre + f(x - unit[i])) / step**2
        for j in range(i):
            value = (
                f(x + unit[i] + unit[j]) - f(x + unit[i] - unit[j])
                - f(x - unit[i] + unit[j]) + f(x - unit[i] - unit[j])
            ) / (4 * step**2)  # fmt: skip
            out[i, j] = out[j, i] = value
    return out


def importance_weights(log_target: np.ndarray, log_proposal: np.ndarray):
    """Pareto-smoothed normalised weights and k-hat, from log densities at the proposals."""
    from arviz_stats.base import array_stats

    log_ratio = np.where(np.isfinite(log_target), log_target - log_proposal, -np.inf)
    finite = np.isfinite(log_ratio)
    if finite.sum() < 10:
        raise InputError(
            "fewer than 10 proposals have a finite posterior density: the normal "
            "approximation misses the posterior; use the ensemble sampler"
        )
    smoothed = np.full_like(log_ratio, -np.inf)
    if np.ptp(log_ratio[finite]) < 1e-9:  # the proposal is the target: nothing to smooth
        smoothed[finite] = 0.0
        return np.where(finite, 1.0, 0.0) / finite.sum(), -math.inf
    # arviz-stats takes the LOO convention: the log-likelihood, whose negative is the log ratio
    smoothed[finite], khat = array_stats.psislw(-log_ratio[finite])
    weights = np.exp(smoothed - smoothed[finite].max())
    return weights / weights.sum(), float(khat)


def laplace_posterior(
    cohorts: list[Cohort], settings: LaplaceSettings, progress=None, evaluate=None
) -> LikelihoodResult:
    """The posterior by Laplace approximation and importance sampling; see the module docstring.

    Args:
        cohorts: the observed histories (their log-likelihoods add up).
        settings: proposals, step, budget and integration.
        progress: called with a line of progress now and then.
        evaluate: ``evaluate(target, ys) -> log densities``, how the proposals are evaluated
            (default: one after another here; :func:`sim.inference.distributed.dask_evaluate`
            spreads them over a cluster).
    """
    if settings.draws < 10:
        raise InputError(f"--draws must be at least 10, got {settings.draws}", key="--draws")
    started = time.perf_counter()
    target = LogPosterior(cohorts, settings.priors, settings.quadrature, settings.fit_points,
                          settings.seed, settings.fixed, settings.per_cohort,
                          settings.cohort_priors)  # fmt: skip
    dims = len(target.priors)
    fit = laplace_fit(target, dims, settings, progress)
    rng = np.random.default_rng(settings.seed)
    proposal = _proposal(fit, settings)
    ys = proposal.rvs(size=settings.draws, random_state=rng).reshape(settings.draws, dims)
    log_q = proposal.logpdf(ys)
    evaluate = evaluate or (lambda f, points: np.array([f(y) for y in points]))
    log_p = np.asarray(evaluate(target, ys), dtype=np.float64)
    if progress:
        progress(f"evaluated {settings.draws} proposals")
    weights, khat = importance_weights(log_p, log_q)
    theta = np.array([target.theta(y) for y in ys])
    jacobians = np.array([log_jacobian(y) for y in ys])
    sd_laplace = np.sqrt(np.diag(fit.covariance))
    rows = []
    for k, p in enumerate(target.priors):
        column = theta[:, target.free[k]]
        mean = float(weights @ column)
        rows.append({
            "parameter": p.name, "mode": float(target.theta(fit.mode)[target.free[k]]),
            "sd_unbounded_laplace": float(sd_laplace[k]),
            "posterior_mean": mean,
            "posterior_sd": float(np.sqrt(weights @ (column - mean) ** 2)),
        })  # fmt: skip
    return LikelihoodResult(
        theta=theta, weights=weights, log_likelihood=log_p - jacobians,
        diagnostics=pd.DataFrame(rows), acceptance=math.nan,
        evaluations=fit.evaluations + settings.draws, seconds=time.perf_counter() - started,
        settings=settings, names=tuple(target.names), priors=target.column_priors,
        cohorts=tuple(c.name for c in cohorts), sampler="laplace", khat=khat,
    )  # fmt: skip


def _proposal(fit: LaplaceFit, settings: LaplaceSettings):
    """The importance proposal: a multivariate Student t at the mode.

    Its scale matrix is the approximation's covariance times ``inflate``: a skewed or
    heavy-tailed posterior keeps finite-variance weights where a normal proposal's would not.
    """
    from scipy.stats import multivariate_t

    return multivariate_t(loc=fit.mode, shape=settings.inflate * fit.covariance, df=settings.df)
