"""Full-information calibration: the posterior given the likelihood of the observed history.

Where ABC (:mod:`sim.inference.abc`) matches a handful of counts, this posterior uses who left when,
after which event and for which lab: the panel likelihood of :mod:`sim.likelihood`.

**Sampler: emcee** (Foreman-Mackey et al. 2013), the affine-invariant ensemble sampler, with
differential-evolution moves (ter Braak 2006; ter Braak & Vrugt 2008: 80% DE, 20% snooker),
which halved the autocorrelation time of its default stretch move on the LLaMA world (about 35
steps against 65, same seed and budget). The
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
They are computed in :mod:`sim.inference.diagnostics`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.config.params import PARAMETER_SPACE
from sim.errors import InputError
from sim.inference.diagnostics import chain_diagnostics
from sim.kernel.behavior import PARAMETER_NAMES
from sim.likelihood import FIT_POINTS, QUADRATURE, Integration, Panel, log_likelihood
from sim.world import CompiledWorld

#: Draws kept per walker (after burn-in and thinning) below which R-hat, ESS and the
#: autocorrelation time cannot be estimated (split R-hat halves each chain).
MIN_KEPT_DRAWS = 4


@dataclass(frozen=True)
class LikelihoodSettings:
    """How hard to work: walkers, steps, integration sizes and seed."""

    walkers: int = 32
    steps: int = 2000
    burn: int = 300  # steps dropped from the start of every walker
    thin: int = 25  # keep every thin-th step after the burn-in
    quadrature: int = 12  # restlessness nodes in the chains
    fit_points: int = 64  # fit points in the chains
    final_quadrature: int = QUADRATURE  # ... and in the re-weighting
    final_fit_points: int = 2 * FIT_POINTS
    seed: int = 20230224
    priors: tuple = PARAMETER_SPACE
    fixed: tuple[tuple[str, float], ...] = ()  # parameters held at a value, not sampled
    per_cohort: tuple[str, ...] | None = None  # calibrated per cohort (None: as declared)
    cohort_priors: tuple = ()  # priors of single per-cohort columns, e.g. "k0[llama]"


@dataclass(frozen=True)
class Cohort:
    """One world's observed history, ready for the likelihood."""

    name: str
    world: CompiledWorld
    panel: Panel


class LogPosterior:
    """The log posterior density on the sampler's unbounded space (see the module docstring).

    A draw of the posterior is a vector of *columns*: the behavioural parameters, where each
    parameter declared per cohort (:attr:`sim.config.params.Parameter.per_cohort`) has one column
    per cohort, ``name[cohort]``, when there are several cohorts. Every cohort's parameter vector
    takes the shared columns and its own.

    Args:
        cohorts: the observed histories; their log-likelihoods add up.
        priors: the prior of every parameter (:func:`sim.inference.priors.load_priors`); a
            per-cohort column has its parameter's prior.
        quadrature: restlessness nodes (:class:`sim.likelihood.Integration`).
        fit_points: fit points (a power of 2).
        seed: the scrambling of the integration points.
        fixed: parameters held at a value (all cohorts' columns of a per-cohort one).
        per_cohort: the parameters with a column per cohort (None: as declared).
        cohort_priors: priors of single per-cohort columns (``k0[llama]``).
    """

    def __init__(self, cohorts: list[Cohort], priors: tuple, quadrature: int, fit_points: int,
                 seed: int = 0, fixed: tuple = (), per_cohort=None, cohort_priors=()):  # fmt: skip
        self.cohorts = cohorts
        if per_cohort is None:
            per_cohort = tuple(p.name for p in priors if p.per_cohort)
        self.names, self.column_priors, self.columns_of = _columns(
            cohorts, priors, set(per_cohort), {p.name: p for p in cohort_priors}
        )
        held = dict(fixed)
        self.full = np.array([p.mean for p in self.column_priors], dtype=np.float64)
        for k, name in enumerate(self.names):
            base = name.split("[")[0]
            if base in held:
                self.full[k] = held[base]
        self.free = [k for k, n in enumerate(self.names) if n.split("[")[0] not in held]
        self.priors = tuple(self.column_priors[k] for k in self.free)
        self.integrations = [
            Integration.build(c.world.timeline.attributes.shape[1], quadrature, fit_points, seed)
            for c in cohorts
        ]

    def theta(self, y: np.ndarray) -> np.ndarray:
        """The posterior columns at a point y of the sampler's space."""
        q = 1.0 / (1.0 + np.exp(-np.asarray(y, dtype=np.float64)))
        x = self.full.copy()
        x[self.free] = [p.from_unit(q[k]) for k, p in enumerate(self.priors)]
        return x

    def cohort_theta(self, x: np.ndarray, c: int) -> np.ndarray:
        """Cohort c's parameter vector [P] from posterior columns ``x`` (or rows [n, columns])."""
        return np.asarray(x)[..., self.columns_of[c]]

    def log_likelihood(self, x: np.ndarray) -> float:
        """Sum over cohorts of the log-likelihood of their observed history at columns x."""
        return float(
            sum(
                log_likelihood(cohort.world, self.cohort_theta(x, c), cohort.panel, integ).sum()
                for c, (cohort, integ) in enumerate(
                    zip(self.cohorts, self.integrations, strict=True)
                )
            )
        )

    def __call__(self, y: np.ndarray) -> float:
        """Log likelihood(theta(y)) + log logistic density of y (the prior, mapped)."""
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)) or np.any(np.abs(y) > 30):
            return -math.inf
        value = self.log_likelihood(self.theta(y))
        return value + _log_jacobian(y) if np.isfinite(value) else -math.inf


def _columns(cohorts: list[Cohort], priors: tuple, per_cohort: set, overrides: dict):
    """Column names, their priors, and per cohort the columns making its parameter vector."""
    import dataclasses

    names, column_priors = [], []
    columns_of = [[] for _ in cohorts]
    for p in priors:
        if p.name in per_cohort and len(cohorts) > 1:
            for c, cohort in enumerate(cohorts):
                columns_of[c].append(len(names))
                names.append(f"{p.name}[{cohort.name}]")
                own = overrides.get(names[-1], dataclasses.replace(p, name=names[-1]))
                column_priors.append(own)
        else:
            for c in range(len(cohorts)):
                columns_of[c].append(len(names))
            names.append(p.name)
            column_priors.append(p)
    return names, tuple(column_priors), [np.array(c) for c in columns_of]


@dataclass
class LikelihoodResult:
    """The re-weighted posterior draws and how they were reached."""

    theta: np.ndarray  # [n, columns]: the parameters, a per-cohort one once per cohort
    weights: np.ndarray  # [n], sum 1
    log_likelihood: np.ndarray  # [n], the accurate one
    diagnostics: pd.DataFrame  # per parameter: R-hat, ESS, autocorrelation time
    acceptance: float
    evaluations: int
    seconds: float
    settings: LikelihoodSettings = field(default_factory=LikelihoodSettings)
    targets: list = field(default_factory=list)  # read by the predictive check, not fitted
    names: tuple[str, ...] = PARAMETER_NAMES  # the columns of theta
    priors: tuple = PARAMETER_SPACE  # the prior of each column
    cohorts: tuple[str, ...] = ()
    #: the log-likelihood's Monte Carlo standard deviation at the posterior mode, over
    #: independent scrambles of the fit points: {"chains": ..., "re-weighting": ...}
    integration_sd: dict = field(default_factory=dict)

    def to_df(self) -> pd.DataFrame:
        """The posterior: one row per draw, a column per parameter, and its weight."""
        frame = pd.DataFrame(self.theta, columns=list(self.names))
        frame["weight"] = self.weights
        return frame

    def for_cohort(self, cohort: str) -> LikelihoodResult:
        """The posterior of one cohort's parameter vector (its own per-cohort columns)."""
        import dataclasses

        index = [
            self.names.index(f"{n}[{cohort}]") if f"{n}[{cohort}]" in self.names
            else self.names.index(n)
            for n in PARAMETER_NAMES
        ]  # fmt: skip
        return dataclasses.replace(
            self, theta=self.theta[:, index], names=PARAMETER_NAMES,
            priors=self.settings.priors, cohorts=(cohort,),
        )  # fmt: skip

    def ess(self) -> float:
        """Effective sample size of the re-weighted draws (Kish), before autocorrelation."""
        return float(1.0 / np.sum(self.weights**2))


def sample_posterior(
    cohorts: list[Cohort], settings: LikelihoodSettings, progress=None
) -> LikelihoodResult:
    """Sample the full-information posterior with emcee; see the module docstring.

    The walkers start in a small ball around the posterior mode, found by L-BFGS from the prior
    medians on the cheap likelihood, so the burn-in is spent mixing, not travelling. The mode
    search is budgeted: it never evaluates more often than the sampler will (walkers x steps),
    so ``--steps`` bounds the whole run.

    Raises:
        InputError: too few walkers (fewer than twice the free parameters), a burn-in that
            takes every step, or chains too short to diagnose (:data:`MIN_KEPT_DRAWS`).
    """
    import emcee
    from scipy.optimize import minimize

    started = time.perf_counter()
    target = LogPosterior(cohorts, settings.priors, settings.quadrature, settings.fit_points,
                          settings.seed, settings.fixed, settings.per_cohort,
                          settings.cohort_priors)  # fmt: skip
    dims = len(target.priors)
    if settings.walkers < 2 * dims:
        raise InputError(
            f"--walkers must be at least twice the free parameters ({2 * dims}), "
            f"got {settings.walkers}"
        )
    if settings.steps <= settings.burn:
        raise InputError(f"--steps ({settings.steps}) must exceed the burn-in ({settings.burn})")
    kept = -(-(settings.steps - settings.burn) // settings.thin)
    if kept < MIN_KEPT_DRAWS:
        raise InputError(
            f"--steps {settings.steps} with --burn {settings.burn} keeps {kept} draw(s) per walker "
            f"(every {settings.thin}th step after the burn-in); the chains' R-hat, ESS and "
            f"autocorrelation need at least {MIN_KEPT_DRAWS}: give --steps at least "
            f"{settings.burn + settings.thin * (MIN_KEPT_DRAWS - 1) + 1}",
            key="--steps",
        )  # fmt: skip
    counter = _Counter(target)
    with np.errstate(invalid="ignore"):  # differences of -inf where a probability underflows
        mode = minimize(
            lambda y: -counter(y), np.zeros(dims), method="L-BFGS-B",
            bounds=[(-12.0, 12.0)] * dims,
            options={"maxiter": 200, "maxfun": settings.walkers * settings.steps},
        )  # fmt: skip
    if not np.isfinite(mode.fun):
        raise InputError(
            "the observed history has probability zero at every parameter vector tried: the "
            "world makes it impossible (check observed.csv against the labs' founding months)"
        )
    if progress:
        progress(f"mode found: log posterior {-mode.fun:.2f} after {counter.calls} evaluations")
    rng = np.random.default_rng(settings.seed)
    start = mode.x + 0.05 * rng.standard_normal((settings.walkers, dims))
    moves = [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    sampler = emcee.EnsembleSampler(settings.walkers, dims, counter, moves=moves)
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
    diagnostics = chain_diagnostics(sampler, thetas[:, :, target.free], target.priors, settings)
    draws = thetas.reshape(-1, thetas.shape[-1])
    cheap = sampler.get_log_prob()[settings.burn :][:: settings.thin].reshape(-1)
    cheap = cheap - np.array([_log_jacobian(y) for y in chains[:: settings.thin].reshape(-1, dims)])
    accurate_target = LogPosterior(
        cohorts, settings.priors, settings.final_quadrature, settings.final_fit_points,
        settings.seed, settings.fixed, settings.per_cohort, settings.cohort_priors,
    )  # fmt: skip
    accurate = np.array([accurate_target.log_likelihood(t) for t in draws])
    log_w = accurate - cheap
    weights = np.exp(log_w - log_w.max())
    weights /= weights.sum()
    at_mode = target.theta(mode.x)
    spread = {
        "chains": integration_sd(cohorts, settings, at_mode, settings.quadrature,
                                 settings.fit_points),
        "re-weighting": integration_sd(cohorts, settings, at_mode, settings.final_quadrature,
                                       settings.final_fit_points),
    }  # fmt: skip
    return LikelihoodResult(
        theta=draws, weights=weights, log_likelihood=accurate, diagnostics=diagnostics,
        acceptance=float(np.mean(sampler.acceptance_fraction)),
        evaluations=counter.calls + len(draws) + 2 * SCRAMBLES,
        seconds=time.perf_counter() - started,
        settings=settings, names=tuple(target.names), integration_sd=spread,
        priors=target.column_priors, cohorts=tuple(c.name for c in cohorts),
    )  # fmt: skip


#: Independent scrambles of the fit points behind each integration standard deviation.
SCRAMBLES = 8


def integration_sd(
    cohorts: list[Cohort], settings: LikelihoodSettings, theta: np.ndarray, quadrature: int,
    fit_points: int, scrambles: int = SCRAMBLES,
) -> float:  # fmt: skip
    """The Monte Carlo standard deviation of the log-likelihood at ``theta``.

    The log-likelihood is evaluated with ``scrambles`` independent scramblings of the Sobol fit
    points (seeds apart from the sampler's), at the given integration size; the sample standard
    deviation of those values is how far one evaluation can be off by chance alone (the log of
    an average is also biased low by about half its variance).
    """
    values = [
        LogPosterior(
            cohorts, settings.priors, quadrature, fit_points, settings.seed + 7919 * (k + 1),
            settings.fixed, settings.per_cohort, settings.cohort_priors,
        ).log_likelihood(theta)
        for k in range(scrambles)
    ]  # fmt: skip
    return float(np.std(values, ddof=1))


class _Counter:
    """Counts the evaluations of a log density."""

    def __init__(self, target):
        self.target, self.calls = target, 0

    def __call__(self, y):
        self.calls += 1
        return self.target(y)


def _log_jacobian(y: np.ndarray) -> float:
    return float(np.sum(-np.abs(y) - 2.0 * np.log1p(np.exp(-np.abs(y)))))
