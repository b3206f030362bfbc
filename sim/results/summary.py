"""A run's summary, per replicate, without its histories: what ``sim run`` writes its tables from.

Built block by block from :class:`~sim.results.measures.Trajectories`, so a streamed run of any
size keeps [R, T] counts and [R] statistics in memory, never the lab codes [R, T, N].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.results.measures import (
    Trajectories,
    checkpoint_month,
    curve_table,
    destination_table,
    exit_counts,
    lab_counts,
    summary_functions,
)
from sim.world import World


@dataclass(frozen=True)
class RunSummary:
    """What a run's tables are made of, per replicate, without the lab codes [R, T, N].

    Built chunk by chunk (:meth:`of`, :meth:`concatenate`), so a run of any size keeps only
    [R, T] counts and [R] statistics in memory (:func:`sim.engines.run.run_streamed`).

    Attributes:
        world: the world simulated.
        seeds, theta, draw: as in :class:`Trajectories`.
        focal_counts: the cohort at the focal lab after each month, int16 [R, T].
        exits: exits from the focal lab in each month (:func:`exit_counts`), int16 [R, T].
        checkpoint: the month of ``destinations`` (:func:`checkpoint_month`).
        destinations: the cohort at each lab at the checkpoint, int16 [R, L].
        statistics: each of the world's summaries whose month is simulated, [R] each.
        latent_ess: a forecast's effective sample size behind each researcher's latent draw,
            float [R, N] (:attr:`Trajectories.latent_ess`; None without a forecast).
    """

    world: World
    seeds: np.ndarray
    theta: np.ndarray
    draw: np.ndarray | None
    focal_counts: np.ndarray
    exits: np.ndarray
    checkpoint: str
    destinations: np.ndarray
    statistics: dict
    latent_ess: np.ndarray | None = None

    @classmethod
    def of(cls, traj: Trajectories) -> RunSummary:
        """The summary of a block of histories."""
        world = traj.world
        functions = summary_functions(world, traj.shape[1])
        checkpoint = checkpoint_month(traj)
        return cls(
            world=world,
            seeds=traj.seeds,
            theta=traj.theta,
            draw=traj.draw,
            focal_counts=np.array(traj.at_focal()),
            exits=exit_counts(traj),
            checkpoint=checkpoint,
            destinations=lab_counts(traj, checkpoint),
            statistics={n: np.asarray(f(traj)) for n, f in functions.items()},
            latent_ess=traj.latent_ess,
        )

    @classmethod
    def concatenate(cls, parts: list[RunSummary]) -> RunSummary:
        """Join the summaries of consecutive blocks of one run."""
        first = parts[0]
        return cls(
            world=first.world,
            seeds=np.concatenate([p.seeds for p in parts]),
            theta=np.concatenate([p.theta for p in parts]),
            draw=None if first.draw is None else np.concatenate([p.draw for p in parts]),
            focal_counts=np.concatenate([p.focal_counts for p in parts]),
            exits=np.concatenate([p.exits for p in parts]),
            checkpoint=first.checkpoint,
            destinations=np.concatenate([p.destinations for p in parts]),
            statistics={n: np.concatenate([p.statistics[n] for p in parts])
                        for n in first.statistics},
            latent_ess=None if first.latent_ess is None
            else np.concatenate([p.latent_ess for p in parts]),
        )  # fmt: skip

    @property
    def replicates(self) -> int:
        """R."""
        return len(self.seeds)

    def at_focal(self) -> np.ndarray:
        """As :meth:`Trajectories.at_focal`."""
        return self.focal_counts

    def month_labels(self) -> list[str]:
        """``YYYY-MM`` of every simulated month."""
        return self.world.calendar.labels(self.focal_counts.shape[1])

    def exits_per_month(self) -> pd.DataFrame:
        """Exits from the focal lab by month: mean and the QUANTILES across replicates."""
        return curve_table(self.exits, self.month_labels())

    def destination_counts(self) -> pd.DataFrame:
        """Per lab: mean number of the cohort there at the checkpoint, and P(at least one)."""
        return destination_table(self.destinations, self.world.labs)

    def parameters_df(self) -> pd.DataFrame:
        """One row per replicate: seed, posterior draw (if any) and parameter values."""
        return Trajectories(
            np.empty((len(self.seeds), 0, 0), np.int8), self.seeds, self.theta, self.world,
            self.draw,
        ).parameters_df()  # fmt: skip

    def summary_table(self) -> pd.DataFrame:
        """The headline numbers, one row per statistic: mean, 5% and 95% quantiles, its label.

        Every summary of the world (:func:`summary_functions`) whose month is simulated, then for
        each declared ``ranges`` entry the probability P(low <= value <= high), and each
        ``at_focal`` statistic's most likely value.
        """
        return _summary_rows(self)


def _summary_rows(summary: RunSummary) -> pd.DataFrame:
    world = summary.world
    declared = {s.name: s for s in world.statistics}
    stats = summary.statistics
    names = list(stats)
    n_people = len(world.researchers)
    rows = []
    for name in names:
        values = stats[name]
        valid = values[values >= 0] if name == "half_gone_month" else values
        label = (
            declared[name].describe(world.focal_lab)
            if name in declared
            else {
                "remaining_at_horizon": f"at {world.focal_lab} at the horizon",
                "half_gone_month": "months until half the cohort is away (where it happens)",
            }[name]
        )
        rows.append(
            {
                "statistic": name,
                "mean": valid.mean() if len(valid) else np.nan,
                # inverted-CDF quantiles: values a replicate took (a count, a month), never
                # an interpolation between two (the comparison's intervals read them alike)
                "q05": np.quantile(valid, 0.05, method="inverted_cdf") if len(valid) else np.nan,
                "q95": np.quantile(valid, 0.95, method="inverted_cdf") if len(valid) else np.nan,
                "label": label,
            }
        )
    for name in names:
        stat = declared.get(name)
        if stat is None:
            continue
        values = stats[name]
        if stat.kind == "at_focal":
            counts = np.bincount(values, minlength=n_people + 1)
            rows.append(
                {
                    "statistic": f"mode_{name}",
                    "mean": float(counts.argmax()),
                    "label": f"most likely number {stat.describe(world.focal_lab)}",
                }
            )
        for low, high in stat.ranges:
            rows.append({
                "statistic": stat.range_name(low, high),
                "mean": float(((values >= low) & (values <= high)).mean()),
                "label": f"P({low} <= {stat.describe(world.focal_lab)} <= {high})",
            })  # fmt: skip
    rows.append(
        {"statistic": "replicates", "mean": float(summary.replicates), "label": "replicates"}
    )
    table = pd.DataFrame(rows)
    # 12 significant digits: no float noise (1.9500000000000028), far below Monte Carlo error
    table["mean"] = [float(f"{v:.12g}") for v in table["mean"]]
    return table


def exits_per_month(traj: Trajectories) -> pd.DataFrame:
    """Exits from the focal lab by month (:func:`exit_counts`): mean and the QUANTILES."""
    return RunSummary.of(traj).exits_per_month()


def summary_table(traj: Trajectories) -> pd.DataFrame:
    """The headline numbers, one row per statistic (:meth:`RunSummary.summary_table`)."""
    return RunSummary.of(traj).summary_table()
