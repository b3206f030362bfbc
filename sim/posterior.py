"""Full-information calibration: the posterior given the likelihood of the observed history.

Where ABC (:mod:`sim.calibrate`) matches a handful of counts, this posterior uses who left when,
after which event and for which lab: the panel likelihood of :mod:`sim.likelihood`.

**Sampler: emcee** (Foreman-Mackey et al. 2013), the affine-invariant ensemble sampler. The
likelihood is a smooth, deterministic function of theta (fixed integration points) without
gradients, about a dozen parameters are free and their posterior can be elongated (weights that
trade off against each other): an ensemble sampler needs no gradient and no tuning of a proposal
scale, and its moves are invariant to linear correlations. A nested sampler (dynesty) would also
give the evidence, but at several times the likelihood evaluations for the same posterior; a
probabilistic programming library would need the choice rule written a second time in its own
language. The sampler works on an unbounded space: each parameter's prior quantile q (its prior
CDF, which maps the truncated prior to the unit interval) through the logit, y = log(q / (1 - q)).
The target density there is the likelihood times the logistic density of y, so the bounds are
never hit and no walker is wasted outside them.

**Two integration sizes.** The chains run on a cheap likelihood (few integration points); every
retained draw is then re-weighted by the ratio of an accurate likelihood (more points) to the
cheap one (importance sampling), so the posterior is that of the accurate likelihood and the
weights' effective sample size reports what the cheap one cost.

**Diagnostics.** Rank-normalised split R-hat and bulk effective sample size (Vehtari et al. 2021;
arviz-stats) over the walkers taken as chains, and emcee's integrated autocorrelation times.
Walkers of one ensemble are not independent chains, so R-hat near 1 is necessary, not sufficient;
the autocorrelation time is the check emcee's authors recommend (run at least 50 times it).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.behavior import PARAMETER_NAMES
from sim.errors import InputError
from sim.likelihood import FIT_POINTS, QUADRATURE, Integration, Panel, log_likelihood
from sim.params import PARAMETER_SPACE
from sim.world import CompiledWorld


@dataclass(frozen=True)
class LikelihoodSettings:
    """How hard to work: walkers, steps, integration sizes and seed."""

    walkers: int = 32
    steps: int = 1200
    burn: int = 200  # steps dropped from the start of every walker
    thin: int = 20  # keep every thin-th step after the burn-in
    quadrature: int = 12  # restlessness nodes in the chains
    fit_points: int = 64  # fit points in the chains
    final_quadrature: int = QUADRATURE  # ... and in the re-weighting
    final_fit_points: int = 2 * FIT_POINTS
    seed: int = 20230224
    priors: tuple = PARAMETER_SPACE


@dataclass(frozen=True)
class Cohort:
    """One world's observed history, ready for the likelihood."""

    name: str
    world: CompiledWorld
    panel: Panel


class LogPosterior:
    """The log posterior density on the sampler's unbounded space (see the module docstring).

    Args:
        cohorts: the observed histories; their log-likelihoods add up.
        priors: the prior of every parameter (:func:`sim.calibrate.load_priors`).
        quadrature, fit_points: the integration sizes (:class:`sim.likelihood.Integration`).
        seed: the scrambling of the integration points.
    """

    def __init__(self, cohorts: list[Cohort], priors: tuple, quadrature: int, fit_points: int,
                 seed: int = 0):  # fmt: skip
        self.cohorts = cohorts
        self.priors = priors
        self.integrations = [
            Integration.build(c.world.timeline.attributes.shape[1], quadrature, fit_points, seed)
            for c in cohorts
        ]

    def theta(self, y: np.ndarray) -> np.ndarray:
        """The parameter vector [P] at a point y of the sampler's space."""
        q = 1.0 / (1.0 + np.exp(-np.asarray(y, dtype=np.float64)))
        return np.array([p.from_unit(q[k]) for k, p in enumerate(self.priors)], dtype=np.float64)

    def y(self, theta: np.ndarray) -> np.ndarray:
        """The point of the sampler's space of a parameter vector (the inverse of :meth:`theta`)."""
        from scipy.special import logit, ndtr

        out = np.empty(len(self.priors))
        for k, p in enumerate(self.priors):
            if math.isinf(p.sd):
                q = (theta[k] - p.low) / (p.high - p.low)
            else:
                a, b = p.prior_cdf_bounds()
                q = (ndtr((theta[k] - p.mean) / p.sd) - a) / (b - a)
            out[k] = logit(np.clip(q, 1e-9, 1 - 1e-9))
        return out

    def log_likelihood(self, theta: np.ndarray) -> float:
        """Sum over cohorts of the log-likelihood of their observed history at theta."""
        return float(
            sum(
                log_likelihood(c.world, theta, c.panel, integ).sum()
                for c, integ in zip(self.cohorts, self.integrations, strict=True)
            )
        )

    def __call__(self, y: np.ndarray) -> float:
        """Log likelihood(theta(y)) + log logistic density of y (the prior, mapped)."""
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)) or np.any(np.abs(y) > 30):
            return -math.inf
        value = self.log_likelihood(self.theta(y))
        return value + _log_jacobian(y) if np.isfinite(value) else -math.inf


@dataclass
class LikelihoodResult:
    """The re-weighted posterior draws and how they were reached."""

    theta: np.ndarray  # [n, P]
    weights: np.ndarray  # [n], sum 1
    log_likelihood: np.ndarray  # [n], the accurate one
    diagnostics: pd.DataFrame  # per parameter: R-hat, ESS, autocorrelation time
    acceptance: float
    evaluations: int
    seconds: float
    settings: LikelihoodSettings = field(default_factory=LikelihoodSettings)
    start: np.ndarray | None = None  # the posterior mode the walkers started from
    targets: list = field(default_factory=list)  # read by the predictive check, not fitted

    def to_df(self) -> pd.DataFrame:
        """The posterior: one row per draw, a column per parameter, and its weight."""
        frame = pd.DataFrame(self.theta, columns=list(PARAMETER_NAMES))
        frame["weight"] = self.weights
        return frame

    def ess(self) -> float:
        """Effective sample size of the re-weighted draws (Kish), before autocorrelation."""
        return float(1.0 / np.sum(self.weights**2))


def sample_posterior(
    cohorts: list[Cohort], settings: LikelihoodSettings, progress=None
) -> LikelihoodResult:
    """Sample the full-information posterior with emcee; see the module docstring.

    The walkers start in a small ball around the posterior mode, found by L-BFGS from the prior
    medians on the cheap likelihood, so the burn-in is spent mixing, not travelling.
    """
    import emcee
    from scipy.optimize import minimize

    if settings.walkers < 2 * len(settings.priors):
        raise InputError(
            f"--walkers must be at least twice the parameters ({2 * len(settings.priors)}), "
            f"got {settings.walkers}"
        )
    if settings.steps <= settings.burn:
        raise InputError(f"--steps ({settings.steps}) must exceed the burn-in ({settings.burn})")
    started = time.perf_counter()
    target = LogPosterior(cohorts, settings.priors, settings.quadrature, settings.fit_points,
                          settings.seed)  # fmt: skip
    counter = _Counter(target)
    mode = minimize(
        lambda y: -counter(y), np.zeros(len(settings.priors)), method="L-BFGS-B",
        bounds=[(-12.0, 12.0)] * len(settings.priors), options={"maxiter": 200},
    )  # fmt: skip
    if not np.isfinite(mode.fun):
        raise InputError(
            "the observed history has probability zero at every parameter vector tried: the "
            "world makes it impossible (check observed.csv against the labs' founding months)"
        )
    if progress:
        progress(f"mode found: log posterior {-mode.fun:.2f} after {counter.calls} evaluations")
    rng = np.random.default_rng(settings.seed)
    start = mode.x + 0.05 * rng.standard_normal((settings.walkers, len(settings.priors)))
    sampler = emcee.EnsembleSampler(settings.walkers, len(settings.priors), counter)
    sampler.random_state = np.random.RandomState(settings.seed).get_state()
    for step, _ in enumerate(sampler.sample(start, iterations=settings.steps), start=1):
        if progress and step % 250 == 0:
            progress(
                f"step {step}/{settings.steps}: acceptance "
                f"{np.mean(sampler.acceptance_fraction):.2f}, "
                f"{time.perf_counter() - started:.0f} s"
            )
    chains = sampler.get_chain()[settings.burn :]  # [steps, walkers, P] in y
    thetas = np.array([[target.theta(y) for y in row] for row in chains[:: settings.thin]])
    diagnostics = _diagnostics(sampler, thetas, settings)
    draws = thetas.reshape(-1, len(settings.priors))
    cheap = sampler.get_log_prob()[settings.burn :][:: settings.thin].reshape(-1)
    cheap = cheap - np.array([_log_jacobian(y) for y in chains[:: settings.thin].reshape(
        -1, len(settings.priors))])  # fmt: skip
    accurate_target = LogPosterior(
        cohorts, settings.priors, settings.final_quadrature, settings.final_fit_points,
        settings.seed,
    )  # fmt: skip
    accurate = np.array([accurate_target.log_likelihood(t) for t in draws])
    log_w = accurate - cheap
    weights = np.exp(log_w - log_w.max())
    weights /= weights.sum()
    return LikelihoodResult(
        theta=draws, weights=weights, log_likelihood=accurate, diagnostics=diagnostics,
        acceptance=float(np.mean(sampler.acceptance_fraction)),
        evaluations=counter.calls + len(draws), seconds=time.perf_counter() - started,
        settings=settings, start=target.theta(mode.x),
    )  # fmt: skip


class _Counter:
    """Counts the evaluations of a log density."""

    def __init__(self, target):
        self.target, self.calls = target, 0

    def __call__(self, y):
        self.calls += 1
        return self.target(y)


def _log_jacobian(y: np.ndarray) -> float:
    return float(np.sum(-np.abs(y) - 2.0 * np.log1p(np.exp(-np.abs(y)))))


def _diagnostics(sampler, thetas: np.ndarray, settings: LikelihoodSettings) -> pd.DataFrame:
    """Per parameter: split R-hat and bulk ESS over walkers (arviz-stats), autocorrelation time."""
    from arviz_stats.base import array_stats

    tau = sampler.get_autocorr_time(discard=settings.burn, quiet=True)
    rows = []
    for k, p in enumerate(settings.priors):
        x = thetas[:, :, k].T  # [chain (walker), draw]
        rows.append({
            "parameter": p.name,
            "r_hat": float(array_stats.rhat(x, chain_axis=0, draw_axis=1)),
            "ess_bulk": float(array_stats.ess(x, chain_axis=0, draw_axis=1)),
            "autocorrelation_steps": float(tau[k]),
            "steps_per_autocorrelation": (settings.steps - settings.burn) / float(tau[k]),
        })  # fmt: skip
    return pd.DataFrame(rows)
