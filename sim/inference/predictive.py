"""Posterior predictive checks: replicated histories under posterior draws, read against the data.

A calibration is judged by the predictive distribution it implies, not by one lucky run:
histories are simulated from the world's start, each with a parameter vector drawn from the
weighted posterior and its own chance, and every declared statistic is read off them, beside
the prior predictive. Each summary target gets its posterior predictive p-values (Gelman, Meng &
Stern 1996): the share of replicated histories at or below, and at or above, the observed value.
The yardstick (:mod:`sim.inference.reference`) is the exact predictive of the simplest model
that could explain the anchor counts, so that a misfit can be told from the limit of what one
history can say. The report writer is :mod:`sim.reports.calibration`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.config.params import sample_prior
from sim.engines.simulate import simulate
from sim.inference.abc.targets import Target, anchor_target
from sim.inference.reference import PRIORS, staged_predictive
from sim.kernel.streams import replicate_seeds
from sim.results import replicate_summaries, retention_curve
from sim.world import World, find_statistic


def posterior_predictive(
    scenario, theta: np.ndarray, weights: np.ndarray, replicates: int, seed: int
):
    """Simulate the scenario's world with parameter draws taken from a weighted population."""
    index = np.random.default_rng([seed, 2]).choice(len(theta), size=replicates, p=weights)
    return simulate(scenario.compile(), theta[index], replicate_seeds(seed, replicates), draw=index)


@dataclass
class PredictiveCheck:
    """A posterior's predictive check, ready for the report (:func:`predictive_check`)."""

    stats: pd.DataFrame  # per posterior-predictive replicate: every declared statistic
    prior_stats: pd.DataFrame  # the same for 2,000 prior-predictive replicates
    curve: pd.DataFrame  # the posterior-predictive retention curve
    yardsticks: dict  # prior name -> StagedPredictive (empty without the counts it needs)
    anchor: tuple | None  # (statistic, target) of the anchor target, or None


def predictive_check(result, scenario, seed: int, replicates: int = 20_000) -> PredictiveCheck:
    """Simulate the posterior and prior predictives of a calibration and read them.

    ``replicates`` histories are simulated, each with a posterior draw: 20,000 put the Monte
    Carlo standard error of a share near 0.5 at 0.0035, small beside the differences the check
    is read for.

    Args:
        result: a :class:`~sim.inference.abc.smc.CalibrationResult` or a
            :class:`~sim.inference.posterior.LikelihoodResult`, its ``targets`` set.
        scenario: the scenario whose world is simulated.
        seed: seed of the posterior draws, the prior draws and the replicates.
        replicates: posterior-predictive histories.
    """
    ppc = posterior_predictive(scenario, result.theta, result.weights, replicates, seed)
    prior_theta = sample_prior(2000, np.random.default_rng([seed, 3]), result.settings.priors)
    prior_pred = simulate(scenario.compile(), prior_theta, replicate_seeds(seed, 2000))
    world = scenario.world
    return PredictiveCheck(
        stats=replicate_summaries(ppc),
        prior_stats=replicate_summaries(prior_pred),
        curve=retention_curve(ppc),
        yardsticks=yardsticks(result.targets, world),
        anchor=anchor_target(result.targets, world),
    )


@dataclass(frozen=True)
class PredictivePValue:
    """One summary target's posterior predictive p-values."""

    summary: str
    observed: int
    at_most: float  # P(replicate <= observed)
    at_least: float  # P(replicate >= observed)


def predictive_p_values(targets: list, stats: pd.DataFrame) -> list[PredictivePValue]:
    """Posterior predictive p-values (Gelman, Meng & Stern 1996) of each summary target.

    Args:
        targets: the calibration targets; curve targets have none.
        stats: per replicate, the statistics of the replicated histories.
    """
    out = []
    for t in targets:
        if isinstance(t, Target):
            x = stats[t.summary].to_numpy()
            out.append(PredictivePValue(t.summary, t.observed, (x <= t.observed).mean(),
                                        (x >= t.observed).mean()))  # fmt: skip
    return out


def yardsticks(targets: list, world: World) -> dict:
    """The two-stage binomial yardstick (:mod:`~sim.inference.reference`) per prior, from targets.

    It needs the anchor (:func:`~sim.inference.abc.targets.anchor_target`) and a ``left_by``
    target at an earlier month (an "at least" bound is taken as the count); without them there is
    no yardstick and the result is empty.
    """
    counts = yardstick_counts(targets, world)
    if counts is None:
        return {}
    end, gone, _, _ = counts
    cohort = len(world.researchers)
    return {name: staged_predictive(cohort, cohort - gone, end, ab) for name, ab in PRIORS.items()}


def yardstick_counts(targets, world: World):
    """(anchor count, left-by count, anchor statistic, left-by statistic), or None.

    The counts the yardstick (:func:`yardsticks`) is computed from: the anchor target's and that
    of the first ``left_by`` target at an earlier month.
    """
    anchor = anchor_target(targets, world)
    if anchor is None:
        return None
    end_stat, end_target = anchor
    early = [
        (find_statistic(world, t.summary), t)
        for t in targets
        if isinstance(t, Target)
        and getattr(find_statistic(world, t.summary), "kind", "") == "left_by"
    ]
    early = [(s, t) for s, t in early if world.calendar.index(s.month) < world.calendar.index(
        end_stat.month)]  # fmt: skip
    if not early:
        return None
    gone_stat, gone_target = early[0]
    return int(end_target.observed), int(gone_target.observed), end_stat, gone_stat
