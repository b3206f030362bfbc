"""Posterior predictive checks: replicated histories under posterior draws, read against the data.

A calibration is judged by the predictive distribution it implies, not by one lucky run:
histories are simulated from the world's start, each with a parameter vector drawn from the
weighted posterior and its own chance, and every declared statistic is read off them, beside
the prior predictive. Every declared statistic and every month of a ``[[curve]]`` target gets its
posterior predictive p-values (Gelman, Meng & Stern 1996): the share of replicated histories at
or below, and at or above, the observed value (:func:`predictive_p_values`).
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
from sim.inference.abc.targets import CurveTarget, Target, anchor_target
from sim.inference.reference import PRIORS, staged_predictive
from sim.kernel.streams import replicate_seeds
from sim.results import observed_readings, replicate_summaries, retention_curve, summary_functions
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

    stats: pd.DataFrame  # per posterior-predictive replicate: every statistic and curve month
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
        stats=predictive_statistics(ppc, result.targets),
        prior_stats=predictive_statistics(prior_pred, result.targets),
        curve=retention_curve(ppc),
        yardsticks=yardsticks(result.targets, world),
        anchor=anchor_target(result.targets, world),
    )


def curve_column(month: str) -> str:
    """The column of the count at the focal lab in ``month`` (``remaining@YYYY-MM``)."""
    return f"remaining@{month}"


def curve_months(targets: list) -> list[str]:
    """The months of the ``[[curve]]`` targets, each once, in the order the targets give them."""
    months: list[str] = []
    for t in targets or ():
        if isinstance(t, CurveTarget):
            months += [m for m in t.months if m not in months]
    return months


def founding_column(lab: str) -> str:
    """The column of the month a potential lab is founded in (``founded@LAB``)."""
    return f"founded@{lab}"


def founding_months(traj) -> pd.DataFrame:
    """Per replicate, the month index each potential lab is founded in (-1: not in the run).

    A potential lab (founding by choice: :mod:`sim.world.founding`) is founded in the month its
    first researcher moves there: the first month anyone ends at it. Empty where founding is
    given.
    """
    from sim.world.founding import potential_labs

    out = {}
    for j in np.flatnonzero(potential_labs(traj.world)):
        there = (traj.labs == j).any(axis=2)  # [R, T]
        out[founding_column(traj.world.labs[j])] = np.where(
            there.any(axis=1), np.argmax(there, axis=1), -1
        )
    return pd.DataFrame(out, index=range(traj.labs.shape[0]))


def predictive_statistics(traj, targets: list) -> pd.DataFrame:
    """Per replicate: every summary of the world, and the focal count at each curve month.

    The summaries are :func:`~sim.results.replicate_summaries`'; each month of a ``[[curve]]``
    target adds a column :func:`curve_column`, and each potential lab the month it is founded
    in (:func:`founding_months`).
    """
    stats = replicate_summaries(traj)
    at_focal = traj.at_focal()
    for month in curve_months(targets):
        stats[curve_column(month)] = at_focal[:, traj.world.calendar.index(month)]
    for column, months in founding_months(traj).items():
        stats[column] = months.to_numpy()
    return stats


@dataclass(frozen=True)
class PredictivePValue:
    """One statistic's posterior predictive p-values, against what was observed.

    The observed value may be known only to an interval ``low .. high`` (a move dated to an
    interval of months): ``at_most`` is then P(replicate <= high) and ``at_least``
    P(replicate >= low), each the larger of the values over the interval, so that a misfit is
    not claimed where some reading of the data fits.
    """

    summary: str
    low: int
    high: int
    at_most: float  # P(replicate <= high)
    at_least: float  # P(replicate >= low)
    source: str  # "target", "observed.csv" or "curve band"

    @property
    def observed(self) -> str:
        """The observed value, or the interval it is known to (``"4 .. 6"``)."""
        return str(self.low) if self.low == self.high else f"{self.low} .. {self.high}"


def predictive_p_values(targets: list, stats: pd.DataFrame, world: World) -> list[PredictivePValue]:
    """Posterior predictive p-values (Gelman, Meng & Stern 1996) of every statistic and curve month.

    One row per declared statistic of the world read within its observed history (and found in
    ``stats``), then one per month of a ``[[curve]]`` target. A statistic that a ``[[target]]``
    names is read against the target's observed value (as the calibration is); any other against
    the world's observed history (``observed.csv``), whose earliest and latest readings of the
    moves' intervals (:func:`~sim.results.observed_readings`) bound it. A curve month is read
    against the band those readings allow at the focal lab
    (:meth:`~sim.world.observed.Observed.focal_bounds`, without the target's tolerance). A
    summary target that names a built-in summary (not a declared statistic) keeps its row.

    Args:
        targets: the calibration targets.
        stats: per replicate, the statistics of the replicated histories
            (:func:`predictive_statistics` adds the curve months).
        world: the world whose statistics and observed history are read.
    """
    by_name = {t.summary: t for t in targets or () if isinstance(t, Target)}
    if world.observed is not None:
        functions = summary_functions(world)
        history = observed_readings(world)
    out = []

    def row(name, low, high, source):
        x = stats[name].to_numpy()
        out.append(PredictivePValue(name, int(low), int(high), float((x <= high).mean()),
                                    float((x >= low).mean()), source))  # fmt: skip

    declared = [s.name for s in world.statistics]
    for name in [*declared, *(n for n in by_name if n not in declared)]:
        if name not in stats:
            continue
        if name in by_name:
            row(name, by_name[name].observed, by_name[name].observed, "target")
            continue
        stat = find_statistic(world, name)
        if world.observed is None or stat is None or not _observed(world, stat.month):
            continue
        readings = np.asarray(functions[name](history))
        row(name, readings.min(), readings.max(), "observed.csv")
    months = [m for m in curve_months(targets) if curve_column(m) in stats]
    if months and world.observed is not None:
        low, high = world.observed.focal_bounds(world)
        for month in months:
            t = world.calendar.index(month)
            row(curve_column(month), low[t], high[t], "curve band")
    return out


def _observed(world: World, month: str) -> bool:
    try:
        world.calendar.observed_index(month)
    except ValueError:
        return False
    return True


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
