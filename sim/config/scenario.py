"""Scenario files: a TOML description of one experiment, validated, with ``extends``.

A scenario names a world and edits it, sets the parameters, the horizon, the replicates and the
seed. A counterfactual is a small file that ``extends`` the baseline and changes a few things::

    name = "spinout-never-founded"
    description = "What if the spin-out had never been founded? ..."
    extends = "baseline"              # a name in scenarios/, or a path relative to this file
    horizon = "2033-12"               # default: the world's (world.toml)
    replicates = 2000
    seed = 20230224

    [world]
    name = "acme"                     # a packaged world, or a world folder (relative path)
    remove_labs = ["Spinout"]         # the lab never exists
    remove_events = ["product_flop"]  # event ids from events.csv
    change_events = [{ id = "acme_cuts", value = 0.0 }]
    attributes = { Acme = { culture = 0.8 } }    # starting attributes
    founded = { Rival = "2032-06" }               # founding months
    founding = "chosen"               # a lab the cohort founds exists once founded
    funding_climate = 0.4             # the funding climate at the start (0.5 neutral)

    [[world.add_labs]]
    name = "Second spin-out"
    cities = ["Lyon"]
    founded = "2031-06"
    founders = ["A. Researcher"]
    attributes = { openness = 0.9, culture = 0.9, pace = 0.5, pay = 0.6 }

    [[world.add_events]]
    id = "x"
    month = "2032-01"
    kind = "shift"
    lab = "Acme"
    attribute = "pay"
    value = 0.2

    [world.peer]                      # the two parts of colleagues' pull (default: both on)
    contagion = false                 # colleagues counted where they were had none moved
    glue = false                      # colleagues at one's lab no longer hold one there

    [params]
    from = "posterior"                # or "prior-mean", or omit and give every parameter
    b_peer = 0.0                      # fixed values override the posterior's
    per_cohort = "prior"              # a joint posterior on another world: k0 from its prior,
                                      # "population" (a pooled posterior's population) or
                                      # "llama" (that cohort's k0[llama]); see posterior_file

Merging: a child's tables merge into the parent's key by key; the lists ``add_labs``,
``remove_labs``, ``remove_events``, ``add_events`` and ``change_events`` are appended to the
parent's. Every error names the file and the key path and says what was expected; an unknown
key suggests the nearest known one; a cycle of ``extends`` is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, StrictBool, ValidationError, field_validator

from sim.config.forecast_check import check_forecast
from sim.config.params import parameter, prior_means, theta_from_mapping, with_fixed
from sim.config.posterior_file import (  # noqa: F401  (cohort_view, load_posterior: re-exported)
    PER_COHORT_KEY,
    WorldPosterior,
    cohort_view,
    load_posterior,
    posterior_for_world,
)
from sim.errors import InputError, suggest
from sim.kernel.behavior import ATTRIBUTE_NAMES
from sim.kernel.streams import replicate_seeds
from sim.paths import PROJECT_ROOT
from sim.world import (
    CompiledWorld,
    Event,
    StrictModel,
    World,
    check_founded,
    explain_validation_error,
    load_world,
    read_toml,
    with_own_startups,
    without_own_startups,
)

_LIST_KEYS = {"add_labs", "remove_labs", "remove_events", "add_events", "change_events"}
#: Keys a scenario does not take from the file it extends (everything else, ``provisional``
#: included, is inherited unless the child sets it).
_NOT_INHERITED = ("name",)


def default_posterior(world_name: str) -> str:
    """Where ``sim calibrate`` writes a world's posterior (``calibration/WORLD/``)."""
    return f"calibration/{world_name}/posterior.parquet"


class EventSpec(StrictModel):
    """An event added by a scenario (the columns of events.csv)."""

    id: str
    month: str
    kind: Literal["set", "shift", "merge", "bar_founding"]
    lab: str
    attribute: str = ""
    value: float | None = None
    into: str = ""
    description: str = ""


class EventChange(StrictModel):
    """Changes to an existing event, found by id."""

    id: str
    month: str | None = None
    value: float | None = None
    lab: str | None = None
    attribute: str | None = None


class LabSpec(StrictModel):
    """A lab added by a scenario (the columns of labs.csv, with its starting attributes)."""

    name: str
    cities: list[str] = Field(default_factory=list)
    founded: str = ""
    founders: list[str] = Field(default_factory=list)
    attributes: dict[str, float]


class PeerSpec(StrictModel):
    """Which parts of the colleagues' pull are on (:mod:`sim.kernel.behavior`): both by default."""

    glue: StrictBool = True
    contagion: StrictBool = True


class WorldSpec(StrictModel):
    """Which world, and how the scenario edits it."""

    name: str = ""
    add_labs: list[LabSpec] = Field(default_factory=list)
    remove_labs: list[str] = Field(default_factory=list)
    remove_events: list[str] = Field(default_factory=list)
    add_events: list[EventSpec] = Field(default_factory=list)
    change_events: list[EventChange] = Field(default_factory=list)
    attributes: dict[str, dict[str, float]] = Field(default_factory=dict)
    founded: dict[str, str] = Field(default_factory=dict)
    peer: PeerSpec = Field(default_factory=PeerSpec)
    #: how labs come to exist (sim.world.founding): "given" or "chosen"; None: the world's
    founding: Literal["given", "chosen"] | None = None
    #: the funding climate at the start, in [0, 1]; None: the world's
    funding_climate: float | None = Field(default=None, ge=0.0, le=1.0)
    #: a founding may go to the researcher's own startup (sim.world.founding); None: the world's
    own_startup: StrictBool | None = None


class ScenarioSpec(StrictModel):
    """The merged content of a scenario file and its ancestors."""

    name: str
    description: str = Field(min_length=1)
    extends: str | None = None
    provisional: bool = False
    world: WorldSpec = Field(default_factory=WorldSpec)
    params: dict[str, float | str] = Field(default_factory=lambda: {"from": "prior-mean"})
    posterior_file: str | None = Field(default=None, min_length=1)
    horizon: str | None = None
    replicates: int = Field(default=200, ge=1)
    seed: int = Field(default=20230224, ge=0)
    #: start from the observed state at observed_until (sim.forecast) instead of the world's start
    from_observed: bool = False

    @field_validator("params", mode="before")
    @classmethod
    def _no_booleans(cls, value: dict) -> dict:
        for name, v in value.items() if isinstance(value, dict) else ():
            if isinstance(v, bool):
                raise ValueError(f"params.{name}: expected a number, got {str(v).lower()}")
        return value


@dataclass(frozen=True)
class Scenario:
    """A loaded, validated scenario: the edited world and how to draw parameters."""

    spec: ScenarioSpec
    world: World
    path: Path | None
    chain: tuple[str, ...]  # the files it was built from, itself first

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.spec.name

    @property
    def source(self) -> str | None:
        """The scenario file, for error messages."""
        return str(self.path) if self.path else None

    @property
    def params_from(self) -> str:
        """Where the parameters come from: ``params.from``, or ``"values"`` where not given."""
        return str(self.spec.params.get("from", "values"))

    @property
    def horizon(self) -> str:
        """The last simulated month: the scenario's ``horizon``, else the world's default."""
        return self.spec.horizon or self.world.default_horizon

    def compile(self) -> CompiledWorld:
        """The world as arrays over the scenario's horizon."""
        return self.world.compile(self.horizon)

    def from_observed(self) -> Scenario:
        """This scenario as a forecast from the observed state (``from_observed = true``)."""
        import dataclasses

        spec = self.spec.model_copy(update={"from_observed": True})
        check_forecast(spec, self.world, self.source)
        return dataclasses.replace(self, spec=spec)

    def parameters(self, replicates: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Parameter vectors for each replicate [R, P], and the posterior draw behind each.

        With ``from = "posterior"`` replicate r uses posterior draw ``d[r]``, where ``d`` is drawn
        with replacement, in proportion to the particles' ``weight`` column where there is one,
        from a generator seeded by ``seed``: the same seed gives the same draws (common random
        numbers across scenarios). Per-cohort parameters the file has no column for on this
        world come from ``params.per_cohort`` (:meth:`posterior`).
        """
        params = fixed_parameters(self)
        origin = self.params_from
        where = self.source
        if origin == "posterior":
            theta, index = self.posterior().draw(replicates, seed)
            return with_fixed(theta, params, source=where), index  # checks the fixed values
        if PER_COHORT_KEY in self.spec.params:
            raise InputError(
                f'applies only with from = "posterior" (this scenario has from = {origin!r}): '
                "it chooses a posterior's per-cohort columns; remove it or take the posterior",
                source=where, key=f"params.{PER_COHORT_KEY}",
            )  # fmt: skip
        if origin == "prior-mean":
            params = {**prior_means(), **params}
        elif origin != "values":
            raise InputError(
                f"params.from must be 'posterior' or 'prior-mean', got {origin!r}",
                source=where,
                key="params.from",
            )
        theta = theta_from_mapping(params, source=where)
        return np.broadcast_to(theta, (replicates, len(theta))).copy(), None

    def posterior(self) -> WorldPosterior:
        """The posterior file mapped onto this scenario's world (fixed values applied first).

        ``params.per_cohort`` chooses the per-cohort columns
        (:func:`sim.config.posterior_file.posterior_for_world`): not given, the file's column for
        this world where its world.toml declares a name the file knows, else a pooled
        posterior's population, else each parameter's prior; ``"prior"``; ``"population"``; or
        a cohort's name.
        """
        choice = self.spec.params.get(PER_COHORT_KEY)
        if choice is not None and (not isinstance(choice, str) or not choice):
            raise InputError(
                f'expected "prior", "population" or a cohort\'s name (a string), got {choice!r}',
                source=self.source, key=f"params.{PER_COHORT_KEY}",
            )  # fmt: skip
        return posterior_for_world(
            self.posterior_path(), self.world, per_cohort=choice,
            fixed=fixed_parameters(self), source=self.source,
        )  # fmt: skip

    def posterior_path(self) -> Path:
        """The posterior file, where the parameter draws come from.

        ``posterior_file`` (a relative path is taken from the scenario file that gives it), else
        where ``sim calibrate`` writes the world's by default.
        """
        path = Path(self.spec.posterior_file or default_posterior(self.world.name))
        return path if path.is_absolute() else PROJECT_ROOT / path

    def seeds(self, replicates: int | None = None, seed: int | None = None) -> np.ndarray:
        """The replicate seeds of this scenario (or of an explicit seed)."""
        return replicate_seeds(
            self.spec.seed if seed is None else seed, replicates or self.spec.replicates
        )


def fixed_parameters(scenario: Scenario) -> dict[str, float]:
    """A scenario's fixed values: its merged ``[params]`` without ``from`` and ``per_cohort``.

    Raises:
        InputError: an unknown parameter (with the nearest known name) or a value that is
            not a number; the key is ``params.NAME``.
    """
    fixed = {}
    for name, value in scenario.spec.params.items():
        if name in ("from", PER_COHORT_KEY):
            continue
        key = f"params.{name}"
        parameter(name, source=scenario.source, key=key)
        if isinstance(value, str):
            raise InputError(f"expected a number, got {value!r}", source=scenario.source, key=key)
        fixed[name] = float(value)
    return fixed


# --------------------------------------------------------------------------- loading
def find_scenario(ref: str | Path, relative_to: Path | None = None) -> Path:
    """Resolve a scenario reference: a path, or a name in scenarios/ (here or in the project)."""
    ref = str(ref)
    candidates = [Path(ref)]
    if relative_to is not None:
        candidates.insert(0, relative_to / ref)
        candidates.insert(1, relative_to / f"{ref}.toml")
    for folder in (Path.cwd() / "scenarios", PROJECT_ROOT / "scenarios"):
        candidates += [folder / ref, folder / f"{ref}.toml"]
    for path in candidates:
        if path.is_file():
            return path.resolve()
    known = sorted(p.stem for p in (PROJECT_ROOT / "scenarios").glob("*.toml"))
    raise InputError(
        f"no scenario {ref!r}{suggest(ref, known)}: expected a .toml path or one of "
        f"{', '.join(known)}"
    )


def load_scenario(ref: str | Path) -> Scenario:
    """Load, merge (``extends``) and validate a scenario, and apply its edits to the world."""
    path = find_scenario(ref)
    raw, chain = _load_chain(path, ())
    try:
        spec = ScenarioSpec.model_validate(raw)
    except ValidationError as exc:
        raise explain_validation_error(exc, path, ScenarioSpec) from None
    world = _edited_world(spec, path)
    origin = str(path)
    if spec.horizon is not None:
        origin = next((f for f in chain if "horizon" in read_toml(Path(f))), str(path))
        world.month(spec.horizon, key="horizon", source=origin)
    if spec.from_observed:
        check_forecast(spec, world, str(path), origin)
    return Scenario(spec=spec, world=world, path=path, chain=chain)


def world_scenario(folder: str | Path) -> Scenario:
    """A world folder as a scenario: the world as its files give it, parameters at prior means.

    Where a world folder stands in for a scenario (``sim calibrate --worlds``); the scenario's
    name is the world's and it has no file (``source`` is None, errors name the world's files).
    """
    folder = Path(folder).resolve()
    world = load_world(folder)
    spec = ScenarioSpec(
        name=world.name, description=f"the world in {folder}, as its files give it",
        world=WorldSpec(name=str(folder)),
    )  # fmt: skip
    return Scenario(spec=spec, world=world, path=None, chain=())


def _load_chain(path: Path, seen: tuple[str, ...]) -> tuple[dict, tuple[str, ...]]:
    if str(path) in seen:
        cycle = " -> ".join([*seen, str(path)])
        raise InputError(f"cyclic extends: {cycle}", source=str(path), key="extends")
    raw = read_toml(path)
    try:  # check this file's own keys before merging, so errors name the right file
        ScenarioSpec.model_validate({"name": "x", "description": "x", **raw})
    except ValidationError as exc:
        raise explain_validation_error(exc, path, ScenarioSpec) from None
    raw.setdefault("name", path.stem)
    posterior = raw.get("posterior_file")
    if isinstance(posterior, str) and not Path(posterior).is_absolute():
        raw["posterior_file"] = str((path.parent / posterior).resolve())  # relative to this file
    world = raw.get("world")
    if isinstance(world, dict) and isinstance(world.get("name"), str):
        folder = path.parent / world["name"]  # a world folder named relative to this file
        if folder.is_dir():
            raw["world"] = {**world, "name": str(folder.resolve())}
    parent_ref = raw.get("extends")
    if not parent_ref:
        return raw, (str(path),)
    try:
        parent_path = find_scenario(parent_ref, relative_to=path.parent)
    except InputError as exc:
        raise InputError(str(exc), source=str(path), key="extends") from None
    parent, chain = _load_chain(parent_path, (*seen, str(path)))
    parent = {k: v for k, v in parent.items() if k not in _NOT_INHERITED}
    return _merge(parent, raw), (str(path), *chain)


def _merge(parent: dict, child: dict) -> dict:
    merged = dict(parent)
    for key, value in child.items():
        if key in _LIST_KEYS:
            merged[key] = list(parent.get(key, [])) + list(value)
        elif isinstance(value, dict) and isinstance(parent.get(key), dict):
            merged[key] = _merge(parent[key], value)
        else:
            merged[key] = value
    return merged


def _edited_world(spec: ScenarioSpec, path: Path) -> World:
    where = str(path)
    w = spec.world
    if not w.name:
        raise InputError(
            'no world: name one in a [world] table (name = "a packaged world" or a folder)',
            source=where, key="world.name",
        )  # fmt: skip
    folder = path.parent / w.name
    try:
        world = load_world(folder if folder.is_dir() else w.name)
    except InputError as exc:
        raise InputError(str(exc), source=where, key="world.name") from None
    try:
        for key, lab in enumerate(w.add_labs):
            world = _with_lab(world, lab, f"world.add_labs[{key}]")
        if w.remove_labs:
            world = world.without_labs(w.remove_labs, key="world.remove_labs")
        events = list(world.events)
        ids = [e.id for e in events]
        for key, removed in enumerate(w.remove_events):
            if removed not in ids:
                raise InputError(
                    f"no event with id {removed!r}{suggest(removed, ids)}",
                    key=f"world.remove_events[{key}]",
                )
        events = [e for e in events if e.id not in w.remove_events]
        for key, change in enumerate(w.change_events):
            index = next((k for k, e in enumerate(events) if e.id == change.id), None)
            if index is None:
                raise InputError(
                    f"no event with id {change.id!r}{suggest(change.id, ids)}",
                    key=f"world.change_events[{key}].id",
                )
            updates = change.model_dump(exclude_none=True, exclude={"id"})
            events[index] = Event(**{
                **events[index].__dict__, **updates, "origin": where,
                "key": f"world.change_events[{key}]",
            })  # fmt: skip
        for k, spec_event in enumerate(w.add_events):
            fields = spec_event.model_dump()
            fields["value"] = np.nan if fields["value"] is None else fields["value"]
            events.append(Event(**fields, origin=where, key=f"world.add_events[{k}]"))
        attributes = world.attributes.copy()
        for lab, values in w.attributes.items():
            if lab not in world.labs:
                raise InputError(
                    f"unknown lab {lab!r}{suggest(lab, world.labs)}", key=f"world.attributes.{lab}"
                )
            for attribute, value in values.items():
                if attribute not in ATTRIBUTE_NAMES:
                    raise InputError(
                        f"unknown attribute {attribute!r}{suggest(attribute, ATTRIBUTE_NAMES)}; "
                        f"expected one of {', '.join(ATTRIBUTE_NAMES)}",
                        key=f"world.attributes.{lab}.{attribute}",
                    )
                if not 0.0 <= value <= 1.0:
                    raise InputError(
                        f"value {value} is outside [0, 1]",
                        key=f"world.attributes.{lab}.{attribute}",
                    )
                attributes[world.labs.index(lab), ATTRIBUTE_NAMES.index(attribute)] = value
        founded = list(world.founded)
        for lab, month in w.founded.items():
            if lab not in world.labs:
                raise InputError(
                    f"unknown lab {lab!r}{suggest(lab, world.labs)}", key=f"world.founded.{lab}"
                )
            check_founded(month, world.calendar, None, f"world.founded.{lab}")
            founded[world.labs.index(lab)] = month
        founding = {} if w.founding is None else {"founding_chosen": w.founding == "chosen"}
        if w.funding_climate is not None:
            founding["funding_climate"] = w.funding_climate
        if w.own_startup is False or founding.get("founding_chosen") is False:
            founded = without_own_startups(world.labs, founded)
        world = world.replace(
            events=tuple(events), attributes=attributes, founded=tuple(founded),
            peer_glue=w.peer.glue, peer_contagion=w.peer.contagion, **founding,
        )  # fmt: skip
        if w.own_startup is True:
            world = with_own_startups(world, key="world.own_startup")
        return world
    except InputError as exc:
        if exc.source is None:
            raise InputError(str(exc), source=where) from None
        raise


def _with_lab(world: World, lab: LabSpec, key: str) -> World:
    """The world with one more lab; every attribute must be given, within [0, 1]."""
    if lab.name in world.labs:
        raise InputError(f"lab {lab.name!r} exists already", key=f"{key}.name")
    missing = [a for a in ATTRIBUTE_NAMES if a not in lab.attributes]
    unknown = [a for a in lab.attributes if a not in ATTRIBUTE_NAMES]
    if missing or unknown:
        raise InputError(
            f"expected exactly the attributes {', '.join(ATTRIBUTE_NAMES)}; "
            f"missing {missing}, unknown {unknown}",
            key=f"{key}.attributes",
        )
    values = np.array([[lab.attributes[a] for a in ATTRIBUTE_NAMES]])
    if lab.founded:
        check_founded(lab.founded, world.calendar, None, f"{key}.founded")
    try:
        return world.replace(
            labs=(*world.labs, lab.name),
            lab_cities=(*world.lab_cities, tuple(lab.cities)),
            founded=(*world.founded, lab.founded),
            founders=(*world.founders, tuple(lab.founders)),
            attributes=np.vstack([world.attributes, values]),
        )
    except InputError as exc:
        raise InputError(str(exc), key=key) from None
