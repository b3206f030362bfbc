"""What can be switched off: the causes of an exodus, and the world of each coalition.

A *cause* is a group of facts of the world's data: some dated events, the founding of some labs
within the window, or a part of the colleagues' pull (the ``b_peer`` term): its *contagion* (peer
shares that follow the colleagues' moves) or its *glue* (the colleagues at one's own lab holding
one there); :mod:`sim.kernel.behavior` defines both. :meth:`Causes.world_for` is the world of a
coalition: the off groups' events go, their labs never exist (``founded = "never"``, keeping
their places and their random numbers) and their parts of the peer pull are switched off in the
world (``World.peer_contagion``, ``World.peer_glue``); the parameters are the same in every
coalition.

Default causes (:func:`default_causes`): one group per attribute of the focal lab (its set and
shift events on that attribute, and every ``*`` event on it); one group per other lab that is
founded within the window or has events (its founding and its events; a merge goes to the lab
founded within the window among its two labs, else to the lab that merges away, and is dropped
from any coalition in which either lab never exists); the peer contagion; the peer glue. Where
founding is a choice (:mod:`sim.world.founding`), the potential labs' foundings are not facts of
the data but choices: they form one cause of their own, ``founding`` (off: nobody can found
them, and they never exist), and each potential lab's group holds only its events. A
groups file
(:func:`load_causes`) declares others::

    [[group]]
    name = "Acme's culture"
    focal_attributes = ["culture"]     # the focal lab's events on it, and * events on it

    [[group]]
    name = "the new labs"
    labs = ["Spinout", "Rival"]        # their founding within the window and their events
    events = ["director_leaves"]       # event ids

    [[group]]
    name = "colleagues"
    peer = true                        # both parts; or peer = ["contagion"] (or ["glue"])

Every event may be in at most one group; events in no group stay on in every coalition (the
report says which).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from sim.errors import InputError, suggest
from sim.kernel.behavior import ATTRIBUTE_NAMES
from sim.world import (
    NEVER,
    Event,
    StrictModel,
    World,
    explain_validation_error,
    founding_month,
    read_toml,
)

#: The parts of the colleagues' pull a group can hold (:mod:`sim.kernel.behavior`).
PEER_PARTS = ("contagion", "glue")
#: The names of the default groups of the two parts.
PEER_GROUPS = {"contagion": "peer contagion", "glue": "peer glue"}
#: The default cause of a world where founding is a choice: the founding alternative itself.
FOUNDING_GROUP = "founding"
#: The name of the sum of the groups (reserved: no group may take it).
TOTAL = "total"


@dataclass(frozen=True)
class Group:
    """One cause: what it switches on when it is on.

    Attributes:
        name: the name in tables and figures.
        events: ids of the events it holds.
        labs: labs whose founding within the window it holds (off: the lab never exists).
        peer: the parts of the colleagues' pull it holds, of :data:`PEER_PARTS` (off: that part
            switched off in the world).
        how: where it came from, in words (for the report).
    """

    name: str
    events: tuple[str, ...] = ()
    labs: tuple[str, ...] = ()
    peer: tuple[str, ...] = ()
    how: str = ""

    @property
    def empty(self) -> bool:
        """Whether it holds nothing at all."""
        return not (self.events or self.labs or self.peer)


@dataclass(frozen=True)
class Causes:
    """The causes of a world: its groups, and the events that belong to none.

    Attributes:
        world: the world with every cause on (the scenario's).
        groups: the causes, in order.
        source: ``"default"`` or the groups file they were read from.
    """

    world: World
    groups: tuple[Group, ...]
    source: str = "default"

    @property
    def names(self) -> tuple[str, ...]:
        """The groups' names, in order."""
        return tuple(g.name for g in self.groups)

    @property
    def unattributed(self) -> tuple[Event, ...]:
        """Events in no group: on in every coalition."""
        held = {e for g in self.groups for e in g.events}
        return tuple(e for e in self.world.events if e.id not in held)

    @property
    def unattributed_foundings(self) -> tuple[str, ...]:
        """Labs founded within the window whose founding is in no group (on everywhere)."""
        held = {lab for g in self.groups for lab in g.labs}
        return tuple(lab for lab in founded_in_window(self.world) if lab not in held)

    def world_for(self, on) -> World:
        """The world in which exactly the groups with ``on[k]`` true are on.

        Off groups' events go and their labs never exist; a merge goes whenever either of its
        labs never exists (a merge needs both); their parts of the peer pull are switched off.
        """
        off = [g for g, state in zip(self.groups, on, strict=True) if not state]
        gone_events = {e for g in off for e in g.events}
        gone_labs = sorted({lab for g in off for lab in g.labs})
        gone_parts = {part for g in off for part in g.peer}
        world = self.world.replace(
            events=tuple(e for e in self.world.events if e.id not in gone_events),
            peer_glue=self.world.peer_glue and "glue" not in gone_parts,
            peer_contagion=self.world.peer_contagion and "contagion" not in gone_parts,
        )
        return world.without_labs(gone_labs) if gone_labs else world

    def first_month(self, group: Group) -> int:
        """The first month index at which the group changes anything (peer parts: 0)."""
        calendar = self.world.calendar
        months = [calendar.index(e.month) for e in self.world.events if e.id in set(group.events)]
        potential = set(potential_in(self.world))
        months += [
            0 if x in potential else  # founded by a choice: from the first month on
            founding_month(self.world.founded[self.world.labs.index(x)], calendar)
            for x in group.labs
        ]  # fmt: skip
        if group.peer:
            months.append(0)
        return min(months, default=10**9)


def founded_in_window(world: World) -> tuple[str, ...]:
    """Labs founded after the start month (and not removed), in labs.csv order."""
    return tuple(
        lab
        for lab, f in zip(world.labs, world.founded, strict=True)
        if f and f != NEVER and founding_month(f, world.calendar) > 0
    )


def potential_in(world: World) -> tuple[str, ...]:
    """The labs founded by a cohort member's choice (founding chosen: sim.world.founding)."""
    from sim.world.founding import potential_labs

    return tuple(lab for lab, p in zip(world.labs, potential_labs(world), strict=True) if p)


def _merge_owner(event: Event, candidates, world: World) -> str | None:
    """The lab whose group holds a merge, among ``candidates`` (labs that have a group).

    The lab founded within the window among the two (the ``into`` lab first), else the lab that
    merges away, else the other; None when neither has a group.
    """
    window = set(founded_in_window(world))
    options = [x for x in (event.into, event.lab) if x in candidates]
    for lab in options:
        if lab in window:
            return lab
    if event.lab in options:
        return event.lab
    return options[0] if options else None


def default_causes(world: World) -> Causes:
    """The causes the world's data imply (module docstring): focal attributes, labs, peers.

    A part of the peer pull the world already switches off (a scenario's ``[world.peer]``) gets
    no group.
    """
    focal = world.focal_lab
    groups = []
    for attribute in ATTRIBUTE_NAMES:
        events = tuple(
            e.id
            for e in world.events
            if e.kind != "merge" and e.attribute == attribute and e.lab in (focal, "*")
        )
        if events:
            groups.append(
                Group(
                    f"{focal} {attribute}",
                    events=events,
                    how=f"{focal}'s events on {attribute} (and * events on it)",
                )
            )
    potential = potential_in(world)
    # a lab founded by a choice is not a fact of the data: its founding goes to the choice
    window = tuple(lab for lab in founded_in_window(world) if lab not in potential)
    others = [lab for lab in world.existing_labs if lab != focal]
    owner = {}
    for e in world.events:
        if e.kind == "merge":
            owner[e.id] = _merge_owner(e, others, world)
        elif e.lab in others:
            owner[e.id] = e.lab
    taken = {g.name for g in groups}
    for lab in others:
        events = tuple(e.id for e in world.events if owner.get(e.id) == lab)
        founding = (lab,) if lab in window else ()
        if not (events or founding):
            continue
        name = lab if lab not in taken else f"{lab} (lab)"
        taken.add(name)
        how = " and ".join(
            part
            for part in (
                f"its founding in {world.founded[world.labs.index(lab)]}" if founding else "",
                "its events" if events else "",
            )
            if part
        )
        groups.append(Group(name, events=events, labs=founding, how=how))
    if potential:
        name = FOUNDING_GROUP if FOUNDING_GROUP not in taken else f"{FOUNDING_GROUP} (choice)"
        taken.add(name)
        groups.append(Group(
            name, labs=potential,
            how=f"the founding alternative: the cohort's founders may found {', '.join(potential)} "
            "(off: they cannot, and those labs never exist)",
        ))  # fmt: skip
    hows = {
        "contagion": "the colleagues' moves pulling one after them (b_peer, peer shares that "
        "follow the moves)",
        "glue": "the colleagues at one's own lab holding one there (b_peer times their share)",
    }
    on = {"contagion": world.peer_contagion, "glue": world.peer_glue}
    for part in PEER_PARTS:
        if on[part]:
            name = PEER_GROUPS[part]
            name = name if name not in taken else f"{name} (b_peer)"
            groups.append(Group(name, peer=(part,), how=hows[part]))
    return Causes(world=world, groups=tuple(groups))


class GroupSpec(StrictModel):
    """One ``[[group]]`` table of a groups file."""

    name: str = Field(min_length=1)
    events: list[str] = Field(default_factory=list)
    labs: list[str] = Field(default_factory=list)
    focal_attributes: list[str] = Field(default_factory=list)
    peer: bool | list[Literal["contagion", "glue"]] = False

    def parts(self) -> tuple[str, ...]:
        """The parts of the peer pull it names: ``true`` is both."""
        if self.peer is True:
            return PEER_PARTS
        return tuple(p for p in PEER_PARTS if self.peer and p in self.peer)


class GroupsFile(StrictModel):
    """A groups file: ``[[group]]`` tables."""

    group: list[GroupSpec] = Field(min_length=1)


def load_causes(path: str | Path, world: World) -> Causes:
    """The causes declared in a groups file (module docstring), checked against the world.

    Raises:
        InputError: naming the file and the key: a malformed file, an unknown event, lab or
            attribute, an event, lab, attribute or the peer pull in two groups, two groups of one
            name, a group that holds nothing in this world.
    """
    path = Path(path)
    where = str(path)
    raw = read_toml(path)
    for key in raw:
        if key != "group":
            raise InputError(
                f"unknown key{suggest(key, ['group'])}: expected [[group]] tables",
                source=where,
                key=key,
            )
    if not raw.get("group"):
        raise InputError(
            "no [[group]] tables: expected at least one, each with a name and any of events, "
            "labs, focal_attributes and peer",
            source=where,
            key="group",
        )
    try:
        spec = GroupsFile.model_validate(raw)
    except ValidationError as exc:
        error = explain_validation_error(exc, path, GroupsFile)
        key = error.key or "group"
        prefix = ", ".join(p for p in (error.source, error.key and f"at {error.key}") if p) + ": "
        message = str(error).removeprefix(prefix)
        if message == "Field required":
            message = "missing key: every group needs a name"
        # group.2.events.0 -> group[2].events[0]
        key = re.sub(r"\.(\d+)", r"[\1]", key)
        raise InputError(message, source=where, key=key) from None
    focal = world.focal_lab
    ids = [e.id for e in world.events]
    by_id = {e.id: e for e in world.events}
    existing = list(world.existing_labs)
    window = set(founded_in_window(world))
    names: dict[str, int] = {}
    lab_group: dict[str, int] = {}
    attribute_group: dict[str, int] = {}
    peer_group: dict[str, int] = {}
    for k, g in enumerate(spec.group):
        key = f"group[{k}]"
        if g.name in names:
            raise InputError(
                f"two groups are called {g.name!r} (the other is group[{names[g.name]}])",
                source=where,
                key=f"{key}.name",
            )
        if g.name == TOTAL:
            raise InputError(
                f"{TOTAL!r} is the name of the sum of the groups: choose another",
                source=where,
                key=f"{key}.name",
            )
        names[g.name] = k
        for j, event in enumerate(g.events):
            if event not in by_id:
                raise InputError(
                    f"unknown event {event!r}{suggest(event, ids)} (the world's and the "
                    "scenario's events: events.csv, add_events)",
                    source=where,
                    key=f"{key}.events[{j}]",
                )
        for j, lab in enumerate(g.labs):
            if lab not in world.labs:
                raise InputError(
                    f"unknown lab {lab!r}{suggest(lab, world.labs)}; known labs: "
                    f"{', '.join(world.labs)}",
                    source=where,
                    key=f"{key}.labs[{j}]",
                )
            if lab not in existing:
                raise InputError(
                    f"lab {lab!r} never exists in this scenario's world (removed)",
                    source=where,
                    key=f"{key}.labs[{j}]",
                )
            if lab in lab_group and lab_group[lab] != k:
                raise InputError(
                    f"lab {lab!r} is in two groups (also group[{lab_group[lab]}])",
                    source=where,
                    key=f"{key}.labs[{j}]",
                )
            lab_group[lab] = k
        for j, attribute in enumerate(g.focal_attributes):
            if attribute not in ATTRIBUTE_NAMES:
                raise InputError(
                    f"unknown attribute {attribute!r}{suggest(attribute, ATTRIBUTE_NAMES)}; "
                    f"expected one of {', '.join(ATTRIBUTE_NAMES)}",
                    source=where,
                    key=f"{key}.focal_attributes[{j}]",
                )
            if attribute in attribute_group and attribute_group[attribute] != k:
                raise InputError(
                    f"attribute {attribute!r} is in two groups (also "
                    f"group[{attribute_group[attribute]}])",
                    source=where,
                    key=f"{key}.focal_attributes[{j}]",
                )
            attribute_group[attribute] = k
        for part in g.parts():
            if part in peer_group:
                raise InputError(
                    f"the peer {part} is in two groups (also group[{peer_group[part]}])",
                    source=where,
                    key=f"{key}.peer",
                )
            switched_off = not (world.peer_glue if part == "glue" else world.peer_contagion)
            if switched_off:
                raise InputError(
                    f"the peer {part} is already off in this scenario's world ([world.peer]): "
                    "a group cannot switch it off again",
                    source=where,
                    key=f"{key}.peer",
                )
            peer_group[part] = k
    # every event's group, and where the file puts it there (for an event in two groups)
    claims: dict[str, tuple[int, str]] = {}

    def claim(event_id: str, k: int, key: str, via: str = "") -> None:
        where_it_is = f"{key}{via}"
        if event_id in claims and claims[event_id][0] != k:
            (first, first_at), (second, second_at) = sorted([claims[event_id], (k, where_it_is)])
            raise InputError(
                f"event {event_id!r} is in two groups: {spec.group[first].name!r} ({first_at}) "
                f"and {spec.group[second].name!r} ({second_at}); every event may be in at most "
                "one group",
                source=where,
                key=second_at.split(",", 1)[0],
            )
        claims.setdefault(event_id, (k, where_it_is))

    for k, g in enumerate(spec.group):
        for j, event in enumerate(g.events):
            claim(event, k, f"group[{k}].events[{j}]")
    for e in world.events:
        if e.kind != "merge" and e.lab in (focal, "*") and e.attribute in attribute_group:
            k = attribute_group[e.attribute]
            j = spec.group[k].focal_attributes.index(e.attribute)
            claim(e.id, k, f"group[{k}].focal_attributes[{j}]", f", an event on {e.attribute}")
        if e.kind == "merge":
            lab = _merge_owner(e, lab_group, world)
        else:
            lab = e.lab if e.lab in lab_group else None
        if lab is not None:
            k = lab_group[lab]
            j = spec.group[k].labs.index(lab)
            claim(e.id, k, f"group[{k}].labs[{j}]", f", an event of {lab}")
    groups = []
    for k, g in enumerate(spec.group):
        events = tuple(e for e in ids if e in claims and claims[e][0] == k)
        labs = tuple(lab for lab in g.labs if lab in window)
        group = Group(g.name, events=events, labs=labs, peer=g.parts(), how=_how(g))
        if group.empty:
            raise InputError(
                "this group holds nothing in this world (no event, no lab founded within the "
                "window, no peer pull): it would be 0 by construction",
                source=where,
                key=f"group[{k}]",
            )
        groups.append(group)
    return Causes(world=world, groups=tuple(groups), source=where)


def _how(spec: GroupSpec) -> str:
    parts = []
    if spec.events:
        parts.append(f"events {', '.join(spec.events)}")
    if spec.labs:
        parts.append(f"labs {', '.join(spec.labs)} (founding and events)")
    if spec.focal_attributes:
        parts.append(f"the focal lab's {', '.join(spec.focal_attributes)}")
    if spec.parts():
        parts.append(" and ".join(f"the peer {p}" for p in spec.parts()))
    return "; ".join(parts)
