"""The world: the cohort, the labs, their ties and the dated events, loaded from data files.

A world is a folder that declares itself (the shipped ones are ``sim/data/llama/`` and
``sim/data/openai-founders/``; every row carries its source and certainty):

* ``world.toml``: name (default: the folder's; only a declared name is the world's identity in
  a joint posterior's per-cohort columns, ``k0[NAME]``), title, calendar (``start``,
  ``observed_until``, default ``horizon``), the ``focal_lab`` whose retention is studied, and
  the declared ``[[statistic]]`` tables (:mod:`sim.world.statistics`) that summaries,
  comparisons and calibration targets read; ``founding`` (``"given"`` or ``"chosen"``) and
  ``funding_climate`` (:mod:`sim.world.founding`);
* ``cohort.csv``: name, city (blank: unknown), start_lab, tenure_years (years at the start lab at
  month 0; blank: unknown);
* ``labs.csv``: name, cities (``;``-separated, ``*`` = everywhere), founded (``YYYY-MM``, or
  ``YYYY-MM..YYYY-MM`` where only an interval is known (:mod:`sim.world.openings`); blank: exists
  at the start), founders (cohort names, ``;``-separated);
* ``attributes.csv``: lab, attribute, value in [0, 1]: each lab's starting attributes;
* ``events.csv``: id, month, kind (set | shift | merge | bar_founding), lab (or ``*``), attribute
  (or ``funding_climate`` with lab ``*``), value, into;
* ``ties.csv`` (optional): a, b, weight; without it every pair is tied with weight 1;
* ``relocations.csv`` (optional): name, month, city: a researcher's city from a month on, while
  they stay at their lab (:mod:`sim.world.relocations`);
* ``observed.csv`` (optional): the observed history as moves (:mod:`sim.world.observed`);
* ``targets.toml`` (optional): the calibration targets (:mod:`sim.inference.abc.targets`).

Another cohort runs from another folder of such files, with no code change: nothing in ``sim/``
knows a particular cohort. Loading checks every cross-reference and range and raises
:class:`~sim.errors.InputError` naming the file, the row and the column. A researcher with unknown
tenure gets the median of the known tenures; one with an unknown city gets the same home term at
every lab (neutral: the unknown biases no choice).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import sparse

from sim.errors import InputError
from sim.kernel.behavior import ATTRIBUTE_NAMES
from sim.world.checks import check_founded, month_index, no_blanks, no_duplicates
from sim.world.founding import (
    DEFAULT_CLIMATE,
    NEVER,
    check_founding,
    check_founding_event,
    compile_founding,
    is_founding_event,
    is_own_startup,
    potential_labs,
)
from sim.world.openings import founding_interval, founding_month
from sim.world.relocations import check_relocations, compile_relocations, home_row
from sim.world.timeline import Calendar, LabTimeline, compile_timeline

EVENT_KINDS = ("set", "shift", "merge")


@dataclass(frozen=True)
class Event:
    """A dated change to the labs (see the module docstring for the kinds)."""

    id: str
    month: str
    kind: str
    lab: str
    attribute: str = ""
    value: float = math.nan
    into: str = ""
    description: str = ""
    origin: str = field(default="", compare=False)  # the file that declared it, if not events.csv
    key: str = field(default="", compare=False)  # where in that file, e.g. world.add_events[0]


@dataclass(frozen=True)
class World:
    """Everything the engines need to know about the people and the labs, before compilation.

    ``ties`` may be given dense ([N, N]) or sparse; it is kept as a symmetric
    ``scipy.sparse.csr_array`` with a zero diagonal (None: everyone tied to everyone, weight 1).
    """

    name: str
    researchers: tuple[str, ...]
    cities: tuple[str, ...]
    start_labs: tuple[str, ...]
    tenure_years: tuple[float, ...]
    labs: tuple[str, ...]
    lab_cities: tuple[tuple[str, ...], ...]
    founded: tuple[str, ...]  # "" where the lab exists at the start, NEVER where it never does
    founders: tuple[tuple[str, ...], ...]
    attributes: np.ndarray = field(repr=False)  # float [L, A]
    events: tuple[Event, ...] = ()
    ties: object = field(default=None, repr=False)  # csr_array [N, N] or None (all tied)
    source: str = "<memory>"
    calendar: Calendar | None = None  # required: month 0 and the observed history's end
    focal_lab: str = ""  # "" = the start lab everyone shares
    title: str = ""
    description: str = ""
    statistics: tuple = ()  # sim.statistics.Statistic, declared in world.toml
    observed: object = field(default=None, repr=False)  # sim.observed.Observed or None
    folder: str | None = None  # the world's folder, where it was loaded from one
    #: whether ``name`` was declared (world.toml's ``name``) rather than taken from the folder:
    #: only a declared name picks a joint posterior's per-cohort columns (sim.config.posterior_file)
    name_declared: bool = True
    #: the two parts of the colleagues' pull (:mod:`sim.kernel.behavior`), switched off only by
    #: counterfactuals (a scenario's ``[world.peer]``, ``sim explain``'s peer causes)
    peer_glue: bool = True
    peer_contagion: bool = True
    #: dated changes of a researcher's city (sim.world.relocations.Relocation)
    relocations: tuple = ()
    #: founding by choice (world.toml ``founding = "chosen"``; sim.world.founding): labs whose
    #: founders are cohort members exist only once one of them founds it
    founding_chosen: bool = False
    #: the funding climate at the start, in [0, 1] (DEFAULT_CLIMATE, neutral); events change it
    funding_climate: float = DEFAULT_CLIMATE

    def __post_init__(self):
        if not isinstance(self.calendar, Calendar):
            raise InputError("a world needs a calendar (world.toml: start)", source=self.source)
        if self.ties is not None and not sparse.issparse(self.ties):
            object.__setattr__(self, "ties", sparse.csr_array(np.asarray(self.ties, float)))
        if not self.focal_lab and self.start_labs and len(set(self.start_labs)) == 1:
            object.__setattr__(self, "focal_lab", self.start_labs[0])
        if not self.title:
            object.__setattr__(self, "title", self.name)
        self.validate()

    # ----------------------------------------------------------------- validation
    def validate(self) -> None:
        """Check every cross-reference and range; raise InputError naming what is wrong."""
        src = self.source
        if not self.researchers:
            raise InputError("the cohort is empty: expected at least one researcher",
                             source=f"{src}/cohort.csv")  # fmt: skip
        no_blanks(self.researchers, f"{src}/cohort.csv", "name")
        no_blanks(self.labs, f"{src}/labs.csv", "name")
        no_duplicates(self.researchers, f"{src}/cohort.csv", "name")
        no_duplicates(self.labs, f"{src}/labs.csv", "name")
        for row, tenure in enumerate(self.tenure_years, start=2):
            if not tenure >= 0:
                raise InputError(
                    f"tenure_years must be a number >= 0 (or blank: unknown), got {tenure}",
                    source=f"{src}/cohort.csv", key=f"row {row}, column tenure_years",
                )  # fmt: skip
        lab_set = set(self.labs)
        if self.focal_lab not in lab_set:
            raise InputError(
                f"focal_lab {self.focal_lab!r} is not a lab in labs.csv (known: "
                f"{', '.join(self.labs)})" if self.focal_lab else
                "the cohort starts at several labs: name the focal_lab whose retention is studied",
                source=f"{src}/world.toml", key="focal_lab",
            )  # fmt: skip
        for row, lab in enumerate(self.start_labs, start=2):
            if lab not in lab_set:
                raise InputError(
                    f"start_lab {lab!r} is not a lab in labs.csv (known: {', '.join(self.labs)})",
                    source=f"{src}/cohort.csv",
                    key=f"row {row}, column start_lab",
                )
            j = self.labs.index(lab)
            if self.founded[j] == NEVER:
                raise InputError(
                    f"lab {lab!r} cannot be removed: researchers start there",
                    source=f"{src}/cohort.csv",
                    key=f"row {row}, column start_lab",
                )
            if founding_month(self.founded[j], self.calendar) > 0:
                raise InputError(
                    f"researcher starts at {lab!r}, which is founded only in {self.founded[j]}",
                    source=f"{src}/cohort.csv",
                    key=f"row {row}, column start_lab",
                )
        if self.start_labs and self.focal_lab not in self.start_labs:
            raise InputError(
                f"nobody in cohort.csv starts at focal_lab {self.focal_lab!r}: retention is the "
                "share of the cohort still at the lab where it started (start labs: "
                f"{', '.join(sorted(set(self.start_labs)))})",
                source=f"{src}/world.toml", key="focal_lab",
            )  # fmt: skip
        labs_founded = zip(self.labs, self.founded, strict=True)
        if not self.founding_chosen and any(
            is_own_startup(lab) and f != NEVER for lab, f in labs_founded
        ):
            raise InputError(
                'own startups exist only by a founding: expected founding = "chosen" in a world '
                "with own_startup = true", source=f"{src}/world.toml", key="founding",
            )  # fmt: skip
        for row, month in enumerate(self.founded, start=2):
            if month and month != NEVER:
                check_founded(month, self.calendar, f"{src}/labs.csv", f"row {row}, column founded")
        people = set(self.researchers)
        for row, names in enumerate(self.founders, start=2):
            for person in names:
                if person not in people:
                    raise InputError(
                        f"founder {person!r} is not in the cohort (cohort.csv names: "
                        f"{', '.join(self.researchers)})",
                        source=f"{src}/labs.csv",
                        key=f"row {row}, column founders",
                    )
        if self.attributes.shape != (len(self.labs), len(ATTRIBUTE_NAMES)):
            raise InputError(
                f"expected attributes for {len(self.labs)} labs x {len(ATTRIBUTE_NAMES)}",
                source=f"{src}/attributes.csv",
            )
        if not np.all((self.attributes >= 0) & (self.attributes <= 1)):
            raise InputError("attribute values must lie in [0, 1]", source=f"{src}/attributes.csv")
        for row, event in enumerate(self.events, start=2):
            where = getattr(event, "origin", "") or f"{src}/events.csv"
            key = event.key or f"row {row} (id {event.id!r})"
            if is_founding_event(event):
                month_index(event.month, self.calendar, where, _column(key, "month"))
                check_founding_event(event, self, where, key)
            else:
                _check_event(event, self, where, key)
        no_duplicates(tuple(e.id for e in self.events), f"{src}/events.csv", "id")
        self._check_merges()
        if self.ties is not None and self.ties.shape != (len(self.researchers),) * 2:
            raise InputError("ties must be an N x N matrix over the cohort", source=src)
        check_relocations(self.relocations, self.researchers, self.calendar, src)
        check_founding(self)

    def _check_merges(self) -> None:
        """A lab merges away at most once, and never into a lab gone by that month.

        Otherwise researchers would sit at a lab that no longer exists: a merge into a lab that
        has merged away (or merges away in the same month, as two labs merging into each other
        would) has no lab left to receive them.
        """
        merges = sorted(
            ((self.calendar.index(e.month), row, e) for row, e in enumerate(self.events, start=2)
             if e.kind == "merge"),
            key=lambda m: m[0],
        )  # fmt: skip
        gone: dict[str, tuple[int, Event]] = {}

        def where(row: int, event: Event) -> tuple[str, str]:
            origin = getattr(event, "origin", "") or f"{self.source}/events.csv"
            return origin, event.key or f"row {row} (id {event.id!r})"

        for month, row, event in merges:
            if event.lab in gone:
                earlier = gone[event.lab][1]
                source, key = where(row, event)
                raise InputError(
                    f"{event.lab!r} already merges into {earlier.into!r} in {earlier.month} "
                    f"(event {earlier.id!r}): a lab merges away once", source=source, key=key,
                )  # fmt: skip
            gone[event.lab] = (month, event)
        for month, row, event in merges:
            if event.into in gone and gone[event.into][0] <= month:
                later = gone[event.into][1]
                source, key = where(row, event)
                raise InputError(
                    f"merge of {event.lab!r} into {event.into!r} in {event.month}, but "
                    f"{event.into!r} itself merges into {later.into!r} in {later.month} (event "
                    f"{later.id!r}): merge into a lab that still exists after that month",
                    source=source, key=key,
                )  # fmt: skip

    @property
    def pooled_labs(self) -> tuple[str, ...]:
        """Catch-all labs (cities ``*``) standing for many real labs ("any other lab").

        Counting distinct destinations, each researcher at a pooled lab counts as a lab of their
        own: two authors at "any other lab or startup" are almost surely at two different ones.
        """
        return tuple(lab for lab, c in zip(self.labs, self.lab_cities, strict=True) if "*" in c)

    @property
    def existing_labs(self) -> tuple[str, ...]:
        """The labs that exist at some month (all but those a scenario removed)."""
        return tuple(lab for lab, f in zip(self.labs, self.founded, strict=True) if f != NEVER)

    @property
    def default_horizon(self) -> str:
        """The world's default horizon (world.toml), else its last observed month."""
        return self.calendar.horizon or self.calendar.observed_until or self.calendar.start

    def month(self, text: str, key: str = "month", source: str | None = None) -> int:
        """Index of ``text`` in this world's calendar; InputError naming ``source``/``key``."""
        return month_index(text, self.calendar, source or self.source, key)

    # ----------------------------------------------------------------- edits (scenarios)
    def replace(self, **changes) -> World:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def without_labs(self, names: list[str], key: str = "remove_labs") -> World:
        """The world in which the named labs never exist; their events go.

        The labs keep their places (``founded`` becomes :data:`NEVER`), so every other lab keeps
        its code; random numbers are keyed by lab names anyway (:mod:`sim.kernel.streams`), so a
        counterfactual without a lab is compared with the baseline draw for draw.
        """
        for k, name in enumerate(names):
            if name not in self.labs:
                raise InputError(
                    f"unknown lab {name!r}; known labs: {', '.join(self.labs)}", key=f"{key}[{k}]"
                )
            if name in self.start_labs or name == self.focal_lab:
                raise InputError(
                    f"lab {name!r} cannot be removed: the cohort starts there or it is the "
                    "focal lab", key=f"{key}[{k}]",
                )  # fmt: skip
        founded = zip(self.labs, self.founded, strict=True)
        return self.replace(
            founded=tuple(NEVER if lab in names else f for lab, f in founded),
            events=tuple(e for e in self.events if e.lab not in names and e.into not in names),
        )

    # ----------------------------------------------------------------- compilation
    def compile(self, horizon: str | None = None) -> CompiledWorld:
        """Arrays for the engines, from month 0 through ``horizon`` (default: the world's)."""
        horizon = horizon or self.default_horizon
        n_months = self.month(horizon, key="horizon") + 1
        lab_index = {lab: j for j, lab in enumerate(self.labs)}
        attr_index = {a: k for k, a in enumerate(ATTRIBUTE_NAMES)}
        events = [
            (
                self.calendar.index(e.month),
                e.kind,
                -1 if e.lab == "*" else lab_index[e.lab],
                attr_index.get(e.attribute, -1),
                float(e.value),
                lab_index.get(e.into, -1),
            )
            for e in self.events
            if self.calendar.index(e.month) < n_months and not is_founding_event(e)
        ]
        potential = potential_labs(self)
        founded = np.array([founding_month(f, self.calendar) for f in self.founded], np.int64)
        founded[potential] = 0  # available from the start; founded in a run by a choice
        timeline = compile_timeline(self.attributes, founded, events, n_months)
        climate, barred = compile_founding(self, n_months)
        opening = np.array(
            [founding_interval(f, self.calendar) for f in self.founded], np.int64
        ).reshape(-1, 2)
        opening[(opening[:, 0] == opening[:, 1]) | potential] = -1  # known, or chosen in a run
        n, n_labs = len(self.researchers), len(self.labs)
        home = np.zeros((n, n_labs))
        founder = np.zeros((n, n_labs))
        row = {name: i for i, name in enumerate(self.researchers)}
        for i, city in enumerate(self.cities):
            home[i] = home_row(city, self.lab_cities)
        for j in range(n_labs):
            for person in self.founders[j]:
                founder[row[person], j] = 1.0
        moved = compile_relocations(
            self.relocations, self.researchers, self.lab_cities, self.calendar, n_months
        )
        indptr, indices, weights = tie_rows(self.ties, n)
        tied = sparse.csr_array((weights, indices, indptr), shape=(n, n)).T.tocsr()
        tied.sort_indices()
        return CompiledWorld(
            world=self,
            horizon=horizon,
            start_labs=np.array([lab_index[lab] for lab in self.start_labs], dtype=np.int64),
            start_tenure=np.array(self.tenure_years, dtype=np.float64),
            tie_indptr=indptr,
            tie_indices=indices,
            tie_weights=weights,
            tied_indptr=tied.indptr.astype(np.int64),
            tied_indices=tied.indices.astype(np.int64),
            home=home,
            founder=founder,
            timeline=timeline,
            researcher_keys=name_keys(self.researchers, 64, f"{self.source}/cohort.csv"),
            lab_keys=name_keys(self.labs, 32, f"{self.source}/labs.csv"),
            relocation_month=moved[0],
            relocation_researcher=moved[1],
            relocation_home=moved[2],
            potential=potential,
            climate=climate,
            barred=barred,
            opening=opening,
        )


@dataclass(frozen=True)
class CompiledWorld:
    """A world as arrays over a fixed horizon: what both engines consume.

    Ties are compressed rows (CSR): researcher i's colleagues are
    ``tie_indices[tie_indptr[i]:tie_indptr[i + 1]]`` with row-normalised weights, so a decision
    costs O(own ties + labs). ``researcher_keys`` and ``lab_keys`` are stable hashes of the names,
    the coordinates of every random number (:mod:`sim.kernel.streams`).
    """

    world: World
    horizon: str
    start_labs: np.ndarray  # int64 [N]
    start_tenure: np.ndarray  # float64 [N]
    tie_indptr: np.ndarray  # int64 [N + 1]
    tie_indices: np.ndarray  # int64 [E]
    tie_weights: np.ndarray  # float64 [E], each row sums to 1 (or is empty)
    tied_indptr: np.ndarray  # int64 [N + 1]: the transposed pattern, who counts i as a colleague
    tied_indices: np.ndarray  # int64 [E]
    home: np.ndarray  # float64 [N, L]
    founder: np.ndarray  # float64 [N, L]
    timeline: LabTimeline
    researcher_keys: np.ndarray  # uint64 [N]
    lab_keys: np.ndarray  # uint64 [L] (32-bit values)
    #: founding by choice (sim.world.founding): the potential labs bool [L] (all False where
    #: founding is given), the funding climate float [T] and the non-competes bool [T, L]
    potential: np.ndarray
    climate: np.ndarray
    barred: np.ndarray
    #: founding months known only to an interval (sim.world.openings): int64 [L, 2], the first
    #: and last month each lab may open in, -1 where its month is known (or chosen in a run)
    opening: np.ndarray
    #: relocations within the horizon, in month order: month int64 [K], researcher int64 [K],
    #: their new home row float64 [K, L] (sim.world.relocations)
    relocation_month: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    relocation_researcher: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    relocation_home: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    #: where the colleagues the ties point at start (None: ``start_labs``); a likelihood
    #: subsample (sim.likelihood.subsample) keeps the whole cohort's here
    colleague_start_labs: np.ndarray | None = None
    #: the founder rows of those colleagues (None: ``founder``), for the same reason
    colleague_founder: np.ndarray | None = None

    @property
    def founding(self) -> bool:
        """Whether some lab of this world is founded by a choice in the run."""
        return bool(self.potential.any())

    @property
    def n_months(self) -> int:
        """T, months simulated (month 0 through the horizon)."""
        return self.timeline.n_months

    @property
    def n_researchers(self) -> int:
        """N, the cohort size."""
        return self.start_labs.shape[0]

    @property
    def focal(self) -> int:
        """Code of the focal lab."""
        return self.world.labs.index(self.world.focal_lab)

    @property
    def glue(self) -> float:
        """1.0, or 0.0 where the world switches the colleagues' glue off (the kernel's factor)."""
        return 1.0 if self.world.peer_glue else 0.0

    @property
    def contagion(self) -> bool:
        """Whether peer shares follow the colleagues' moves (else :meth:`unmoved_positions`)."""
        return self.world.peer_contagion

    @cached_property
    def unmoved_positions(self) -> np.ndarray:
        """Where everyone would be in each month had nobody moved: int64 [T, N].

        N counts everyone the ties can point at (:attr:`colleague_start_labs`); computed once per
        compiled world, as every engine run and likelihood evaluation reads it. The start labs
        carried through the merges (a merge at month t applies from month t on, as
        in the engines); with contagion switched off, decisions count colleagues here.
        """
        merge_into = self.timeline.merge_into
        start = self.start_labs if self.colleague_start_labs is None else self.colleague_start_labs
        out = np.empty((self.n_months, len(start)), dtype=np.int64)
        labs = start.copy()
        for t in range(self.n_months):
            target = merge_into[t, labs]
            labs = np.where(target >= 0, target, labs)
            out[t] = labs
        return out


#: Largest cohort for which a world without ties.csv is expanded to everyone-tied-to-everyone.
MAX_COMPLETE_TIES = 3000


def tie_rows(ties, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row-normalised ties as CSR arrays (indptr, indices, weights), zero diagonal.

    ``ties`` None means every pair tied with weight 1 (only up to :data:`MAX_COMPLETE_TIES`
    researchers: beyond, that is N^2 ties and the world needs a ties.csv).
    """
    if ties is None:
        if n > MAX_COMPLETE_TIES:
            raise InputError(
                f"a cohort of {n} researchers without ties.csv would tie everyone to everyone "
                f"({n * (n - 1):,} ties): give a ties.csv"
            )
        ties = sparse.csr_array(np.ones((n, n)) - np.eye(n))
    matrix = sparse.csr_array(ties, dtype=np.float64, copy=True)
    matrix.setdiag(0.0)
    matrix.eliminate_zeros()
    matrix.sort_indices()
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    scale = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    matrix = sparse.csr_array(sparse.diags_array(scale) @ matrix)
    return (
        matrix.indptr.astype(np.int64),
        matrix.indices.astype(np.int64),
        matrix.data.astype(np.float64),
    )


def name_keys(names: tuple[str, ...], bits: int, source: str) -> np.ndarray:
    """Stable integer keys of names (BLAKE2b, ``bits`` 32 or 64) as uint64; collisions are errors.

    The keys place each researcher's and lab's random numbers (:mod:`sim.kernel.streams`): they
    depend on the name alone, not on its row, so adding or removing anyone moves nobody else's
    numbers.
    """
    keys = np.array(
        [int.from_bytes(hashlib.blake2b(n.encode(), digest_size=bits // 8).digest(), "little")
         for n in names], dtype=np.uint64,
    )  # fmt: skip
    if len(set(keys.tolist())) < len(keys):
        raise InputError(
            "two names share a random-number key (a hash collision): rename one", source=source
        )
    return keys


def _check_event(event: Event, world: World, source: str, key: str) -> None:
    if not event.id:
        raise InputError("every event needs an id", source=source, key=key)
    if event.kind not in EVENT_KINDS:
        raise InputError(
            f"kind {event.kind!r} is not one of {', '.join(EVENT_KINDS)}", source=source, key=key
        )
    month = month_index(event.month, world.calendar, source, _column(key, "month"))
    if event.lab != "*" and event.lab not in world.labs:
        raise InputError(
            f"lab {event.lab!r} is not in labs.csv (known: {', '.join(world.labs)}, or * for all)",
            source=source,
            key=_column(key, "lab"),
        )
    if event.kind == "merge":
        if event.lab == "*" or event.into not in world.labs:
            raise InputError(
                f"a merge needs a lab and an existing 'into' lab, got {event.lab!r} -> "
                f"{event.into!r}",
                source=source,
                key=key,
            )
        into = world.labs.index(event.into)
        if event.into == event.lab:
            raise InputError(f"a lab cannot merge into itself ({event.lab!r})", source=source,
                             key=key)  # fmt: skip
        if founding_month(world.founded[into], world.calendar) > month:
            raise InputError(
                f"merge into {event.into!r} in {event.month}, before it is founded "
                f"({world.founded[into]})",
                source=source,
                key=key,
            )
        return
    if event.attribute not in ATTRIBUTE_NAMES:
        raise InputError(
            f"attribute {event.attribute!r} is not one of {', '.join(ATTRIBUTE_NAMES)}",
            source=source,
            key=_column(key, "attribute"),
        )
    low = -1.0 if event.kind == "shift" else 0.0
    if math.isnan(event.value):
        raise InputError(
            f"a {event.kind} event needs a value in [{low:g}, 1]; none was given",
            source=source, key=_column(key, "value"),
        )  # fmt: skip
    if not low <= event.value <= 1.0:
        raise InputError(
            f"value {event.value} is outside [{low:g}, 1] for a {event.kind} event",
            source=source,
            key=_column(key, "value"),
        )


def _column(key: str, column: str) -> str:
    """Where a field of an event is: a CSV row's column, or a scenario key's field."""
    return f"{key}, column {column}" if key.startswith("row ") else f"{key}.{column}"
