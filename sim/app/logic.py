"""The page's logic, without a browser: settings, checks, the scenario file, the numbers.

Everything the page (:mod:`sim.app.page`) shows is computed here by plain functions, so the
tests call them directly:

* :func:`catalog`: the worlds and the scenario files of each (the shipped ``scenarios/`` and
  ``scenarios/openai-founders/``), found by the world each file names or inherits;
* :func:`load_reference`: the chosen scenario (the *reference*) with what its levers can do:
  its events (each on or off), its labs (each present or removed), its months;
* :class:`Settings`: the levers' values (offsets to lab attributes from a month, events off,
  labs removed, fixed parameter values or the posterior, replicates, seed), checked by
  :func:`check_settings` (a value out of range is an :class:`~sim.errors.InputError` naming the
  lever);
* :func:`scenario_toml`: the settings as a scenario file that ``extends`` the reference by its
  absolute path and adds the edits, which ``sim run`` accepts unchanged;
* :func:`compute`: the edited scenario, loaded from that very file, against the unedited
  reference under common random numbers (:func:`sim.compare.compare`: same replicate seeds and
  parameter draws) and the baseline's band; the headline number is the mean number of the
  cohort still at the focal lab at the checkpoint month, as ``sim run`` would report it for the
  downloaded file at the same seed and replicates;
* :func:`replicate_model`: one replicate of the edited scenario as the Mesa model
  (:class:`sim.model.ExodusModel`), stepped month by month; :func:`who_is_where` reads it.

A malformed scenario raises the same :class:`~sim.errors.InputError` as on the command line,
and the page shows its one paragraph (:func:`error_text`).
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import re
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.params import PARAMETER_SPACE, parameter
from sim.config.scenario import Scenario, find_scenario, load_scenario
from sim.engines.mesa_model import ExodusModel
from sim.errors import InputError
from sim.kernel.behavior import ATTRIBUTE_NAMES, PARAMETER_NAMES
from sim.paths import SCENARIO_DIR
from sim.world import NEVER, packaged_worlds

#: Where the shipped scenarios are: this folder and its sub-folders (one per world).
SCENARIO_ROOT = SCENARIO_DIR
#: Replicates the page starts with, and the most it accepts.
DEFAULT_REPLICATES = 1000
MAX_REPLICATES = 100_000
#: Where the parameters come from: the reference's own choice, or one of these.
PARAMETER_SOURCES = ("posterior", "prior-mean")
#: An offset shifts a lab's attribute by this much at most, either way (a ``shift`` event).
OFFSET_LIMIT = 1.0
#: Prefix of the ids of the shift events the page writes.
EVENT_PREFIX = "app_offset"


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


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Offset:
    """An offset to one attribute of one lab from a month on: a ``shift`` event."""

    lab: str
    attribute: str
    month: str
    value: float


@dataclass(frozen=True)
class Settings:
    """The levers' values: what the page runs and what a downloaded scenario file says.

    Attributes:
        scenario: the reference scenario file (absolute path).
        offsets: at most one per (lab, attribute); each becomes a shift event.
        events_off: ids of the reference's events switched off (``remove_events``).
        labs_removed: labs that never exist (``remove_labs``).
        params: fixed parameter values (name, value), on top of the draws; sorted by name.
        params_from: "" for the reference's own ``params.from``, else ``posterior`` or
            ``prior-mean``.
        replicates: replicates per scenario.
        seed: the seed of the replicate seeds and the posterior draws (None: the reference's).
        name: the edited scenario's name ("" for the reference's name + ``-explored``).
    """

    scenario: str
    offsets: tuple[Offset, ...] = ()
    events_off: frozenset[str] = frozenset()
    labs_removed: frozenset[str] = frozenset()
    params: tuple[tuple[str, float], ...] = ()
    params_from: str = ""
    replicates: int = DEFAULT_REPLICATES
    seed: int | None = None
    name: str = ""

    # ----------------------------------------------------------------- immutable updates
    def with_offset(self, lab: str, attribute: str, month: str, value: float) -> Settings:
        """These settings with lab's attribute offset by ``value`` from ``month`` (0: none)."""
        kept = tuple(o for o in self.offsets if (o.lab, o.attribute) != (lab, attribute))
        if value == 0:
            return dataclasses.replace(self, offsets=kept)
        return dataclasses.replace(
            self, offsets=(*kept, Offset(lab, attribute, month, float(value)))
        )

    def offset(self, lab: str, attribute: str) -> Offset | None:
        """The offset of lab's attribute, if any."""
        return next((o for o in self.offsets if (o.lab, o.attribute) == (lab, attribute)), None)

    def with_event(self, event_id: str, on: bool) -> Settings:
        """These settings with an event switched on or off."""
        off = self.events_off - {event_id} if on else self.events_off | {event_id}
        return dataclasses.replace(self, events_off=frozenset(off))

    def with_lab(self, lab: str, present: bool) -> Settings:
        """These settings with a lab present or removed."""
        removed = self.labs_removed - {lab} if present else self.labs_removed | {lab}
        return dataclasses.replace(self, labs_removed=frozenset(removed))

    def with_param(self, name: str, value: float | None) -> Settings:
        """These settings with a parameter fixed at ``value`` (None: back to the draws)."""
        kept = dict(self.params)
        kept.pop(name, None)
        if value is not None:
            kept[name] = float(value)
        return dataclasses.replace(self, params=tuple(sorted(kept.items())))

    def param(self, name: str) -> float | None:
        """The fixed value of a parameter, if the page fixes it."""
        return dict(self.params).get(name)

    def edits(self) -> bool:
        """Whether anything differs from the reference's own world and parameters."""
        return bool(
            self.offsets or self.events_off or self.labs_removed or self.params or self.params_from
        )


def initial_settings(reference: Reference, replicates: int = DEFAULT_REPLICATES) -> Settings:
    """The page's settings on opening a reference: no edits, its seed.

    Where the reference draws from a posterior that does not exist yet (``sim calibrate`` has
    not been run for its world), the parameters are the prior means instead, so the page has
    something to show; the page says so.
    """
    scenario = reference.scenario
    source = ""
    if scenario.params_from == "posterior" and not reference.posterior_available:
        source = "prior-mean"
    return Settings(
        scenario=str(reference.path),
        params_from=source,
        replicates=replicates,
        seed=scenario.spec.seed,
    )


def check_settings(settings: Settings, reference: Reference) -> None:
    """Refuse lever values out of range, naming the lever and the range.

    Raises:
        InputError: an unknown lab, attribute, event or parameter; an offset outside
            [-1, 1] or a month outside the simulated months; a parameter outside its declared
            bounds (:data:`sim.params.PARAMETER_SPACE`); replicates outside 1 ..
            :data:`MAX_REPLICATES`; a negative seed.
    """
    world = reference.world
    replicates = settings.replicates
    if (
        not isinstance(replicates, int | np.integer)
        or isinstance(replicates, bool)
        or not 1 <= replicates <= MAX_REPLICATES
    ):
        raise InputError(
            f"expected a whole number from 1 to {MAX_REPLICATES:,}, got {replicates!r}",
            key="replicates",
        )
    if settings.seed is not None and (
        not isinstance(settings.seed, int | np.integer) or settings.seed < 0
    ):
        raise InputError(f"expected a whole number >= 0, got {settings.seed!r}", key="seed")
    if settings.params_from not in ("", *PARAMETER_SOURCES):
        raise InputError(
            f"expected one of {', '.join(PARAMETER_SOURCES)}, got {settings.params_from!r}",
            key="parameters from",
        )
    if settings.name and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", settings.name):
        raise InputError(
            f"expected letters, digits, '.', '_' or '-', got {settings.name!r}", key="name"
        )
    for name, value in settings.params:
        p = parameter(name, key=f"parameter {name}")
        if not (isinstance(value, int | float) and math.isfinite(value)):
            raise InputError(f"expected a number, got {value!r}", key=f"parameter {name}")
        if not p.low <= value <= p.high:
            raise InputError(
                f"{name} = {value:g} is outside its bounds [{p.low:g}, {p.high:g}]",
                key=f"parameter {name}",
            )
    seen = set()
    for o in settings.offsets:
        key = f"offset {o.lab}.{o.attribute}"
        if (o.lab, o.attribute) in seen:
            raise InputError("given twice: one offset per lab and attribute", key=key)
        seen.add((o.lab, o.attribute))
        if o.lab not in world.labs:
            raise InputError(f"unknown lab; known labs: {', '.join(world.labs)}", key=key)
        if o.attribute not in ATTRIBUTE_NAMES:
            raise InputError(
                f"unknown attribute; expected one of {', '.join(ATTRIBUTE_NAMES)}", key=key
            )
        if not (isinstance(o.value, int | float) and math.isfinite(o.value)):
            raise InputError(f"expected a number, got {o.value!r}", key=key)
        if not -OFFSET_LIMIT <= o.value <= OFFSET_LIMIT:
            raise InputError(
                f"value {o.value:g} is outside [{-OFFSET_LIMIT:g}, {OFFSET_LIMIT:g}]", key=key
            )
        if o.month not in reference.months:
            raise InputError(
                f"month {o.month!r} is outside the simulated months {reference.months[0]} .. "
                f"{reference.months[-1]}",
                key=key,
            )
    for event_id in sorted(settings.events_off):
        lever = reference.event(event_id)
        if lever is None:
            raise InputError(f"no event {event_id!r} in this scenario's world", key="events")
        if lever.locked:
            raise InputError(
                f"event {event_id!r} is added by the scenario itself and cannot be switched "
                "off in a file that extends it",
                key="events",
            )
    for lab in sorted(settings.labs_removed):
        lever = reference.lab(lab)
        if lever is None:
            raise InputError(
                f"unknown lab {lab!r}; known labs: {', '.join(world.labs)}", key="labs"
            )
        if not lever.removable and not lever.removed_by_reference:
            raise InputError(
                f"lab {lab!r} cannot be removed: the cohort starts there or it is the focal lab",
                key="labs",
            )


# --------------------------------------------------------------------------- the scenario file
def scenario_name(settings: Settings, reference: Reference) -> str:
    """The edited scenario's name: the settings' name, else the reference's + ``-explored``."""
    return settings.name or f"{reference.scenario.name}-explored"


def _removed_labs(settings: Settings, reference: Reference) -> list[str]:
    """Labs the file removes: those removed on the page that the reference has not removed."""
    return sorted(
        lab for lab in settings.labs_removed if not reference.lab(lab).removed_by_reference
    )


def _events_off(settings: Settings, reference: Reference) -> list[str]:
    """Events the file removes: those switched off whose labs stay (a removed lab's go anyway)."""
    removed = set(_removed_labs(settings, reference))
    return [
        e.id
        for e in reference.events
        if e.id in settings.events_off and e.lab not in removed and e.into not in removed
    ]


def _offsets(settings: Settings, reference: Reference) -> list[Offset]:
    """Offsets the file writes: those on labs that exist in the edited world, in a fixed order."""
    removed = set(settings.labs_removed)
    labs = list(reference.world.labs)
    return sorted(
        (o for o in settings.offsets if o.lab not in removed and o.value != 0),
        key=lambda o: (labs.index(o.lab), ATTRIBUTE_NAMES.index(o.attribute)),
    )


def _event_id(offset: Offset, taken: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", offset.lab.lower()).strip("_")
    base = f"{EVENT_PREFIX}_{slug}_{offset.attribute}"
    out, k = base, 2
    while out in taken:
        out, k = f"{base}_{k}", k + 1
    taken.add(out)
    return out


def describe_edits(settings: Settings, reference: Reference) -> list[str]:
    """The edits in words, one per line (the file's description and the page's list)."""
    lines = []
    for lab in _removed_labs(settings, reference):
        lines.append(f"{lab} never exists")
    for event_id in _events_off(settings, reference):
        lines.append(f"event {event_id} removed")
    for o in _offsets(settings, reference):
        lines.append(f"{o.lab} {o.attribute} shifted by {o.value:+g} from {o.month}")
    if settings.params_from:
        lines.append(f"parameters from {settings.params_from}")
    for name, value in settings.params:
        lines.append(f"{name} fixed at {value:g}")
    return lines


def scenario_toml(settings: Settings, reference: Reference) -> str:
    """The settings as a scenario file: ``extends`` the reference (absolute path) plus the edits.

    ``sim run FILE`` runs it unchanged, with the page's replicates and seed as its defaults,
    and reproduces the page's numbers for the edited scenario.

    Raises:
        InputError: a lever value out of range (:func:`check_settings`).
    """
    check_settings(settings, reference)
    ref = reference.scenario
    name = scenario_name(settings, reference)
    edits = describe_edits(settings, reference)
    description = (
        f"Explored with `sim app` from {ref.name} ({reference.path.name}): "
        + ("; ".join(edits) if edits else "no edits")
        + "."
    )
    lines = [
        "# Written by `sim app`: the reference scenario (extends) plus the edits made on the",
        "# page. Run it with `sim run THIS_FILE`; it reproduces the page's numbers at this seed",
        "# and number of replicates.",
        f"name = {_string(name)}",
        f"description = {_string(description)}",
        f"extends = {_string(str(reference.path))}",
        f"replicates = {int(settings.replicates)}",
        f"seed = {int(ref.spec.seed if settings.seed is None else settings.seed)}",
    ]
    world = []
    removed = _removed_labs(settings, reference)
    if removed:
        world.append(f"remove_labs = {_list(removed)}")
    off = _events_off(settings, reference)
    if off:
        world.append(f"remove_events = {_list(off)}")
    offsets = _offsets(settings, reference)
    if offsets:
        taken = {e.id for e in reference.world.events}
        world.append("add_events = [")
        for o in offsets:
            fields = {
                "id": _event_id(o, taken),
                "month": o.month,
                "kind": "shift",
                "lab": o.lab,
                "attribute": o.attribute,
                "value": float(o.value),
                "description": f"sim app: {o.lab} {o.attribute} {o.value:+g} from {o.month}",
            }
            world.append(f"    {_inline(fields)},")
        world.append("]")
    if world:
        lines += ["", "[world]", *world]
    params = []
    if settings.params_from:
        params.append(f"from = {_string(settings.params_from)}")
    params += [f"{n} = {_number(v)}" for n, v in settings.params]
    if params:
        lines += ["", "[params]", *params]
    return "\n".join(lines) + "\n"


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _number(value: float) -> str:
    text = repr(float(value))
    return text if any(c in text for c in ".en") else f"{text}.0"


def _list(values) -> str:
    return "[" + ", ".join(_string(v) for v in values) + "]"


def _inline(fields: dict) -> str:
    parts = [
        f"{k} = {_number(v) if isinstance(v, float) else _string(str(v))}"
        for k, v in fields.items()
    ]
    return "{ " + ", ".join(parts) + " }"


def load_settings_scenario(text: str, name: str = "explored") -> Scenario:
    """Load a scenario from the text of a file (written to a temporary file, then loaded)."""
    with tempfile.TemporaryDirectory(prefix="sim-app-") as folder:
        path = Path(folder) / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        return load_scenario(path)


def with_parameter_source(scenario: Scenario, source: str) -> Scenario:
    """The scenario with another ``params.from`` ("" leaves it as it is)."""
    if not source or scenario.params_from == source:
        return scenario
    params = {**scenario.spec.params, "from": source}
    return dataclasses.replace(scenario, spec=scenario.spec.model_copy(update={"params": params}))


# --------------------------------------------------------------------------- the numbers
@dataclass(frozen=True)
class Result:
    """What the page shows for one set of settings."""

    settings: Settings
    toml: str
    scenario: Scenario  # the edited scenario, loaded from ``toml``
    comparison: object  # sim.compare.Comparison: [reference, edited], same seeds and draws
    baseline: object  # sim.results.Trajectories of the world's baseline, same seed
    baseline_label: str
    checkpoint: str
    at_focal: float  # mean number still at the focal lab at the checkpoint, edited scenario
    reference_at_focal: float
    baseline_at_focal: float
    difference: float  # mean paired difference (edited - reference) at the checkpoint
    difference_interval: tuple[float, float]  # its 5% and 95% quantiles across replicates
    seconds: float  # simulation time (every scenario)
    researcher_months: int  # simulated, all scenarios together
    notes: tuple[str, ...] = ()
    timings: dict = field(default_factory=dict)

    @property
    def edited(self):
        """The edited scenario's histories."""
        return self.comparison.trajectories[1]

    @property
    def reference(self):
        """The unedited reference's histories (same seeds and parameter draws)."""
        return self.comparison.trajectories[0]

    @property
    def labels(self) -> tuple[str, str]:
        """(reference label, edited label)."""
        return self.comparison.labels[0], self.comparison.labels[1]

    @property
    def world(self):
        """The reference's world."""
        return self.comparison.world

    def headline(self) -> str:
        """The number the page reports, in words (the browser tests read it)."""
        world = self.world
        return (
            f"Still at {world.focal_lab} in {self.checkpoint}: {self.at_focal:.3f} of "
            f"{len(world.researchers)} (mean of {self.edited.shape[0]:,} replicates)"
        )

    def retention(self) -> dict[str, pd.DataFrame]:
        """Baseline's curve, then the edited scenario's (for the retention figure)."""
        from sim.results import retention_curve

        return {
            self.baseline_label: retention_curve(self.baseline),
            self.labels[1]: retention_curve(self.edited),
        }

    def difference_curve(self) -> pd.DataFrame:
        """The paired difference of the edited scenario's retention from the reference's."""
        return self.comparison.differences()[self.labels[1]]

    def destinations(self) -> pd.DataFrame:
        """Mean number of the cohort at each lab at the checkpoint, reference and edited."""
        return self.comparison.destinations(self.checkpoint)

    def destinations_table(self) -> pd.DataFrame:
        """Destinations, one row per lab with a column per scenario (labs with anyone)."""
        frame = self.destinations()
        wide = frame.pivot(index="lab", columns="scenario", values="mean")[list(self.labels)]
        wide = wide[wide.max(axis=1) >= 0.005]
        return wide.sort_values(self.labels[1], ascending=False).round(3).reset_index()


def compute(settings: Settings, reference: Reference | None = None) -> Result:
    """Run the settings: the edited scenario against the reference and the baseline.

    The edited scenario is loaded from :func:`scenario_toml`'s text, so the numbers are those of
    the file the page offers for download. Reference and edited run under common random numbers
    (:func:`sim.compare.compare`); the baseline runs with the same seed (same replicate seeds,
    same posterior draws where both draw from the same posterior). Where the page takes the
    parameters from elsewhere than the reference does (``params_from``), reference and baseline
    take them from there too, so the paired difference isolates the edits.

    Raises:
        InputError: a lever out of range, or a scenario that cannot be run (as on the command
            line).
    """
    from sim.analysis.compare import compare
    from sim.engines.run import run_scenario
    from sim.results import checkpoint_month

    timings = {}
    start = time.perf_counter()
    reference = reference or load_reference(settings.scenario)
    text = scenario_toml(settings, reference)
    edited = load_settings_scenario(text, scenario_name(settings, reference))
    ref = with_parameter_source(reference.scenario, settings.params_from)
    base = with_parameter_source(reference.baseline, settings.params_from)
    seed = ref.spec.seed if settings.seed is None else settings.seed
    timings["load"] = time.perf_counter() - start
    t0 = time.perf_counter()
    comparison = compare([ref, edited], settings.replicates, seed)
    if reference.baseline.path == reference.scenario.path:
        baseline = comparison.reference
    else:
        baseline = run_scenario(base, settings.replicates, seed)
    seconds = time.perf_counter() - t0
    timings["simulate"] = seconds
    t1 = time.perf_counter()
    edited_traj, ref_traj = comparison.trajectories[1], comparison.trajectories[0]
    checkpoint = checkpoint_month(edited_traj)
    t = edited_traj.world.calendar.index(checkpoint)
    at_edit = edited_traj.at_focal()[:, t].astype(np.float64)
    at_ref = ref_traj.at_focal()[:, t].astype(np.float64)
    diff = at_edit - at_ref
    low, high = np.quantile(diff, [0.05, 0.95], method="inverted_cdf")
    n_months = edited_traj.shape[1]
    researcher_months = sum(
        tr.shape[0] * tr.shape[2] * n_months
        for tr in (*comparison.trajectories, *(() if baseline is ref_traj else (baseline,)))
    )
    notes = []
    if settings.params_from == "prior-mean" and reference.scenario.params_from == "posterior":
        if not reference.posterior_available:
            notes.append(
                f"No posterior for this world yet ({reference.scenario.posterior_path()} is "
                "missing: run `sim calibrate`): the parameters are the prior means."
            )
    dropped = [o for o in settings.offsets if o.lab in settings.labs_removed]
    if dropped:
        notes.append(
            "Offsets on removed labs are left out: "
            + ", ".join(f"{o.lab} {o.attribute}" for o in dropped)
            + "."
        )
    timings["summaries"] = time.perf_counter() - t1
    return Result(
        settings=settings,
        toml=text,
        scenario=edited,
        comparison=comparison,
        baseline=baseline,
        baseline_label=_baseline_label(reference, comparison),
        checkpoint=checkpoint,
        at_focal=float(at_edit.mean()),
        reference_at_focal=float(at_ref.mean()),
        baseline_at_focal=float(baseline.at_focal()[:, t].mean()),
        difference=float(diff.mean()),
        difference_interval=(float(low), float(high)),
        seconds=seconds,
        researcher_months=int(researcher_months),
        notes=tuple(notes),
        timings=timings,
    )


def _baseline_label(reference: Reference, comparison) -> str:
    if reference.baseline.path == reference.scenario.path:
        return comparison.labels[0]
    name = reference.baseline.name
    return name if name not in comparison.labels else f"{name} (baseline)"


def expected_seconds(settings: Settings, reference: Reference, rate: float | None = None) -> float:
    """A rough duration of :func:`recompute` at ``rate`` researcher-months a second.

    ``rate`` is best the last recompute's (simulated researcher-months over its whole time);
    the default is what a posterior-drawn LLaMA run with its figures does on 2 cores.
    """
    rate = rate or 2.0e6
    n = len(reference.world.researchers) * len(reference.months)
    runs = 2 if reference.baseline.path == reference.scenario.path else 3
    return runs * settings.replicates * n / rate


# --------------------------------------------------------------------------- figures
def png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (the figure is closed)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=80)
    finally:
        plt.close(fig)
    return buffer.getvalue()


def retention_png(result: Result) -> bytes:
    """The edited scenario's retention band against the baseline's, with the observed history."""
    from sim.reports.plot import retention_figure

    world = result.world
    fig = retention_figure(
        result.retention(),
        world,
        title=f"{world.title}: share still at {world.focal_lab}",
    )
    return png(fig)


def difference_png(result: Result) -> bytes:
    """The paired-difference band (edited minus reference, same seeds and draws)."""
    from sim.reports.plot import difference_figure

    return png(
        difference_figure(
            {result.labels[1]: result.difference_curve()}, result.world, result.labels[0]
        )
    )


def destinations_png(result: Result) -> bytes:
    """Mean number of the cohort at each lab at the checkpoint, reference and edited."""
    from sim.reports.plot import destinations_figure

    world = result.world
    start = (world.focal_lab, *dict.fromkeys(world.start_labs))
    return png(destinations_figure(result.destinations(), start, result.checkpoint))


@dataclass(frozen=True)
class View:
    """A result with its figures (PNG), as the page shows it."""

    result: Result
    retention: bytes
    difference: bytes
    destinations: bytes
    seconds: float  # the whole recompute: load, simulate, summarise, draw


def recompute(settings: Settings, reference: Reference | None = None) -> View:
    """What the page does when a lever moves: :func:`compute`, then the three figures."""
    start = time.perf_counter()
    result = compute(settings, reference)
    return View(
        result=result,
        retention=retention_png(result),
        difference=difference_png(result),
        destinations=destinations_png(result),
        seconds=time.perf_counter() - start,
    )


# --------------------------------------------------------------------------- one replicate
class PlayedModel(ExodusModel):
    """The Mesa model of one replicate, stopping at its horizon (``running`` turns False).

    Built from keyword arguments (``world``, ``theta``, ``replicate_seed``), as Mesa's
    ModelController rebuilds a model on Reset.
    """

    def __init__(self, world=None, theta=None, replicate_seed=0):
        super().__init__(world, theta, replicate_seed)
        self.running = self.world.n_months > 0

    def step(self) -> None:
        """One month (:meth:`sim.model.ExodusModel.step`); past the horizon, nothing."""
        if self.month >= self.world.n_months:
            self.running = False
            return
        super().step()
        self.running = self.month < self.world.n_months


def replicate_parameters(result: Result, replicate: int) -> dict:
    """Keyword arguments of the Mesa model of one replicate of the edited scenario."""
    traj = result.edited
    if not 0 <= replicate < traj.shape[0]:
        raise InputError(
            f"expected a replicate from 0 to {traj.shape[0] - 1}, got {replicate}", key="replicate"
        )
    world = result.scenario.world.compile(result.comparison.horizon)
    return {
        "world": world,
        "theta": traj.theta[replicate].copy(),
        "replicate_seed": int(traj.seeds[replicate]),
    }


def replicate_model(result: Result, replicate: int = 0):
    """Replicate ``replicate`` of the edited scenario as the Mesa model, at month 0 (not run).

    Stepped through every month it gives exactly that replicate's history in ``result``.
    """
    return PlayedModel(**replicate_parameters(result, replicate))


def who_is_where(model) -> dict[str, list[str]]:
    """Lab -> researchers there now, for every lab that exists this month or has someone."""
    world = model.world
    names = world.world.labs
    month = max(model.month - 1, 0)
    exists = world.timeline.exists[month] if model.month else world.timeline.exists[0]
    out: dict[str, list[str]] = {}
    for j, lab in enumerate(names):
        here = [r.name for r in sorted(model.researchers, key=lambda r: r.index) if r.lab == j]
        if here or exists[j]:
            out[lab] = here
    return out


def model_month(model) -> str:
    """The month the model has just simulated ("start" before its first step)."""
    if model.month == 0:
        return f"start ({model.world.world.calendar.start})"
    return model.world.world.calendar.label(model.month - 1)


def previous_labs(model) -> dict[int, int]:
    """Each researcher's lab code before the model's last step (index -> code)."""
    if model.month <= 1:
        return {i: int(code) for i, code in enumerate(model.world.start_labs)}
    before = model.trajectory()[-2]
    return {i: int(code) for i, code in enumerate(before)}


def moves_png(model, previous: dict[int, int] | None = None) -> bytes:
    """Who is where: one column per lab, a dot and a name per researcher; movers highlighted."""
    import matplotlib.pyplot as plt

    where = who_is_where(model)
    focal = model.world.world.focal_lab
    labs = list(where)
    tallest = max([len(v) for v in where.values()] + [1])
    fig, ax = plt.subplots(figsize=(max(6.0, 1.25 * len(labs)), 1.2 + 0.32 * tallest))
    lab_of = {r.name: r.lab for r in model.researchers}
    index_of = {r.name: r.index for r in model.researchers}
    for x, lab in enumerate(labs):
        ax.add_patch(
            plt.Rectangle(
                (x - 0.45, -0.6),
                0.9,
                tallest + 0.2,
                color="#dbe9f6" if lab == focal else "#f2f2f2",
                zorder=0,
            )
        )
        for y, name in enumerate(where[lab]):
            moved = (
                bool(model.month)
                and previous is not None
                and (previous.get(index_of[name]) != lab_of[name])
            )
            ax.scatter([x], [y], s=60, color="C3" if moved else "C0", zorder=2)
            ax.text(
                x,
                y + 0.28,
                name,
                ha="center",
                va="bottom",
                fontsize=7,
                color="C3" if moved else "black",
                zorder=3,
            )
    ax.set_xticks(range(len(labs)))
    ax.set_xticklabels([f"{lab}\n({len(where[lab])})" for lab in labs], rotation=0, fontsize=8)
    ax.set_xlim(-0.6, len(labs) - 0.4)
    ax.set_ylim(-0.8, tallest + 0.2)
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    at_focal = len(where.get(focal, []))
    ax.set_title(
        f"{model_month(model)}: {at_focal} at {focal} (red: moved this month)", fontsize=10
    )
    fig.tight_layout()
    return png(fig)


# --------------------------------------------------------------------------- attribution
def explain_module():
    """``sim.explain`` where it is installed, else None (the page then skips the view)."""
    import importlib

    try:
        return importlib.import_module("sim.analysis.explain")
    except ModuleNotFoundError as exc:
        if exc.name in ("sim.analysis.explain", "sim.analysis", "sim"):
            return None
        raise


#: Replicates per parameter source for the page's attribution (it simulates every coalition).
ATTRIBUTION_REPLICATES = 100


def attribution(result: Result, replicates: int = ATTRIBUTION_REPLICATES) -> pd.DataFrame | None:
    """The edited scenario's exodus attributed to its causes by ``sim.explain``, or None.

    ``sim.explain.explain`` (Shapley values of the world's default cause groups, under the
    scenario's parameters and under the prior) on the edited scenario, with the page's seed and
    at most ``replicates`` replicates; one row per cause group with the mean number of the cohort
    it pushed out by the checkpoint (90% interval), a column block per parameter source. None
    where ``sim.explain`` is absent.
    """
    module = explain_module()
    if module is None:
        return None
    n = min(int(replicates), result.edited.shape[0])
    explanation = module.explain(result.scenario, n, result.comparison.seed)
    frame = explanation.to_df()
    frame = frame[frame["statistic"] == explanation.gone_name]
    frame = frame.assign(
        value=[
            f"{m:+.2f} ({lo:+.2f} to {hi:+.2f})"
            for m, lo, hi in zip(frame["mean"], frame["low"], frame["high"], strict=True)
        ]
    )
    wide = frame.pivot(index="group", columns="source", values="value")
    order = list(dict.fromkeys(frame["group"]))
    wide = wide.loc[order, list(dict.fromkeys(frame["source"]))]
    wide.columns = [f"pushed out by {explanation.month}, {s}" for s in wide.columns]
    return wide.reset_index()


# --------------------------------------------------------------------------- small helpers
def parameter_levers() -> list[dict]:
    """Each parameter's slider: name, bounds, a step and its prior mean (the start value)."""
    from sim.config.params import prior_means

    means = prior_means()
    return [
        {
            "name": p.name,
            "low": p.low,
            "high": p.high,
            "step": _step(p.high - p.low),
            "mean": round(means[p.name], 3),
            "why": p.why,
        }
        for p in PARAMETER_SPACE
    ]


def _step(width: float) -> float:
    return 0.01 if width <= 2 else 0.05 if width <= 10 else 0.1


assert tuple(p.name for p in PARAMETER_SPACE) == PARAMETER_NAMES
