"""Partial pooling of per-cohort parameters: the priors of a population and its cohorts.

A pooled per-cohort parameter p (``sim calibrate --worlds ... --pool p``) has a population, a
normal truncated to p's bounds, with mean (prior: p's own) and standard deviation (prior:
half-normal of scale :attr:`~sim.config.params.Parameter.population_scale`); each cohort's
value is mean + sd * eta_c, eta_c ~ N(0, 1) (non-centred). These are the priors of the sampler's
coordinates and the checks of what can be pooled; :class:`sim.inference.posterior.LogPosterior`
assembles them (Gelman et al., *Bayesian Data Analysis*, 3rd ed., ch. 5).
"""

from __future__ import annotations

import dataclasses
import math

from sim.config.params import Parameter
from sim.errors import InputError

#: Bounds of a pooled column's standardised coordinate eta_c (N(0, 1) truncated; 1e-15 cut).
ETA_BOUND = 8.0


def population_prior(declared):
    """The half-normal prior of a pooled parameter's population standard deviation."""
    scale = declared.population_scale
    return dataclasses.replace(
        declared, name=f"{declared.name}.population_sd", low=0.0, high=5.0 * scale, mean=0.0,
        sd=scale, per_cohort=False,
        why=f"half-normal, scale {scale}: how much cohorts' {declared.name} differ",
    )  # fmt: skip


def renamed(declared, name: str):
    """The declared prior under another column name, shared (the population mean's)."""
    return dataclasses.replace(declared, name=name, per_cohort=False)


def standard_normal(name: str):
    """N(0, 1) on +-ETA_BOUND: the prior of a pooled cohort's standardised effect."""
    return Parameter(name, -ETA_BOUND, ETA_BOUND, 0.0, 1.0, "standardised cohort effect")


def marginal_prior(declared, population):
    """A pooled column's prior as reported: its parameter's prior widened by the population's.

    The population mean has the parameter's prior and the cohort's deviation the population
    sd's second moment (scale^2 for a half-normal), so the variance adds up; used for the
    contraction a report shows, not for sampling.
    """
    return dataclasses.replace(declared, sd=math.sqrt(declared.sd**2 + population.sd**2))


def check_pooled(pooled, per_cohort, held, cohort_priors, cohorts, priors) -> None:
    """Pooling needs a per-cohort parameter, two cohorts, a declared scale and no override."""
    declared = {p.name: p for p in priors}
    for name in pooled:
        if name not in per_cohort:
            raise InputError(
                f"only a per-cohort parameter can be pooled; {name!r} is shared (per-cohort: "
                f"{', '.join(per_cohort) or 'none'})",
                key="--pool",
            )
        if len(cohorts) < 2:
            raise InputError("pooling needs a joint calibration of two or more worlds",
                             key="--pool")  # fmt: skip
        if name in held:
            raise InputError(f"{name} is held fixed, so there is nothing to pool", key="--pool")
        if not declared[name].population_scale > 0:
            raise InputError(
                f"{name} declares no population scale (Parameter.population_scale), the "
                "hyperprior of how much cohorts differ",
                key="--pool",
            )
        if any(p.name.split("[")[0] == name for p in cohort_priors):
            raise InputError(
                f"{name} has its own per-cohort priors in the priors file; a pooled parameter "
                "takes its cohorts' values from the population",
                key="--pool",
            )


def pool_columns(names, column_priors, pooled, priors, cohorts: list[str]):
    """Add each pooled parameter's population columns; the priors as sampled and as reported.

    Returns:
        The column names (two more per pooled parameter: ``p.population_mean``,
        ``p.population_sd``), each column's prior as reported (a pooled cohort column's
        marginal, :func:`marginal_prior`), each column's coordinate prior as sampled (a pooled
        cohort column's standardised effect, :func:`standard_normal`) and, per pooled parameter,
        (mean column, sd column, cohort columns, low bound, high bound).
    """
    names, reported = list(names), list(column_priors)
    coordinate_priors, pools = list(column_priors), []
    for name in pooled:
        declared = next(p for p in priors if p.name == name)
        own = [names.index(f"{name}[{c}]") for c in cohorts]
        names += [f"{name}.population_mean", f"{name}.population_sd"]
        population = population_prior(declared)
        mean = renamed(declared, names[-2])
        coordinate_priors += [mean, population]
        reported += [mean, population]
        for k in own:
            coordinate_priors[k] = standard_normal(names[k])
            reported[k] = marginal_prior(declared, population)
        pools.append((len(names) - 2, len(names) - 1, own, declared.low, declared.high))
    return names, tuple(reported), coordinate_priors, pools


def population_log_normaliser(pools, x) -> float:
    """-sum over pooled cohort columns of log P(their population's normal inside the bounds)."""
    from scipy.special import ndtr

    total = 0.0
    for mean, sd, own, low, high in pools:
        spread = max(x[sd], 1e-300)
        inside = ndtr((high - x[mean]) / spread) - ndtr((low - x[mean]) / spread)
        total -= len(own) * math.log(max(inside, 1e-300))
    return total


def outside(pools, x) -> bool:
    """Whether a pooled cohort column of ``x`` lies outside its parameter's bounds."""
    return any(bool(((x[own] < low) | (x[own] > high)).any()) for _, _, own, low, high in pools)
