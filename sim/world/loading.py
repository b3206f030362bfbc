"""Loading a world from its folder of data files (the format: :mod:`sim.world.structure`).

Every file is read as text and checked cell by cell (:mod:`sim.world.checks`); the world is then
validated as a whole (:meth:`~sim.world.structure.World.validate`), its statistics checked
(:mod:`sim.world.statistics`) and its observed history read (:mod:`sim.world.observed`).
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from sim.errors import InputError, suggest
from sim.kernel.behavior import ATTRIBUTE_NAMES
from sim.world.checks import (
    check_founded,
    month_index,
    no_blanks,
    no_duplicates,
    number,
    split_list,
)
from sim.world.files import read_table, read_toml
from sim.world.founding import read_founding, with_own_startups
from sim.world.observed import load_observed
from sim.world.relocations import Relocation
from sim.world.statistics import check_statistics
from sim.world.structure import Event, World
from sim.world.timeline import Calendar


def load_world(where: str | Path) -> World:
    """Load a world: a packaged world by name (``"llama"``) or a folder of its files.

    The world's name is its identity in a joint posterior (``name_declared``) where world.toml
    declares it or the world is a packaged one loaded by name; a folder's default name (the
    folder's) only labels its outputs.
    """
    folder = Path(where)
    packaged = not folder.is_dir()
    if packaged:
        shipped = resources.files("sim") / "data" / str(where)
        if not shipped.is_dir():
            raise InputError(
                f"no world {str(where)!r}: expected a packaged world name "
                f"({', '.join(packaged_worlds())}) or a folder with world.toml, cohort.csv, "
                "labs.csv, attributes.csv and events.csv"
            )
        folder = Path(str(shipped))
    declared = read_world_toml(folder / "world.toml")
    calendar = declared["calendar"]
    cohort = _read(folder, "cohort.csv")
    labs = _read(folder, "labs.csv")
    attributes = _read(folder, "attributes.csv")
    events = _read(folder, "events.csv")
    ties_table = _read(folder, "ties.csv") if (folder / "ties.csv").exists() else None
    moves_of_city = (
        _read(folder, "relocations.csv") if (folder / "relocations.csv").exists() else None
    )

    names = tuple(cohort["name"])
    lab_names = tuple(labs["name"])
    no_blanks(names, folder / "cohort.csv", "name")
    no_blanks(lab_names, folder / "labs.csv", "name")
    no_duplicates(names, folder / "cohort.csv", "name")
    no_duplicates(lab_names, folder / "labs.csv", "name")
    tenure = [
        number(v, folder / "cohort.csv", f"row {r}, column tenure_years", allow_blank=True)
        for r, v in enumerate(cohort["tenure_years"], start=2)
    ]
    for row, value in enumerate(tenure, start=2):
        if value < 0:
            raise InputError(
                f"tenure_years must be >= 0 (or blank: unknown), got {value:g}",
                source=str(folder / "cohort.csv"), key=f"row {row}, column tenure_years",
            )  # fmt: skip
    known = [t for t in tenure if not math.isnan(t)]
    fill = float(np.median(known)) if known else 0.0
    for row, value in enumerate(labs["founded"], start=2):
        if value:
            check_founded(value, calendar, folder / "labs.csv", f"row {row}, column founded")
    world = World(
        name=declared["name"],
        researchers=names,
        cities=tuple(cohort["city"]),
        start_labs=tuple(cohort["start_lab"]),
        tenure_years=tuple(fill if math.isnan(t) else t for t in tenure),
        labs=lab_names,
        lab_cities=tuple(split_list(c) for c in labs["cities"]),
        founded=tuple(labs["founded"]),
        founders=tuple(split_list(f) for f in labs["founders"]),
        attributes=_attribute_matrix(attributes, lab_names, folder / "attributes.csv"),
        events=tuple(_events(events, folder / "events.csv", calendar)),
        ties=_tie_matrix(ties_table, names, folder / "ties.csv"),
        relocations=()
        if moves_of_city is None
        else tuple(
            Relocation(r.name, r.month, r.city, key=f"row {k}")
            for k, r in enumerate(moves_of_city.itertuples(index=False), start=2)
        ),
        source=str(folder),
        calendar=calendar,
        focal_lab=declared["focal_lab"],
        title=declared["title"],
        description=declared["description"],
        folder=str(folder),
        # a shipped world's name is the library's (k0[llama]); a folder's only if world.toml says
        name_declared=declared["name_declared"] or packaged,
        founding_chosen=declared["founding_chosen"],
        funding_climate=declared["funding_climate"],
    )
    if declared["own_startup"]:
        world = with_own_startups(world, source=str(folder / "world.toml"))
    world = world.replace(statistics=check_statistics(declared["statistics"], world))
    if (folder / "observed.csv").exists():
        world = world.replace(observed=load_observed(folder / "observed.csv", world))
    return world


_WORLD_KEYS = ("name", "title", "description", "start", "observed_until", "focal_lab", "horizon",
               "statistic", "founding", "funding_climate", "own_startup")  # fmt: skip


def read_world_toml(path: Path) -> dict:
    """The declarations of ``world.toml``: title, calendar, focal lab, statistics (unchecked)."""
    if not path.exists():
        raise InputError(
            "missing file: a world folder needs world.toml with at least title, start "
            '(start = "YYYY-MM") and, unless everyone starts at one lab, focal_lab',
            source=str(path),
        )
    raw = read_toml(path)
    for key in raw:
        if key not in _WORLD_KEYS:
            raise InputError(
                f"unknown key{suggest(key, _WORLD_KEYS)}; known keys: {', '.join(_WORLD_KEYS)}",
                source=str(path), key=key,
            )  # fmt: skip
    for key in ("name", "title", "description", "start", "observed_until", "focal_lab", "horizon"):
        if key in raw and not isinstance(raw[key], str):
            raise InputError(f"expected a string, got {raw[key]!r}", source=str(path), key=key)
    if "start" not in raw:
        raise InputError('missing key: expected start = "YYYY-MM"', source=str(path), key="start")
    try:
        calendar = Calendar(raw["start"])
    except ValueError as exc:
        raise InputError(str(exc), source=str(path), key="start") from None
    for key in ("observed_until", "horizon"):
        if key in raw:
            month_index(raw[key], calendar, path, key)
    calendar = Calendar(raw["start"], raw.get("observed_until"), raw.get("horizon"))
    if (
        calendar.horizon
        and calendar.observed_until
        and (calendar.index(calendar.horizon) < calendar.index(calendar.observed_until))
    ):
        raise InputError(
            f"horizon {calendar.horizon} is before observed_until {calendar.observed_until}: a "
            "run to the default horizon would not reach the end of the observed history (and its "
            "statistics there); set horizon at or after observed_until",
            source=str(path), key="horizon",
        )  # fmt: skip
    statistics = raw.get("statistic", [])
    if not isinstance(statistics, list):
        raise InputError("expected [[statistic]] tables", source=str(path), key="statistic")
    return {
        "calendar": calendar,
        "name": raw.get("name", path.parent.name),
        "name_declared": "name" in raw,
        "title": raw.get("title", path.parent.name),
        "description": raw.get("description", ""),
        "focal_lab": raw.get("focal_lab", ""),
        "statistics": [(str(path), k, entry) for k, entry in enumerate(statistics)],
        **read_founding(raw, path),
    }


def packaged_worlds() -> list[str]:
    """Names of the worlds shipped inside the package."""
    root = resources.files("sim") / "data"
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("_"))


def _read(folder: Path, filename: str) -> pd.DataFrame:
    path = folder / filename
    if not path.exists():
        raise InputError(f"missing file (a world needs {filename})", source=str(path))
    return read_table(path, _REQUIRED[filename])


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
        value = number(rec.value, path, f"row {row}, column value")
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


def _events(table: pd.DataFrame, path: Path, calendar: Calendar) -> list[Event]:
    events = []
    for row, rec in enumerate(table.itertuples(index=False), start=2):
        key = f"row {row}"
        month_index(rec.month, calendar, path, f"{key}, column month")
        value = number(rec.value, path, f"{key}, column value", allow_blank=rec.kind == "merge")
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


def _tie_matrix(table: pd.DataFrame | None, names: tuple[str, ...], path: Path):
    """Symmetric sparse tie weights from ties.csv (None without the file: everyone tied)."""
    if table is None:
        return None
    index = {name: i for i, name in enumerate(names)}
    seen: dict[tuple[int, int], int] = {}
    rows, cols, weights = [], [], []
    for row, rec in enumerate(table.itertuples(index=False), start=2):
        for column in ("a", "b"):
            if getattr(rec, column) not in index:
                raise InputError(
                    f"{getattr(rec, column)!r} is not in cohort.csv",
                    source=str(path),
                    key=f"row {row}, column {column}",
                )
        weight = number(rec.weight, path, f"row {row}, column weight")
        if weight < 0:
            raise InputError(
                "tie weights must be >= 0", source=str(path), key=f"row {row}, column weight"
            )
        i, k = index[rec.a], index[rec.b]
        if i == k:
            raise InputError(f"a tie of {rec.a!r} with themselves", source=str(path),
                             key=f"row {row}")  # fmt: skip
        pair = (min(i, k), max(i, k))
        if pair in seen:
            raise InputError(
                f"the pair {rec.a!r} - {rec.b!r} is listed twice (first at row {seen[pair]}): "
                "give each pair once", source=str(path), key=f"row {row}",
            )  # fmt: skip
        seen[pair] = row
        rows += [i, k]
        cols += [k, i]
        weights += [weight, weight]
    n = len(names)
    return sparse.csr_array((weights, (rows, cols)), shape=(n, n))


_REQUIRED = {
    "cohort.csv": ("name", "city", "start_lab", "tenure_years"),
    "labs.csv": ("name", "cities", "founded", "founders"),
    "attributes.csv": ("lab", "attribute", "value"),
    "events.csv": ("id", "month", "kind", "lab", "attribute", "value", "into"),
    "ties.csv": ("a", "b", "weight"),
    "relocations.csv": ("name", "month", "city"),
}
