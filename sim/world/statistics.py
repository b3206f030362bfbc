"""Declared statistics: the numbers read off a simulated history, declared per world.

A world's ``world.toml`` declares its statistics, and run summaries, comparisons, calibration
targets and reports all read them by name, with their labels; nothing in ``sim/`` names a lab, a
month or a count of a particular cohort::

    [[statistic]]
    name = "remaining_2031_06"          # lowercase letters, digits, underscores
    kind = "at_focal"                   # see KINDS
    month = "2031-06"                   # the end of this month
    label = "still at Acme in 2031-06"  # for tables and figure axes (default: made from the kind)
    ranges = [[3, 3], [2, 4]]           # summaries also report P(low <= value <= high)

Kinds (:data:`KINDS`): ``at_focal`` (the cohort at the focal lab; returners count), ``at_lab``
(at ``lab``), ``left_by`` (left the focal lab at least once by then), ``destinations`` (distinct
labs other than the focal lab and ``exclude`` holding someone; a catch-all lab counts each
researcher there as a lab of its own) and ``largest_group`` (the most at any one lab other than the
focal lab). Every world also has two built-in statistics: ``remaining_at_horizon`` and
``half_gone_month`` (:data:`BUILT_IN`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationError, field_validator

from sim.errors import InputError
from sim.world.files import StrictModel, explain_validation_error

if TYPE_CHECKING:
    from sim.world.structure import World

KINDS = ("at_focal", "at_lab", "left_by", "destinations", "largest_group", "bunching")
#: Statistics every world has, whatever it declares.
BUILT_IN = ("remaining_at_horizon", "half_gone_month")


class Statistic(StrictModel):
    """One declared per-replicate statistic of a world (see the module docstring)."""

    name: str
    kind: Literal[KINDS]
    month: str
    lab: str = ""
    exclude: list[str] = Field(default_factory=list)
    label: str = ""
    ranges: list[tuple[int, int]] = Field(default_factory=list)
    window: int = Field(default=0, ge=0)  # months, for kind "bunching"

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            raise ValueError(f"expected lowercase letters, digits and underscores, got {value!r}")
        return value

    @field_validator("ranges")
    @classmethod
    def _ordered(cls, value: list[tuple[int, int]]) -> list[tuple[int, int]]:
        for low, high in value:
            if low > high:
                raise ValueError(f"a range [low, high] needs low <= high, got [{low}, {high}]")
        return value

    def describe(self, focal_lab: str) -> str:
        """The label, or one made from the kind: 'at Acme in 2031-06'."""
        if self.label:
            return self.label
        return {
            "at_focal": f"at {focal_lab} in {self.month}",
            "at_lab": f"at {self.lab} in {self.month}",
            "left_by": f"left {focal_lab} by {self.month}",
            "destinations": f"distinct destinations in {self.month}",
            "largest_group": f"largest group of leavers at one lab in {self.month}",
            "bunching": f"most exits from {focal_lab} within {self.window} months, by {self.month}",
        }[self.kind]

    def range_name(self, low: int, high: int) -> str:
        """The summary row of P(low <= value <= high)."""
        return f"p_{self.name}_{low}" if low == high else f"p_{self.name}_{low}_to_{high}"


def check_statistics(entries: list[tuple[str, int, dict]], world: World) -> tuple[Statistic, ...]:
    """Validate ``[[statistic]]`` tables against a world: names, kinds, months, labs.

    Args:
        entries: ``(file, index, table)`` for each declared table.
        world: the world they describe (its calendar and labs).
    """
    out: list[Statistic] = []
    for source, k, entry in entries:
        key = f"statistic[{k}]"
        if not isinstance(entry, dict):
            raise InputError("expected a table", source=source, key=key)
        try:
            stat = Statistic.model_validate(entry)
        except ValidationError as exc:
            error = explain_validation_error(exc, source, Statistic)
            raise InputError(str(error).split(": ", 1)[-1], source=source,
                             key=f"{key}.{error.key}" if error.key else key) from None  # fmt: skip
        world.month(stat.month, key=f"{key}.month", source=source)
        for lab in ([stat.lab] if stat.kind == "at_lab" else []) + stat.exclude:
            if lab not in world.labs:
                raise InputError(
                    f"unknown lab {lab!r}; known labs: {', '.join(world.labs)}",
                    source=source, key=f"{key}.{'lab' if lab == stat.lab else 'exclude'}",
                )  # fmt: skip
        if stat.kind == "at_lab" and not stat.lab:
            raise InputError('an at_lab statistic needs lab = "..."', source=source, key=key)
        if (stat.kind == "bunching") != (stat.window > 0):
            raise InputError(
                "a bunching statistic needs window = N (months, at least 1); only it takes one",
                source=source, key=f"{key}.window",
            )  # fmt: skip
        if stat.name in BUILT_IN or stat.name in {s.name for s in out}:
            raise InputError(f"the name {stat.name!r} is taken", source=source, key=f"{key}.name")
        for low, high in stat.ranges:
            if not 0 <= low <= high <= len(world.researchers):
                raise InputError(
                    f"range [{low}, {high}] must lie within 0 .. {len(world.researchers)} (the "
                    "cohort size)", source=source, key=f"{key}.ranges",
                )  # fmt: skip
        out.append(stat)
    return tuple(out)


def simulated(world: World, n_months: int | None = None) -> tuple[Statistic, ...]:
    """The declared statistics read within ``n_months`` simulated months (all with None)."""
    if n_months is None:
        return world.statistics
    return tuple(s for s in world.statistics if world.calendar.index(s.month) < n_months)


def latest_at_focal(statistics) -> Statistic | None:
    """Of ``statistics``, the count at the focal lab at the latest month (None if there is none).

    The headline of comparisons and the anchor of calibrations.
    """
    focal = [s for s in statistics if s.kind == "at_focal"]
    return max(focal, key=lambda s: s.month, default=None)  # YYYY-MM sorts as months do


def find_statistic(world: World, name: str) -> Statistic | None:
    """The declared statistic called ``name`` (None for a built-in or unknown one)."""
    return next((s for s in world.statistics if s.name == name), None)
