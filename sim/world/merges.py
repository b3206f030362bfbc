"""Following a researcher through merges: the one definition, used by every reader of a history.

A merge event moves everyone at the merged lab to the lab it merges into at the start of its
month, before that month's choices (as in the engines). :func:`merged` applies one month's merges
to one lab; :func:`follow` walks a researcher's whole history, month by month: the month's merges
first, then the moves of the month. The observed history (:mod:`sim.world.observed`) and the
likelihood's panels (:mod:`sim.likelihood.panel`) read positions through these two functions only.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def merged(lab: int, month: int, merge_into: np.ndarray) -> int:
    """The lab a researcher at ``lab`` is at once month ``month``'s merges are applied.

    ``merge_into`` [T, L] is the compiled timeline's: the lab each lab merges into that month,
    or -1 (:class:`~sim.world.timeline.LabTimeline`).
    """
    into = merge_into[month, lab]
    return int(into) if into >= 0 else int(lab)


def follow(
    start_lab: int, arrivals: Iterable[tuple[int, int]], merge_into: np.ndarray, n_months: int
) -> np.ndarray:
    """A researcher's lab at the end of each of the first ``n_months`` months, int [n_months].

    Args:
        start_lab: the lab code at the start of month 0.
        arrivals: ``(month, lab)`` of each move, in order: the researcher is at ``lab`` from the
            end of ``month`` (moves in the same month apply in turn, the last one counts).
        merge_into: the timeline's merges [T, L] (T >= n_months).
        n_months: how many months to follow.

    Each month applies its merges to where the researcher is, then the month's arrivals. With no
    arrivals this is where merges alone take someone who stays (``follow(lab, (), m, t + 1)[-1]``:
    the lab after month t).
    """
    pending = list(arrivals)
    out = np.empty(n_months, dtype=np.int64)
    lab = int(start_lab)
    k = 0
    for t in range(n_months):
        lab = merged(lab, t, merge_into)
        while k < len(pending) and pending[k][0] == t:
            lab = int(pending[k][1])
            k += 1
        out[t] = lab
    return out


def start_of_month(start_lab: int, end_of_month: np.ndarray, merge_into: np.ndarray) -> np.ndarray:
    """Where the researcher is at the start of each month, merges of the month applied [T].

    ``end_of_month`` is :func:`follow`'s result: month t starts where month t - 1 ended (month 0
    at ``start_lab``), moved by month t's merges, before month t's own moves.
    """
    before = np.concatenate([[int(start_lab)], end_of_month[:-1]])
    return np.array([merged(lab, t, merge_into) for t, lab in enumerate(before)], dtype=np.int64)
