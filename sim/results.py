"""Trajectories and what is read off them: tidy tables, retention curves, summaries.

A :class:`Trajectories` holds who was where at the end of each month of each replicate (int8 lab
codes [R, T, N]) with the replicate seeds and parameter vectors that produced them. The
per-replicate summaries in :data:`SUMMARIES` are defined once here and used by the run summary,
the sweeps' outputs and the calibration targets alike; so are the comparison's statistics
(:func:`largest_group`, :func:`destination_herfindahl`) and curves (:func:`difference_curve`).

Retention is the share of the cohort at its start lab at the end of each month (for the LLaMA
cohort: still at Meta). The discrete-time survival reading (Allison 1982) is that of a cohort
with competing destinations; the curves here are computed directly from the simulated histories.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from sim.behavior import PARAMETER_NAMES
from sim.errors import InputError
from sim.timeline import OBSERVED_END, START_MONTH, format_month, month_labels, parse_month

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
_CHUNK = 65_536  # replicates per block when reducing [R, T, N] arrays


@dataclass(frozen=True)
class Trajectories:
    """Simulated histories: ``labs[r, t, i]`` is researcher i's lab after month t of replicate r."""

    labs: np.ndarray  # int8 [R, T, N]
    seeds: np.ndarray  # uint64 [R]
    theta: np.ndarray  # float [R, P]
    lab_names: tuple[str, ...]
    researchers: tuple[str, ...]
    start_labs: np.ndarray  # int [N]
    draw: np.ndarray | None = None  # int [R]: posterior draw used by each replicate, if any
    pooled_labs: tuple[str, ...] = ()  # catch-all labs (World.pooled_labs): one lab per researcher

    @property
    def shape(self) -> tuple[int, int, int]:
        """(replicates R, months T, researchers N)."""
        return self.labs.shape

    @cached_property
    def _at_start_lab(self) -> np.ndarray:
        out = np.empty(self.labs.shape[:2], dtype=np.int16)
        for start in range(0, self.labs.shape[0], _CHUNK):  # bounded temporaries for huge R
            part = self.labs[start : start + _CHUNK]
            out[start : start + _CHUNK] = (part == self.start_labs[None, None, :]).sum(axis=2)
        out.flags.writeable = False
        return out

    def at_start_lab(self) -> np.ndarray:
        """Number of researchers at their start lab, int16 [R, T] (computed once, read-only)."""
        return self._at_start_lab

    def lab_code(self, name: str) -> int:
        """The code of a lab; -1 where the lab is not in this world (e.g. removed by a scenario)."""
        return self.lab_names.index(name) if name in self.lab_names else -1

    def to_df(self) -> pd.DataFrame:
        """Tidy table: one row per replicate x month x researcher, with seed and lab names."""
        n_reps, n_months, n_people = self.labs.shape
        months = month_labels(n_months)
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

    @classmethod
    def concatenate(cls, parts: list[Trajectories]) -> Trajectories:
        """Join chunks of one run (same world) along the replicate axis."""
        first = parts[0]
        draws = None if first.draw is None else np.concatenate([p.draw for p in parts])
        return cls(
            labs=np.concatenate([p.labs for p in parts]),
            seeds=np.concatenate([p.seeds for p in parts]),
            theta=np.concatenate([p.theta for p in parts]),
            lab_names=first.lab_names,
            researchers=first.researchers,
            start_labs=first.start_labs,
            draw=draws,
            pooled_labs=first.pooled_labs,
        )


# --------------------------------------------------------------------------- summaries
def _month_index(month: str, traj: Trajectories) -> int:
    t = parse_month(month)
    if not 0 <= t < traj.shape[1]:
        raise InputError(
            f"month {month} is outside the simulated months {START_MONTH} .. "
            f"{format_month(traj.shape[1] - 1)}"
        )
    return t


def remaining(traj: Trajectories, month: str = OBSERVED_END) -> np.ndarray:
    """Researchers at their start lab at the end of ``month``, per replicate."""
    return traj.at_start_lab()[:, _month_index(month, traj)]


def at_lab(traj: Trajectories, lab: str, month: str = OBSERVED_END) -> np.ndarray:
    """Researchers at ``lab`` at the end of ``month``, per replicate (0 where the lab is absent)."""
    code = traj.lab_code(lab)
    t = _month_index(month, traj)
    if code < 0:
        return np.zeros(traj.shape[0], dtype=np.int64)
    return (traj.labs[:, t, :] == code).sum(axis=1)


def gone_by(traj: Trajectories, month: str) -> np.ndarray:
    """Researchers who have left their start lab at least once by the end of ``month``."""
    t = _month_index(month, traj)
    left = (traj.labs[:, : t + 1, :] != traj.start_labs[None, None, :]).any(axis=1)
    return left.sum(axis=1)


def distinct_other_labs(traj: Trajectories, exclude: tuple[str, ...], month: str = OBSERVED_END):
    """Number of distinct labs, other than the start labs and ``exclude``, holding a researcher.

    A pooled lab (``traj.pooled_labs``, e.g. ``Other``) stands for many labs: each researcher
    there counts as one more lab.
    """
    t = _month_index(month, traj)
    skip = {traj.lab_code(x) for x in exclude} | set(traj.start_labs.tolist())
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
            The default -1 is what :data:`SUMMARIES` and therefore the run summary and the
            calibration use (:func:`summary_table` leaves those replicates out of its mean and
            quantiles); the comparison tables (:mod:`sim.compare`) use ``np.inf``, "after the
            horizon", and the sweeps count it as the number of simulated months
            (:data:`sim.sweep.CENSORED_AT_HORIZON`).
    """
    n_people = traj.shape[2]
    gone = n_people - traj.at_start_lab()
    reached = gone >= n_people / 2
    return np.where(reached.any(axis=1), reached.argmax(axis=1), never)


def _leavers_at(traj: Trajectories, month: str) -> np.ndarray:
    """Researchers away from their start lab at the end of ``month``, by lab: int [R, labs]."""
    labs = traj.labs[:, _month_index(month, traj), :]
    away = labs != traj.start_labs[None, :]
    counts = np.zeros((traj.shape[0], len(traj.lab_names)), dtype=np.int64)
    for code in range(len(traj.lab_names)):
        counts[:, code] = ((labs == code) & away).sum(axis=1)
    return counts


def largest_group(traj: Trajectories, month: str = OBSERVED_END) -> np.ndarray:
    """Largest number of the cohort at any one lab other than their start lab, per replicate.

    A clustering statistic: high where leavers go together (peer pull, a spin-out), low where
    they scatter.
    """
    return _leavers_at(traj, month).max(axis=1)


def destination_herfindahl(traj: Trajectories, month: str = OBSERVED_END) -> np.ndarray:
    """Herfindahl index of the leavers' labs at ``month``, per replicate (NaN with no leaver).

    ``sum_j s_j**2`` over the labs j other than the start lab, s_j being the share of the
    researchers away from their start lab who are at j: 1 when all leavers are at one lab,
    1/k when they are spread evenly over k labs.
    """
    counts = _leavers_at(traj, month)
    n_away = counts.sum(axis=1)
    total = (counts.astype(np.float64) ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_away > 0, total / n_away.astype(np.float64) ** 2, np.nan)


#: Per-replicate summaries by name: used by run summaries, sweep outputs and calibration targets.
SUMMARIES: dict[str, Callable[[Trajectories], np.ndarray]] = {
    "remaining_2025_05": lambda tr: remaining(tr, "2025-05"),
    "remaining_2024_06": lambda tr: remaining(tr, "2024-06"),
    "at_mistral_2025_05": lambda tr: at_lab(tr, "Mistral", "2025-05"),
    "gone_by_2023_09": lambda tr: gone_by(tr, "2023-09"),
    "other_labs_2025_05": lambda tr: distinct_other_labs(tr, ("Mistral",), "2025-05"),
    "half_gone_month": half_gone_month,
    "remaining_at_horizon": lambda tr: tr.at_start_lab()[:, -1],
}


def summary_names() -> list[str]:
    """Names of the per-replicate summaries."""
    return list(SUMMARIES)


def replicate_summaries(traj: Trajectories, names: list[str] | None = None) -> pd.DataFrame:
    """One row per replicate: seed and each named summary."""
    names = names or summary_names()
    unknown = [n for n in names if n not in SUMMARIES]
    if unknown:
        raise InputError(f"unknown summary {unknown}; known: {', '.join(SUMMARIES)}")
    frame = pd.DataFrame({n: SUMMARIES[n](traj) for n in names})
    frame.insert(0, "seed", traj.seeds)
    frame.insert(0, "replicate", np.arange(traj.shape[0]))
    return frame


# --------------------------------------------------------------------------- curves and tables
def _curve(values: np.ndarray, scale: float = 1.0) -> pd.DataFrame:
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
    return pd.DataFrame({"month": month_labels(n_months), **columns})


def exits_per_month(traj: Trajectories) -> pd.DataFrame:
    """Researchers leaving their start lab in each month (at it the month before, not now).

    Month 0 compares with the start. Columns: month, mean and the :data:`QUANTILES` across
    replicates; a return to the start lab followed by a second exit counts twice.
    """
    n_reps, n_months, _ = traj.shape
    exits = np.empty((n_reps, n_months), dtype=np.int16)
    for start in range(0, n_reps, _CHUNK):
        here = traj.labs[start : start + _CHUNK] == traj.start_labs[None, None, :]
        was = np.concatenate([np.ones_like(here[:, :1]), here[:, :-1]], axis=1)
        exits[start : start + _CHUNK] = (was & ~here).sum(axis=2)
    return _curve(exits)


def retention_curve(traj: Trajectories) -> pd.DataFrame:
    """Share of the cohort at its start lab by month: mean and the QUANTILES across replicates."""
    return _curve(traj.at_start_lab(), scale=traj.shape[2])


def difference_curve(traj: Trajectories, reference: Trajectories) -> pd.DataFrame:
    """Paired difference of the retention curve from the reference's, month by month.

    Per replicate r and month t: share of the cohort at its start lab in ``traj`` minus that in
    ``reference`` (same replicate seeds). Columns: month, mean and the :data:`QUANTILES` of the
    per-replicate difference.

    Raises:
        InputError: the two have different replicate seeds or months.
    """
    if traj.shape != reference.shape or not np.array_equal(traj.seeds, reference.seeds):
        raise InputError("a paired difference needs the same replicate seeds and months")
    n_people = traj.shape[2]
    return _curve((traj.at_start_lab().astype(np.int64) - reference.at_start_lab()) / n_people)


def destination_counts(traj: Trajectories, month: str = OBSERVED_END) -> pd.DataFrame:
    """Per lab: mean number of the cohort there at ``month``, and P(at least one)."""
    t = _month_index(month, traj)
    rows = []
    for code, lab in enumerate(traj.lab_names):
        counts = (traj.labs[:, t, :] == code).sum(axis=1)
        rows.append({"lab": lab, "mean": counts.mean(), "p_any": (counts > 0).mean()})
    return pd.DataFrame(rows).sort_values("mean", ascending=False, ignore_index=True)


def summary_table(traj: Trajectories) -> pd.DataFrame:
    """The headline numbers, one row per statistic: mean, 5% and 95% quantiles, and notes."""
    stats = replicate_summaries(traj)
    rows = []
    for name in summary_names():
        values = stats[name].to_numpy()
        valid = values[values >= 0] if name == "half_gone_month" else values
        rows.append(
            {
                "statistic": name,
                "mean": valid.mean() if len(valid) else np.nan,
                "q05": np.quantile(valid, 0.05) if len(valid) else np.nan,
                "q95": np.quantile(valid, 0.95) if len(valid) else np.nan,
            }
        )
    rem = stats["remaining_2025_05"].to_numpy()
    counts = np.bincount(rem, minlength=traj.shape[2] + 1)
    rows += [
        {"statistic": "mode_remaining_2025_05", "mean": float(counts.argmax())},
        {"statistic": "p_remaining_2025_05_eq_3", "mean": float((rem == 3).mean())},
        {
            "statistic": "p_remaining_2025_05_2_to_4",
            "mean": float(((rem >= 2) & (rem <= 4)).mean()),
        },
        {
            "statistic": "p_gone_by_2023_09_at_least_8",
            "mean": float((stats["gone_by_2023_09"] >= 8).mean()),
        },
        {"statistic": "replicates", "mean": float(traj.shape[0])},
    ]
    return pd.DataFrame(rows)
