"""Checks of a world's CSV cells, each raising an InputError that names the file, row and column.

Shared by the loader (:mod:`sim.world.loading`) and the world's own validation
(:meth:`sim.world.structure.World.validate`, which also checks a scenario's edits).
"""

from __future__ import annotations

import math

from sim.errors import InputError
from sim.world.timeline import Calendar


def number(text: str, path, key: str, allow_blank: bool = False) -> float:
    """A finite number from a CSV cell (NaN for a blank where ``allow_blank``)."""
    if text == "" and allow_blank:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"expected a number, got {text!r}", source=str(path), key=key) from None
    if math.isnan(value) or math.isinf(value):
        raise InputError(f"expected a finite number, got {text!r}", source=str(path), key=key)
    return value


def month_index(text: str, calendar: Calendar, path, key: str) -> int:
    """The month index of ``YYYY-MM`` in the calendar; an InputError naming file and key."""
    try:
        return calendar.index(text)
    except ValueError as exc:
        raise InputError(str(exc), source=None if path is None else str(path), key=key) from None


#: The separator of a month known only to an interval, ``YYYY-MM..YYYY-MM``.
INTERVAL = ".."


def check_founded(text: str, calendar: Calendar, path, key: str) -> tuple[int, int]:
    """A ``founded`` cell's first and last month: ``YYYY-MM`` or ``YYYY-MM..YYYY-MM``.

    ``path`` None leaves the error's file to the caller (a scenario names its own).

    Raises:
        InputError: a month outside the calendar or malformed, or an interval whose first month
            is after its last, naming the file and the key.
    """
    source = None if path is None else str(path)
    first, sep, last = str(text).partition(INTERVAL)
    if sep and (not first.strip() or not last.strip() or INTERVAL in last):
        raise InputError(
            f"expected YYYY-MM or an interval YYYY-MM..YYYY-MM, got {text!r}", source=source,
            key=key,
        )  # fmt: skip
    start = month_index(first.strip(), calendar, path, key)
    end = month_index(last.strip(), calendar, path, key) if sep else start
    if end < start:
        raise InputError(
            f"the interval {text!r} ends before it starts: expected YYYY-MM..YYYY-MM with the "
            "first month not after the last", source=source, key=key,
        )  # fmt: skip
    return start, end


def no_blanks(values: tuple[str, ...], path, column: str) -> None:
    """Every row of ``column`` has a value."""
    for row, value in enumerate(values, start=2):
        if not str(value).strip():
            raise InputError(f"blank {column}: every row needs one", source=str(path),
                             key=f"row {row}, column {column}")  # fmt: skip


def split_list(text: str) -> tuple[str, ...]:
    """The parts of a ``;``-separated cell, stripped, blanks dropped."""
    return tuple(part.strip() for part in str(text).split(";") if part.strip())


def no_duplicates(values: tuple[str, ...], path, column: str) -> None:
    """No value of ``column`` appears twice."""
    seen = set()
    for row, value in enumerate(values, start=2):
        if value in seen:
            raise InputError(
                f"duplicate {column} {value!r}", source=str(path), key=f"row {row}, column {column}"
            )
        seen.add(value)
