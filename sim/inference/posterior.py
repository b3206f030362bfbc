"""Full-information calibration: the posterior given the likelihood of the observed history.

Where ABC (:mod:`sim.inference.abc`) matches a handful of counts, this posterior uses who left when,
after which event and for which lab: the panel likelihood of :mod:`sim.likelihood`.

**Exact in the uncertain months: data augmentation.** A move known only to an interval of months
has a latent month; each walker carries one month for every such move, and the likelihood it
evaluates is that of the complete history at those months, exact (:mod:`sim.likelihood.augment`).
The months are updated by Metropolis-within-Gibbs between the parameter moves, so the draws'
marginal in the parameters is the posterior of the observed history itself, with every
colleague's pull read from where the colleagues may have been, not from the middle of their
intervals (which attenuates the pull: errors in variables). Each draw keeps its months
(``LikelihoodResult.months``): the posterior of when each uncertain move happened.

**Sampler: differential evolution within Gibbs** (:mod:`sim.inference.sampler`): the ensemble
move emcee calls ``DEMove`` (ter Braak 2006; Foreman-Mackey et al. 2013), written out because
emcee's walkers cannot carry latent months. The likelihood is a smooth, deterministic function of
theta given the months (fixed integration points) without gradients, about a dozen parameters
are free and their posterior can be elongated (weights that trade off against each other): an
ensemble sampler needs no gradient and no tuning of a proposal scale, and its moves are
invariant to linear correlations. A probabilistic programming library would need the choice rule
written a second time in its own language. The sampler works on an unbounded space: each
parameter's prior quantile q (its prior CDF, which maps the truncated prior to the unit
interval) through the logit, y = log(q / (1 - q)). The target density there is the likelihood
times the logistic density of y, so the bounds are never hit and no walker is wasted outside
them.

**Two integration sizes, the error measured.** The chains run on a cheap likelihood (few
integration points); every retained draw is then re-weighted by the ratio of an accurate
likelihood (more points, scrambled independently of the chains' points) to the cheap one
(importance sampling), so the posterior is that of the accurate likelihood and the weights'
effective sample size reports what the cheap one cost. The log-likelihood's Monte Carlo
standard deviation is measured at the draw of highest posterior density over independent
scrambles (:func:`integration_sd`), for both sizes, and the accurate size grows until it is at
most ``max_integration_sd`` (:func:`accurate_fit_points`).

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
from scipy.special import logsumexp

from sim.config.params import DEFAULT_PRIORS
from sim.errors import InputError
from sim.inference.diagnostics import chain_diagnostics
from sim.inference.pooling import check_pooled, outside, pool_columns, population_log_normaliser
from sim.inference.sampler import sample_ensemble
from sim.inference.walker import AugmentedWalker
from sim.kernel.behavior import PARAMETER_NAMES
from sim.likelihood import (
    FIT_POINTS,
    QUADRATURE,
    Integration,
    LatentMonths,
    Panel,
    at_months,
    log_likelihood,
)
from sim.world import CompiledWorld, opening_variants

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
    priors: tuple = DEFAULT_PRIORS
    fixed: tuple[tuple[str, float], ...] = ()  # parameters held at a value, not sampled
    per_cohort: tuple[str, ...] | None = None  # calibrated per cohort (None: as declared)
    cohort_priors: tuple = ()  # priors of single per-cohort columns, e.g. "k0[llama]"
    pooled: tuple[str, ...] = ()  # per-cohort parameters partially pooled (a population prior)
    month_updates: int = 2  # uncertain months proposed per walker, cohort and step
    max_integration_sd: float = 0.1  # the re-weighting's points grow until its MC sd is this


@dataclass(frozen=True)
class Cohort:
    """One world's observed history, ready for the likelihood.

    ``weight``: how many times its log-likelihood counts (1; a subsample of n researchers
    standing for a panel of N counts N / n: the Laplace sampler's pilot fit).
    """

    name: str
    world: CompiledWorld
    panel: Panel
    weight: float = 1.0


class LogPosterior:
    """The log posterior density on the sampler's unbounded space (see the module docstring).

    A draw of the posterior is a vector of *columns*: the behavioural parameters, where each
    parameter declared per cohort (:attr:`sim.config.params.Parameter.per_cohort`) has one column
    per cohort, ``name[cohort]``, when there are several cohorts. Every cohort's parameter vector
    takes the shared columns and its own.

    **Partial pooling** (``pooled``; Gelman et al., *Bayesian Data Analysis*, ch. 5). A pooled
    per-cohort parameter p gets two more columns, its population's mean ``p.population_mean``
    (prior: p's own prior) and standard deviation ``p.population_sd`` (prior: half-normal with
    the scale p declares, :attr:`~sim.config.params.Parameter.population_scale`), and each
    cohort's value is ``p[c] = population_mean + population_sd * eta_c`` with eta_c ~ N(0, 1)
    (the non-centred form, which samplers mix well in when the data say little about the
    spread). The sampler's coordinate of ``p[c]`` is eta_c's quantile; the column holds p[c]
    itself. The population is the normal truncated to p's bounds: a value outside them has
    density 0, and each cohort's term is divided by the normal's mass inside the bounds
    (:meth:`population_log_normaliser`), so the population mean and sd keep exactly their priors
    whatever the bounds cut (without it, about 1% per cohort of the shipped k0 prior's draws
    fall outside, and the cut would tilt the population's prior).
    So the posterior says how much cohorts differ (``population_sd``), and a cohort the
    posterior has not seen draws p from the population (:mod:`sim.config.posterior_file`).

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
        pooled: per-cohort parameters given a population prior (needs two or more cohorts).
        own_points: each researcher integrated over their own scrambled points, and
        jackknife: the log of each researcher's integral corrected for its bias
            (:class:`sim.likelihood.Integration`; what a panel of thousands needs).
    """

    def __init__(self, cohorts: list[Cohort], priors: tuple, quadrature: int, fit_points: int,
                 seed: int = 0, fixed: tuple = (), per_cohort=None, cohort_priors=(),
                 pooled: tuple[str, ...] = (), own_points: bool = False,
                 jackknife: bool = False):  # fmt: skip
        self.cohorts = cohorts
        if per_cohort is None:
            per_cohort = tuple(p.name for p in priors if p.per_cohort)
        held = dict(fixed)
        held.update({p.name: p.low for p in priors if p.held and p.name not in held})
        check_pooled(pooled, per_cohort, held, cohort_priors, cohorts, priors)
        self.names, self.column_priors, self.columns_of = _columns(
            cohorts, priors, set(per_cohort), {p.name: p for p in cohort_priors}
        )
        self.names, self.column_priors, coordinate_priors, self.pools = pool_columns(
            self.names, self.column_priors, pooled, priors, [c.name for c in cohorts]
        )
        self.full = np.array([p.mean for p in coordinate_priors], dtype=np.float64)
        for k, name in enumerate(self.names):
            base = name.split("[")[0]
            if base in held:
                self.full[k] = held[base]
        self.free = [k for k, n in enumerate(self.names) if n.split("[")[0] not in held]
        #: the prior of each free coordinate of the sampler (eta_c's for a pooled column)
        self.priors = tuple(coordinate_priors[k] for k in self.free)
        #: the prior of each free column as reported (a pooled column's marginal prior)
        self.reported_priors = tuple(self.column_priors[k] for k in self.free)
        self.integrations = [
            Integration.build(c.world.timeline.attributes.shape[1], quadrature, fit_points, seed,
                              jackknife=jackknife, own_points=own_points)
            for c in cohorts
        ]  # fmt: skip
        #: per cohort, its worlds for each combination of the founding months known only to an
        #: interval, with their log probabilities (one world, log 1, where there are none)
        self.variants = [opening_variants(c.world) for c in cohorts]
        self.evaluations = 0  # likelihood evaluations of one cohort

    def theta(self, y: np.ndarray) -> np.ndarray:
        """The posterior columns at a point y of the sampler's space."""
        q = 1.0 / (1.0 + np.exp(-np.asarray(y, dtype=np.float64)))
        x = self.full.copy()
        x[self.free] = [p.from_unit(q[k]) for k, p in enumerate(self.priors)]
        for mean, sd, own, _, _ in self.pools:
            x[own] = x[mean] + x[sd] * x[own]
        return x

    def population_log_normaliser(self, x: np.ndarray) -> float:
        """-sum over pooled cohort columns of log P(population normal inside the bounds)."""
        return population_log_normaliser(self.pools, x)

    def outside(self, x: np.ndarray) -> bool:
        """Whether a pooled cohort column of ``x`` lies outside its parameter's bounds."""
        return outside(self.pools, x)

    def log_prior_terms(self, y: np.ndarray, x: np.ndarray) -> float:
        """What the target adds to the log-likelihood at y (columns x): the prior, mapped.

        The logistic density of y (:func:`log_jacobian`: every coordinate's prior) and, for
        pooled parameters, the population's truncation (-inf outside the bounds). Every
        evaluation of the target goes through it, the augmented walkers' included.
        """
        if self.outside(x):
            return -math.inf
        return log_jacobian(y) + self.population_log_normaliser(x)

    def cohort_theta(self, x: np.ndarray, c: int) -> np.ndarray:
        """Cohort c's parameter vector [P] from posterior columns ``x`` (or rows [n, columns])."""
        return np.asarray(x)[..., self.columns_of[c]]

    def cohort_log_likelihood(
        self, x: np.ndarray, c: int, panel: Panel, variant: int | None = None
    ) -> float:
        """Cohort c's log-likelihood of ``panel`` at columns x.

        ``panel`` is its observed history, or a complete panel of it with every move at one
        month of its interval. Where founding months are known only to intervals
        (:mod:`sim.world.openings`), ``variant`` picks one combination of them: the density of
        the history given it (the combinations are equally likely a priori, so this is the joint
        density up to a constant that every comparison cancels); None sums over every
        combination, weighted by its probability.
        """
        cohort = self.cohorts[c]
        theta = self.cohort_theta(x, c)
        variants = self.variants[c]
        chosen = variants if variant is None else [variants[variant]]
        terms = []
        for log_p, world in chosen:
            self.evaluations += 1
            value = float(log_likelihood(world, theta, panel, self.integrations[c]).sum())
            terms.append(value + (log_p if variant is None else 0.0))
        value = terms[0] if len(terms) == 1 else float(logsumexp(terms))
        return value if cohort.weight == 1.0 else cohort.weight * value

    def log_likelihood(
        self, x: np.ndarray, panels: list[Panel] | None = None, variants: tuple | None = None
    ) -> float:
        """Sum over cohorts of the log-likelihood of their history at columns x.

        The histories are the observed ones, or the given ``panels`` (one per cohort); the
        founding months known only to intervals summed over, or, with ``variants`` (one index
        per cohort, :meth:`cohort_log_likelihood`), held at the given combination.
        """
        panels = panels or [cohort.panel for cohort in self.cohorts]
        variants = variants or (None,) * len(panels)
        return sum(
            self.cohort_log_likelihood(x, c, p, v)
            for c, (p, v) in enumerate(zip(panels, variants, strict=True))
        )

    def __call__(self, y: np.ndarray) -> float:
        """Log likelihood(theta(y)) + log logistic density of y (the prior, mapped)."""
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)) or np.any(np.abs(y) > 30):
            return -math.inf
        x = self.theta(y)
        prior = self.log_prior_terms(y, x)
        if not np.isfinite(prior):
            return -math.inf
        value = self.log_likelihood(x)
        return value + prior if np.isfinite(value) else -math.inf


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
    priors: tuple = DEFAULT_PRIORS  # the prior of each column
    cohorts: tuple[str, ...] = ()
    #: the log-likelihood's Monte Carlo standard deviation at the draw of highest posterior
    #: density, over independent scrambles of the fit points: {"chains": ..., "re-weighting": ...}
    integration_sd: dict = field(default_factory=dict)
    #: each draw's months of every move, per cohort: {cohort: int [n, moves]}
    months: dict = field(default_factory=dict)
    month_acceptance: float = math.nan  # of the month proposals (Metropolis-within-Gibbs)
    #: (restlessness nodes, fit points) of the chains and of the re-weighting
    integration_points: dict = field(default_factory=dict)
    #: the re-weighting's growth: (fit points, standard deviation) at each size tried
    integration_trail: tuple = ()
    sampler: str = "ensemble"  # or "laplace" (sim.inference.laplace)
    khat: float = math.nan  # the Laplace sampler's Pareto k-hat
    #: the Laplace sampler's pilot fit, if it made one: {"researchers", "of", "evaluations"}
    pilot: dict = field(default_factory=dict)

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
    """Sample the full-information posterior; see the module docstring.

    The walkers start in a small ball around the mode of the interval-summed likelihood (found by
    L-BFGS from the prior medians, with the colleagues' months imputed), each with the uncertain
    months drawn uniformly from their intervals, so the burn-in is spent mixing, not travelling.
    The mode search is budgeted: it never evaluates more often than the sampler will
    (walkers x steps), so ``--steps`` bounds the whole run.

    Raises:
        InputError: too few walkers (fewer than twice the free parameters), a burn-in that
            takes every step, or chains too short to diagnose (:data:`MIN_KEPT_DRAWS`).
    """
    from scipy.optimize import minimize

    started = time.perf_counter()
    target = LogPosterior(cohorts, settings.priors, settings.quadrature, settings.fit_points,
                          settings.seed, settings.fixed, settings.per_cohort,
                          settings.cohort_priors, settings.pooled)  # fmt: skip
    dims = len(target.priors)
    _check_settings(settings, dims)
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
    latents = [LatentMonths.of(c.world, c.panel) for c in cohorts]
    walkers = [
        AugmentedWalker(target, latents, [lat.draw(rng) for lat in latents],
                         settings.month_updates)
        for _ in range(settings.walkers)
    ]  # fmt: skip

    def report(step, acceptance):
        if progress:
            progress(f"step {step}/{settings.steps}: acceptance {acceptance:.2f}, "
                     f"{time.perf_counter() - started:.0f} s")  # fmt: skip

    chains = sample_ensemble(
        walkers, start, settings.steps, rng, progress=report,
        keep=lambda step: step >= settings.burn and (step - settings.burn) % settings.thin == 0,
    )  # fmt: skip
    ys = chains.y[settings.burn :: settings.thin]  # [kept steps, walkers, dims]
    thetas = np.array([[target.theta(y) for y in row] for row in ys])
    tau = _autocorrelation_times(chains.y[settings.burn :])
    diagnostics = chain_diagnostics(tau, thetas[:, :, target.free], target.reported_priors,
                                    settings)  # fmt: skip
    draws = thetas.reshape(-1, thetas.shape[-1])
    kept = [state for row in chains.kept_states for state in row]
    months = [m for m, _ in kept]  # per draw: months per cohort
    variants = [v for _, v in kept]  # per draw: combination of interval founding months
    cheap = chains.log_prob[settings.burn :: settings.thin].reshape(-1)
    cheap = cheap - np.array(
        [target.log_prior_terms(y, target.theta(y)) for y in ys.reshape(-1, dims)]
    )  # the log-likelihood alone
    best = int(np.argmax(cheap))
    best_panels = [
        at_months(c.world, c.panel, m) for c, m in zip(cohorts, months[best], strict=True)
    ]
    chains_sd = integration_sd(cohorts, settings, draws[best], settings.quadrature,
                               settings.fit_points, panels=best_panels)  # fmt: skip
    fit_points, trail = accurate_fit_points(cohorts, settings, draws[best], best_panels)
    if progress:
        progress("re-weighting integration: " + ", ".join(f"{n} points: sd {sd:.3f}"
                                                         for n, sd in trail))  # fmt: skip
    accurate_target = LogPosterior(
        cohorts, settings.priors, settings.final_quadrature, fit_points,
        settings.seed + REWEIGHTING_SEED, settings.fixed, settings.per_cohort,
        settings.cohort_priors, settings.pooled,
    )  # fmt: skip
    accurate = np.array([
        accurate_target.log_likelihood(t, [at_months(c.world, c.panel, m)
                                           for c, m in zip(cohorts, draw_months, strict=False)],
                                       draw_variants)  # fmt: skip
        for t, draw_months, draw_variants in zip(draws, months, variants, strict=True)
    ])  # fmt: skip
    log_w = accurate - cheap
    weights = np.exp(log_w - log_w.max())
    weights /= weights.sum()
    spread = {"chains": chains_sd, "re-weighting": trail[-1][1]}
    return LikelihoodResult(
        theta=draws, weights=weights, log_likelihood=accurate, diagnostics=diagnostics,
        acceptance=chains.acceptance,
        evaluations=target.evaluations + accurate_target.evaluations,
        seconds=time.perf_counter() - started,
        settings=settings, names=tuple(target.names), integration_sd=spread,
        priors=target.column_priors, cohorts=tuple(c.name for c in cohorts),
        months={c.name: np.array([m[k] for m in months]) for k, c in enumerate(cohorts)},
        month_acceptance=chains.latent_acceptance,
        integration_points={"chains": (settings.quadrature, settings.fit_points),
                            "re-weighting": (settings.final_quadrature, fit_points)},
        integration_trail=tuple(trail),
    )  # fmt: skip


def _autocorrelation_times(path: np.ndarray) -> np.ndarray:
    """Each parameter's integrated autocorrelation time (emcee's), without its log warning.

    A chain shorter than 50 autocorrelation times makes emcee log a warning with the raw
    estimates; the report states how many autocorrelation times the chains are long instead.
    """
    import logging

    from emcee.autocorr import integrated_time

    log = logging.getLogger("emcee.autocorr")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        return integrated_time(path, quiet=True)
    finally:
        log.setLevel(level)


def _check_settings(settings: LikelihoodSettings, dims: int) -> None:
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


#: Independent scrambles of the fit points behind each integration standard deviation.
SCRAMBLES = 8
#: The re-weighting's integration points are scrambled with the seed plus this, independently of
#: the chains' points (the first points of a longer scrambled Sobol sequence with the same seed
#: would be the chains' own points, and the check would look better than it is).
REWEIGHTING_SEED = 1
#: Fit points the re-weighting's integration may grow to (from ``final_fit_points``, x4 a step).
MAX_FIT_POINTS = 4096


def accurate_fit_points(
    cohorts: list[Cohort], settings: LikelihoodSettings, theta: np.ndarray, panels: list[Panel]
) -> tuple[int, list[tuple[int, float]]]:
    """The fit points of the re-weighting, grown until its error is small enough.

    Grown until the log-likelihood's Monte Carlo standard deviation at ``theta`` and ``panels``
    is at most ``settings.max_integration_sd``.

    Starts at ``settings.final_fit_points`` and multiplies by 4 (which halves a Monte Carlo
    standard deviation, and does better for quasi-Monte Carlo) up to :data:`MAX_FIT_POINTS`.

    Returns:
        The fit points chosen and the trail of (fit points, standard deviation) measured.
    """
    points, trail = settings.final_fit_points, []
    while True:
        sd = integration_sd(cohorts, settings, theta, settings.final_quadrature, points,
                            panels=panels)  # fmt: skip
        trail.append((points, sd))
        if sd <= settings.max_integration_sd or points * 4 > MAX_FIT_POINTS:
            return points, trail
        points *= 4


def integration_sd(
    cohorts: list[Cohort], settings: LikelihoodSettings, theta: np.ndarray, quadrature: int,
    fit_points: int, scrambles: int = SCRAMBLES, panels: list[Panel] | None = None,
) -> float:  # fmt: skip
    """The Monte Carlo standard deviation of the log-likelihood at ``theta``.

    The log-likelihood (of ``panels``, one per cohort, or of the observed histories) is evaluated
    with ``scrambles`` independent scramblings of the Sobol fit points (seeds apart from the
    sampler's), at the given integration size; the sample standard deviation of those values is
    how far one evaluation can be off by chance alone (the log of an average is also biased low
    by about half its variance).
    """
    values = [
        LogPosterior(
            cohorts, settings.priors, quadrature, fit_points, settings.seed + 7919 * (k + 1),
            settings.fixed, settings.per_cohort, settings.cohort_priors, settings.pooled,
        ).log_likelihood(theta, panels)
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


def log_jacobian(y: np.ndarray) -> float:
    """The log density of the prior mapped to the unbounded space: the logistic density of y."""
    return float(np.sum(-np.abs(y) - 2.0 * np.log1p(np.exp(-np.abs(y)))))
