"""An observed history as the likelihood reads it: each researcher's chain of moves.

A :class:`Panel` holds everyone's moves (lab codes, and the interval of months each was made in)
and the imputed positions of colleagues: every move at the middle of its interval, the one
approximation of the likelihood (:mod:`sim.likelihood.evaluate`). Panels come from a world's
``observed.csv`` (:func:`observed_panel`), from a complete simulated history
(:func:`complete_panel`) or from move chains made up for a test (:func:`panel_from_chains`);
positions follow merges through :mod:`sim.world.merges`. :func:`at_months` and :func:`with_month`
make the complete panels of a data-augmentation sampler (every move at a month of its interval,
:mod:`sim.likelihood.augment`), where nothing is imputed. :func:`interval_censored` blurs a
complete panel into intervals like an observed history's (for recovery studies), and
:func:`subsample` keeps some researchers' terms of the likelihood (a pilot fit on big panels).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sim.errors import InputError
from sim.world import CompiledWorld, World
from sim.world.merges import follow, merged, start_of_month


@dataclass(frozen=True)
class Panel:
    """An observed history prepared for the likelihood: everyone's chain of moves.

    The moves of researcher i are entries ``chain[i] .. chain[i + 1] - 1`` of ``to`` (lab code),
    ``earliest`` and ``latest`` (month indices: the first month at ``to`` lies in between).
    ``start_of_month[t]`` is everyone's lab at the start of month t (merges of month t applied)
    with every move at the middle of its interval: the imputed positions of colleagues;
    ``end_of_history`` [N] is where that reading leaves everyone after the last month.
    """

    n_months: int
    chain: np.ndarray
    to: np.ndarray
    earliest: np.ndarray
    latest: np.ndarray
    start_of_month: np.ndarray
    end_of_history: np.ndarray

    @property
    def n_researchers(self) -> int:
        """Researchers in the panel."""
        return self.chain.shape[0] - 1

    def imputed(self) -> np.ndarray:
        """Everyone's lab after each month, int [T, N], each move at the middle of its interval."""
        return np.vstack([self.start_of_month[1:], self.end_of_history[None, :]])


def observed_panel(world: World) -> Panel:
    """The world's observed history (``observed.csv``) as a :class:`Panel`.

    Raises:
        InputError: the world has no observed history, naming its folder; the history itself is
            checked against the world when the world is loaded (:mod:`sim.world.observed`).
    """
    if world.observed is None:
        raise InputError(
            "this world has no observed history (observed.csv): the likelihood and forecasts "
            "from the observed state need one",
            source=str(world.folder) if world.folder else world.title,
        )
    observed = world.observed
    codes = {lab: j for j, lab in enumerate(world.labs)}
    chains = [observed.moves_of(i) for i in range(len(world.researchers))]
    moves = [m for chain in chains for m in chain]
    compiled = world.compile(world.calendar.observed_until)
    return panel_from_chains(
        compiled,
        observed.n_months,
        np.cumsum([0] + [len(c) for c in chains]),
        np.array([codes[m.to] for m in moves], dtype=np.int64),
        np.array([m.earliest for m in moves], dtype=np.int64),
        np.array([m.latest for m in moves], dtype=np.int64),
    )


def complete_panel(world: CompiledWorld, labs: np.ndarray) -> Panel:
    """A :class:`Panel` from everyone's lab after each month, int [T, N] (e.g. a simulated run).

    A change of lab that a merge explains is not a move; every other change is a move known to
    the month.
    """
    labs = np.asarray(labs, dtype=np.int64)
    n_months, n_people = labs.shape
    if n_people != world.n_researchers or n_months > world.n_months:
        raise InputError(
            f"a panel of {n_months} months x {n_people} researchers does not fit this world "
            f"({world.n_months} months x {world.n_researchers} researchers)"
        )
    chain, to, months = [0], [], []
    merge_into = world.timeline.merge_into
    for i in range(n_people):
        lab = int(world.start_labs[i])
        for t in range(n_months):
            lab = merged(lab, t, merge_into)
            if labs[t, i] != lab:  # not where merges alone put them: a move
                lab = int(labs[t, i])
                to.append(lab)
                months.append(t)
        chain.append(len(to))
    months_arr = np.array(months, dtype=np.int64)
    return panel_from_chains(
        world, n_months, np.array(chain), np.array(to, dtype=np.int64), months_arr, months_arr
    )


def panel_from_chains(world: CompiledWorld, n_months, chain, to, earliest, latest) -> Panel:
    """A :class:`Panel` from move chains (e.g. an observed history, or one made up for a test).

    Researcher i's moves are entries ``chain[i] .. chain[i + 1] - 1`` of ``to``, ``earliest``
    and ``latest`` (lab codes and month indices), in order.
    """
    n_people = chain.shape[0] - 1
    start = np.empty((n_months, n_people), dtype=np.int64)
    last = np.empty(n_people, dtype=np.int64)
    for i in range(n_people):
        start[:, i], last[i] = _positions(world, i, n_months, chain, to, earliest, latest)
    return Panel(
        n_months=n_months,
        chain=np.ascontiguousarray(chain, dtype=np.int64),
        to=np.ascontiguousarray(to, dtype=np.int64),
        earliest=np.ascontiguousarray(earliest, dtype=np.int64),
        latest=np.ascontiguousarray(latest, dtype=np.int64),
        start_of_month=start,
        end_of_history=last,
    )


def at_months(world: CompiledWorld, panel: Panel, months: np.ndarray) -> Panel:
    """The complete panel with every move of ``panel`` made in the given month, int [moves].

    Each month must lie in its move's interval; nothing is imputed in the result (every
    interval is one month), so its likelihood is exact: the augmented likelihood of
    :mod:`sim.likelihood.augment`.
    """
    months = np.ascontiguousarray(months, dtype=np.int64)
    return panel_from_chains(world, panel.n_months, panel.chain, panel.to, months, months)


def with_month(world: CompiledWorld, complete: Panel, move: int, owner: int, month: int) -> Panel:
    """``complete`` with one move (index ``move``, made by researcher ``owner``) in another month.

    Only the owner's positions are recomputed: the cheap step of a data-augmentation sweep.
    """
    months = complete.earliest.copy()
    months[move] = month
    start = complete.start_of_month.copy()
    last = complete.end_of_history.copy()
    start[:, owner], last[owner] = _positions(
        world, owner, complete.n_months, complete.chain, complete.to, months, months
    )
    return Panel(complete.n_months, complete.chain, complete.to, months, months, start, last)


def interval_censored(
    world: CompiledWorld, complete: Panel, widths: np.ndarray, rng: np.random.Generator
) -> Panel:
    """``complete`` with every move known only to an interval of months, as observed histories are.

    Each move's width is drawn from ``widths`` (e.g. the widths of a shipped history's moves) and
    the true month placed uniformly inside it; an interval never reaches the previous move's
    interval or the next move's month, stays within the panel and ends by the last month its
    destination exists (a lab merged away ends), so it may be narrower. As an observed history's,
    it may start before its destination is founded (the move is read from the founding month).
    """
    earliest, latest = complete.earliest.copy(), complete.latest.copy()
    exists = world.timeline.exists
    for i in range(complete.n_researchers):
        previous = -1
        for k in range(complete.chain[i], complete.chain[i + 1]):
            true, width = int(complete.earliest[k]), int(rng.choice(widths))
            following = (
                int(complete.earliest[k + 1]) if k + 1 < complete.chain[i + 1]
                else complete.n_months
            )  # fmt: skip
            lo = max(true - int(rng.integers(width)), previous + 1)
            hi = max(min(lo + width - 1, following - 1, complete.n_months - 1), true)
            ends = np.flatnonzero(~exists[true : hi + 1, complete.to[k]])
            hi = max(true + int(ends[0]) - 1, true) if ends.size else hi
            earliest[k], latest[k] = lo, hi
            previous = hi
    return panel_from_chains(world, complete.n_months, complete.chain, complete.to, earliest,
                             latest)  # fmt: skip


def subsample(
    world: CompiledWorld, panel: Panel, researchers: np.ndarray
) -> tuple[CompiledWorld, Panel]:
    """Some researchers' terms of the likelihood: their rows of the world and of the panel.

    :func:`sim.likelihood.log_likelihood` of the result is, entry for entry, the whole panel's
    at ``researchers`` (int [n], distinct): each keeps their own start, fixed terms, moves and
    ties, and their colleagues stay where the whole panel puts them (the ties keep pointing at
    everyone's columns of ``start_of_month``, and with contagion off at everyone's unmoved
    positions); their relocations come along. The result serves the likelihood only: it cannot
    be simulated (the transposed ties are left empty).
    """
    idx = np.asarray(researchers, dtype=np.int64)
    position = np.full(world.n_researchers, -1, dtype=np.int64)
    position[idx] = np.arange(len(idx))
    moved = position[world.relocation_researcher] >= 0  # their relocations, renumbered
    counts = world.tie_indptr[idx + 1] - world.tie_indptr[idx]
    rows = np.concatenate([np.arange(world.tie_indptr[i], world.tie_indptr[i + 1]) for i in idx]
                          or [np.zeros(0, dtype=np.int64)])  # fmt: skip
    sub_world = dataclasses.replace(
        world, start_labs=world.start_labs[idx], start_tenure=world.start_tenure[idx],
        tie_indptr=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        tie_indices=world.tie_indices[rows], tie_weights=world.tie_weights[rows],
        tied_indptr=np.zeros(len(idx) + 1, dtype=np.int64),
        tied_indices=np.zeros(0, dtype=np.int64), home=world.home[idx],
        founder=world.founder[idx], researcher_keys=world.researcher_keys[idx],
        relocation_month=world.relocation_month[moved],
        relocation_researcher=position[world.relocation_researcher[moved]],
        relocation_home=world.relocation_home[moved],
        colleague_start_labs=world.start_labs,
        colleague_founder=world.founder,
    )  # fmt: skip
    moves = [np.arange(panel.chain[i], panel.chain[i + 1]) for i in idx]
    chosen = np.concatenate(moves or [np.zeros(0, dtype=np.int64)]).astype(np.int64)
    sub_panel = dataclasses.replace(
        panel, chain=np.concatenate([[0], np.cumsum([len(m) for m in moves])]).astype(np.int64),
        to=panel.to[chosen], earliest=panel.earliest[chosen], latest=panel.latest[chosen],
    )  # fmt: skip
    return sub_world, sub_panel


def _positions(world: CompiledWorld, i: int, n_months: int, chain, to, earliest, latest):
    """Researcher i's lab at the start of each month, and after the last.

    Each move is imputed at the middle of its interval (the exact month where the interval is
    one month).
    """
    merge_into = world.timeline.merge_into
    imputed = [
        ((int(earliest[k]) + int(latest[k])) // 2, int(to[k]))
        for k in range(chain[i], chain[i + 1])
    ]
    end = follow(int(world.start_labs[i]), imputed, merge_into, n_months)
    last = end[-1] if n_months else int(world.start_labs[i])
    return start_of_month(int(world.start_labs[i]), end, merge_into), last
