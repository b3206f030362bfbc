"""What a calibration's draws say, and how far to trust them: diagnostics in one place.

**Chains** (the likelihood sampler, :mod:`sim.inference.posterior`): rank-normalised split R-hat
and bulk effective sample size (Vehtari et al. 2021; arviz-stats) over the walkers taken as
chains, and emcee's integrated autocorrelation times (Foreman-Mackey et al. 2013). Walkers of one
ensemble are not independent chains, so R-hat near 1 is necessary, not sufficient; the
autocorrelation time is the check emcee's authors recommend (run at least 50 times it).

**Identification** (both samplers): each parameter's contraction, 1 - posterior variance / prior
variance. Below 0.3 the histories do not identify the parameter: its posterior mostly repeats
the prior, and results that depend on it inherit the prior's assumptions (Manski 1993 on peer
effects). The weighted quantile gives the 90% intervals here and ABC-SMC's next tolerance
(:mod:`sim.inference.abc.smc`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.config.params import DEFAULT_PRIORS, sample_prior
from sim.kernel.behavior import PARAMETER_NAMES


def weighted_quantile(values, weights, q) -> float:
    """The q-quantile of weighted values: the first value whose cumulative weight reaches q."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, q * cumulative[-1])])


def chain_diagnostics(tau: np.ndarray, thetas: np.ndarray, priors, settings) -> pd.DataFrame:
    """Per parameter: split R-hat and bulk ESS over walkers (arviz-stats), autocorrelation time.

    Args:
        tau: each parameter's integrated autocorrelation time in steps, after the burn-in
            (``emcee.autocorr.integrated_time`` of the walkers' path).
        thetas: the retained draws [steps, walkers, parameters], the burn-in dropped.
        priors: the prior of each parameter column (its name labels the row).
        settings: the :class:`~sim.inference.posterior.LikelihoodSettings` of the run (its
            steps and burn-in).

    Returns:
        One row per parameter: ``r_hat``, ``ess_bulk``, ``autocorrelation_steps`` and
        ``steps_per_autocorrelation`` (the chain length after the burn-in, in autocorrelation
        times).
    """
    from arviz_stats.base import array_stats

    rows = []
    for k, p in enumerate(priors):
        x = thetas[:, :, k].T  # [chain (walker), draw]
        rows.append({
            "parameter": p.name,
            "r_hat": float(array_stats.rhat(x, chain_axis=0, draw_axis=1)),
            "ess_bulk": float(array_stats.ess(x, chain_axis=0, draw_axis=1)),
            "autocorrelation_steps": float(tau[k]),
            "steps_per_autocorrelation": float(np.divide(  # inf where tau is 0: a stuck chain
                np.float64(settings.steps - settings.burn), tau[k])),
        })  # fmt: skip
    return pd.DataFrame(rows)


def identifiability(result, threshold: float = 0.3) -> pd.DataFrame:
    """Per parameter: prior and posterior mean/sd, 90% interval, contraction 1 - var_post/var_prior.

    A parameter is called identified by the observed histories when its contraction exceeds
    ``threshold``; below it, the posterior mostly repeats the prior. Held parameters (a point
    prior: :func:`sim.config.params.prior_space`) are not calibrated and have no row.

    Args:
        result: a :class:`~sim.inference.abc.smc.CalibrationResult` or a
            :class:`~sim.inference.posterior.LikelihoodResult` (weighted draws ``theta`` and
            ``weights``, and the prior set ``settings.priors``).
        threshold: the contraction above which a parameter counts as identified.
    """
    prior = sample_prior(200_000, np.random.default_rng(0), result.settings.priors)
    rows = []
    w = result.weights
    for k, p in enumerate(result.settings.priors):
        if p.held:
            continue
        x = result.theta[:, k]
        mean = float(np.sum(w * x))
        var = float(np.sum(w * (x - mean) ** 2))
        lo, hi = weighted_quantile(x, w, 0.05), weighted_quantile(x, w, 0.95)
        contraction = 1.0 - var / prior[:, k].var()
        rows.append({
            "parameter": p.name, "prior_mean": prior[:, k].mean(), "prior_sd": prior[:, k].std(),
            "posterior_mean": mean, "posterior_sd": var**0.5, "q05": lo, "q95": hi,
            "contraction": contraction, "identified": contraction > threshold,
        })  # fmt: skip
    return pd.DataFrame(rows)


def contraction(frame: pd.DataFrame, priors: tuple = DEFAULT_PRIORS) -> pd.Series:
    """Each calibrated parameter's contraction, 1 - posterior variance / prior variance.

    ``frame`` has a column per parameter and optionally a ``weight``; the prior variance is that
    of 200,000 draws from ``priors`` (seed 0), as in :func:`identifiability`. Indexed by the
    parameters ``priors`` draws (held ones have no prior variance and are left out).
    """
    w = frame["weight"].to_numpy() if "weight" in frame else np.ones(len(frame))
    w = w / w.sum()
    drawn = [k for k, p in enumerate(priors) if not p.held]
    x = frame[[PARAMETER_NAMES[k] for k in drawn]].to_numpy()
    prior = sample_prior(200_000, np.random.default_rng(0), priors)[:, drawn]
    values = 1.0 - (w @ (x - w @ x) ** 2) / prior.var(axis=0)
    return pd.Series(values, index=[PARAMETER_NAMES[k] for k in drawn])


def uncertain_months(world, months: np.ndarray, weights: np.ndarray) -> pd.DataFrame:
    """The posterior of each uncertain move's month.

    One row per move of ``observed.csv`` whose interval spans more than a month.

    Args:
        world: the calibrated world (its observed history, read as the likelihood's panel).
        months: each draw's month of every move of the panel, int [draws, moves]
            (:attr:`~sim.inference.posterior.LikelihoodResult.months`).
        weights: the draws' weights [draws].

    Returns:
        ``researcher``, ``to``, ``earliest`` and ``latest`` (the interval, as the likelihood
        reads it: a move to a lab founded inside its interval starts at the founding),
        ``median``, ``q05`` and ``q95`` (weighted quantiles of the month) and ``mean_index``
        (the posterior mean as a month index from the world's start).
    """
    from sim.likelihood import LatentMonths, observed_panel

    panel = observed_panel(world)
    latent = LatentMonths.of(world.compile(world.calendar.observed_until), panel)
    label = world.calendar.label
    rows = []
    for move, owner in zip(latent.uncertain, latent.owner, strict=True):
        x = months[:, move].astype(float)
        rows.append({
            "researcher": world.researchers[owner], "to": world.labs[panel.to[move]],
            "earliest": label(int(panel.earliest[move])), "latest": label(int(panel.latest[move])),
            "median": label(int(weighted_quantile(x, weights, 0.5))),
            "q05": label(int(weighted_quantile(x, weights, 0.05))),
            "q95": label(int(weighted_quantile(x, weights, 0.95))),
            "mean_index": float(np.sum(weights * x)),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=["researcher", "to", "earliest", "latest", "median", "q05",
                                       "q95", "mean_index"])  # fmt: skip
