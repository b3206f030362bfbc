"""The page's scenarios: the catalog of scenario files, and the reference a scenario loads as.

* :func:`catalog`: the worlds and the scenario files of each (the shipped ``scenarios/`` and
  ``scenarios/openai-founders/``), found by the world each file names or inherits;
* :func:`load_reference`: the chosen scenario (the *reference*) with what its levers can do:
  its events (each on or off), its labs (each present or removed), its months.

A malformed scenario raises the same :class:`~sim.errors.InputError` as on the command line,
and the page shows its one paragraph (:func:`error_text`).
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sim.config.scenario import Scenario, find_scenario, load_scenario
from sim.errors import InputError
from sim.paths import SCENARIO_DIR
from sim.world import NEVER, packaged_worlds

#: Where the shipped scenarios are: this folder and its sub-folders (one per world).
SCENARIO_ROOT = SCENARIO_DIR


# --------------------------------------------------------------------------- errors
def error_text(exc: BaseException) -> str:
    """What the page shows for bad input: the one paragraph the command line prints.

    ``sim run FILE`` prints ``sim run: error: `` followed by exactly this text.
    """
    return " ".join(str(exc).split()) if isinstance(exc, InputError) else f"{exc}"


# --------------------------------------------------------------------------- the catalog
@dataclass(frozen=True)
class ScenarioEntry:
    """A scenario file the page offers: its label, its path and the world it runs on.

    ``world`` is "" where the file names no world that can be found without loading it (a
    malformed file): such a file is offered with the other files of its folder, and choosing it
    shows its error.
    """

    label: str
    path: Path
    world: str


def catalog(root: Path = SCENARIO_ROOT) -> dict[str, list[ScenarioEntry]]:
    """World -> its scenario files (baseline first, then by label), for the packaged worlds.

    Files are the ``*.toml`` of ``root`` and of its direct sub-folders; each belongs to the world
    it names (``[world] name``) or inherits through ``extends``.
    """
    worlds = packaged_worlds()
    entries: list[ScenarioEntry] = []
    for folder in [root, *sorted(p for p in root.iterdir() if p.is_dir())]:
        files = sorted(folder.glob("*.toml"))
        found = [(path, _world_of(path)) for path in files]
        named = Counter(w for _, w in found if w)
        usual = named.most_common(1)[0][0] if named else ""
        for path, world in found:
            label = path.stem if folder == root else f"{folder.name}/{path.stem}"
            entries.append(ScenarioEntry(label, path.resolve(), world or usual))
    out: dict[str, list[ScenarioEntry]] = {w: [] for w in worlds}
    for entry in entries:
        if entry.world in out:
            out[entry.world].append(entry)
    for items in out.values():
        items.sort(key=lambda e: (Path(e.label).name != "baseline", e.label))
    return out


def default_entry(world: str, entries: dict[str, list[ScenarioEntry]]) -> ScenarioEntry:
    """The scenario the page opens for a world: its baseline (the first of :func:`catalog`)."""
    items = entries.get(world) or []
    if not items:
        raise InputError(f"no scenario file for world {world!r} in {SCENARIO_ROOT}")
    return items[0]


def _world_of(path: Path, seen: tuple[str, ...] = ()) -> str:
    """The world a scenario file names or inherits, read without validating it ("" if none)."""
    if str(path) in seen or len(seen) > 20:
        return ""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ""
    world = raw.get("world")
    if isinstance(world, dict) and isinstance(world.get("name"), str) and world["name"]:
        return Path(world["name"]).name
    parent = raw.get("extends")
    if not isinstance(parent, str) or not parent:
        return ""
    try:
        return _world_of(find_scenario(parent, relative_to=path.parent), (*seen, str(path)))
    except InputError:
        return ""


# --------------------------------------------------------------------------- the reference
@dataclass(frozen=True)
class EventLever:
    """An event of the reference's world, for its on/off lever.

    ``locked``: added by the reference scenario itself (``add_events``), so a file that extends
    it cannot remove it; shown, not switchable.
    """

    id: str
    month: str
    kind: str
    lab: str
    attribute: str
    value: float
    into: str
    description: str
    locked: bool

    def summary(self) -> str:
        """One line: month, what changes, where."""
        if self.kind == "merge":
            what = f"{self.lab} merges into {self.into}"
        else:
            sign = "+" if self.kind == "shift" and self.value >= 0 else ""
            verb = "set to" if self.kind == "set" else "by"
            what = f"{self.lab} {self.attribute} {verb} {sign}{self.value:g}"
        return f"{self.month} {self.id}: {what}"


@dataclass(frozen=True)
class LabLever:
    """A lab of the reference's world, for its present/removed lever.

    ``removable`` is False for the focal lab, a start lab, or a lab the reference removed.
    """

    name: str
    founded: str
    removable: bool
    removed_by_reference: bool


@dataclass(frozen=True)
class Reference:
    """The chosen scenario, loaded, with its baseline and what its levers can do."""

    scenario: Scenario
    baseline: Scenario
    events: tuple[EventLever, ...]
    labs: tuple[LabLever, ...]
    months: tuple[str, ...]  # month 0 through the horizon

    @property
    def path(self) -> Path:
        """The reference scenario's file."""
        return Path(self.scenario.path)

    @property
    def world(self):
        """The reference's (edited) world."""
        return self.scenario.world

    @property
    def posterior_available(self) -> bool:
        """Whether the posterior the reference would draw from exists."""
        return self.scenario.posterior_path().exists()

    def event(self, event_id: str) -> EventLever | None:
        """The event lever with this id, if any."""
        return next((e for e in self.events if e.id == event_id), None)

    def lab(self, name: str) -> LabLever | None:
        """The lab lever with this name, if any."""
        return next((lab for lab in self.labs if lab.name == name), None)


def load_reference(path: str | Path) -> Reference:
    """Load a scenario as the page's reference (cached while its files are unchanged).

    Raises:
        InputError: the same error, word for word, as ``sim run`` on that file.
    """
    resolved = find_scenario(path)
    return _load_reference(str(resolved), _stamp(resolved))


def _stamp(path: Path) -> tuple:
    """Modification times of a file and of the files it extends (a cache key)."""
    stamps, current, seen = [], path, set()
    while current is not None and str(current) not in seen and len(seen) < 20:
        seen.add(str(current))
        try:
            stamps.append((str(current), current.stat().st_mtime_ns))
            raw = tomllib.loads(current.read_text(encoding="utf-8"))
            parent = raw.get("extends")
            current = find_scenario(parent, current.parent) if isinstance(parent, str) else None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, InputError):
            current = None
    return tuple(stamps)


@lru_cache(maxsize=32)
def _load_reference(path: str, stamp: tuple) -> Reference:
    scenario = load_scenario(path)
    root = Path(scenario.chain[-1])
    baseline = scenario if str(root) == str(scenario.path) else load_scenario(root)
    world = scenario.world
    added = {e.id for e in scenario.spec.world.add_events}
    events = tuple(
        EventLever(
            id=e.id,
            month=e.month,
            kind=e.kind,
            lab=e.lab,
            attribute=e.attribute,
            value=float(e.value),
            into=e.into,
            description=e.description,
            locked=e.id in added,
        )
        for e in sorted(world.events, key=lambda e: world.calendar.index(e.month))
    )
    fixed = set(world.start_labs) | {world.focal_lab}
    labs = tuple(
        LabLever(
            name=lab,
            founded=founded,
            removable=lab not in fixed and founded != NEVER,
            removed_by_reference=founded == NEVER,
        )
        for lab, founded in zip(world.labs, world.founded, strict=True)
    )
    n_months = world.calendar.index(scenario.horizon) + 1
    months = tuple(world.calendar.labels(n_months))
    return Reference(scenario, baseline, events, labs, months)
