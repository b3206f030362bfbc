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

**Big panels: a pilot fit first.** Above ``pilot_above`` researchers, steps 1 and 2 start on a
seeded random subsample of ``pilot_size`` researchers (their own terms of the likelihood,
each colleague where the whole panel puts them: :func:`sim.likelihood.subsample`), its
log-likelihood counted N / n times so that it estimates the whole panel's (a survey-sampling
estimate; its curvature estimates the whole panel's). Its mode and curvature cost a
fraction n / N of full evaluations each; a quasi-Newton search then continues from the
pilot's mode in coordinates whitened by the pilot's covariance (where the full posterior is
close to a unit sphere, so a few steps suffice: :func:`_whitened_mode`), on subsamples
:data:`PILOT_GROWTH` times larger in turn while they are at most half the panel
(:func:`pilot_sizes`), each leaving the next fewer steps, and last on the full panel; the
curvature at the full panel's mode is the pilot's there. The importance weights of step 3
correct what the pilot's curvature gets wrong, and k-hat says when it is too wrong.
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
two coincide. **Its integral over the fits** gives each researcher their own scrambled points and
corrects the log of each average by its jackknife (``own_points``, ``jackknife``): with one point
set shared by everyone, as the ensemble sampler's cheap integration has, the points' error is
common to all researchers and moves the mode by a fixed amount, a shift that grows as sqrt(N)
in posterior sds (``benchmarks/integration_bias.py`` measures it).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.config.params import DEFAULT_PRIORS
from sim.errors import InputError
from sim.inference.posterior import Cohort, LikelihoodResult, LogPosterior
from sim.likelihood import FIT_POINTS, QUADRATURE, subsample

#: Pareto k-hat above which the importance weights are not trusted (Vehtari et al. 2024).
MAX_KHAT = 0.7
#: Smallest eigenvalue of the approximation's precision, in the unbounded space.
MIN_PRECISION = 1e-3
#: Forward-difference step of the whitened search's gradients (posterior sds).
NEWTON_H = 1e-3
#: The whitened search stops once its quasi-Newton step is this short (posterior sds): a mode
#: that close is what the importance weights correct without cost.
WHITENED_STOP = 0.05
#: Halvings of a whitened step that does not climb before the search stops where it is.
MAX_HALVINGS = 6


@dataclass(frozen=True)
class LaplaceSettings:
    """How the Laplace sampler works: proposals, finite-difference step, budget, integration."""

    draws: int = 4000  # importance-sampling proposals
    inflate: float = 1.2  # the proposal's scale matrix, as a multiple of the covariance
    df: float = 4.0  # the proposal's degrees of freedom (Student t: heavier tails than the normal)
    step: float = 1e-3  # the Hessian's finite-difference step in the unbounded space
    max_evaluations: int = 20_000  # the mode search's budget, in evaluations of the full panel
    pilot_above: int = 1000  # panels of more researchers start from a pilot fit ...
    pilot_size: int = 500  # ... on a subsample of this many researchers
    quadrature: int = QUADRATURE
    fit_points: int = FIT_POINTS
    #: each researcher's own scrambled fit points, and the jackknife of each log integral: the
    #: integration's error then averages out over a panel instead of moving its mode by a fixed
    #: amount (:meth:`sim.likelihood.Integration.normals_for`)
    own_points: bool = True
    jackknife: bool = True
    seed: int = 20230224
    priors: tuple = DEFAULT_PRIORS
    fixed: tuple[tuple[str, float], ...] = ()
    per_cohort: tuple[str, ...] | None = None
    cohort_priors: tuple = ()
    pooled: tuple[str, ...] = ()  # per-cohort parameters partially pooled (LogPosterior)


@dataclass(frozen=True)
class LaplaceFit:
    """The approximation itself: mode and covariance in the unbounded space."""

    mode: np.ndarray
    covariance: np.ndarray
    log_posterior: float  # at the mode
    evaluations: int  # of the full panel
    #: the pilot fit, if one was made: {"researchers", "of", "evaluations"}
    pilot: dict = field(default_factory=dict)


#: Each subsample of the mode search is this many times the one before (:func:`pilot_sizes`).
PILOT_GROWTH = 4


def pilot_sizes(total: int, settings: LaplaceSettings) -> list[int]:
    """The subsamples' sizes of a panel of ``total`` researchers: none at most ``pilot_above``.

    ``pilot_size``, then :data:`PILOT_GROWTH` times more while a subsample is at most half the
    panel: a search continued on a subsample n researchers strong stops about sqrt(N / n)
    posterior sds from the full panel's mode, so each level leaves the next fewer steps of its
    dearer evaluations.
    """
    if total <= settings.pilot_above:
        return []
    sizes = [settings.pilot_size]
    while sizes[-1] * PILOT_GROWTH * 2 <= total:
        sizes.append(sizes[-1] * PILOT_GROWTH)
    return sizes


def pilot_cohorts(cohorts: list[Cohort], size: int, seed: int, level: int = 0) -> list[Cohort]:
    """A seeded random subsample of about ``size`` of the panels' researchers.

    Each cohort gives its share of ``size`` researchers (at least one), and counts N / n times
    (:attr:`Cohort.weight`). The generator is the ``level``-th child of the seed, apart from the
    proposals' and from the other levels'.
    """
    total = sum(c.panel.n_researchers for c in cohorts)
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(level + 1)[level])
    pilot = []
    for c in cohorts:
        n = c.panel.n_researchers
        take = min(n, max(1, round(size * n / total)))
        chosen = np.sort(rng.choice(n, size=take, replace=False))
        world, panel = subsample(c.world, c.panel, chosen)
        pilot.append(Cohort(c.name, world, panel, c.weight * n / take))
    return pilot


@dataclass(frozen=True)
class Pilot:
    """The pilot fit's log density: ``researchers`` of the panels' ``of``, standing for all."""

    target: LogPosterior
    researchers: int
    of: int

    @property
    def share(self) -> float:
        """What one of its evaluations costs, in evaluations of the full panel."""
        return self.researchers / self.of


class _Counted:
    """A log density that counts its calls and reports progress now and then."""

    def __init__(self, target, progress, what: str):
        self.target, self.progress, self.what, self.calls = target, progress, what, 0

    def __call__(self, y) -> float:
        self.calls += 1
        if self.progress and self.calls % 500 == 0:
            self.progress(f"{self.what}: {self.calls} evaluations")
        return self.target(y)


def _mode(f: _Counted, start: np.ndarray, budget: int) -> np.ndarray:
    """L-BFGS-B on ``f`` from ``start`` in the sampler's (bounded) unbounded space."""
    from scipy.optimize import minimize

    def negative(x):
        value = f(x)
        return -value if np.isfinite(value) else 1e300

    dims = start.shape[0]
    with np.errstate(invalid="ignore"):
        found = minimize(negative, start, method="L-BFGS-B", bounds=[(-12.0, 12.0)] * dims,
                         options={"maxiter": 500, "maxfun": max(budget, 2 * dims + 2)})  # fmt: skip
    if found.fun >= 1e300:
        raise InputError(
            "the observed history has probability zero at every parameter vector tried: the "
            "world makes it impossible (check observed.csv against the labs' founding months)"
        )
    return found.x


def _whitened_mode(
    f: _Counted, start: np.ndarray, whiten: np.ndarray, budget: int,
    inverse: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Quasi-Newton ascent of ``f(start + whiten @ z)`` from z = 0, within ``budget`` calls.

    Returns the mode and the inverse curvature in z the search ended with (``inverse``, the one
    it starts with: the identity by default; a search continued on a larger panel passes on
    what it learned, since both estimate the same curvature).

    Whitened by the pilot's covariance, the full posterior's curvature in z is close to the
    identity, so the search takes Newton steps with the identity as the first inverse curvature
    and corrects it by BFGS updates from the gradients it meets (forward differences of step
    :data:`NEWTON_H`, d evaluations each). A step is halved until it climbs. The search stops
    once a step is shorter than :data:`WHITENED_STOP` in the curvature's metric (the Newton
    decrement, in posterior sds), after taking it if it climbs: one step from the pilot's mode
    typically covers most of the sqrt(N / n) posterior sds between the two modes, and a few more
    reach the stop. L-BFGS-B's line searches and its default tolerance (which the
    finite-difference gradient of a panel of thousands cannot resolve) cost several times the
    evaluations for a precision the importance weights do not need.
    """
    dims = start.shape[0]

    def at(z: np.ndarray) -> float:
        value = f(start + whiten @ z)
        return value if np.isfinite(value) else -math.inf

    def gradient(z: np.ndarray, value: float) -> np.ndarray:
        return np.array([at(z + NEWTON_H * e) - value for e in np.eye(dims)]) / NEWTON_H

    z, here = np.zeros(dims), at(np.zeros(dims))
    if not np.isfinite(here):
        raise InputError("the observed history has probability zero at the pilot fit's mode")
    slope = gradient(z, here)
    inverse = np.eye(dims) if inverse is None else inverse
    while f.calls + dims + 1 <= budget:
        step = inverse @ slope
        short = math.sqrt(max(float(step @ slope), 0.0)) < WHITENED_STOP
        for _ in range(MAX_HALVINGS):
            trial = at(z + step)
            if trial > here:
                break
            step = step / 2
        else:
            break  # no ascent along the step: the mode, to the gradient's precision
        if short:
            return start + whiten @ (z + step), inverse
        new_slope = gradient(z + step, trial)
        s, y = step, slope - new_slope  # BFGS on -f: its gradient's change is -(new - old)
        if s @ y > 1e-12:
            rho = 1.0 / (s @ y)
            left = np.eye(dims) - rho * np.outer(s, y)
            inverse = left @ inverse @ left.T + rho * np.outer(s, s)
        z, here, slope = z + step, trial, new_slope
        if f.progress:
            f.progress(f"{f.what}: log posterior {here:.2f} after {f.calls} evaluations, "
                       f"last step {math.sqrt(max(float(s @ s), 0.0)):.2f} sds")  # fmt: skip
    return start + whiten @ z, inverse


def _covariance(f, mode: np.ndarray, step: float) -> np.ndarray:
    """The inverse of -Hessian at ``mode``, its eigenvalues floored at :data:`MIN_PRECISION`."""
    hessian = finite_difference_hessian(f, mode, step)
    values, vectors = np.linalg.eigh(-0.5 * (hessian + hessian.T))
    values = np.maximum(values, MIN_PRECISION)
    return (vectors / values) @ vectors.T


def laplace_fit(
    target, dims: int, settings: LaplaceSettings, progress=None, pilots: list | None = None
) -> LaplaceFit:
    """The mode of ``target`` (a log density on R^dims) and the inverse of its curvature there.

    With :class:`Pilot` s (cheaper log densities estimating ``target``, from the smallest
    subsample up), the search starts on the first by L-BFGS, takes its covariance to whiten the
    space, continues on each larger one by :func:`_whitened_mode` (the curvature it learned
    carried along) and ends on ``target``; the curvature is the first pilot's at the mode (see
    the module docstring). A pilot evaluation counts ``pilot.share`` of one against
    ``settings.max_evaluations``.

    Raises:
        InputError: the density is -inf at every point the search tried.
    """
    full = _Counted(target, progress, "mode search")
    budget = settings.max_evaluations
    about = {}
    if not pilots:
        mode = _mode(full, np.zeros(dims), budget)
        covariance = _covariance(full, mode, settings.step)
    else:
        first = pilots[0]
        small = _Counted(first.target, progress, "pilot fit")
        start = _mode(small, np.zeros(dims), int(0.5 * budget / first.share))
        whiten = np.linalg.cholesky(_covariance(small, start, settings.step))
        if progress:
            progress(f"pilot fit on {first.researchers:,} of {first.of:,} researchers: "
                     f"{small.calls} evaluations")  # fmt: skip
        spent = small.calls * first.share
        inverse, levels = None, []
        for level in pilots[1:]:
            counted = _Counted(level.target, progress, f"subsample of {level.researchers:,}")
            start, inverse = _whitened_mode(
                counted, start, whiten, int(0.5 * (budget - spent) / level.share), inverse
            )
            spent += counted.calls * level.share
            levels.append([level.researchers, counted.calls])
            if progress:
                progress(f"continued on {level.researchers:,} researchers: {counted.calls} "
                         "evaluations")  # fmt: skip
        mode, _ = _whitened_mode(full, start, whiten, budget - int(math.ceil(spent)), inverse)
        covariance = _covariance(small, mode, settings.step)
        about = {"researchers": first.researchers, "of": first.of, "evaluations": small.calls,
                 "levels": levels}  # fmt: skip
    log_posterior = float(target(mode))
    evaluations = full.calls + 1
    if progress:
        progress(f"mode found: log posterior {log_posterior:.2f} after {evaluations} "
                 "evaluations of the full panel")  # fmt: skip
    return LaplaceFit(mode, covariance, log_posterior, evaluations, about)


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


#: The fewest proposals with a finite density: Pareto smoothing fits the tail of the largest n / 5
#: weights, and below 30 proposals arviz-stats gives no k-hat (NaN) or refuses (fewer than 5).
MIN_DRAWS = 30


def importance_weights(log_target: np.ndarray, log_proposal: np.ndarray):
    """Pareto-smoothed normalised weights and k-hat, from log densities at the proposals."""
    from arviz_stats.base import array_stats

    log_ratio = np.where(np.isfinite(log_target), log_target - log_proposal, -np.inf)
    finite = np.isfinite(log_ratio)
    if finite.sum() < MIN_DRAWS:
        raise InputError(
            f"{int(finite.sum())} of {len(finite)} proposals have a finite posterior density, "
            f"and Pareto smoothing needs at least {MIN_DRAWS}: give more --draws, or, if most "
            "proposals fell where the posterior is zero, the normal approximation misses the "
            "posterior: use the ensemble sampler", key="--draws",
        )  # fmt: skip
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
    if settings.draws < MIN_DRAWS:
        raise InputError(f"--draws must be at least {MIN_DRAWS} (for Pareto smoothing's k-hat), "
                         f"got {settings.draws}", key="--draws")  # fmt: skip
    started = time.perf_counter()
    target = _log_posterior(cohorts, settings)
    dims = len(target.priors)
    total = sum(c.panel.n_researchers for c in cohorts)
    pilots = []
    for level, size in enumerate(pilot_sizes(total, settings)):
        small = pilot_cohorts(cohorts, size, settings.seed, level)
        pilots.append(Pilot(_log_posterior(small, settings),
                            sum(c.panel.n_researchers for c in small), total))  # fmt: skip
    fit = laplace_fit(target, dims, settings, progress, pilots)
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
    priors = np.array([target.log_prior_terms(y, x) for y, x in zip(ys, theta, strict=True)])
    sd_laplace = np.sqrt(np.diag(fit.covariance))
    rows = []
    for k, p in enumerate(target.reported_priors):
        column = theta[:, target.free[k]]
        mean = float(weights @ column)
        rows.append({
            "parameter": p.name, "mode": float(target.theta(fit.mode)[target.free[k]]),
            "sd_unbounded_laplace": float(sd_laplace[k]),
            "posterior_mean": mean,
            "posterior_sd": float(np.sqrt(weights @ (column - mean) ** 2)),
        })  # fmt: skip
    return LikelihoodResult(
        theta=theta, weights=weights,
        log_likelihood=np.where(np.isfinite(priors), log_p - priors, -np.inf),
        diagnostics=pd.DataFrame(rows), acceptance=math.nan,
        evaluations=fit.evaluations + settings.draws, seconds=time.perf_counter() - started,
        settings=settings, names=tuple(target.names), priors=target.column_priors,
        cohorts=tuple(c.name for c in cohorts), sampler="laplace", khat=khat, pilot=fit.pilot,
    )  # fmt: skip


def _log_posterior(cohorts: list[Cohort], settings: LaplaceSettings) -> LogPosterior:
    """The log posterior the settings describe, on ``cohorts``."""
    return LogPosterior(cohorts, settings.priors, settings.quadrature, settings.fit_points,
                        settings.seed, settings.fixed, settings.per_cohort, settings.cohort_priors,
                        settings.pooled, own_points=settings.own_points,
                        jackknife=settings.jackknife)  # fmt: skip


def _proposal(fit: LaplaceFit, settings: LaplaceSettings):
    """The importance proposal: a multivariate Student t at the mode.

    Its scale matrix is the approximation's covariance times ``inflate``: a skewed or
    heavy-tailed posterior keeps finite-variance weights where a normal proposal's would not.
    """
    from scipy.stats import multivariate_t

    return multivariate_t(loc=fit.mode, shape=settings.inflate * fit.covariance, df=settings.df)
