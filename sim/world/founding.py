"""Founding as a choice: which labs are potential, the funding climate, and non-competes.

A world declares in ``world.toml`` how its labs come to exist:

* ``founding = "given"`` (the default where ``world.toml`` says nothing): every lab exists from
  its ``founded`` month in ``labs.csv``, as data;
* ``founding = "chosen"``: a lab whose ``founders`` include cohort members and that does not
  exist at the start is *potential*. It exists only from the month after one of its founders
  chooses to found it (:mod:`sim.kernel.behavior`); its ``founded`` month is then the observed
  one, which reports compare the simulated foundings with. Labs founded by people outside the
  cohort keep their ``founded`` month. Both shipped worlds choose.

Two more declarations serve the founding alternative:

* the **funding climate**, a level in [0, 1] of the whole world (``funding_climate`` in
  ``world.toml``, default 0.5, neutral), changed by events on attribute ``funding_climate`` with
  lab ``*`` (``set`` or ``shift``: a round, a boom, a downturn);
* a **non-compete**, an event of kind ``bar_founding`` on a lab with ``value`` a number of
  months: from its month, for that many months, researchers at that lab cannot found one.

A founding that names no lab goes to the researcher's **own startup** (``own_startup = true``
with founding chosen): one potential lab per researcher, with the profile of the labs the cohort
founds (:func:`with_own_startups`).

In a world where founding is given, none of this changes a run: the founding parameters are held
(:func:`sim.config.params.prior_space`).
"""

from __future__ import annotations

import math

import numpy as np

from sim.errors import InputError
from sim.kernel.behavior import NEUTRAL_CLIMATE

#: The world attribute of the funding climate (events with lab ``*``).
FUNDING_CLIMATE = "funding_climate"
#: The event kind of a non-compete: founding barred to a lab's researchers for ``value`` months.
BAR_FOUNDING = "bar_founding"
#: How a world's labs come to exist (``world.toml``'s ``founding``).
FOUNDING_MODES = ("given", "chosen")
#: ``founded`` of a lab that never exists in this world (a scenario's ``remove_labs``). The lab
#: keeps its place, so lab codes and random numbers line up with the world it was removed from.
NEVER = "never"
#: The funding climate where world.toml gives none: the kernel's neutral level.
DEFAULT_CLIMATE = NEUTRAL_CLIMATE


def potential_labs(world) -> np.ndarray:
    """Bool [L]: the labs founded by a cohort member's choice (all False unless chosen).

    A lab is potential where founding is chosen, its founders include cohort members and it
    does not exist at the start (a lab removed by a scenario is never founded, and stays so).
    """
    return np.array(
        [
            world.founding_chosen and bool(founders) and bool(founded) and founded != NEVER
            for founders, founded in zip(world.founders, world.founded, strict=True)
        ],
        dtype=bool,
    )


#: The generic founding alternative: a researcher's own startup, one lab per researcher, named
#: ``own startup (NAME)`` (:func:`with_own_startups`).
OWN_STARTUP = "own startup"


def own_startup_name(researcher: str) -> str:
    """The name of a researcher's own startup lab."""
    return f"{OWN_STARTUP} ({researcher})"


def is_own_startup(lab: str) -> bool:
    """Whether a lab is someone's own startup (:func:`with_own_startups`)."""
    return lab.startswith(f"{OWN_STARTUP} (") and lab.endswith(")")


def own_startup_profile(world) -> np.ndarray:
    """What an own startup offers, float [A].

    The mean starting attributes of the labs the cohort founds (the world's potential labs, own
    startups excluded), or 0.5 on every attribute (the middle of the scale) where it founds none.
    The labs the cohort's members did found are the best evidence of what a lab they found would
    offer (its openness, culture, pace and equity-heavy pay); the mean keeps it to the data.
    """
    named = [
        j for j in np.flatnonzero(potential_labs(world)) if not is_own_startup(world.labs[j])
    ]  # fmt: skip
    if not named:
        return np.full(world.attributes.shape[1], 0.5)
    return world.attributes[named].mean(axis=0)


def with_own_startups(world, key: str = "own_startup", source: str | None = None):
    """The world with a founding alternative that names no lab: each researcher's own startup.

    One potential lab per researcher (:func:`own_startup_name`), founded only by them, anywhere
    (cities ``*``: it is where they live), offering :func:`own_startup_profile`. Once founded it
    opens to everyone, so colleagues may join it as they join any lab. Lab codes of the world's
    own labs are unchanged (the startups come after them); random numbers are keyed by names.
    A world that has them already is returned as it is.

    Raises:
        InputError: founding is not chosen (an own startup exists only by a founding), naming
            ``key`` in the file ``source`` (None: the caller names it, as a scenario does).
    """
    if not world.founding_chosen:
        raise InputError(
            'own startups exist only by a founding: expected founding = "chosen" with '
            f"{key} = true", source=source, key=key,
        )  # fmt: skip
    if any(is_own_startup(lab) for lab in world.labs):
        return world
    profile = own_startup_profile(world)
    names = tuple(own_startup_name(r) for r in world.researchers)
    return world.replace(
        labs=(*world.labs, *names),
        lab_cities=(*world.lab_cities, *((("*",),) * len(names))),
        founded=(*world.founded, *((world.calendar.start,) * len(names))),
        founders=(*world.founders, *((r,) for r in world.researchers)),
        attributes=np.vstack([world.attributes, np.tile(profile, (len(names), 1))]),
    )


def without_own_startups(labs, founded) -> tuple[str, ...]:
    """``founded`` with every own startup among ``labs`` never founded (:data:`NEVER`).

    Founding as data has no own startups: they exist only by a founding.
    """
    return tuple(NEVER if is_own_startup(lab) else f for lab, f in zip(labs, founded, strict=True))


def as_given(world):
    """The world with founding as data: every lab from its ``founded`` month, no own startups.

    The timeline the observed history is read against (the labs.csv founding months are
    observations whether founding is given or chosen).
    """
    founded = without_own_startups(world.labs, world.founded)
    return world.replace(founding_chosen=False, founded=founded)


def is_founding_event(event) -> bool:
    """Whether an event acts on founding (the climate or a non-compete), not on a lab's state."""
    return event.kind == BAR_FOUNDING or event.attribute == FUNDING_CLIMATE


def check_founding_event(event, world, source: str, key: str) -> None:
    """Check a climate or non-compete event; InputError naming the file, the row and the column."""
    if event.kind == BAR_FOUNDING:
        if event.lab == "*" or event.lab not in world.labs:
            raise InputError(
                f"a {BAR_FOUNDING} event needs a lab (known: {', '.join(world.labs)}), got "
                f"{event.lab!r}",
                source=source, key=f"{key}, column lab",
            )  # fmt: skip
        if not (event.value >= 1 and float(event.value).is_integer()):
            raise InputError(
                f"a {BAR_FOUNDING} event's value is its length in months, a whole number >= 1; "
                f"got {event.value}",
                source=source, key=f"{key}, column value",
            )  # fmt: skip
        return
    if event.kind not in ("set", "shift") or event.lab != "*":
        raise InputError(
            f"{FUNDING_CLIMATE} belongs to the whole world: expected kind set or shift with lab "
            f"*, got kind {event.kind!r} and lab {event.lab!r}",
            source=source, key=key,
        )  # fmt: skip
    low = -1.0 if event.kind == "shift" else 0.0
    if math.isnan(event.value) or not low <= event.value <= 1.0:
        raise InputError(
            f"a {event.kind} of the {FUNDING_CLIMATE} needs a value in [{low:g}, 1], got "
            f"{event.value}",
            source=source, key=f"{key}, column value",
        )  # fmt: skip


def compile_founding(world, n_months: int) -> tuple[np.ndarray, np.ndarray]:
    """The funding climate float [T] and the non-competes bool [T, L] of every month.

    Events of a month apply at its start, in file order, as the labs' events do; a shift of the
    climate is clipped to [0, 1].
    """
    climate = np.empty(n_months)
    barred = np.zeros((n_months, len(world.labs)), dtype=bool)
    level = world.funding_climate
    changes: dict[int, list] = {}
    for event in world.events:
        t = world.calendar.index(event.month)
        if event.kind == BAR_FOUNDING and t < n_months:
            j = world.labs.index(event.lab)
            barred[t : t + int(event.value), j] = True
        elif event.attribute == FUNDING_CLIMATE:
            changes.setdefault(t, []).append(event)
    for t in range(n_months):
        for event in changes.get(t, []):
            level = event.value if event.kind == "set" else level + event.value
            level = min(1.0, max(0.0, level))
        climate[t] = level
    return climate, barred


def read_founding(raw: dict, path) -> dict:
    """``founding``, ``funding_climate`` and ``own_startup`` from world.toml's ``raw``, checked."""
    mode = raw.get("founding", "given")
    if mode not in FOUNDING_MODES:
        raise InputError(
            f"expected founding = one of {', '.join(repr(m) for m in FOUNDING_MODES)}, got "
            f"{mode!r}",
            source=str(path), key="founding",
        )  # fmt: skip
    climate = raw.get("funding_climate", DEFAULT_CLIMATE)
    if isinstance(climate, bool) or not isinstance(climate, int | float) or not 0 <= climate <= 1:
        raise InputError(
            f"expected funding_climate = a number in [0, 1] (0.5 neutral), got {climate!r}",
            source=str(path), key="funding_climate",
        )  # fmt: skip
    own = raw.get("own_startup", False)
    if not isinstance(own, bool):
        raise InputError(f"expected own_startup = true or false, got {own!r}", source=str(path),
                         key="own_startup")  # fmt: skip
    return {"founding_chosen": mode == "chosen", "funding_climate": float(climate),
            "own_startup": own}  # fmt: skip


def check_founding(world) -> None:
    """A world where founding is chosen: each potential lab's first arrival can be a founding.

    In the observed history, someone who is not among a potential lab's founders cannot have
    reached it before one of its founders could have (the lab would not exist yet).
    """
    observed = world.observed
    if not world.founding_chosen or observed is None:
        return
    for j in np.flatnonzero(potential_labs(world)):
        lab, founders = world.labs[j], set(world.founders[j])
        moves = [
            (world.researchers[i], m)
            for i in range(len(world.researchers))
            for m in observed.moves_of(i)
            if m.to == lab
        ]
        first = min((m.earliest for name, m in moves if name in founders), default=None)
        for name, m in moves:
            if name not in founders and (first is None or m.latest <= first):
                raise InputError(
                    f"founding is chosen, and {name} (not among {lab}'s founders: "
                    f"{', '.join(sorted(founders))}) reaches {lab} by month {m.latest} of the "
                    f"history, before any founder could have founded it"
                    + ("" if first is None else f" (month {first} at the earliest)"),
                    source=f"{world.source}/observed.csv",
                )  # fmt: skip
