"""Which labs exist in a month of a run, where that depends on the run itself.

The timeline (:mod:`sim.world.timeline`) says which labs exist in each month as data. Two things
make it a run's own: a potential lab exists only once a founder has founded it in the run
(founding as a choice, :mod:`sim.kernel.behavior`), and a lab whose founding month is known only
to an interval exists from the month the run drew (:func:`sim.kernel.streams.opening_months_into`).
Both engines call these functions, so they agree on every month's labs.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def open_labs_into(exists, potential, founded, opens, month, open_now, unfounded):
    """A month's labs in a run: which exist, and which may still be founded.

    ``open_now[j]``: lab j exists this month: ``exists[j]`` from the timeline, founded if
    potential, and from the run's drawn month ``opens[j]`` on where its founding month is known
    only to an interval (``opens[j]`` -1: no draw; :func:`sim.kernel.streams.opening_months_into`).
    ``unfounded[j]``: lab j is potential, not founded yet and not removed or merged away
    (``exists[j]``), so its founders may found it. Returns whether any lab is unfounded.
    """
    any_unfounded = False
    for j in range(exists.shape[0]):
        open_now[j] = exists[j] and month >= opens[j] and (founded[j] or not potential[j])
        unfounded[j] = exists[j] and potential[j] and not founded[j]
        any_unfounded = any_unfounded or unfounded[j]
    return any_unfounded


@njit(cache=True)
def opens_in(opens, month):
    """Whether a lab's drawn founding month (:func:`open_labs_into`'s ``opens``) is ``month``."""
    for j in range(opens.shape[0]):
        if opens[j] == month:
            return True
    return False
