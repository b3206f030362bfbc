"""The observed history of a world, from its ``observed.csv``: who moved where, and when.

One row per move: researcher ``name`` went from lab ``from`` to lab ``to`` at the end of some
month in ``earliest`` .. ``latest`` (the first month at ``to``). The destination may be founded
inside the interval: the move is then read from its founding month (no earlier month is possible),
so a founder's move to the lab they founded that month is one row, not a detour through another
lab. The founding months of ``labs.csv`` are read so whether the world's founding is given or
chosen (:mod:`sim.world.founding`): where it is chosen, the first founder's move is the founding
choice, and the observed founding month dates it. A researcher's rows are in
chronological order and chain (each ``from`` is where the previous move, or a merge event since,
left them); returns to the focal lab are moves like any other. A row with every move column blank
documents a researcher who stayed at their start lab through ``observed_until``. Leaves of absence
are not modelled: a researcher on leave counts where they are employed.

Uncertain months stay intervals: every observed curve is a band between the earliest and the
latest reading, never invented precision. The two extreme readings are also available as
:class:`~sim.results.Trajectories` (:func:`sim.results.observed_readings`), so the world's declared
statistics are computed on the observed history by the same code as on simulated ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.errors import InputError
from sim.world.files import read_table
from sim.world.founding import as_given
from sim.world.merges import follow

if TYPE_CHECKING:
    from sim.world.structure import World

_COLUMNS = ("name", "earliest", "latest", "from", "to")


@dataclass(frozen=True)
class Move:
    """One observed move: month indices of the interval, lab names, and the file row."""

    researcher: int
    earliest: int
    latest: int
    to: str
    row: int


@dataclass(frozen=True)
class Observed:
    """A world's observed moves (month indices in its calendar) through ``n_months`` months."""

    moves: tuple[Move, ...]
    n_months: int  # start .. observed_until
    source: str

    def moves_of(self, i: int) -> list[Move]:
        """Researcher i's moves, in order."""
        return list(self.by_researcher.get(i, ()))

    @cached_property
    def by_researcher(self) -> dict[int, tuple[Move, ...]]:
        """Each researcher's moves, in order, indexed once (reading a history stays linear)."""
        out: dict[int, list[Move]] = {}
        for move in self.moves:
            out.setdefault(move.researcher, []).append(move)
        return {i: tuple(moves) for i, moves in out.items()}

    def lab_matrix(self, world: World, reading: str) -> np.ndarray:
        """Everyone's lab code at the end of each observed month, int8 [T, N].

        ``reading`` is ``"earliest"`` (every move at the start of its interval) or ``"latest"``.
        Merge events move researchers as in the engines.
        """
        merge_into = world.compile(world.calendar.observed_until).timeline.merge_into
        codes = {lab: j for j, lab in enumerate(world.labs)}
        out = np.empty((self.n_months, len(world.researchers)), dtype=np.int8)
        for i, start in enumerate(world.start_labs):
            arrivals = [(getattr(m, reading), codes[m.to]) for m in self.moves_of(i)]
            out[:, i] = follow(codes[start], arrivals, merge_into, self.n_months)
        return out

    def focal_bounds(self, world: World) -> tuple[np.ndarray, np.ndarray]:
        """Fewest and most of the cohort at the focal lab after each observed month [T].

        Each researcher is possibly at the focal lab in month t if some timing of their moves
        within the intervals puts them there: after any number of moves between those certainly
        made by t (``latest <= t``) and those possibly made (``earliest <= t``).
        """
        codes = {lab: j for j, lab in enumerate(world.labs)}
        merge_into = world.compile(world.calendar.observed_until).timeline.merge_into
        focal = codes[world.focal_lab]
        # where merges alone take someone who is at lab j: once per lab, not once per reading
        stays = {j: follow(j, (), merge_into, self.n_months) for j in range(len(world.labs))}
        low = np.zeros(self.n_months, dtype=np.int64)
        high = np.zeros(self.n_months, dtype=np.int64)
        for i, start in enumerate(world.start_labs):
            moves = self.moves_of(i)
            arrived = [codes[start]] + [codes[m.to] for m in moves]  # lab after k moves
            for t in range(self.n_months):
                done = sum(m.latest <= t for m in moves)
                possible = sum(m.earliest <= t for m in moves)
                places = {int(stays[arrived[k]][t]) for k in range(done, possible + 1)}
                low[t] += places == {focal}
                high[t] += focal in places
        return low, high


def load_observed(path: str | Path, world: World) -> Observed:
    """Load and check a world's observed.csv against the world (names, labs, calendar, chains).

    Raises:
        InputError: naming the file, the row and the column: an unknown researcher or lab, a
            month outside start .. observed_until, earliest after latest, a move that does not
            start where the previous one (or a merge) left the researcher, a move to a lab that
            does not exist yet, or a researcher of the cohort the file never mentions.
    """
    path = Path(path)
    source = str(path)
    calendar = world.calendar
    if calendar.observed_until is None:
        raise InputError(
            "the world has an observed history but its world.toml gives no observed_until",
            source=str(Path(world.source) / "world.toml"), key="observed_until",
        )  # fmt: skip
    table = read_table(path, _COLUMNS)
    index = {name: i for i, name in enumerate(world.researchers)}
    # the labs.csv founding months are observations too, whether founding is given or chosen: a
    # move to a lab founded inside its interval is read from the observed founding month (where
    # founding is chosen, that move is the founding choice, and its month is what was observed)
    timeline = as_given(world).compile(calendar.observed_until).timeline
    codes = {lab: j for j, lab in enumerate(world.labs)}
    where = {i: (codes[lab], -1) for i, lab in enumerate(world.start_labs)}  # (lab, last latest)
    seen: set[int] = set()
    stayed: set[int] = set()
    moves = []
    for row, rec in enumerate(table.to_dict("records"), start=2):
        key = f"row {row}"
        if rec["name"] not in index:
            raise InputError(
                f"{rec['name']!r} is not in the cohort (cohort.csv)", source=source,
                key=f"{key}, column name",
            )  # fmt: skip
        i = index[rec["name"]]
        fields = [rec[c] for c in ("earliest", "latest", "from", "to")]
        if not any(fields):  # documents a researcher who stayed
            if i in seen:
                raise InputError(
                    f"{rec['name']} has other rows: a row with every move column blank says they "
                    "stayed at their start lab throughout; drop it, or their moves",
                    source=source, key=key,
                )  # fmt: skip
            stayed.add(i)
            seen.add(i)
            continue
        if i in stayed:
            raise InputError(
                f"{rec['name']} has a row that says they stayed (every move column blank) and "
                "this move: drop one of them", source=source, key=key,
            )  # fmt: skip
        seen.add(i)
        if not all(fields):
            raise InputError(
                "give earliest, latest, from and to for a move, or leave all four blank "
                "(stayed at the start lab)", source=source, key=key,
            )  # fmt: skip
        months = []
        for column in ("earliest", "latest"):
            try:
                months.append(calendar.observed_index(rec[column]))
            except ValueError as exc:
                raise InputError(str(exc), source=source, key=f"{key}, column {column}") from None
        earliest, latest = months
        if earliest > latest:
            raise InputError(
                f"earliest {rec['earliest']} is after latest {rec['latest']}", source=source,
                key=key,
            )  # fmt: skip
        for column in ("from", "to"):
            if rec[column] not in codes:
                raise InputError(
                    f"lab {rec[column]!r} is not in labs.csv (known: {', '.join(world.labs)})",
                    source=source, key=f"{key}, column {column}",
                )  # fmt: skip
        lab, previous = where[i]
        lab = follow(lab, (), timeline.merge_into, earliest)[-1] if earliest > 0 else lab
        if earliest <= previous:
            raise InputError(
                f"this move's interval starts before {rec['name']}'s previous move ends: rows of "
                "one researcher must be in chronological order", source=source, key=key,
            )  # fmt: skip
        if codes[rec["from"]] != lab:
            raise InputError(
                f"{rec['name']} is at {world.labs[lab]!r} before this move (their start lab, an "
                f"earlier row, or a merge), not at {rec['from']!r}", source=source,
                key=f"{key}, column from",
            )  # fmt: skip
        to = codes[rec["to"]]
        if to == lab:
            raise InputError("a move needs two different labs", source=source, key=key)
        exists = timeline.exists[earliest : latest + 1, to]
        founded_inside = int(np.argmax(exists)) if exists.any() else len(exists)
        if not exists[founded_inside:].all() or founded_inside == len(exists):
            first = world.founded[to] or calendar.start
            raise InputError(
                f"{rec['to']!r} does not exist from its founding through {rec['latest']} within "
                f"{rec['earliest']} .. {rec['latest']} (founded {first}; merged or removed labs "
                "end): narrow the interval to months when the lab exists", source=source, key=key,
            )  # fmt: skip
        # a lab founded inside the interval: the move is read from the founding month (the
        # months before it have probability 0 in the likelihood and no reading puts anyone there)
        earliest += founded_inside
        moves.append(Move(i, earliest, latest, rec["to"], row))
        where[i] = (to, latest)
    absent = [name for name, i in index.items() if i not in seen]
    if absent:
        raise InputError(
            f"no row for {', '.join(absent)}: every researcher needs at least one row (all move "
            "columns blank: stayed at the start lab)", source=source,
        )  # fmt: skip
    return Observed(
        moves=tuple(moves),
        n_months=calendar.observed_months,
        source=source,
    )
