"""The attribution itself: every coalition simulated under common random numbers.

Every coalition is simulated with the same replicate seeds and the same parameter draws (common
random numbers, exactly as :mod:`sim.analysis.compare`), so the value ``v_r(S)`` of replicate r is a
deterministic function of the coalition and the Shapley value is computed replicate by replicate
(:mod:`sim.analysis.explain.shapley`). Exact computation simulates all 2^n coalitions (up to
:data:`EXACT_MAX` causes with ``method="auto"``); beyond, permutation sampling (Castro, Gomez &
Tejada 2009). A cause whose events and foundings all come after the checkpoint month (or a part of
the peer pull where ``b_peer`` is 0 in every replicate) is an exact dummy: it is reported as 0 and
not simulated. Coalitions are simulated only to the checkpoint month, posterior and prior replicates
together, on one compiled world per coalition. :func:`explain` attributes a scenario under its own
parameters (``posterior``) and under prior draws (``prior``).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from sim.analysis.explain.causes import Causes, default_causes, load_causes
from sim.analysis.explain.explanation import Explanation
from sim.analysis.explain.shapley import shapley_exact, shapley_permutations
from sim.config.params import sample_prior, with_fixed
from sim.config.scenario import Scenario, fixed_parameters, load_scenario
from sim.engines.simulate import check_fits, progress_disabled, simulate
from sim.errors import InputError
from sim.kernel.behavior import B_PEER
from sim.world import World

#: The most causes ``method="auto"`` computes exactly (2^n coalitions); beyond, permutations.
EXACT_MAX = 12
#: The most causes ``method="exact"`` accepts (2^16 = 65,536 coalitions).
EXACT_LIMIT = 16
#: Default number of sampled orders for permutation sampling.
DEFAULT_PERMUTATIONS = 100
METHODS = ("auto", "exact", "permutation")


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
        compiled = causes.world_for(on).compile(month)
        traj = simulate(compiled, theta, all_seeds)
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
    if scenario.spec.from_observed:
        raise InputError(
            "sim explain attributes the whole history from the world's start (each cause is "
            "switched off from month 0), so it cannot forecast from the observed state: run it "
            "on a scenario without from_observed", source=scenario.source, key="from_observed",
        )  # fmt: skip
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
    return dataclasses.replace(explanation, **changes)
