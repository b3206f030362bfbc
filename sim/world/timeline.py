"""Calendar months as integers, and the month-by-month state of the labs.

Month 0 is a world's ``start`` month (its :class:`Calendar`); one step of either engine is one
month. Dates in files are ``YYYY-MM``. :func:`compile_timeline` turns the labs' starting
attributes and the dated events into arrays the engines read (one definition of what an event
does):

* ``attributes[t, j, a]``: lab j's attribute a during month t, after month t's events;
* ``exists[t, j]``: lab j is founded at or before t and not merged away at or before t;
* ``merge_into[t, j]``: where lab j's researchers go at the start of month t (-1: nowhere).

Events of a month are applied at the start of that month, in file order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

#: The most months a world's calendar may span (a century): guards against a typo such as 20255-01.
MAX_MONTHS = 1200

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str, start: str) -> int:
    """Months from ``start`` to ``text`` (both ``YYYY-MM``); raises ValueError on a bad date.

    Months before ``start`` are negative; :meth:`Calendar.index` enforces a world's calendar.
    """
    year, month = _split(text)
    start_year, start_month = _split(start)
    return (year - start_year) * 12 + (month - start_month)


def format_month(index: int, start: str) -> str:
    """The ``YYYY-MM`` label of month ``index`` counted from ``start``."""
    start_year, start_month = _split(start)
    total = start_year * 12 + (start_month - 1) + int(index)
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def _split(text: str) -> tuple[int, int]:
    match = _MONTH_RE.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"expected a month as YYYY-MM (e.g. 2023-06), got {text!r}")
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class Calendar:
    """A world's calendar: month 0 is ``start``; the history is known through ``observed_until``.

    Every date of a world, its scenarios and its targets is checked against its own calendar:
    there is no global window. ``horizon`` is the default last simulated month of a scenario.
    """

    start: str
    observed_until: str | None = None
    horizon: str | None = None

    def __post_init__(self):
        _split(self.start)
        if self.observed_until is not None and self.index(self.observed_until) < 0:
            raise ValueError(f"observed_until {self.observed_until} is before start {self.start}")

    def index(self, month: str) -> int:
        """Month index of ``month``, which must lie in ``start`` .. start + MAX_MONTHS - 1."""
        t = parse_month(month, self.start)
        if not 0 <= t < MAX_MONTHS:
            raise ValueError(
                f"month {month} is outside this world's calendar: expected {self.start} or later"
                + ("" if t < 0 else f", within {MAX_MONTHS // 12} years of it")
            )
        return t

    def observed_index(self, month: str) -> int:
        """Month index of ``month``, which must lie in ``start`` .. ``observed_until``."""
        t = self.index(month)
        if self.observed_until is None:
            raise ValueError("this world declares no observed_until (world.toml)")
        if t > self.index(self.observed_until):
            raise ValueError(
                f"month {month} is after the observed history, which ends {self.observed_until}"
            )
        return t

    @property
    def observed_months(self) -> int:
        """Months from ``start`` through ``observed_until`` (0 without an observed history)."""
        return 0 if self.observed_until is None else self.index(self.observed_until) + 1

    def forecast_horizon_problem(self, horizon: str) -> str | None:
        """Why a forecast from ``observed_until`` cannot run to ``horizon`` (None: it can)."""
        if self.index(horizon) > self.index(self.observed_until):
            return None
        return (
            f"the horizon ({horizon}) must end after the last observed month "
            f"({self.observed_until}) for a forecast from it"
        )

    def checkpoint(self, n_months: int) -> str:
        """The month headline numbers are read at, for a run of ``n_months`` months.

        The last observed month where it is simulated, else the last simulated month.
        """
        last = n_months - 1
        if self.observed_until is not None and self.index(self.observed_until) <= last:
            return self.observed_until
        return self.label(last)

    def label(self, index: int) -> str:
        """The ``YYYY-MM`` label of month ``index``."""
        return format_month(index, self.start)

    def labels(self, n_months: int) -> list[str]:
        """Labels of months 0 .. n_months-1."""
        return [self.label(t) for t in range(n_months)]


@dataclass(frozen=True)
class LabTimeline:
    """The state of every lab in every month, as the engines read it (see module docstring)."""

    attributes: np.ndarray  # float64 [T, L, A]
    exists: np.ndarray  # bool [T, L]
    merge_into: np.ndarray  # int64 [T, L]

    @property
    def n_months(self) -> int:
        """Number of simulated months T."""
        return self.attributes.shape[0]

    @property
    def changed(self) -> np.ndarray:
        """Which months (bool [T]) differ from the one before in an attribute or a lab's existence.

        In the other months every lab looks as it did the month before, so quantities computed
        from the labs alone can be kept from the month before.
        """
        out = np.ones(self.n_months, dtype=bool)
        out[1:] = (self.attributes[1:] != self.attributes[:-1]).any(axis=(1, 2)) | (
            self.exists[1:] != self.exists[:-1]
        ).any(axis=1)
        return out


def compile_timeline(
    initial_attributes: np.ndarray,
    founded: np.ndarray,
    events: list[tuple[int, str, int, int, float, int]],
    n_months: int,
) -> LabTimeline:
    """Build the month-by-month lab state.

    Args:
        initial_attributes: float [L, A], attributes at month 0 (or at founding).
        founded: int [L], the month each lab is founded (0 or less: exists from the start).
        events: ``(month, kind, lab, attribute, value, into)`` with kind ``set``, ``shift`` or
            ``merge``; ``lab`` -1 means every lab; ``attribute``/``into`` -1 where unused.
        n_months: T, the number of months simulated.
    """
    n_labs, n_attrs = initial_attributes.shape
    current = initial_attributes.astype(np.float64).copy()
    merged = np.zeros(n_labs, dtype=bool)
    attributes = np.empty((n_months, n_labs, n_attrs))
    exists = np.empty((n_months, n_labs), dtype=bool)
    merge_into = np.full((n_months, n_labs), -1, dtype=np.int64)
    by_month: dict[int, list] = {}
    for event in events:
        by_month.setdefault(event[0], []).append(event)
    for t in range(n_months):
        for _, kind, lab, attribute, value, into in by_month.get(t, []):
            targets = range(n_labs) if lab < 0 else (lab,)
            if kind == "merge":
                merge_into[t, lab] = into
                merged[lab] = True
            elif kind == "set":
                for j in targets:
                    current[j, attribute] = value
            elif kind == "shift":
                for j in targets:
                    current[j, attribute] = min(1.0, max(0.0, current[j, attribute] + value))
            else:  # validated upstream; a new kind must be added here
                raise ValueError(f"unknown event kind {kind!r}")
        attributes[t] = current
        exists[t] = (founded <= t) & ~merged
    return LabTimeline(attributes, exists, merge_into)
