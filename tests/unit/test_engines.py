"""Exact tier: invariants of the histories, determinism, and the two engines' identity."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engines.mesa_model import ExodusModel
from sim.engines.simulate import simulate
from sim.kernel.streams import opening_months_into, replicate_seeds
from sim.world import Event, format_month, founding_month, with_own_startups
from sim.world.founding import as_given
from tests.conftest import MOBILE, make_world, merge_world, theta_of


def _check_invariants(world, traj):
    labs = traj.labs.astype(np.int64)
    n_reps, n_months, n_people = labs.shape
    assert labs.min() >= 0 and labs.max() < len(world.world.labs)  # each at exactly one lab
    # lab lifetimes straight from the data (founding month, merge month), not from the timeline
    parse_month = world.world.calendar.index
    first = np.array([founding_month(f, world.world.calendar) for f in world.world.founded])
    first[world.potential] = 0  # founded by a choice: any month, by its founders (below)
    last = np.full(len(first), n_months)
    for e in world.world.events:
        if e.kind == "merge":
            last[world.world.labs.index(e.lab)] = parse_month(e.month)
    t_index = np.arange(n_months)[None, :, None]
    assert (first[labs] <= t_index).all(), "someone is at a lab before it is founded"
    assert (t_index < last[labs]).all(), "someone is at a lab after it was merged away"
    drawn = np.empty(len(first), dtype=np.int64)
    for r, seed in enumerate(traj.seeds):  # a founding month known to an interval: as drawn
        opening_months_into(seed, world.lab_keys, world.opening, drawn)
        for j in np.flatnonzero(drawn >= 0):
            assert not (labs[r, : drawn[j]] == j).any(), "someone is at a lab before it opens"
    for j in np.flatnonzero(world.potential):  # the first to be at a potential lab founded it
        there = labs == j
        for r in np.flatnonzero(there.any(axis=(1, 2))):
            t = np.argmax(there[r].any(axis=1))
            assert (world.founder[there[r, t], j] > 0).all(), "a non-founder founded a lab"


def _mobile_worlds(llama):
    return {
        "llama": llama.compile("2026-12"),
        "merge": merge_world().compile("2024-12"),
        "small": make_world(n_people=5, labs=("A", "B", "C", "D"), seed=11).compile("2024-06"),
        "founding": llama.replace(founding_chosen=True).compile("2026-12"),
        "founding, climate and a non-compete": founding_world().compile("2024-06"),
        "founding months known to intervals": interval_world().compile("2024-06"),
        "own startups": with_own_startups(founding_world()).compile("2024-06"),
    }


def interval_world():
    """Five researchers; C founded in a month of 2023-03 .. 2023-08, D of 2023-06 .. 2023-07,
    each run drawing it; founding given."""
    return make_world(
        n_people=5, labs=("A", "B", "C", "D"), founded=("", "", "2023-03..2023-08",
                                                       "2023-06..2023-07"), seed=11,
    )  # fmt: skip


def founding_world():
    """Five researchers; C is founded by a choice of p0 or p1, D of p2; a cooling climate and a
    non-compete at A in the first four months."""
    events = (
        Event(id="cool", month="2023-05", kind="shift", lab="*", attribute="funding_climate",
              value=-0.3),
        Event(id="nc", month="2023-02", kind="bar_founding", lab="A", value=4),
    )  # fmt: skip
    return make_world(
        n_people=5, labs=("A", "B", "C", "D"), founded=("", "", "2023-06", "2023-09"),
        founders=((), (), ("p0", "p1"), ("p2",)), events=events, seed=11,
    ).replace(founding_chosen=True)  # fmt: skip


def test_invariants_hold_and_moves_happen(llama, mobile_theta):
    for name, world in _mobile_worlds(llama).items():
        traj = simulate(world, mobile_theta, replicate_seeds(5, 300))
        _check_invariants(world, traj)
        moves = (np.diff(traj.labs.astype(int), axis=1) != 0).sum()
        assert moves > traj.shape[0], f"{name}: parameters meant to make moves frequent did not"


def test_same_seed_same_history_different_seeds_differ(llama):
    world = llama.compile("2026-12")
    theta = theta_of(**MOBILE)
    a = simulate(world, theta, replicate_seeds(1, 100))
    b = simulate(world, theta, replicate_seeds(1, 100))
    c = simulate(world, theta, replicate_seeds(2, 100))
    np.testing.assert_array_equal(a.labs, b.labs)
    assert not np.array_equal(a.labs, c.labs)
    # chunking does not change anything: replicate r depends on its own seed only
    d = simulate(world, theta, replicate_seeds(1, 100), chunk_size=7)
    np.testing.assert_array_equal(a.labs, d.labs)


def test_mesa_and_ensemble_agree_move_for_move(llama, mobile_theta):
    """>= 200 replicates on three worlds (foundings, a merge), at mobile parameters."""
    rng = np.random.default_rng(0)
    for name, world in _mobile_worlds(llama).items():
        seeds = replicate_seeds(99, 200)
        # per-replicate parameters: jitter the mobile vector inside the bounds
        theta = np.tile(mobile_theta, (200, 1))
        theta[:, :4] += rng.uniform(0, 1, (200, 4))
        theta[:, -4] = rng.uniform(-2, 2, 200)  # found_base: foundings early and late
        theta[:, -1] = rng.uniform(0, 8, 200)  # found_peer
        ens = simulate(world, theta, seeds, engine="ensemble")
        mesa = simulate(world, theta, seeds, engine="mesa")
        np.testing.assert_array_equal(ens.labs, mesa.labs, err_msg=name)
        assert (np.diff(ens.labs.astype(int), axis=1) != 0).sum() > 200
        if world.founding:  # foundings happened, by choice, in some replicates and not others
            founded = (ens.labs[..., None] == np.flatnonzero(world.potential)).any(axis=(1, 2))
            assert founded.any(axis=0).all() and not founded.all(axis=0).all(), name


def test_merge_moves_everyone_and_keeps_them_there_until_they_choose():
    world = merge_world().compile("2024-12")
    old, new = world.world.labs.index("Old"), world.world.labs.index("New")
    traj = simulate(world, theta_of(**MOBILE), replicate_seeds(3, 400))
    merge_month = 6  # 2023-08
    assert (traj.labs[:, merge_month:, :] != old).all()
    before = traj.labs[:, merge_month - 1, :] == old
    assert before.any()
    # at the end of the merge month, those at Old the month before are at New unless they moved on
    assert ((traj.labs[:, merge_month, :] == new) | ~before).mean() > 0.9


def test_mesa_model_records_with_its_datacollector(llama, mobile_theta):
    world = llama.compile("2023-12")
    model = ExodusModel(world, mobile_theta, 12345)
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == world.n_months
    np.testing.assert_array_equal(
        frame["at_focal_lab"].to_numpy(), (model.trajectory() == 0).sum(axis=1)
    )


@st.composite
def small_worlds(draw):
    n_labs = draw(st.integers(2, 5))
    labs = tuple(f"L{j}" for j in range(n_labs))
    n_people = draw(st.integers(1, 6))
    founded = ("",) + tuple(
        draw(st.sampled_from(["", format_month(draw(st.integers(1, 10)), "2023-02")]))
        for _ in range(n_labs - 1)
    )
    events = []
    for k in range(draw(st.integers(0, 4))):
        events.append(
            Event(
                f"e{k}",
                format_month(draw(st.integers(0, 14)), "2023-02"),
                draw(st.sampled_from(["set", "shift"])),
                draw(st.sampled_from(["*", *labs])),
                draw(st.sampled_from(["openness", "culture", "pace", "pay"])),
                draw(st.floats(0, 1)),
            )
        )
    if n_labs >= 3 and draw(st.booleans()):
        into = n_labs - 1
        month = max(
            draw(st.integers(1, 14)), int(founded[into][5:] or 0) + 10 if founded[into] else 1
        )
        events.append(
            Event("m", format_month(min(month, 14), "2023-02"), "merge", labs[1], into=labs[into])
        )
    people = tuple(f"p{i}" for i in range(n_people))
    founders = tuple(
        tuple(p for p in people if draw(st.booleans())) if j else () for j in range(n_labs)
    )
    try:
        return make_world(
            n_people=n_people,
            labs=labs,
            founded=founded,
            events=tuple(events),
            founders=founders,
            seed=draw(st.integers(0, 1000)),
        )
    except Exception:
        from hypothesis import reject

        reject()


@given(small_worlds(), st.integers(0, 2**32 - 1))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_small_worlds_keep_invariants_and_engines_agree(world, seed):
    compiled = world.compile("2024-04")
    seeds = replicate_seeds(seed, 8)
    theta = theta_of(**MOBILE)
    ens = simulate(compiled, theta, seeds)
    _check_invariants(compiled, ens)
    np.testing.assert_array_equal(ens.labs, simulate(compiled, theta, seeds, engine="mesa").labs)


def test_parameters_outside_their_bounds_are_refused(llama):
    from sim.errors import InputError

    with pytest.raises(InputError, match=r"lam = 1.5 is outside its bounds \[0.2, 1\]"):
        simulate(llama.compile("2023-12"), theta_of(lam=1.5), replicate_seeds(0, 2))


def test_common_random_numbers_survive_a_removed_lab_and_another_horizon(llama, mobile_theta):
    """Same seeds: histories agree draw for draw wherever the worlds agree (sim.streams)."""
    llama = as_given(llama)  # Mistral from its labs.csv month: the worlds agree until then
    seeds = replicate_seeds(8, 300)
    full = simulate(llama.compile("2026-12"), mobile_theta, seeds)
    short = simulate(llama.compile("2024-01"), mobile_theta, seeds)
    np.testing.assert_array_equal(full.labs[:, : short.shape[1]], short.labs)
    for engine in ("ensemble", "mesa"):
        without = simulate(
            llama.without_labs(["Mistral"]).compile("2026-12"),
            mobile_theta,
            seeds[:50],
            engine=engine,
        )
        founded = llama.calendar.index("2023-04")  # before Mistral exists, the worlds agree
        np.testing.assert_array_equal(without.labs[:, :founded], full.labs[:50, :founded])
        assert not np.array_equal(without.labs, full.labs[:50])


def test_common_random_numbers_survive_an_added_researcher(llama, mobile_theta):
    """Numbers are keyed by names: a newcomer tied to nobody changes nobody else's history."""
    from scipy import sparse

    n = len(llama.researchers)
    ties = sparse.block_diag([llama.ties, sparse.csr_array((1, 1))], format="csr")
    bigger = llama.replace(
        researchers=("A Newcomer", *llama.researchers),
        cities=("Paris", *llama.cities),
        start_labs=("Meta", *llama.start_labs),
        tenure_years=(1.0, *llama.tenure_years),
        ties=sparse.csr_array(np.roll(np.roll(ties.toarray(), 1, axis=0), 1, axis=1)),
        observed=None,
    )
    seeds = replicate_seeds(4, 200)
    for engine, reps in (("ensemble", 200), ("mesa", 20)):
        base = simulate(llama.compile("2025-12"), mobile_theta, seeds[:reps], engine=engine)
        more = simulate(bigger.compile("2025-12"), mobile_theta, seeds[:reps], engine=engine)
        np.testing.assert_array_equal(more.labs[:, :, 1:], base.labs)
        assert more.labs[:, :, 0].std() > 0  # the newcomer moves too
    assert n == len(bigger.researchers) - 1


def test_chunks_are_sized_by_bytes(llama):
    from sim.engines.ensemble import chunk_size, replicate_bytes

    world = llama.compile("2026-12")
    assert replicate_bytes(world) > world.n_months * world.n_researchers
    assert chunk_size(world, budget=10 * replicate_bytes(world)) == 10
    assert chunk_size(world, budget=1) == 1


def test_common_random_numbers_survive_a_lab_added_in_front(llama, mobile_theta):
    """Fits are keyed by lab names: a lab inserted first (shifting every code) that never opens
    within the horizon leaves every history the same, lab for lab."""
    idle = llama.replace(
        labs=("Dormant", *llama.labs),
        lab_cities=(("Paris",), *llama.lab_cities),
        founded=("2030-01", *llama.founded),
        founders=((), *llama.founders),
        attributes=np.vstack([np.full((1, 4), 0.9), llama.attributes]),
        observed=None,
    )
    seeds = replicate_seeds(6, 200)
    base = simulate(llama.compile("2026-12"), mobile_theta, seeds)
    more = simulate(idle.compile("2026-12"), mobile_theta, seeds)
    np.testing.assert_array_equal(more.labs.astype(int) - 1, base.labs)


@pytest.mark.parametrize(
    "peer",
    [
        {"peer_glue": False},
        {"peer_contagion": False},
        {"peer_glue": False, "peer_contagion": False},
    ],
)
def test_engines_agree_move_for_move_with_parts_of_the_peer_pull_off(llama, mobile_theta, peer):
    """The switches of the peer pull's two parts reach both engines alike (a merge included)."""
    for name, world in _mobile_worlds(llama).items():
        compiled = world.world.replace(**peer).compile(world.horizon)
        seeds = replicate_seeds(7, 60)
        ens = simulate(compiled, mobile_theta, seeds, engine="ensemble")
        mesa = simulate(compiled, mobile_theta, seeds, engine="mesa")
        np.testing.assert_array_equal(ens.labs, mesa.labs, err_msg=name)
        # and the switch changes the histories (b_peer > 0 in the mobile parameters)
        assert not np.array_equal(ens.labs, simulate(world, mobile_theta, seeds).labs), name


def test_unmoved_positions_follow_the_merges_only():
    base = merge_world()
    starts = ("Old", "Old", "Home", "Far", "Old", "Home")  # three at the lab that merges away
    world = base.replace(start_labs=starts).compile("2024-12")
    old, new = world.world.labs.index("Old"), world.world.labs.index("New")
    unmoved = world.unmoved_positions
    at_old = world.start_labs == old
    merge_month = 6  # 2023-08, as in the merge test above
    np.testing.assert_array_equal(
        unmoved[:merge_month], np.tile(world.start_labs, (merge_month, 1))
    )
    assert (unmoved[merge_month:, at_old] == new).all()
    assert (unmoved[:, ~at_old] == world.start_labs[~at_old]).all()
