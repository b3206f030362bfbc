"""Exact tier: forecasts from an observed state, in both engines.

The first T0 months of every replicate are forced to a given history (``prefix``) and each
replicate's latent standard normals can be supplied (``latent``) instead of the keyed ones
(:mod:`sim.streams`). The two engines must still agree move for move, and without these inputs
give exactly what they gave before.
"""

import numpy as np
import pytest

from sim.engines.ensemble import chunk_size, iter_chunks, replicate_bytes
from sim.engines.mesa_model import ExodusModel, simulate_mesa
from sim.kernel.streams import replicate_normals, replicate_seeds
from sim.world import load_world
from tests.conftest import REPO, merge_world

ACME = REPO / "examples" / "acme" / "world"


@pytest.fixture(scope="module")
def acme():
    return load_world(ACME)


def _worlds(llama, acme):
    return {"acme": acme.compile(), "llama": llama.compile()}


def _ensemble(world, theta, seeds, chunk=None, **kw):
    return np.concatenate([block for _, block in iter_chunks(world, theta, seeds, chunk, **kw)])


def _draws(mobile_theta, n, seed):
    """``n`` parameter vectors around the mobile ones; tenure's weight varies so it matters."""
    rng = np.random.default_rng(seed)
    theta = np.tile(mobile_theta, (n, 1))
    theta[:, :4] += rng.uniform(0, 1, (n, 4))
    theta[:, 8] = rng.uniform(-1.0, 2.0, n)  # k_tenure
    theta[:, 10] = rng.uniform(0.0, 2.0, n)  # sigma_match: the supplied fits matter
    return theta


def _latent(world, n, seed):
    rng = np.random.default_rng(seed)
    n_labs = len(world.world.labs)
    return rng.standard_normal((n, world.n_researchers)), rng.standard_normal(
        (n, world.n_researchers, n_labs)
    )


def _keyed_latent(world, seeds):
    """The keyed normals of each seed, as :func:`sim.streams.replicate_normals` fills them."""
    n_labs = len(world.world.labs)
    u = np.empty((len(seeds), world.n_researchers))
    fits = np.empty((len(seeds), world.n_researchers, n_labs))
    for r, seed in enumerate(seeds):
        replicate_normals(seed, world.researcher_keys, world.lab_keys, u[r], fits[r])
    return u, fits


def _observed_prefix(world):
    """The world's observed history (earliest reading) as a prefix [T0, N]."""
    return world.world.observed.lab_matrix(world.world, "earliest").astype(np.int64)


@pytest.mark.parametrize("name", ["acme", "llama"])
@pytest.mark.parametrize("mode", ["prefix", "latent", "both"])
def test_engines_agree_with_a_prefix_and_latent_terms(llama, acme, mobile_theta, name, mode):
    world = _worlds(llama, acme)[name]
    reps = 12 if name == "acme" else 4  # the Mesa model is slow on llama
    seeds = replicate_seeds(31, reps)
    theta = _draws(mobile_theta, reps, 1)
    prefix = _observed_prefix(world)
    kw = {
        "prefix": prefix if mode != "latent" else None,
        "latent": _latent(world, reps, 2) if mode != "prefix" else None,
    }
    ens = _ensemble(world, theta, seeds, **kw)
    np.testing.assert_array_equal(ens, simulate_mesa(world, theta, seeds, **kw))
    if kw["prefix"] is not None:
        assert (ens[:, : len(prefix)] == prefix).all()
    t0 = len(prefix) if kw["prefix"] is not None else 0
    assert (np.diff(ens[:, t0:].astype(int), axis=1) != 0).any(), "no moves after the prefix"
    # the inputs change the histories (or the test would prove nothing)
    assert not np.array_equal(ens, _ensemble(world, theta, seeds))


@pytest.mark.parametrize("name", ["acme", "llama"])
def test_every_replicate_starts_with_the_prefix_whatever_the_chunks(
    llama, acme, mobile_theta, name
):
    world = _worlds(llama, acme)[name]
    seeds = replicate_seeds(5, 60)
    theta = _draws(mobile_theta, 60, 3)
    prefix = _observed_prefix(world)
    latent = _latent(world, 60, 4)
    whole = _ensemble(world, theta, seeds, prefix=prefix, latent=latent)
    assert (whole[:, : len(prefix)] == prefix[None]).all()
    for chunk in (1, 7, 59):
        np.testing.assert_array_equal(
            whole, _ensemble(world, theta, seeds, chunk, prefix=prefix, latent=latent)
        )
    # a shared parameter vector is broadcast as without forcing
    shared = _ensemble(world, theta[0], seeds, 7, prefix=prefix, latent=latent)
    np.testing.assert_array_equal(
        shared,
        _ensemble(world, np.tile(theta[0], (60, 1)), seeds, 13, prefix=prefix, latent=latent),
    )
    # a prefix over the whole horizon leaves nothing to decide
    full = np.broadcast_to(whole[0], whole.shape[1:])
    np.testing.assert_array_equal(
        _ensemble(world, theta, seeds, prefix=full), np.broadcast_to(full, whole.shape)
    )


@pytest.mark.parametrize("name", ["acme", "llama", "merge"])
def test_forcing_a_replicate_to_its_own_history_changes_nothing(llama, acme, mobile_theta, name):
    """Tenure, merges and the decision cache carry over from forced months exactly as if the
    replicate had chosen them; the merge world merges a lab inside the prefix."""
    world = merge_world().compile("2024-12") if name == "merge" else _worlds(llama, acme)[name]
    seeds = replicate_seeds(17, 40)
    theta = _draws(mobile_theta, 40, 5)
    free = _ensemble(world, theta, seeds)
    mesa_reps = 2 if name == "llama" else 6
    for r in range(len(seeds)):
        for t0 in (1, world.n_months // 2, world.n_months - 1):
            one = slice(r, r + 1)
            forced = _ensemble(world, theta[one], seeds[one], prefix=free[r, :t0])
            np.testing.assert_array_equal(forced[0], free[r], err_msg=f"{name} r={r} T0={t0}")
            if r < mesa_reps:
                mesa = simulate_mesa(world, theta[one], seeds[one], prefix=free[r, :t0])
                np.testing.assert_array_equal(mesa[0], free[r])


@pytest.mark.parametrize("name", ["acme", "llama"])
def test_the_keyed_normals_supplied_as_latent_change_nothing(llama, acme, mobile_theta, name):
    world = _worlds(llama, acme)[name]
    seeds = replicate_seeds(23, 100)
    theta = _draws(mobile_theta, 100, 6)
    keyed = _keyed_latent(world, seeds)
    np.testing.assert_array_equal(
        _ensemble(world, theta, seeds, latent=keyed), _ensemble(world, theta, seeds)
    )
    prefix = _observed_prefix(world)
    np.testing.assert_array_equal(
        _ensemble(world, theta, seeds, prefix=prefix, latent=keyed),
        _ensemble(world, theta, seeds, prefix=prefix),
    )
    few = slice(0, 3)
    np.testing.assert_array_equal(
        simulate_mesa(world, theta[few], seeds[few], latent=(keyed[0][few], keyed[1][few])),
        simulate_mesa(world, theta[few], seeds[few]),
    )


@pytest.mark.parametrize("name", ["acme", "llama"])
def test_no_prefix_and_an_empty_prefix_are_todays_results(llama, acme, mobile_theta, name):
    world = _worlds(llama, acme)[name]
    seeds = replicate_seeds(29, 100)
    theta = _draws(mobile_theta, 100, 7)
    today = np.concatenate([block for _, block in iter_chunks(world, theta, seeds)])
    empty = np.empty((0, world.n_researchers), dtype=np.int64)
    for prefix in (None, empty, empty.astype(np.int8)):
        np.testing.assert_array_equal(_ensemble(world, theta, seeds, prefix=prefix), today)
    few = slice(0, 3)
    np.testing.assert_array_equal(
        simulate_mesa(world, theta[few], seeds[few], prefix=empty), today[few]
    )
    np.testing.assert_array_equal(simulate_mesa(world, theta[few], seeds[few]), today[few])


def test_supplied_latent_terms_count_in_the_chunk_budget(llama):
    world = llama.compile()
    extra = 8 * world.n_researchers * (len(llama.labs) + 1)
    assert replicate_bytes(world, latent=True) == replicate_bytes(world) + extra
    budget = 10 * replicate_bytes(world, latent=True)
    assert chunk_size(world, budget, latent=True) == 10


def test_bad_shapes_are_refused(acme):
    world = acme.compile()
    n, n_labs, months = world.n_researchers, len(acme.labs), world.n_months
    seeds = replicate_seeds(1, 3)
    theta = np.zeros(12) + 0.5
    good_latent = (np.zeros((3, n)), np.zeros((3, n, n_labs)))
    bad_prefixes = {
        "shape": np.zeros((4, n + 1), dtype=int),
        "shape ": np.zeros(n, dtype=int),
        "0 <= T0": np.zeros((months + 1, n), dtype=int),
        "integer": np.zeros((4, n)),
        "lab codes": np.full((4, n), n_labs),
        "lab codes ": np.full((4, n), -1),
    }
    bad_latents = {
        "pair": np.zeros((3, n)),
        "pair ": (np.zeros((3, n)),),
        "R = 3": (np.zeros((2, n)), np.zeros((2, n, n_labs))),
        "L = ": (np.zeros((3, n)), np.zeros((3, n, n_labs + 1))),
        "N = ": (np.zeros((3, n + 1)), np.zeros((3, n, n_labs))),
    }
    for match, prefix in bad_prefixes.items():
        with pytest.raises(ValueError, match=match.strip()):
            iter_chunks(world, theta, seeds, prefix=prefix)  # at the call, not at the first chunk
        with pytest.raises(ValueError, match=match.strip()):
            simulate_mesa(world, theta, seeds, prefix=prefix)
        with pytest.raises(ValueError, match=match.strip()):
            ExodusModel(world, theta, 1, prefix=prefix)
    for match, latent in bad_latents.items():
        with pytest.raises(ValueError, match=match.strip()):
            iter_chunks(world, theta, seeds, latent=latent)
        with pytest.raises(ValueError, match=match.strip()):
            simulate_mesa(world, theta, seeds, latent=latent)
    with pytest.raises(ValueError, match="together"):
        ExodusModel(world, theta, 1, restlessness=np.zeros(n))
    with pytest.raises(ValueError, match="shape"):
        ExodusModel(world, theta, 1, restlessness=np.zeros(n + 1), fits=np.zeros((n, n_labs)))
    # the good shapes pass
    _ensemble(world, theta, seeds, prefix=np.zeros((months, n), dtype=int), latent=good_latent)
