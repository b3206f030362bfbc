"""Calendar months as integers, and the month-by-month state of the labs.

Month 0 is 2023-02, the month LLaMA-1 was released; one step of either engine is one month.
Dates in files are ``YYYY-MM``. :func:`compile_timeline` turns the labs' starting attributes and
the dated events into arrays the engines read (one definition of what an event does):

* ``attributes[t, j, a]``: lab j's attribute a during month t, after month t's events;
* ``exists[t, j]``: lab j is founded at or before t and not merged away at or before t;
* ``merge_into[t, j]``: where lab j's researchers go at the start of month t (-1: nowhere).

Events of a month are applied at the start of that month, in file order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

START_MONTH = "2023-02"
#: The month of the news reports that 3 of 14 authors were left at Meta.
OBSERVED_END = "2025-05"
DEFAULT_HORIZON = "2026-12"
#: The last month any date in a data or scenario file may name.
LAST_MONTH = "2030-12"

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str, start: str = START_MONTH) -> int:
    """Months from ``start`` to ``text`` (both ``YYYY-MM``); raises ValueError on a bad date.

    Months before ``start`` are negative; use :func:`month_in_window` to enforce the window.
    """
    year, month = _split(text)
    start_year, start_month = _split(start)
    return (year - start_year) * 12 + (month - start_month)


def month_in_window(text: str) -> int:
    """Month index of ``text``, which must lie between START_MONTH and LAST_MONTH inclusive."""
    index = parse_month(text)
    if not 0 <= index <= parse_month(LAST_MONTH):
        raise ValueError(
            f"month {text} is outside the model's window {START_MONTH} .. {LAST_MONTH}"
        )
    return index


def format_month(index: int, start: str = START_MONTH) -> str:
    """The ``YYYY-MM`` label of month ``index`` counted from ``start``."""
    start_year, start_month = _split(start)
    total = start_year * 12 + (start_month - 1) + int(index)
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def month_labels(n_months: int, start: str = START_MONTH) -> list[str]:
    """Labels of months 0 .. n_months-1."""
    return [format_month(t, start) for t in range(n_months)]


def _split(text: str) -> tuple[int, int]:
    match = _MONTH_RE.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"expected a month as YYYY-MM (e.g. 2023-06), got {text!r}")
    return int(match.group(1)), int(match.group(2))


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
