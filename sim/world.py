"""The world: the cohort, the labs, their ties and the dated events, loaded from data files.

A world is a folder of CSV files (the default, ``sim/data/llama/``, encodes
``reference/facts.md``; every row carries its source and certainty):

* ``cohort.csv``: name, city, start_lab, years_at_meta (blank: unknown);
* ``labs.csv``: name, cities (``;``-separated, ``*`` = everywhere), founded (``YYYY-MM``, blank:
  exists at the start), founders (cohort names, ``;``-separated);
* ``attributes.csv``: lab, attribute, value in [0, 1]: each lab's starting attributes;
* ``events.csv``: id, month, kind (set | shift | merge), lab (or ``*``), attribute, value, into;
* ``ties.csv`` (optional): a, b, weight; without it every pair is tied with weight 1.

Another cohort runs from another folder of such files, with no code change. Loading checks every
cross-reference and range and raises :class:`~sim.errors.InputError` naming the file, the row and
the column. A researcher with unknown tenure gets the median of the known tenures.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from sim.behavior import ATTRIBUTE_NAMES
from sim.errors import InputError
from sim.timeline import LabTimeline, compile_timeline, month_in_window, parse_month

EVENT_KINDS = ("set", "shift", "merge")
#: ``founded`` of a lab that never exists in this world (a scenario's ``remove_labs``). The lab
#: keeps its place, so lab codes and random numbers line up with the world it was removed from.
NEVER = "never"


def founding_month(founded: str) -> int:
    """Month index at which a lab comes into existence: 0 for "", a huge number for NEVER."""
    if founded == NEVER:
        return 10**9
    return parse_month(founded) if founded else 0


_REQUIRED = {
    "cohort.csv": ("name", "city", "start_lab", "years_at_meta"),
    "labs.csv": ("name", "cities", "founded", "founders"),
    "attributes.csv": ("lab", "attribute", "value"),
    "events.csv": ("id", "month", "kind", "lab", "attribute", "value", "into"),
    "ties.csv": ("a", "b", "weight"),
}


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


@dataclass(frozen=True)
class World:
    """Everything the engines need to know about the people and the labs, before compilation."""

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
    ties: np.ndarray = field(default=None, repr=False)  # float [N, N], symmetric, zero diagonal
    source: str = "<memory>"

    def __post_init__(self):
        self.validate()

    # ----------------------------------------------------------------- validation
    def validate(self) -> None:
        """Check every cross-reference and range; raise InputError naming what is wrong."""
        src = self.source
        _no_duplicates(self.researchers, f"{src}/cohort.csv", "name")
        _no_duplicates(self.labs, f"{src}/labs.csv", "name")
        lab_set = set(self.labs)
        for row, lab in enumerate(self.start_labs, start=2):
            if lab not in lab_set:
                raise InputError(
                    f"start_lab {lab!r} is not a lab in labs.csv (known: {', '.join(self.labs)})",
                    source=f"{src}/cohort.csv",
                    key=f"row {row}, column start_lab",
                )
            j = self.labs.index(lab)
            if founding_month(self.founded[j]) > 0:
                raise InputError(
                    f"researcher starts at {lab!r}, which is founded only in {self.founded[j]}",
                    source=f"{src}/cohort.csv",
                    key=f"row {row}, column start_lab",
                )
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
            _check_event(event, self, f"{src}/events.csv", f"row {row} (id {event.id!r})")
        _no_duplicates(tuple(e.id for e in self.events), f"{src}/events.csv", "id")

    @property
    def pooled_labs(self) -> tuple[str, ...]:
        """Catch-all labs (cities ``*``) standing for many real labs, such as ``Other``.

        Counting distinct destinations, each researcher at a pooled lab counts as a lab of their
        own: two authors at "any other lab or startup" are almost surely at two different ones.
        """
        return tuple(lab for lab, c in zip(self.labs, self.lab_cities, strict=True) if "*" in c)

    @property
    def existing_labs(self) -> tuple[str, ...]:
        """The labs that exist at some month (all but those a scenario removed)."""
        return tuple(lab for lab, f in zip(self.labs, self.founded, strict=True) if f != NEVER)

    # ----------------------------------------------------------------- edits (scenarios)
    def replace(self, **changes) -> World:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def without_labs(self, names: list[str]) -> World:
        """The world in which the named labs never exist; their events go.

        The labs keep their places (``founded`` becomes :data:`NEVER`), so every other lab keeps
        its code and its researchers' random fits: a counterfactual without a lab is compared
        with the baseline on common random numbers, draw for draw.
        """
        unknown = [n for n in names if n not in self.labs]
        if unknown:
            raise InputError(f"unknown lab(s) {unknown}; known labs: {', '.join(self.labs)}")
        founded = zip(self.labs, self.founded, strict=True)
        return self.replace(
            founded=tuple(NEVER if lab in names else f for lab, f in founded),
            events=tuple(e for e in self.events if e.lab not in names and e.into not in names),
        )

    # ----------------------------------------------------------------- compilation
    def compile(self, horizon: str) -> CompiledWorld:
        """Arrays for the engines, from month 0 through ``horizon`` inclusive."""
        try:
            n_months = month_in_window(horizon) + 1
        except ValueError as exc:
            raise InputError(str(exc), key="horizon") from None
        lab_index = {lab: j for j, lab in enumerate(self.labs)}
        attr_index = {a: k for k, a in enumerate(ATTRIBUTE_NAMES)}
        events = [
            (
                parse_month(e.month),
                e.kind,
                -1 if e.lab == "*" else lab_index[e.lab],
                attr_index.get(e.attribute, -1),
                float(e.value),
                lab_index.get(e.into, -1),
            )
            for e in self.events
            if parse_month(e.month) < n_months
        ]
        founded = np.array([founding_month(f) for f in self.founded], dtype=np.int64)
        timeline = compile_timeline(self.attributes, founded, events, n_months)
        n, n_labs = len(self.researchers), len(self.labs)
        home = np.zeros((n, n_labs))
        founder = np.zeros((n, n_labs))
        for j, cities in enumerate(self.lab_cities):
            for i, city in enumerate(self.cities):
                home[i, j] = float("*" in cities or (bool(city) and city in cities))
            for person in self.founders[j]:
                founder[self.researchers.index(person), j] = 1.0
        return CompiledWorld(
            world=self,
            horizon=horizon,
            start_labs=np.array([lab_index[lab] for lab in self.start_labs], dtype=np.int64),
            start_tenure=np.array(self.tenure_years, dtype=np.float64),
            ties=normalise_ties(self.ties),
            home=home,
            founder=founder,
            timeline=timeline,
        )


@dataclass(frozen=True)
class CompiledWorld:
    """A world as arrays over a fixed horizon: what both engines consume."""

    world: World
    horizon: str
    start_labs: np.ndarray  # int64 [N]
    start_tenure: np.ndarray  # float64 [N]
    ties: np.ndarray  # float64 [N, N], rows sum to 1 (or 0 for an isolated researcher)
    home: np.ndarray  # float64 [N, L]
    founder: np.ndarray  # float64 [N, L]
    timeline: LabTimeline

    @property
    def n_months(self) -> int:
        """T, months simulated (month 0 through the horizon)."""
        return self.timeline.n_months

    @property
    def n_researchers(self) -> int:
        """N, the cohort size."""
        return self.start_labs.shape[0]


def normalise_ties(ties: np.ndarray) -> np.ndarray:
    """Row-normalise tie weights (zero diagonal), so peer shares are fractions of one's ties."""
    weights = np.array(ties, dtype=np.float64)
    np.fill_diagonal(weights, 0.0)
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)


# --------------------------------------------------------------------------- loading
def load_world(where: str | Path = "llama") -> World:
    """Load a world: a packaged world by name (``"llama"``) or a folder of the CSV files."""
    folder = Path(where)
    if not folder.is_dir():
        packaged = resources.files("sim") / "data" / str(where)
        if not packaged.is_dir():
            raise InputError(
                f"no world {str(where)!r}: expected a packaged world name "
                f"({', '.join(packaged_worlds())}) or a folder with cohort.csv, labs.csv, "
                "attributes.csv and events.csv"
            )
        folder = Path(str(packaged))
    cohort = _read(folder, "cohort.csv")
    labs = _read(folder, "labs.csv")
    attributes = _read(folder, "attributes.csv")
    events = _read(folder, "events.csv")
    ties_table = _read(folder, "ties.csv") if (folder / "ties.csv").exists() else None

    names = tuple(cohort["name"])
    lab_names = tuple(labs["name"])
    _no_duplicates(names, folder / "cohort.csv", "name")
    _no_duplicates(lab_names, folder / "labs.csv", "name")
    tenure = [
        _number(v, folder / "cohort.csv", f"row {r}, column years_at_meta", allow_blank=True)
        for r, v in enumerate(cohort["years_at_meta"], start=2)
    ]
    known = [t for t in tenure if not math.isnan(t)]
    fill = float(np.median(known)) if known else 0.0
    founded = []
    for row, value in enumerate(labs["founded"], start=2):
        if value:
            _month(value, folder / "labs.csv", f"row {row}, column founded")
        founded.append(value)
    return World(
        name=folder.name,
        researchers=names,
        cities=tuple(cohort["city"]),
        start_labs=tuple(cohort["start_lab"]),
        tenure_years=tuple(fill if math.isnan(t) else t for t in tenure),
        labs=lab_names,
        lab_cities=tuple(_split(c) for c in labs["cities"]),
        founded=tuple(founded),
        founders=tuple(_split(f) for f in labs["founders"]),
        attributes=_attribute_matrix(attributes, lab_names, folder / "attributes.csv"),
        events=tuple(_events(events, folder / "events.csv")),
        ties=_tie_matrix(ties_table, names, folder / "ties.csv"),
        source=str(folder),
    )


def packaged_worlds() -> list[str]:
    """Names of the worlds shipped inside the package."""
    root = resources.files("sim") / "data"
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("_"))


def _read(folder: Path, filename: str) -> pd.DataFrame:
    path = folder / filename
    if not path.exists():
        raise InputError(f"missing file (a world needs {filename})", source=str(path))
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as exc:  # pandas raises several types for unreadable CSV
        raise InputError(f"not a readable CSV file ({exc})", source=str(path)) from exc
    missing = [c for c in _REQUIRED[filename] if c not in table.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; expected at least {list(_REQUIRED[filename])}",
            source=str(path),
        )
    return table.apply(lambda col: col.str.strip())


def _attribute_matrix(table: pd.DataFrame, labs: tuple[str, ...], path: Path) -> np.ndarray:
    values = np.full((len(labs), len(ATTRIBUTE_NAMES)), np.nan)
    for row, rec in enumerate(table.itertuples(index=False), start=2):
        if rec.lab not in labs:
            raise InputError(
                f"lab {rec.lab!r} is not in labs.csv (known: {', '.join(labs)})",
                source=str(path),
                key=f"row {row}, column lab",
            )
        if rec.attribute not in ATTRIBUTE_NAMES:
            raise InputError(
                f"attribute {rec.attribute!r} is not one of {', '.join(ATTRIBUTE_NAMES)}",
                source=str(path),
                key=f"row {row}, column attribute",
            )
        value = _number(rec.value, path, f"row {row}, column value")
        if not 0.0 <= value <= 1.0:
            raise InputError(
                f"value {value} is outside [0, 1]", source=str(path), key=f"row {row}, column value"
            )
        j, k = labs.index(rec.lab), ATTRIBUTE_NAMES.index(rec.attribute)
        if not np.isnan(values[j, k]):
            raise InputError(
                f"{rec.lab} {rec.attribute} is given twice", source=str(path), key=f"row {row}"
            )
        values[j, k] = value
    missing = [
        f"{labs[j]} {ATTRIBUTE_NAMES[k]}"
        for j, k in zip(*np.nonzero(np.isnan(values)), strict=True)
    ]
    if missing:
        raise InputError(f"no value for {', '.join(missing[:6])}", source=str(path))
    return values


def _events(table: pd.DataFrame, path: Path) -> list[Event]:
    events = []
    for row, rec in enumerate(table.itertuples(index=False), start=2):
        key = f"row {row}"
        _month(rec.month, path, f"{key}, column month")
        value = _number(rec.value, path, f"{key}, column value", allow_blank=rec.kind == "merge")
        events.append(
            Event(
                id=rec.id,
                month=rec.month,
                kind=rec.kind,
                lab=rec.lab,
                attribute=rec.attribute,
                value=value,
                into=rec.into,
                description=getattr(rec, "description", ""),
            )
        )
    return events


def _check_event(event: Event, world: World, source: str, key: str) -> None:
    if not event.id:
        raise InputError("every event needs an id", source=source, key=key)
    if event.kind not in EVENT_KINDS:
        raise InputError(
            f"kind {event.kind!r} is not one of {', '.join(EVENT_KINDS)}", source=source, key=key
        )
    month = _month(event.month, source, f"{key}, column month")
    if event.lab != "*" and event.lab not in world.labs:
        raise InputError(
            f"lab {event.lab!r} is not in labs.csv (known: {', '.join(world.labs)}, or * for all)",
            source=source,
            key=f"{key}, column lab",
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
        if founding_month(world.founded[into]) > month:
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
            key=f"{key}, column attribute",
        )
    low = -1.0 if event.kind == "shift" else 0.0
    if not low <= event.value <= 1.0:
        raise InputError(
            f"value {event.value} is outside [{low:g}, 1] for a {event.kind} event",
            source=source,
            key=f"{key}, column value",
        )


def _tie_matrix(table: pd.DataFrame | None, names: tuple[str, ...], path: Path) -> np.ndarray:
    n = len(names)
    if table is None:
        return np.ones((n, n)) - np.eye(n)
    ties = np.zeros((n, n))
    for row, rec in enumerate(table.itertuples(index=False), start=2):
        for column in ("a", "b"):
            if getattr(rec, column) not in names:
                raise InputError(
                    f"{getattr(rec, column)!r} is not in cohort.csv",
                    source=str(path),
                    key=f"row {row}, column {column}",
                )
        weight = _number(rec.weight, path, f"row {row}, column weight")
        if weight < 0:
            raise InputError(
                "tie weights must be >= 0", source=str(path), key=f"row {row}, column weight"
            )
        i, k = names.index(rec.a), names.index(rec.b)
        ties[i, k] = ties[k, i] = weight
    return ties


def _number(text: str, path, key: str, allow_blank: bool = False) -> float:
    if text == "" and allow_blank:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"expected a number, got {text!r}", source=str(path), key=key) from None
    if math.isnan(value) or math.isinf(value):
        raise InputError(f"expected a finite number, got {text!r}", source=str(path), key=key)
    return value


def _month(text: str, path, key: str) -> int:
    try:
        return month_in_window(text)
    except ValueError as exc:
        raise InputError(str(exc), source=str(path), key=key) from None


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in str(text).split(";") if part.strip())


def _no_duplicates(values: tuple[str, ...], path, column: str) -> None:
    seen = set()
    for row, value in enumerate(values, start=2):
        if value in seen:
            raise InputError(
                f"duplicate {column} {value!r}", source=str(path), key=f"row {row}, column {column}"
            )
        seen.add(value)
