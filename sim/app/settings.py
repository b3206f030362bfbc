"""The page's levers and their values, checked.

* :class:`Settings`: the levers' values (offsets to lab attributes from a month, events off,
  labs removed, fixed parameter values or the posterior, replicates, seed), checked by
  :func:`check_settings` (a value out of range is an :class:`~sim.errors.InputError` naming the
  lever);
* :func:`describe_edits`: the edits in words, from what a scenario file of the settings would
  write (:func:`removed_labs`, :func:`removed_events`, :func:`written_offsets`);
* :func:`parameter_levers`: each parameter's slider.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

import numpy as np

from sim.app.reference import Reference
from sim.config.params import PARAMETER_SPACE, parameter, prior_means
from sim.errors import InputError
from sim.kernel.behavior import ATTRIBUTE_NAMES, FOUNDING_NAMES, PARAMETER_NAMES

#: Replicates the page starts with, and the most it accepts.
DEFAULT_REPLICATES = 1000
MAX_REPLICATES = 100_000
#: Where the parameters come from: the reference's own choice, or one of these.
PARAMETER_SOURCES = ("posterior", "prior-mean")
#: An offset shifts a lab's attribute by this much at most, either way (a ``shift`` event).
OFFSET_LIMIT = 1.0


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
            bounds (:data:`sim.config.params.PARAMETER_SPACE`); replicates outside 1 ..
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


# --------------------------------------------------------------------------- the edits
def removed_labs(settings: Settings, reference: Reference) -> list[str]:
    """Labs the file removes: those removed on the page that the reference has not removed."""
    return sorted(
        lab for lab in settings.labs_removed if not reference.lab(lab).removed_by_reference
    )


def removed_events(settings: Settings, reference: Reference) -> list[str]:
    """Events the file removes: those switched off whose labs stay (a removed lab's go anyway)."""
    removed = set(removed_labs(settings, reference))
    return [
        e.id
        for e in reference.events
        if e.id in settings.events_off and e.lab not in removed and e.into not in removed
    ]


def written_offsets(settings: Settings, reference: Reference) -> list[Offset]:
    """Offsets the file writes: those on labs that exist in the edited world, in a fixed order."""
    removed = set(settings.labs_removed)
    labs = list(reference.world.labs)
    return sorted(
        (o for o in settings.offsets if o.lab not in removed and o.value != 0),
        key=lambda o: (labs.index(o.lab), ATTRIBUTE_NAMES.index(o.attribute)),
    )


def describe_edits(settings: Settings, reference: Reference) -> list[str]:
    """The edits in words, one per line (the file's description and the page's list)."""
    lines = []
    for lab in removed_labs(settings, reference):
        lines.append(f"{lab} never exists")
    for event_id in removed_events(settings, reference):
        lines.append(f"event {event_id} removed")
    for o in written_offsets(settings, reference):
        lines.append(f"{o.lab} {o.attribute} shifted by {o.value:+g} from {o.month}")
    if settings.params_from:
        lines.append(f"parameters from {settings.params_from}")
    for name, value in settings.params:
        lines.append(f"{name} fixed at {value:g}")
    return lines


# --------------------------------------------------------------------------- parameters
def parameter_levers(founding: bool = False) -> list[dict]:
    """Each parameter's slider: name, bounds, a step and its prior mean (the start value).

    The founding parameters only where the world's founding is a choice (``founding``):
    elsewhere they change nothing (:func:`sim.config.params.prior_space`).
    """
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
        if founding or p.name not in FOUNDING_NAMES
    ]


def _step(width: float) -> float:
    return 0.01 if width <= 2 else 0.05 if width <= 10 else 0.1


assert tuple(p.name for p in PARAMETER_SPACE) == PARAMETER_NAMES


# --------------------------------------------------------------------------- a scenario switch
def carry_over(settings: Settings, reference: Reference) -> tuple[Settings, list[str]]:
    """The page's edits moved onto another scenario: what applies is kept, the rest named.

    Kept: the replicates, where the parameters come from and any fixed parameter, the offsets to
    labs the new scenario has, the events it has (and that it does not add itself), the labs it
    can remove. The seed becomes the new scenario's own. Returns the new settings and the edits
    left behind, in words (the page says so).
    """
    fresh = initial_settings(reference, settings.replicates)
    dropped = []
    offsets = []
    for o in settings.offsets:
        if o.lab in reference.world.labs and o.month in reference.months:
            offsets.append(o)
        else:
            dropped.append(f"{o.lab} {o.attribute} shifted by {o.value:+g} from {o.month}")
    events = set()
    for event_id in sorted(settings.events_off):
        lever = reference.event(event_id)
        if lever is not None and not lever.locked:
            events.add(event_id)
        else:
            dropped.append(f"event {event_id} removed")
    labs = set()
    for lab in sorted(settings.labs_removed):
        lever = reference.lab(lab)
        if lever is not None and (lever.removable or lever.removed_by_reference):
            labs.add(lab)
        else:
            dropped.append(f"{lab} never exists")
    carried = dataclasses.replace(
        fresh,
        offsets=tuple(offsets),
        events_off=frozenset(events),
        labs_removed=frozenset(labs),
        params=settings.params,
        params_from=settings.params_from or fresh.params_from,
    )
    return carried, dropped
