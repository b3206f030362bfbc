"""Trajectories and what is read off them: tidy tables, retention curves, summaries.

A :class:`Trajectories` holds who was where at the end of each month of each replicate (int8 lab
codes [R, T, N]) with the replicate seeds and parameter vectors that produced them. The
per-replicate summaries (:func:`summary_functions`: the world's declared statistics and two
built-in ones) are defined once here and used by the run summary,
the sweeps' outputs and the calibration targets alike; so are the comparison's statistics
(:func:`largest_group`, :func:`destination_herfindahl`) and curves (:func:`difference_curve`).

Retention is the share of the cohort at the world's focal lab at the end of each month (returners
count again). The discrete-time survival reading (Allison 1982) is that of a cohort
with competing destinations; the curves here are computed directly from the simulated histories.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.kernel.behavior import PARAMETER_NAMES
from sim.world import Statistic, World, simulated

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
_CHUNK = 65_536  # replicates per block when reducing [R, T, N] arrays


@dataclass(frozen=True)
class Trajectories:
    """Simulated histories: ``labs[r, t, i]`` is researcher i's lab after month t of replicate r.

    ``world`` gives the names, the calendar, the focal lab and the declared statistics.
    """

    labs: np.ndarray  # int8 [R, T, N]
    seeds: np.ndarray  # uint64 [R]
    theta: np.ndarray  # float [R, P]
    world: World
    draw: np.ndarray | None = None  # int [R]: posterior draw used by each replicate, if any
    #: float [R, N]: a forecast's effective sample size behind each researcher's latent draw
    latent_ess: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        """(replicates R, months T, researchers N)."""
        return self.labs.shape

    @property
    def lab_names(self) -> tuple[str, ...]:
        """The labs, in code order."""
        return self.world.labs

    @property
    def researchers(self) -> tuple[str, ...]:
        """The cohort, in column order."""
        return self.world.researchers

    @property
    def pooled_labs(self) -> tuple[str, ...]:
        """Catch-all labs (:attr:`sim.world.World.pooled_labs`): one lab per researcher there."""
        return self.world.pooled_labs

    @cached_property
    def start_labs(self) -> np.ndarray:
        """Each researcher's start lab code, int [N]."""
        return np.array([self.world.labs.index(x) for x in self.world.start_labs])

    @property
    def focal(self) -> int:
        """The focal lab's code."""
        return self.world.labs.index(self.world.focal_lab)

    def month_labels(self) -> list[str]:
        """``YYYY-MM`` of every simulated month."""
        return self.world.calendar.labels(self.shape[1])

    @cached_property
    def _at_focal(self) -> np.ndarray:
        out = np.empty(self.labs.shape[:2], dtype=np.int16)
        for start in range(0, self.labs.shape[0], _CHUNK):  # bounded temporaries for huge R
            part = self.labs[start : start + _CHUNK]
            out[start : start + _CHUNK] = (part == self.focal).sum(axis=2)
        out.flags.writeable = False
        return out

    def at_focal(self) -> np.ndarray:
        """Number of researchers at the focal lab, int16 [R, T] (computed once, read-only)."""
        return self._at_focal

    def lab_code(self, name: str) -> int:
        """The code of a lab; -1 where the lab is not in this world (e.g. removed by a scenario)."""
        return self.lab_names.index(name) if name in self.lab_names else -1

    def to_df(self) -> pd.DataFrame:
        """Tidy table: one row per replicate x month x researcher, with seed and lab names."""
        n_reps, n_months, n_people = self.labs.shape
        months = self.month_labels()
        frame = pd.DataFrame(
            {
                "replicate": np.repeat(np.arange(n_reps), n_months * n_people).astype(np.int32),
                "seed": np.repeat(self.seeds, n_months * n_people),
                "month": pd.Categorical.from_codes(
                    np.tile(np.repeat(np.arange(n_months), n_people), n_reps), months
                ),
                "researcher": pd.Categorical.from_codes(
                    np.tile(np.arange(n_people), n_reps * n_months), list(self.researchers)
                ),
                "lab": pd.Categorical.from_codes(
                    self.labs.reshape(-1).astype(np.int16), list(self.lab_names)
                ),
            }
        )
        return frame

    def parameters_df(self) -> pd.DataFrame:
        """One row per replicate: seed, posterior draw (if any) and parameter values."""
        frame = pd.DataFrame(self.theta, columns=list(PARAMETER_NAMES))
        frame.insert(0, "seed", self.seeds)
        frame.insert(0, "replicate", np.arange(len(self.seeds)))
        if self.draw is not None:
            frame.insert(2, "posterior_draw", self.draw)
        return frame

    def subset(self, part: slice) -> Trajectories:
        """The replicates ``part`` (a view of the lab codes, not a copy)."""
        return Trajectories(
            labs=self.labs[part],
            seeds=self.seeds[part],
            theta=self.theta[part],
            world=self.world,
            draw=None if self.draw is None else self.draw[part],
            latent_ess=None if self.latent_ess is None else self.latent_ess[part],
        )

    @classmethod
    def concatenate(cls, parts: list[Trajectories]) -> Trajectories:
        """Join chunks of one run (same world) along the replicate axis."""
        first = parts[0]
        draws = None if first.draw is None else np.concatenate([p.draw for p in parts])
        return cls(
            labs=np.concatenate([p.labs for p in parts]),
            seeds=np.concatenate([p.seeds for p in parts]),
            theta=np.concatenate([p.theta for p in parts]),
            world=first.world,
            draw=draws,
            latent_ess=None if first.latent_ess is None
            else np.concatenate([p.latent_ess for p in parts]),
        )  # fmt: skip


# --------------------------------------------------------------------------- summaries
def month_index(month: str, traj: Trajectories) -> int:
    """Index of ``month`` among the simulated months; InputError outside them."""
    calendar = traj.world.calendar
    try:
        t = calendar.index(month)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if not t < traj.shape[1]:
        raise InputError(
            f"month {month} is outside the simulated months {calendar.start} .. "
            f"{calendar.label(traj.shape[1] - 1)}: the horizon must be {month} or later"
        )
    return t


def remaining(traj: Trajectories, month: str) -> np.ndarray:
    """Researchers at the focal lab at the end of ``month``, per replicate."""
    return traj.at_focal()[:, month_index(month, traj)]


def at_lab(traj: Trajectories, lab: str, month: str) -> np.ndarray:
    """Researchers at ``lab`` at the end of ``month``, per replicate (0 where the lab is absent)."""
    code = traj.lab_code(lab)
    t = month_index(month, traj)
    if code < 0:
        return np.zeros(traj.shape[0], dtype=np.int64)
    return (traj.labs[:, t, :] == code).sum(axis=1)


def gone_by(traj: Trajectories, month: str) -> np.ndarray:
    """Researchers who have been away from the focal lab at some month up to ``month``."""
    t = month_index(month, traj)
    left = np.zeros((traj.shape[0], traj.shape[2]), dtype=bool)
    for k in range(t + 1):  # month by month: no [R, T, N] temporary
        left |= traj.labs[:, k, :] != traj.focal
    return left.sum(axis=1)


def distinct_other_labs(traj: Trajectories, exclude: tuple[str, ...], month: str):
    """Number of distinct labs, other than the focal lab and ``exclude``, holding a researcher.

    A pooled lab (``traj.pooled_labs``, a lab whose cities are ``*``) stands for many labs: each
    researcher there counts as one more lab.
    """
    t = month_index(month, traj)
    skip = {traj.lab_code(x) for x in exclude} | {traj.focal}
    pooled = {traj.lab_code(x) for x in traj.pooled_labs}
    labs = traj.labs[:, t, :]
    count = np.zeros(traj.shape[0], dtype=np.int64)
    for code in range(len(traj.lab_names)):
        if code in skip:
            continue
        here = labs == code
        count += here.sum(axis=1) if code in pooled else here.any(axis=1)
    return count


def half_gone_month(traj: Trajectories, never: float = -1) -> np.ndarray:
    """First month (index from month 0) by which half the cohort has left, per replicate.

    Args:
        traj: the histories.
        never: the value of a replicate where half the cohort has not left within the horizon.
            The default -1 is what :func:`summary_functions` and therefore the run summary and the
            calibration use (:func:`summary_table` leaves those replicates out of its mean and
            quantiles); the comparison tables (:mod:`sim.analysis.compare`) use ``np.inf``, "after
            the horizon", and the sweeps count it as the number of simulated months
            (:data:`sim.analysis.sweep.CENSORED_AT_HORIZON`).
    """
    n_people = traj.shape[2]
    gone = n_people - traj.at_focal()
    reached = gone >= n_people / 2
    return np.where(reached.any(axis=1), reached.argmax(axis=1), never)


def _leavers_at(traj: Trajectories, month: str) -> np.ndarray:
    """Researchers away from the focal lab at the end of ``month``, by lab: int [R, labs]."""
    labs = traj.labs[:, month_index(month, traj), :]
    away = labs != traj.focal
    counts = np.zeros((traj.shape[0], len(traj.lab_names)), dtype=np.int64)
    for code in range(len(traj.lab_names)):
        counts[:, code] = ((labs == code) & away).sum(axis=1)
    return counts


def largest_group(traj: Trajectories, month: str) -> np.ndarray:
    """Largest number of the cohort at any one lab other than the focal lab, per replicate.

    A clustering statistic: high where leavers go together (peer pull, a spin-out), low where
    they scatter.
    """
    return _leavers_at(traj, month).max(axis=1)


def destination_herfindahl(traj: Trajectories, month: str) -> np.ndarray:
    """Herfindahl index of the leavers' labs at ``month``, per replicate (NaN with no leaver).

    ``sum_j s_j**2`` over the labs j other than the focal lab, s_j being the share of the
    researchers away from it who are at j: 1 when all leavers are at one lab,
    1/k when they are spread evenly over k labs.
    """
    counts = _leavers_at(traj, month)
    n_away = counts.sum(axis=1)
    total = (counts.astype(np.float64) ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_away > 0, total / n_away.astype(np.float64) ** 2, np.nan)


def statistic_values(stat: Statistic, traj: Trajectories) -> np.ndarray:
    """A declared statistic's value in each replicate, int [R] (:mod:`sim.world.statistics`)."""
    if stat.kind == "at_focal":
        return remaining(traj, stat.month)
    if stat.kind == "at_lab":
        return at_lab(traj, stat.lab, stat.month)
    if stat.kind == "left_by":
        return gone_by(traj, stat.month)
    if stat.kind == "destinations":
        return distinct_other_labs(traj, tuple(stat.exclude), stat.month)
    if stat.kind == "bunching":
        return most_exits_within(traj, stat.window, stat.month)
    return largest_group(traj, stat.month)


def most_exits_within(traj: Trajectories, window: int, month: str) -> np.ndarray:
    """The most exits from the focal lab within any ``window`` consecutive months, by ``month``.

    Per replicate, int [R]: the largest sum of :func:`exit_counts` over months t - window + 1 .. t,
    for every t up to ``month`` (a window reaching before month 0 counts from month 0).
    """
    exits = exit_counts(traj)[:, : month_index(month, traj) + 1].astype(np.int64)
    totals = np.concatenate([np.zeros((exits.shape[0], 1), np.int64), exits.cumsum(axis=1)], 1)
    k = min(window, exits.shape[1])  # a shorter window from month 0 never holds more
    return (totals[:, k:] - totals[:, :-k]).max(axis=1)  # windows ending at k-1, k, ...


def observed_readings(world: World) -> Trajectories:
    """The earliest and the latest reading of a world's observed history, as two replicates.

    Every move at the start of its interval, then every move at its end
    (:meth:`sim.world.observed.Observed.lab_matrix`): the declared statistics read off them by
    the same code as off simulated histories bound what the history says.
    """
    observed = world.observed
    labs = np.stack([observed.lab_matrix(world, "earliest"), observed.lab_matrix(world, "latest")])
    return Trajectories(
        labs=labs, seeds=np.zeros(2, np.uint64), theta=np.zeros((2, 0)), world=world
    )


def summary_functions(
    world: World, n_months: int | None = None
) -> dict[str, Callable[[Trajectories], np.ndarray]]:
    """A world's per-replicate summaries by name: its declared statistics, then the built-in ones.

    Used by run summaries, sweep outputs and calibration targets alike. With ``n_months``, only
    the declared statistics read within that many simulated months (:func:`simulated`).
    """
    functions: dict[str, Callable[[Trajectories], np.ndarray]] = {
        s.name: partial(statistic_values, s) for s in simulated(world, n_months)
    }
    functions["remaining_at_horizon"] = lambda tr: tr.at_focal()[:, -1]
    functions["half_gone_month"] = half_gone_month
    return functions


def replicate_summaries(traj: Trajectories, names: list[str] | None = None) -> pd.DataFrame:
    """One row per replicate: seed and each named summary (default: all of the world's)."""
    functions = summary_functions(traj.world)
    names = names or list(functions)
    unknown = [n for n in names if n not in functions]
    if unknown:
        raise InputError(f"unknown summary {unknown}; known: {', '.join(functions)}")
    frame = pd.DataFrame({n: functions[n](traj) for n in names})
    frame.insert(0, "seed", traj.seeds)
    frame.insert(0, "replicate", np.arange(traj.shape[0]))
    return frame


# --------------------------------------------------------------------------- curves and tables
def curve_table(values: np.ndarray, months: list[str], scale: float = 1.0) -> pd.DataFrame:
    """Mean and the QUANTILES across replicates of a per-month value [R, T], one row a month."""
    """Month by month [R, T] -> month, mean and the QUANTILES across replicates (of values/scale).

    Works one month at a time, so a million replicates need no [R, T] float copy.
    """
    n_months = values.shape[1]
    columns = {"mean": np.empty(n_months)} | {
        f"q{int(round(q * 100)):02d}": np.empty(n_months) for q in QUANTILES
    }
    for t in range(n_months):
        column = values[:, t] / scale
        columns["mean"][t] = column.mean()
        for q, name in zip(QUANTILES, list(columns)[1:], strict=True):
            columns[name][t] = np.quantile(column, q)
    return pd.DataFrame({"month": months, **columns})


def exit_counts(traj: Trajectories) -> np.ndarray:
    """Researchers leaving the focal lab in each month of each replicate, int16 [R, T].

    A researcher leaves in month t if at the focal lab the month before (month 0 compares with
    the start labs) and not at its end; a return followed by a second exit counts twice.
    """
    n_reps, n_months, _ = traj.shape
    exits = np.empty((n_reps, n_months), dtype=np.int16)
    for start in range(0, n_reps, _CHUNK):
        here = traj.labs[start : start + _CHUNK] == traj.focal
        first = np.broadcast_to(traj.start_labs == traj.focal, here[:, :1].shape)
        was = np.concatenate([first, here[:, :-1]], axis=1)
        exits[start : start + _CHUNK] = (was & ~here).sum(axis=2)
    return exits


def retention_curve(traj) -> pd.DataFrame:
    """Share of the cohort at the focal lab by month: mean and the QUANTILES across replicates.

    ``traj`` is a :class:`Trajectories` or a :class:`RunSummary`.
    """
    return curve_table(traj.at_focal(), traj.month_labels(), scale=len(traj.world.researchers))


def difference_curve(traj: Trajectories, reference: Trajectories) -> pd.DataFrame:
    """Paired difference of the retention curve from the reference's, month by month.

    Per replicate r and month t: share of the cohort at the focal lab in ``traj`` minus that in
    ``reference`` (same replicate seeds). Columns: month, mean and the :data:`QUANTILES` of the
    per-replicate difference.

    Raises:
        InputError: the two have different replicate seeds or months.
    """
    if traj.shape != reference.shape or not np.array_equal(traj.seeds, reference.seeds):
        raise InputError("a paired difference needs the same replicate seeds and months")
    n_people = traj.shape[2]
    difference = (traj.at_focal().astype(np.int64) - reference.at_focal()) / n_people
    return curve_table(difference, traj.month_labels())


def lab_counts(traj: Trajectories, month: str) -> np.ndarray:
    """The number of the cohort at each lab at the end of ``month``, int16 [R, L]."""
    t = month_index(month, traj)
    counts = np.zeros((traj.shape[0], len(traj.lab_names)), dtype=np.int16)
    for code in range(len(traj.lab_names)):
        counts[:, code] = (traj.labs[:, t, :] == code).sum(axis=1)
    return counts


def destination_counts(traj: Trajectories, month: str | None = None) -> pd.DataFrame:
    """Per lab: mean number of the cohort there at ``month``, and P(at least one).

    ``month`` defaults to the checkpoint month (:func:`checkpoint_month`).
    """
    return destination_table(lab_counts(traj, month or checkpoint_month(traj)), traj.lab_names)


def destination_table(counts: np.ndarray, labs: tuple[str, ...]) -> pd.DataFrame:
    """Mean and quantiles of the cohort at each lab, from per-replicate counts [R, L]."""
    rows = [
        {"lab": lab, "mean": counts[:, code].mean(), "p_any": (counts[:, code] > 0).mean()}
        for code, lab in enumerate(labs)
    ]
    return pd.DataFrame(rows).sort_values("mean", ascending=False, ignore_index=True)


def checkpoint_month(traj) -> str:
    """The month headline numbers are read at.

    The world's last observed month where it is simulated, else the last simulated month.
    """
    return traj.world.calendar.checkpoint(traj.shape[1])
