"""The calibration targets: what a simulated history must match, and how far it misses.

A world's ``targets.toml`` declares them: ``[[target]]`` tables are summaries (the world's
declared statistics) with an observed value, an accepted set and a reason; ``[[curve]]`` tables
are retention-curve bands whose bounds come from the world's observed move intervals. The
distance of a simulated history is the sum over targets of how far its summary misses the
target's accepted set (an integer), so distance 0 means every target is met: the indicator
kernel of rejection ABC (:mod:`sim.inference.abc.smc`). The likelihood calibration does not fit
the targets; its predictive check reads them as ABC does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, ValidationError

from sim.errors import InputError, suggest
from sim.results import Trajectories, observed_readings, summary_functions
from sim.world import StrictModel, World, find_statistic, latest_at_focal, read_toml


class Target(StrictModel):
    """One summary the simulated history must match, and why."""

    summary: str
    observed: int
    tolerance: int = Field(default=0, ge=0)
    direction: Literal["equal", "at_least", "at_most"] = "equal"
    why: str = Field(min_length=10)

    def miss(self, traj: Trajectories) -> np.ndarray:
        """How far each history's summary lies outside the accepted set (0 where it is inside)."""
        values = np.asarray(summary_functions(traj.world)[self.summary](traj), dtype=np.int64)
        if self.direction == "at_least":
            return np.maximum(0, self.observed - self.tolerance - values)
        if self.direction == "at_most":
            return np.maximum(0, values - self.observed - self.tolerance)
        return np.maximum(0, np.abs(values - self.observed) - self.tolerance)


class CurveTarget(StrictModel):
    """The retention curve at checkpoint months inside the band the observed intervals allow.

    At each of ``months``, the number at the focal lab must lie between the fewest and the most that
    the observed move intervals allow (the world's ``observed.csv``:
    :meth:`sim.world.observed.Observed.focal_bounds`). This uses the interval-censored move months,
    not just the end count, without inventing precision. ``tolerance`` widens the band on both
    sides, for counts whose sources are weak.
    """

    curve: Literal["remaining"] = "remaining"
    months: list[str] = Field(min_length=1)
    tolerance: int = Field(default=0, ge=0)
    why: str = Field(min_length=10)
    low: list[int] = Field(default_factory=list, exclude=True)
    high: list[int] = Field(default_factory=list, exclude=True)

    @property
    def summary(self) -> str:
        """A label for reports."""
        return f"remaining at {', '.join(self.months)}"

    def with_bounds(self, world: World) -> CurveTarget:
        """A copy holding the observed band at its months."""
        index = [world.calendar.index(m) for m in self.months]
        low, high = world.observed.focal_bounds(world)
        low = np.maximum(low[index] - self.tolerance, 0)
        high = np.minimum(high[index] + self.tolerance, len(world.researchers))
        return self.model_copy(update={"low": low.tolist(), "high": high.tolist()})

    def miss(self, traj: Trajectories) -> np.ndarray:
        """Sum over the months of how far each history's count lies outside the band."""
        counts = traj.at_focal()[:, [traj.world.calendar.index(m) for m in self.months]]
        low, high = np.array(self.low), np.array(self.high)
        return (np.maximum(0, low - counts) + np.maximum(0, counts - high)).sum(axis=1)


def targets_path(world: World) -> Path:
    """A world's targets file: ``targets.toml`` in its folder."""
    return Path(world.folder or world.source) / "targets.toml"


def load_targets(world: World, path: str | Path | None = None) -> list:
    """Read and check a world's targets: declared summaries, observed months, a reason each.

    ``[[target]]`` tables are summary targets; ``[[curve]]`` tables are retention-curve bands,
    whose bounds come from the world's observed history.
    """
    path = Path(path) if path else targets_path(world)
    if not path.exists():
        raise InputError(
            f"no calibration targets: world {world.name!r} has no targets.toml (a [[target]] "
            "table per declared statistic to match, see sim/data/llama/targets.toml)",
            source=str(path),
        )
    raw = read_toml(path)
    unknown = set(raw) - {"target", "curve"}
    if unknown or not all(isinstance(v, list) for v in raw.values()):
        raise InputError(
            f"expected only [[target]] and [[curve]] tables, got {sorted(unknown) or list(raw)}",
            source=str(path),
        )
    targets: list = []
    known = summary_functions(world)
    for table, model in (("curve", CurveTarget), ("target", Target)):
        for k, entry in enumerate(raw.get(table, [])):
            try:
                target = model.model_validate(entry)
            except ValidationError as exc:
                err = exc.errors()[0]
                loc = ".".join(str(p) for p in err["loc"])
                raise InputError(err["msg"], source=str(path), key=f"{table}[{k}].{loc}") from None
            if table == "curve":
                if world.observed is None:
                    raise InputError("a [[curve]] target needs the world's observed.csv",
                                     source=str(path), key=f"curve[{k}]")  # fmt: skip
                for month in target.months:
                    _observed_month(world, month, path, f"curve[{k}].months")
                targets.append(target.with_bounds(world))
                continue
            if target.summary not in known:
                raise InputError(
                    f"unknown summary {target.summary!r}{suggest(target.summary, known)}; the "
                    f"world declares: {', '.join(known)}",
                    source=str(path),
                    key=f"target[{k}].summary",
                )
            stat = find_statistic(world, target.summary)
            if stat is not None:
                _observed_month(world, stat.month, path, f"target[{k}].summary")
            targets.append(target)
    return targets


def _observed_month(world: World, month: str, path: Path, key: str) -> None:
    try:
        world.calendar.observed_index(month)
    except ValueError as exc:
        raise InputError(str(exc), source=str(path), key=key) from None


def distances(traj: Trajectories, targets: list) -> np.ndarray:
    """Sum of each history's misses over the targets (0: every target met)."""
    return sum(t.miss(traj) for t in targets)


def check_observed_against_targets(world: World, targets: list, source: str) -> None:
    """Every summary target must be met by the observed history (one of its two readings).

    The targets' statistics are computed on the earliest and the latest reading of the observed
    moves (:func:`sim.results.observed_readings`) by the code that computes them on simulated
    histories; a target that neither reading meets disagrees with the data it claims to encode.
    """
    if world.observed is None:
        return
    readings = observed_readings(world)
    functions = summary_functions(world)
    for target in targets:
        if not isinstance(target, Target) or find_statistic(world, target.summary) is None:
            continue
        if target.miss(readings).min() > 0:
            values = functions[target.summary](readings)
            raise InputError(
                f"target {target.summary} = {target.observed} ({target.direction}, tolerance "
                f"{target.tolerance}) disagrees with the observed history ({values[0]} in the "
                f"earliest reading of its moves, {values[1]} in the latest)",
                source=source,
            )


def anchor_target(targets: list, world: World):
    """The anchor: the exact summary target on the focal lab at the latest month, if any.

    Returns ``(statistic, target)`` or None.
    """
    by_name = {t.summary: t for t in targets if isinstance(t, Target)}
    stat = latest_at_focal(s for s in world.statistics if s.name in by_name)
    return None if stat is None else (stat, by_name[stat.name])
