"""Why they left: the exodus attributed to its causes by Shapley values (``sim explain``).

A *cause* is a group of facts of the world's data: some dated events, the founding of some labs
within the window, or the pull of colleagues (the ``b_peer`` term). A *coalition* is a set of
causes switched on; the others are off. The world with every cause off is the counterfactual in
which the focal lab keeps its starting attributes, no lab is founded within the window (those
labs never exist: ``founded = "never"``, keeping their places and their random numbers), their
events go and nobody pulls (``b_peer = 0``); the world with every cause on is the scenario.

The Shapley value of cause i (Shapley 1953) is its average marginal effect over every order in
which the causes could have been switched on::

    phi_i = sum over coalitions S without i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S))

It adds up (*efficiency*): the values of the causes sum to v(all on) - v(all off), the scenario
minus the counterfactual. A cause that changes nothing gets 0 (*dummy*) and two interchangeable
causes get the same value (*symmetry*). Every coalition is simulated with the same replicate
seeds and the same parameter draws (common random numbers, exactly as :mod:`sim.compare`), so
the value ``v_r(S)`` of replicate r is a deterministic function of the coalition, the Shapley
value is computed replicate by replicate (it is linear in v), and the reported value is the mean
over replicates (and so over posterior draws) with a 90% Monte Carlo interval, mean +- 1.645 *
sd / sqrt(R). The statistics are counts, so the sums are carried out in integers, scaled by n!:
the dummy's 0 and the symmetric causes' equality are exact, and efficiency holds to rounding.

Exact computation simulates all 2^n coalitions (up to :data:`EXACT_MAX` causes with
``method="auto"``); beyond, permutation sampling (Castro, Gomez & Tejada 2009, "Polynomial
calculation of the Shapley value based on sampling") walks K random orders, each adding the
causes one at a time; every order telescopes, so efficiency still holds exactly. Its interval
adds the orders' Monte Carlo error to the replicates' (a crossed design: var = s_r^2 / R + s_k^2 /
K, slightly conservative). A cause whose events and foundings all come after the checkpoint month
(or the peer pull where ``b_peer`` is 0 in every replicate) is an exact dummy: it is reported as 0
and not simulated. Coalitions are simulated only to the checkpoint month, posterior and prior
replicates together, on one compiled world per coalition.

Statistics (:class:`Explanation`): the number gone from the focal lab at the checkpoint month
(N minus the count there), the retention curve (share at the focal lab, each month through the
checkpoint) and each researcher's probability of having left by the checkpoint (away from the
focal lab at some month up to then). Each is attributed twice: under the scenario's own parameter
source (``posterior``) and under prior draws (``prior``: :func:`sim.params.sample_prior` from a
generator seeded by the seed, the scenario's fixed ``[params]`` on top), so the reader sees what
the data taught.

Default causes (:func:`default_causes`): one group per attribute of the focal lab (its set and
shift events on that attribute, and every ``*`` event on it); one group per other lab that is
founded within the window or has events (its founding and its events; a merge goes to the lab
founded within the window among its two labs, else to the lab that merges away, and is dropped
from any coalition in which either lab never exists); the peer pull. A groups file
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
    peer = true                        # b_peer

Every event may be in at most one group; events in no group stay on in every coalition (the
report says which).
"""

from __future__ import annotations

import argparse
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError

from sim.cli.common import non_negative_int, positive_int
from sim.config.params import sample_prior, with_fixed
from sim.config.scenario import Scenario, fixed_parameters, load_scenario
from sim.errors import InputError
from sim.kernel.behavior import ATTRIBUTE_NAMES, B_PEER
from sim.world import NEVER, Event, StrictModel, World, founding_month

DEFAULT_OUT = Path("out") / "explain"
#: The most causes ``method="auto"`` computes exactly (2^n coalitions); beyond, permutations.
EXACT_MAX = 12
#: The most causes ``method="exact"`` accepts (2^16 = 65,536 coalitions).
EXACT_LIMIT = 16
#: Default number of sampled orders for permutation sampling.
DEFAULT_PERMUTATIONS = 100
METHODS = ("auto", "exact", "permutation")
PEER_GROUP = "peer pull"
TOTAL = "total"
_Z90 = 1.6448536269514722  # standard normal 95% quantile: two-sided 90% interval
_CACHE_BYTES = 256 * 2**20  # coalition values kept for permutation sampling


# --------------------------------------------------------------------------- causes
@dataclass(frozen=True)
class Group:
    """One cause: what it switches on when it is on.

    Attributes:
        name: the name in tables and figures.
        events: ids of the events it holds.
        labs: labs whose founding within the window it holds (off: the lab never exists).
        peer: whether it holds the peer pull (off: ``b_peer = 0``).
        how: where it came from, in words (for the report).
    """

    name: str
    events: tuple[str, ...] = ()
    labs: tuple[str, ...] = ()
    peer: bool = False
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
        labs never exists (a merge needs both). The peer pull is set in the parameters, not here.
        """
        off = [g for g, state in zip(self.groups, on, strict=True) if not state]
        gone_events = {e for g in off for e in g.events}
        gone_labs = sorted({lab for g in off for lab in g.labs})
        world = self.world.replace(
            events=tuple(e for e in self.world.events if e.id not in gone_events)
        )
        return world.without_labs(gone_labs) if gone_labs else world

    def first_month(self, group: Group) -> int:
        """The first month index at which the group changes anything (peer pull: 0)."""
        calendar = self.world.calendar
        months = [calendar.index(e.month) for e in self.world.events if e.id in set(group.events)]
        months += [
            founding_month(self.world.founded[self.world.labs.index(x)], calendar)
            for x in group.labs
        ]
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
    """The causes the world's data imply (module docstring): focal attributes, labs, peers."""
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
    window = founded_in_window(world)
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
    name = PEER_GROUP if PEER_GROUP not in taken else f"{PEER_GROUP} (b_peer)"
    groups.append(Group(name, peer=True, how="the pull of colleagues (b_peer)"))
    return Causes(world=world, groups=tuple(groups))


class GroupSpec(StrictModel):
    """One ``[[group]]`` table of a groups file."""

    name: str = Field(min_length=1)
    events: list[str] = Field(default_factory=list)
    labs: list[str] = Field(default_factory=list)
    focal_attributes: list[str] = Field(default_factory=list)
    peer: bool = False


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
    from sim.errors import suggest
    from sim.world import explain_validation_error, read_toml

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
    peer_group: int | None = None
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
        if g.peer:
            if peer_group is not None:
                raise InputError(
                    f"the peer pull is in two groups (also group[{peer_group}])",
                    source=where,
                    key=f"{key}.peer",
                )
            peer_group = k
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
        group = Group(g.name, events=events, labs=labs, peer=g.peer, how=_how(g))
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
    if spec.peer:
        parts.append("the peer pull")
    return "; ".join(parts)


# --------------------------------------------------------------------------- Shapley values
def shapley_weights(n: int, size: int) -> tuple[int, int]:
    """Integer Shapley weights (scaled by n!) of a coalition of ``size`` among ``n`` players.

    Returns ``(inside, outside)``: a coalition S of this size enters phi_i * n! with
    ``+inside * v(S)`` for i in S (weight (|S|-1)! (n-|S|)!) and ``-outside * v(S)`` for i not
    in S (weight |S|! (n-|S|-1)!).
    """
    inside = math.factorial(size - 1) * math.factorial(n - size) if size > 0 else 0
    outside = math.factorial(size) * math.factorial(n - size - 1) if size < n else 0
    return inside, outside


def shapley_exact(
    n: int, value: Callable[[int], np.ndarray], progress=None
) -> tuple[np.ndarray, int]:
    """Exact Shapley values of ``n`` players, replicate by replicate, in integers.

    Args:
        n: the number of players (bit k of a coalition mask is player k).
        value: coalition mask -> integer values [R, K] (one row per replicate).
        progress: a callable called once per coalition (or None).

    Returns:
        ``(numerators int64 [n, R, K], divisor)``: phi = numerators / divisor (divisor n!).
    """
    total = None
    for mask in range(2**n):
        v = np.asarray(value(mask), dtype=np.int64)
        if total is None:
            total = np.zeros((n, *v.shape), dtype=np.int64)
        inside, outside = shapley_weights(n, mask.bit_count())
        plus = inside * v if inside else None
        minus = outside * v if outside else None
        for i in range(n):
            if mask >> i & 1:
                total[i] += plus
            else:
                total[i] -= minus
        if progress is not None:
            progress()
    return total, math.factorial(n)


def shapley_permutations(
    n: int,
    value: Callable[[int], np.ndarray],
    orders: int,
    rng: np.random.Generator,
    parts: tuple[slice, ...] = (),
    progress=None,
) -> tuple[np.ndarray, int, list[np.ndarray]]:
    """Shapley values by sampling orders of the players (Castro et al. 2009), per replicate.

    Each of ``orders`` random orders adds the players one at a time; a player's marginal effect
    in an order is the value after it minus the value before. The same orders serve every
    replicate (common random numbers again).

    Args:
        n: the number of players.
        value: coalition mask -> integer values [R, K].
        orders: K, the number of sampled orders.
        rng: the generator of the orders.
        parts: groups of replicates (row slices) whose per-order means are kept for the error.
        progress: a callable called once per order (or None).

    Returns:
        ``(sums int64 [n, R, K], K, per_order)``: phi = sums / K; ``per_order[p]`` is float
        [n, K, K_stats], the mean marginal effect over the replicates of ``parts[p]`` in each
        order.
    """
    cache: dict[int, np.ndarray] = {}
    used = 0

    def cached(mask: int) -> np.ndarray:
        nonlocal used
        if mask in cache:
            return cache[mask]
        v = np.asarray(value(mask), dtype=np.int64)
        if used + v.nbytes <= _CACHE_BYTES:
            cache[mask] = v
            used += v.nbytes
        return v

    empty = cached(0)
    sums = np.zeros((n, *empty.shape), dtype=np.int64)
    per_order = [np.zeros((n, orders, empty.shape[1])) for _ in parts]
    for k in range(orders):
        before, mask = empty, 0
        for i in rng.permutation(n):
            mask |= 1 << int(i)
            after = cached(mask)
            step = after - before
            sums[i] += step
            for p, part in enumerate(parts):
                per_order[p][i, k] = step[part].mean(axis=0)
            before = after
        if progress is not None:
            progress()
    return sums, orders, per_order


# --------------------------------------------------------------------------- the attribution
@dataclass(frozen=True)
class Explanation:
    """The attribution of a scenario's exodus to its causes (see the module docstring).

    Statistics are columns of the value arrays: column 0 the number gone from the focal lab at
    the checkpoint; columns 1 .. T the share at the focal lab at the end of months 0 .. T-1 (T-1
    the checkpoint); the next N columns each researcher's probability of having left by then.

    Attributes:
        causes: the groups.
        month: the checkpoint month.
        sources: parameter sources, in row-block order (``posterior``, ``prior``).
        replicates: R, replicates per source.
        seed: the seed of the replicate seeds, the parameter draws and the sampled orders.
        method: ``exact`` or ``permutation`` (as run).
        orders: the sampled orders (permutation sampling; 0 when exact).
        active: per group, whether it was simulated (False: an exact dummy, 0 by construction).
        phi: per-replicate Shapley values, float [G, S*R, K] (rows: source by source).
        all_off: per-replicate values with every cause off, float [S*R, K].
        all_on: per-replicate values of the scenario, float [S*R, K].
        order_means: per source, float [G, orders, K], the mean marginal effects of each sampled
            order (permutation sampling only).
        coalitions: the number of coalitions simulated.
        scenario: the scenario (None where the world was given directly).
        parameter_source: where the ``posterior`` block's parameters come from.
        seconds: wall time of the simulations.
    """

    causes: Causes
    month: str
    sources: tuple[str, ...]
    replicates: int
    seed: int
    method: str
    orders: int
    active: tuple[bool, ...]
    phi: np.ndarray = field(repr=False)
    all_off: np.ndarray = field(repr=False)
    all_on: np.ndarray = field(repr=False)
    order_means: tuple[np.ndarray, ...] = field(default=(), repr=False)
    coalitions: int = 0
    scenario: Scenario | None = None
    parameter_source: str = ""
    seconds: float = 0.0

    @property
    def world(self) -> World:
        """The scenario's world (all causes on)."""
        return self.causes.world

    @property
    def n_months(self) -> int:
        """T, the months simulated (start through the checkpoint)."""
        return self.world.calendar.index(self.month) + 1

    @property
    def months(self) -> list[str]:
        """The simulated months, ``YYYY-MM``."""
        return self.world.calendar.labels(self.n_months)

    @property
    def gone_name(self) -> str:
        """The name of the checkpoint statistic, ``gone_YYYY_MM``."""
        return f"gone_{self.month.replace('-', '_')}"

    @property
    def gone_label(self) -> str:
        """The checkpoint statistic in words."""
        return f"not at {self.world.focal_lab} in {self.month} (researchers)"

    @property
    def left_name(self) -> str:
        """The name of the per-researcher statistic, ``p_left_by_YYYY_MM``."""
        return f"p_left_by_{self.month.replace('-', '_')}"

    def statistic_names(self) -> list[str]:
        """The cohort statistics, in column order: gone, then the curve ``retention_YYYY_MM``."""
        return [self.gone_name] + [f"retention_{m.replace('-', '_')}" for m in self.months]

    def rows(self, source: str) -> slice:
        """The rows of a source's replicates."""
        k = self.sources.index(source)
        return slice(k * self.replicates, (k + 1) * self.replicates)

    def _interval(self, values: np.ndarray, extra_var: np.ndarray | None = None):
        mean = values.mean(axis=0)
        n = values.shape[0]
        var = values.var(axis=0, ddof=1) / n if n > 1 else np.zeros_like(mean)
        if extra_var is not None:
            var = var + extra_var
        half = _Z90 * np.sqrt(var)
        return mean, mean - half, mean + half

    def summary(self, source: str) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Group name (and ``total``, ``all_off``, ``scenario``) -> (mean, low, high), each [K].

        The 90% Monte Carlo interval of the mean over replicates: mean +- 1.645 * sd / sqrt(R)
        (with permutation sampling, plus the sampled orders' error).
        """
        rows = self.rows(source)
        out = {}
        p = self.sources.index(source)
        for g, group in enumerate(self.causes.groups):
            extra = None
            if self.order_means and self.active[g]:
                index = sum(self.active[:g])
                means = self.order_means[p][index]
                extra = means.var(axis=0, ddof=1) / self.orders if self.orders > 1 else None
            out[group.name] = self._interval(self.phi[g, rows], extra)
        out[TOTAL] = self._interval(self.all_on[rows] - self.all_off[rows])
        out["all_off"] = self._interval(self.all_off[rows])
        out["scenario"] = self._interval(self.all_on[rows])
        return out

    def to_df(self) -> pd.DataFrame:
        """``attribution.csv``: source, group, statistic, mean, low, high (groups, then total).

        Statistics: the number gone at the checkpoint, then the retention curve month by month.
        The ``total`` rows are the scenario minus every cause off, the sum of the groups' rows.
        """
        names = self.statistic_names()
        k = len(names)
        frames = []
        for source in self.sources:
            summary = self.summary(source)
            for group in (*self.causes.names, TOTAL):
                mean, low, high = (a[:k] for a in summary[group])
                frames.append(
                    pd.DataFrame(
                        {
                            "source": source,
                            "group": group,
                            "statistic": names,
                            "mean": mean,
                            "low": low,
                            "high": high,
                        }
                    )
                )
        return pd.concat(frames, ignore_index=True)

    def levels_df(self) -> pd.DataFrame:
        """``levels.csv``: every statistic with every cause off and in the scenario, per source."""
        names = self.statistic_names() + [self.left_name] * len(self.world.researchers)
        researchers = [""] * (len(names) - len(self.world.researchers)) + list(
            self.world.researchers
        )
        frames = []
        for source in self.sources:
            summary = self.summary(source)
            frame = pd.DataFrame({"source": source, "statistic": names, "researcher": researchers})
            for level in ("all_off", "scenario"):
                mean, low, high = summary[level]
                frame[level], frame[f"{level}_low"], frame[f"{level}_high"] = mean, low, high
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def per_researcher_df(self) -> pd.DataFrame:
        """``per_researcher.csv``: each researcher's probability of having left, attributed.

        Columns: source, researcher, group, statistic, mean, low, high, p_all_off, p_scenario;
        one row per source, researcher and group, then the ``total`` (the scenario minus every
        cause off).
        """
        start = 1 + self.n_months
        people = list(self.world.researchers)
        frames = []
        for source in self.sources:
            summary = self.summary(source)
            off = summary["all_off"][0][start:]
            on = summary["scenario"][0][start:]
            for group in (*self.causes.names, TOTAL):
                mean, low, high = (a[start:] for a in summary[group])
                frames.append(
                    pd.DataFrame(
                        {
                            "source": source,
                            "researcher": people,
                            "group": group,
                            "statistic": self.left_name,
                            "mean": mean,
                            "low": low,
                            "high": high,
                            "p_all_off": off,
                            "p_scenario": on,
                        }
                    )
                )
        return pd.concat(frames, ignore_index=True)


def checkpoint(world: World, horizon: str, month: str | None = None) -> str:
    """The checkpoint month: ``month``, else the last observed month if simulated, else the horizon.

    Raises:
        InputError: ``month`` is not a month of the calendar up to the horizon (key ``--month``).
    """
    calendar = world.calendar
    last = calendar.index(horizon)
    if month is None:
        return calendar.checkpoint(last + 1)
    try:
        t = calendar.index(month)
    except ValueError as exc:
        raise InputError(
            f"{exc} (this world's calendar starts {calendar.start})", key="--month"
        ) from None
    if t > last:
        raise InputError(
            f"month {month} is after the scenario's horizon {horizon}: expected a month from "
            f"{calendar.start} to {horizon}",
            key="--month",
        )
    return calendar.label(t)


def attribute(
    causes: Causes,
    month: str,
    thetas: dict[str, np.ndarray],
    seeds: np.ndarray,
    *,
    method: str = "auto",
    orders: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
    progress: bool | None = False,
) -> Explanation:
    """Shapley values of the causes on the checkpoint statistics, under common random numbers.

    Args:
        causes: the groups (:func:`default_causes`, :func:`load_causes`).
        month: the checkpoint month (``YYYY-MM``); coalitions are simulated to it.
        thetas: source -> parameter vectors [R, P], the same R for every source; the same
            replicate seeds serve every source and every coalition.
        seeds: the replicate seeds, length R.
        method: ``auto`` (exact up to :data:`EXACT_MAX` simulated causes), ``exact`` or
            ``permutation``.
        orders: the sampled orders of permutation sampling.
        seed: the seed of the sampled orders.
        progress: show a progress bar over coalitions (None: only on a terminal).
    """
    from tqdm.auto import tqdm

    from sim.engines.simulate import check_fits, progress_disabled, simulate

    if method not in METHODS:
        raise InputError(
            f"unknown method {method!r}; expected one of {', '.join(METHODS)}", key="--method"
        )
    world = causes.world
    sources = tuple(thetas)
    seeds = np.asarray(seeds, dtype=np.uint64)
    replicates = len(seeds)
    theta = np.vstack([np.asarray(thetas[s], dtype=np.float64) for s in sources])
    if theta.shape[0] != replicates * len(sources):
        raise ValueError("every source needs one parameter vector per replicate")
    all_seeds = np.tile(seeds, len(sources))
    t_last = world.calendar.index(month)
    no_peer = theta.copy()
    no_peer[:, B_PEER] = 0.0
    peerless = bool((theta[:, B_PEER] == 0).all())
    active = tuple(
        not g.empty
        and causes.first_month(g) <= t_last
        and not (g.peer and peerless and not g.events and not g.labs)
        for g in causes.groups
    )
    players = [k for k, a in enumerate(active) if a]
    n = len(players)
    if method == "auto":
        method = "exact" if n <= EXACT_MAX else "permutation"
    if method == "permutation" and orders < 2:
        raise InputError(
            f"expected at least 2 permutations (their spread is the Monte Carlo error), got "
            f"{orders}",
            key="--permutations",
        )
    if method == "exact" and n > EXACT_LIMIT:
        raise InputError(
            f"{n} causes would need 2^{n} coalitions: use --method permutation (or fewer groups)",
            key="--method",
        )
    focal = world.labs.index(world.focal_lab)
    n_people = len(world.researchers)
    check_fits(world.compile(month), len(all_seeds))
    coalitions = 0

    full = (1 << n) - 1
    ends: dict[int, np.ndarray] = {}  # every cause off and every cause on, kept

    def value(mask: int) -> np.ndarray:
        nonlocal coalitions
        if mask in ends:
            return ends[mask]
        on = [True] * len(causes.groups)
        for bit, k in enumerate(players):
            on[k] = bool(mask >> bit & 1)
        peer_on = all(on[k] for k, g in enumerate(causes.groups) if g.peer)
        compiled = causes.world_for(on).compile(month)
        traj = simulate(compiled, theta if peer_on else no_peer, all_seeds)
        coalitions += 1
        at_focal = traj.at_focal()
        out = np.empty((len(all_seeds), 1 + at_focal.shape[1] + n_people), dtype=np.int64)
        out[:, 0] = n_people - at_focal[:, -1]
        out[:, 1 : 1 + at_focal.shape[1]] = at_focal
        out[:, 1 + at_focal.shape[1] :] = (traj.labs != focal).any(axis=1)
        if mask in (0, full):
            ends[mask] = out
        return out

    started = time.perf_counter()
    steps = 2**n if method == "exact" else orders
    bar = tqdm(
        total=steps,
        unit="coalition" if method == "exact" else "order",
        disable=progress_disabled(progress),
        desc="explain",
    )
    parts = tuple(slice(k * replicates, (k + 1) * replicates) for k in range(len(sources)))
    if method == "exact":
        numerators, divisor = shapley_exact(n, value, progress=lambda: bar.update(1))
        order_means: tuple[np.ndarray, ...] = ()
        orders = 0
    else:
        rng = np.random.default_rng([int(seed), 3])
        numerators, divisor, means = shapley_permutations(
            n, value, orders, rng, parts, progress=lambda: bar.update(1)
        )
        order_means = tuple(means)
    v_off, v_on = value(0), value(full)
    bar.close()
    seconds = time.perf_counter() - started
    per = np.ones(numerators.shape[-1])
    per[1 : 1 + t_last + 1] = n_people  # counts at the focal lab -> shares
    phi = np.zeros((len(causes.groups), *numerators.shape[1:]))
    for bit, k in enumerate(players):
        phi[k] = numerators[bit] / (divisor * per)
    if order_means:
        order_means = tuple(m / per for m in order_means)
    return Explanation(
        causes=causes,
        month=month,
        sources=sources,
        replicates=replicates,
        seed=int(seed),
        method=method,
        orders=orders,
        active=active,
        phi=phi,
        all_off=v_off / per,
        all_on=v_on / per,
        order_means=order_means,
        coalitions=coalitions,
        seconds=seconds,
    )


def explain(
    scenario: Scenario | str | Path,
    replicates: int | None = None,
    seed: int | None = None,
    *,
    groups: str | Path | None = None,
    month: str | None = None,
    method: str = "auto",
    permutations: int = DEFAULT_PERMUTATIONS,
    progress: bool | None = False,
) -> Explanation:
    """Attribute a scenario's exodus to its causes, under its posterior and under the prior.

    Args:
        scenario: a scenario, or its file or name.
        replicates: replicates per source (default: the scenario's).
        seed: the seed of the replicate seeds, the posterior and prior draws and the orders
            (default: the scenario's).
        groups: a groups file (default: :func:`default_causes`).
        month: the checkpoint (default: the last observed month if simulated, else the horizon).
        method: ``auto``, ``exact`` or ``permutation``.
        permutations: orders sampled by permutation sampling.
        progress: show a progress bar (None: only on a terminal).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    replicates = scenario.spec.replicates if replicates is None else int(replicates)
    seed = scenario.spec.seed if seed is None else int(seed)
    if replicates < 1:
        raise InputError(f"expected at least 1 replicate, got {replicates}", key="--replicates")
    world = scenario.world
    causes = load_causes(groups, world) if groups is not None else default_causes(world)
    when = checkpoint(world, scenario.horizon, month)
    theta, _ = scenario.parameters(replicates, seed)
    fixed = fixed_parameters(scenario)
    prior = with_fixed(
        sample_prior(replicates, np.random.default_rng([seed, 2])), fixed, source=scenario.source
    )
    seeds = scenario.seeds(replicates, seed)
    result = attribute(
        causes,
        when,
        {"posterior": theta, "prior": prior},
        seeds,
        method=method,
        orders=permutations,
        seed=seed,
        progress=progress,
    )
    return _with(result, scenario=scenario, parameter_source=scenario.params_from)


def _with(explanation: Explanation, **changes) -> Explanation:
    import dataclasses

    return dataclasses.replace(explanation, **changes)


# --------------------------------------------------------------------------- writing
def write_explanation(explanation: Explanation, out: Path) -> list[Path]:
    """Write the attribution's tables, figures, report and manifest into ``out`` (swapped whole)."""
    from sim.results import replace_folder

    return replace_folder(Path(out), lambda folder: _write_files(explanation, folder))


def _write_files(ex: Explanation, out: Path) -> list[Path]:
    from sim.reports.plot import attribution_by_month_figure, waterfall_figure
    from sim.results import provenance, save_figure, write_frame, write_json, write_text

    table = ex.to_df()
    levels = ex.levels_df()
    people = ex.per_researcher_df()
    written = [
        write_frame(out / "attribution.csv", table),
        write_frame(out / "per_researcher.csv", people),
        write_frame(out / "levels.csv", levels),
    ]
    gone = table[table["statistic"] == ex.gone_name]
    base = levels[levels["statistic"] == ex.gone_name].set_index("source")
    written.append(
        save_figure(
            out / "waterfall.png",
            waterfall_figure(
                gone,
                {s: (base.loc[s, "all_off"], base.loc[s, "scenario"]) for s in ex.sources},
                ex.gone_label,
                f"{ex.world.title}: from every cause off to the scenario, {ex.month}",
            ),
        )
    )
    curve = table[table["statistic"].str.startswith("retention_")].copy()
    curve["month"] = curve["statistic"].str.removeprefix("retention_").str.replace("_", "-")
    written.append(
        save_figure(
            out / "by_month.png",
            attribution_by_month_figure(
                curve,
                ex.world.focal_lab,
                f"{ex.world.title}: each cause's contribution to the share at {ex.world.focal_lab}",
            ),
        )
    )
    written.append(write_text(out / "report.md", report(ex, table, people)))
    scenario = ex.scenario
    manifest = {
        "command": "explain",
        "scenario": None if scenario is None else scenario.name,
        "files_read": [] if scenario is None else list(scenario.chain),
        "groups_source": ex.causes.source,
        "groups": [
            {
                "name": g.name,
                "events": list(g.events),
                "labs_founded": list(g.labs),
                "peer": g.peer,
                "how": g.how,
                "simulated": active,
            }
            for g, active in zip(ex.causes.groups, ex.active, strict=True)
        ],
        "unattributed_events": [e.id for e in ex.causes.unattributed],
        "checkpoint": ex.month,
        "replicates": ex.replicates,
        "seed": ex.seed,
        "sources": list(ex.sources),
        "parameter_source": ex.parameter_source,
        "method": ex.method,
        "permutations": ex.orders,
        "coalitions_simulated": ex.coalitions,
        "simulation_seconds": round(ex.seconds, 2),
        "common_random_numbers": (
            "every coalition uses the same replicate seeds and the same parameter draws (the "
            "scenario's for 'posterior', seeded prior draws for 'prior'); b_peer = 0 where the "
            "peer pull is off"
        ),
        **provenance(),
        "files": [p.name for p in written],
    }
    written.append(write_json(out / "manifest.json", manifest))
    return written


# --------------------------------------------------------------------------- report
def _fmt(mean: float, low: float, high: float, digits: int = 2, signed: bool = True) -> str:
    sign = "+" if signed else ""
    return f"{mean:{sign}.{digits}f} ({low:{sign}.{digits}f} to {high:{sign}.{digits}f})"


def _event_line(event: Event) -> str:
    what = (
        f"{event.lab} merges into {event.into}"
        if event.kind == "merge"
        else f"{event.kind} {event.lab} {event.attribute} {event.value:+g}"
        if event.kind == "shift"
        else f"set {event.lab} {event.attribute} = {event.value:g}"
    )
    text = f"`{event.id}` ({event.month}, {what})"
    return text


def report(
    ex: Explanation, table: pd.DataFrame | None = None, people: pd.DataFrame | None = None
) -> str:
    """The Markdown report: the causes, the attribution table, prior vs posterior, figures."""
    table = ex.to_df() if table is None else table
    people = ex.per_researcher_df() if people is None else people
    world = ex.world
    focal = world.focal_lab
    by_id = {e.id: e for e in world.events}
    name = ex.scenario.name if ex.scenario is not None else world.name
    n = len(world.researchers)
    n_active = sum(ex.active)
    method = (
        f"exactly, over all 2^{n_active} = {2**n_active} coalitions"
        if ex.method == "exact"
        else f"by permutation sampling (Castro et al. 2009), {ex.orders} random orders"
    )
    lines = [
        f"# Why they left: {world.title}, attributed to its causes",
        "",
        f"Scenario **{name}**, {ex.replicates} replicates per parameter source, seed {ex.seed}. "
        f"The statistic is the number of the {n} researchers **not at {focal} in {ex.month}** "
        f"(the checkpoint), with the share at {focal} month by month up to then and each "
        "researcher's probability of having left by then. Each cause's share is its Shapley "
        "value: its marginal effect averaged over every order in which the causes could have "
        "been switched on, from every cause off to the scenario. The values add up: they sum to "
        "the scenario minus every cause off (the *total*). Every coalition uses the same "
        "replicate seeds and the same parameter draws (common random numbers), so the values are "
        f"computed replicate by replicate; here {method} ({ex.coalitions} simulated "
        f"coalitions, {ex.seconds:.0f} s).",
        "",
    ]
    if ex.scenario is not None and ex.scenario.spec.provisional:
        lines += [
            "> **Provisional parameters.** The scenario's parameters are not calibrated yet "
            "(`provisional = true`).",
            "",
        ]
    if ex.parameter_source and ex.parameter_source != "posterior":
        lines += [
            f"> **No posterior.** This scenario's parameters are `params.from = "
            f'"{ex.parameter_source}"`: the *posterior* column below is the attribution under '
            "them, not under calibrated draws.",
            "",
        ]
    skipped = [g.name for g, a in zip(ex.causes.groups, ex.active, strict=True) if not a]
    if skipped:
        lines += [
            f"Not simulated (exact dummies: nothing of theirs happens by {ex.month}, or the peer "
            f"pull is already 0): {', '.join(skipped)}; their values are exactly 0.",
            "",
        ]
    lines += ["## The causes", ""]
    source = (
        "the world's data (the default grouping)"
        if ex.causes.source == "default"
        else (f"the groups file `{ex.causes.source}`")
    )
    lines += [f"The groups come from {source}.", ""]
    for group, active in zip(ex.causes.groups, ex.active, strict=True):
        parts = []
        for lab in group.labs:
            parts.append(f"the founding of {lab} in {world.founded[world.labs.index(lab)]}")
        if group.events:
            parts.append("events " + ", ".join(_event_line(by_id[e]) for e in group.events))
        if group.peer:
            parts.append("the pull of colleagues (off: b_peer = 0)")
        note = "" if active else f" All of it comes after {ex.month}: exactly 0, not simulated."
        lines.append(f"- **{group.name}**: {'; '.join(parts)}.{note}")
    lines += [
        "",
        f"*Every cause off* is the counterfactual world in which {focal} keeps its starting "
        "attributes (its events removed), no lab is founded within the window (those labs never "
        "exist), their events go (a merge goes when either of its labs is gone) and nobody pulls "
        "(b_peer = 0).",
        "",
    ]
    stray = ex.causes.unattributed
    foundings = ex.causes.unattributed_foundings
    if stray or foundings:
        parts = [_event_line(e) for e in stray] + [f"the founding of {x}" for x in foundings]
        lines += [
            f"**Not attributed** (on in every coalition, *every cause off* included, so "
            f"none of their effect is in the table): {', '.join(parts)}.",
            "",
        ]
    else:
        lines += ["Every event belongs to a group: nothing stays on unattributed.", ""]
    cell = {(r.source, r.group): r for r in table[table["statistic"] == ex.gone_name].itertuples()}
    levels = {s: ex.summary(s) for s in ex.sources}
    lines += [
        f"## How many left {focal} by {ex.month}, cause by cause",
        "",
        f"Researchers not at {focal} in {ex.month}: mean (90% Monte Carlo interval of the mean). "
        "*posterior*: the scenario's own parameters "
        f'(`params.from = "{ex.parameter_source or "given"}"`); *prior*: draws from the prior, '
        "the same attribution before the data.",
        "",
        "| | posterior | prior |",
        "|---|---|---|",
    ]
    row = ["every cause off"] + [
        _fmt(*(a[0] for a in levels[s]["all_off"]), signed=False) for s in ex.sources
    ]
    lines.append("| " + " | ".join(row) + " |")
    for group in (*ex.causes.names, TOTAL):
        label = f"**{group}**" if group == TOTAL else group
        row = [label] + [
            _fmt(cell[s, group].mean, cell[s, group].low, cell[s, group].high) for s in ex.sources
        ]
        lines.append("| " + " | ".join(row) + " |")
    row = ["the scenario"] + [
        _fmt(*(a[0] for a in levels[s]["scenario"]), signed=False) for s in ex.sources
    ]
    lines.append("| " + " | ".join(row) + " |")
    post = (
        {g: cell["posterior", g].mean for g in ex.causes.names} if "posterior" in ex.sources else {}
    )
    prior = {g: cell["prior", g].mean for g in ex.causes.names} if "prior" in ex.sources else {}
    lines += [""]
    if post:
        top = max(post, key=lambda g: abs(post[g]))
        lines.append(
            f"Under the posterior the largest share is **{top}** ({post[top]:+.2f} researchers "
            f"of the total {cell['posterior', TOTAL].mean:+.2f})."
        )
        background = levels["posterior"]["all_off"][0][0]
        lines.append(
            f"With every cause off, {background:.2f} of the {n} are already gone by {ex.month}: "
            f"departures no cause here holds ({focal}'s starting attributes against the labs "
            "that exist from the start, and the researchers' own restlessness)."
        )
    if post and prior:
        moved = max(post, key=lambda g: abs(post[g] - prior[g]))
        lines.append(
            f"What the data taught: the share that moved most from prior to posterior is "
            f"**{moved}** ({prior[moved]:+.2f} -> {post[moved]:+.2f})."
        )
    lines += [
        "",
        "A positive value is a cause that pushed researchers out; a negative one kept them. The "
        "intervals are for the mean over the replicates (and so over the parameter draws), not "
        "the spread of single histories"
        + (
            "; with permutation sampling they include the sampled orders' error."
            if ex.method == "permutation"
            else "."
        ),
        "",
        "## Figures",
        "",
        "![From every cause off to the scenario](waterfall.png)",
        "",
        f"*waterfall.png*: the number not at {focal} in {ex.month}, from every cause off (left) "
        "to the scenario (right), one bar per cause (its Shapley value, with its 90% interval); "
        "posterior and prior side by side.",
        "",
        "![Contributions by month](by_month.png)",
        "",
        f"*by_month.png*: each cause's contribution to the share of the cohort at {focal}, month "
        "by month up to the checkpoint (stacked; below zero: it took researchers away); the line "
        "is the total, the scenario minus every cause off.",
        "",
        f"## Each researcher: who left {focal} by {ex.month}, and why",
        "",
        f"Probability of having left {focal} (been away from it at some month) by {ex.month}, "
        "with every cause off, each cause's share of the change and in the scenario (posterior; "
        "the prior's is in per_researcher.csv).",
        "",
    ]
    names = list(ex.causes.names)
    lines.append("| researcher | all off | " + " | ".join(names) + " | scenario |")
    lines.append("|---" * (len(names) + 3) + "|")
    part = people[people["source"] == ex.sources[0]]
    for person in world.researchers:
        rows = part[part["researcher"] == person].set_index("group")
        cells = [f"{rows['p_all_off'].iloc[0]:.2f}"]
        cells += [f"{rows.loc[g, 'mean']:+.2f}" for g in names]
        cells += [f"{rows['p_scenario'].iloc[0]:.2f}"]
        lines.append(f"| {person} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Files",
        "",
        "`attribution.csv` (source, group, statistic, mean, low, high: the number gone at the "
        "checkpoint and the retention curve month by month, each cause and the total), "
        "`per_researcher.csv` (each researcher's probability of having left, attributed), "
        "`levels.csv` (every statistic with every cause off and in the scenario), "
        "`waterfall.png`, `by_month.png`, `manifest.json` (groups, seeds, code version).",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- command line
def register_cli(subparsers) -> None:
    """Add ``sim explain`` to the ``sim`` command."""
    from sim.cli.common import add_command

    cmd = add_command(
        subparsers,
        "explain",
        "attribute a scenario's exodus to its causes (Shapley values under common random numbers)",
        "Switches the causes on and off (the focal lab's events attribute by attribute, each\n"
        "rival lab's founding and events, the peer pull; or the groups of a --groups file) and\n"
        "gives each its Shapley value: its average marginal effect over every order in which the\n"
        "causes could have been switched on, from every cause off to the scenario; the values add\n"
        "up to the difference. Every coalition uses the same replicate seeds and parameter draws.\n"
        "Statistics: the number gone from the focal lab at the checkpoint, the retention curve up\n"
        "to it and each researcher's probability of having left, under the scenario's parameters\n"
        "(posterior) and under prior draws. Writes attribution.csv, per_researcher.csv,\n"
        "levels.csv, waterfall.png, by_month.png, report.md and manifest.json into a folder\n"
        "replaced whole. A groups file holds [[group]] tables with a name and any of\n"
        "events = [ids], labs = [names], focal_attributes = [names], peer = true.",
        [
            "sim explain baseline",
            "sim explain scenarios/openai-founders/baseline.toml --month 2023-06 --replicates 1000",
            "sim explain baseline --groups my-groups.toml --method permutation --permutations 200",
        ],
    )
    cmd.add_argument(
        "scenario",
        metavar="SCENARIO",
        help="a scenario file, or a name in scenarios/ (e.g. baseline)",
    )
    cmd.add_argument(
        "--out",
        default=None,
        metavar="FOLDER",
        help=f"output folder, replaced whole (default {DEFAULT_OUT}/SCENARIO)",
    )
    cmd.add_argument(
        "--replicates",
        type=positive_int,
        default=None,
        metavar="N",
        help="replicates per coalition and parameter source (default: the scenario's)",
    )
    cmd.add_argument(
        "--seed",
        type=non_negative_int,
        default=None,
        metavar="SEED",
        help="seed of the replicate seeds, the posterior and prior draws and the "
        "sampled orders (default: the scenario's)",
    )
    cmd.add_argument(
        "--groups",
        default=None,
        metavar="FILE",
        help="a TOML file of [[group]] tables (default: the groups the world's data "
        "imply: the focal lab's attributes, each lab founded within the window "
        "or with events, the peer pull)",
    )
    cmd.add_argument(
        "--month",
        default=None,
        metavar="YYYY-MM",
        help="the checkpoint month (default: the world's observed_until if the "
        "scenario simulates it, else the horizon)",
    )
    cmd.add_argument(
        "--method",
        choices=METHODS,
        default="auto",
        help=f"exact: every coalition; permutation: sampled orders; auto: exact up "
        f"to {EXACT_MAX} causes (default: auto)",
    )
    cmd.add_argument(
        "--permutations",
        type=positive_int,
        default=DEFAULT_PERMUTATIONS,
        metavar="K",
        help=f"orders sampled by --method permutation (default {DEFAULT_PERMUTATIONS})",
    )
    cmd.set_defaults(func=_cmd_explain)


def _cmd_explain(args: argparse.Namespace) -> int:
    from sim.results import check_out_folder

    scenario = load_scenario(args.scenario)
    out = check_out_folder(Path(args.out or DEFAULT_OUT / scenario.name))
    if args.groups is not None:  # check the groups and the month before simulating
        load_causes(args.groups, scenario.world)
    checkpoint(scenario.world, scenario.horizon, args.month)
    explanation = explain(
        scenario,
        args.replicates,
        args.seed,
        groups=args.groups,
        month=args.month,
        method=args.method,
        permutations=args.permutations,
        progress=None,
    )
    written = write_explanation(explanation, out)
    total = explanation.summary(explanation.sources[0])[TOTAL][0][0]
    print(
        f"{scenario.name}: {len(explanation.causes.groups)} causes, {explanation.coalitions} "
        f"coalitions x {explanation.replicates} replicates x {len(explanation.sources)} "
        f"parameter sources ({explanation.method}, {explanation.seconds:.0f} s); "
        f"{total:+.2f} researchers gone by {explanation.month} attributed; {len(written)} files "
        f"in {out}/ (see {out / 'report.md'})"
    )
    if scenario.spec.provisional:
        print("note: the parameters are provisional (not calibrated).")
    return 0
