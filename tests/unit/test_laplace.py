"""The big-panel sampler (sim.inference.laplace) and its Dask evaluation: exact properties, and
its posterior against the ensemble sampler's on a small world where both apply."""

import dataclasses

import numpy as np
import pytest

from sim.engines.simulate import simulate
from sim.errors import InputError
from sim.inference.laplace import (
    LaplaceSettings,
    finite_difference_hessian,
    importance_weights,
    laplace_posterior,
)
from sim.inference.posterior import Cohort, LikelihoodSettings, sample_posterior
from sim.kernel.behavior import PARAMETER_NAMES
from sim.kernel.streams import replicate_seeds
from sim.likelihood import complete_panel, log_likelihood, subsample
from sim.reports.calibration import pilot_lines
from tests.conftest import MOBILE, make_world, theta_of

FREE = ("k0", "b_open")


def _cohorts(panels=6):
    world = make_world(n_people=5, seed=5).compile("2024-06")
    labs = simulate(world, theta_of(**MOBILE), replicate_seeds(1, panels)).labs
    return [Cohort(f"r{k}", world, complete_panel(world, x)) for k, x in enumerate(labs)]


def _held():
    theta = theta_of(**{**MOBILE, "sigma_match": 0.0})
    return tuple((n, float(v)) for n, v in zip(PARAMETER_NAMES, theta, strict=True)
                 if n not in FREE)  # fmt: skip


def test_the_finite_difference_hessian_is_exact_for_a_quadratic():
    a = np.array([[3.0, 1.0, 0.5], [1.0, 2.0, -0.4], [0.5, -0.4, 1.5]])
    hessian = finite_difference_hessian(lambda x: -0.5 * x @ a @ x + x.sum(), np.ones(3), 1e-2)
    np.testing.assert_allclose(hessian, -a, atol=1e-8)


def test_the_whitened_search_reaches_a_quadratic_mode_within_its_stop_and_budget():
    """A Gaussian log density in 5 dimensions, whitened by a covariance 1.6 times too wide along
    one axis and 0.7 times along another and rotated (a pilot's curvature is an estimate), from a
    start 4 posterior sds off the mode (as a pilot's mode is). Exact: it ends within
    WHITENED_STOP posterior sds of the mode (the Newton decrement there); it never spends more
    than its budget; with the budget of one gradient it stays at the start."""
    from sim.inference.laplace import WHITENED_STOP, _Counted, _whitened_mode

    rng = np.random.default_rng(4)
    q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    precision = q @ np.diag([4.0, 1.0, 0.25, 9.0, 2.0]) @ q.T
    mode = rng.standard_normal(5)
    covariance = np.linalg.inv(precision)
    start = mode + np.linalg.cholesky(covariance) @ np.array([4.0, 0, 0, 0, 0])
    wrong = np.linalg.cholesky(covariance) @ np.diag([1.6, 0.7, 1.0, 1.0, 1.0]) ** 0.5
    f = _Counted(lambda x: -0.5 * (x - mode) @ precision @ (x - mode), None, "test")
    found, inverse = _whitened_mode(f, start, wrong, budget=200)
    off = found - mode
    assert np.sqrt(off @ precision @ off) < WHITENED_STOP
    assert f.calls <= 200
    # the curvature it learned, passed on, takes a search from elsewhere there in fewer calls
    again = _Counted(f.target, None, "test")
    other = mode + np.linalg.cholesky(covariance) @ np.array([0, -3.0, 0, 0, 0])
    _whitened_mode(again, other, wrong, 200, inverse)
    fresh = _Counted(f.target, None, "test")
    _whitened_mode(fresh, other, wrong, 200)
    assert again.calls < fresh.calls, (again.calls, fresh.calls)
    tight = _Counted(f.target, None, "test")
    assert np.array_equal(_whitened_mode(tight, start, wrong, budget=6)[0], start)
    assert tight.calls == 6  # the start and one gradient, no step


def test_weights_of_a_proposal_equal_to_the_target_are_uniform():
    log_q = np.random.default_rng(0).standard_normal(500)
    weights, khat = importance_weights(log_q + 3.0, log_q)
    np.testing.assert_allclose(weights, 1 / 500)
    assert khat == -np.inf  # nothing to smooth
    with pytest.raises(InputError, match="0 of 50 proposals have a finite"):
        importance_weights(np.full(50, -np.inf), np.zeros(50))
    # 29 finite of 40: too few for a k-hat (arviz-stats gives NaN), refused with its reason
    log_t = np.where(np.arange(40) < 29, log_q[:40] + 0.1 * log_q[40:80], -np.inf)
    with pytest.raises(InputError, match="29 of 40 proposals .* needs at least 30"):
        importance_weights(log_t, log_q[:40])
    weights, khat = importance_weights(log_q[:30] + 0.1 * log_q[30:60], log_q[:30])
    assert np.isclose(weights.sum(), 1.0) and np.isfinite(khat)


def test_the_laplace_posterior_agrees_with_the_ensemble_sampler():
    """Two free parameters, 6 complete panels (nothing interval-censored: both samplers have the
    same likelihood). Tolerance: the posterior means within a quarter of the ensemble's posterior
    sd, the sds within 25% (the ensemble's own Monte Carlo error at 8 x 400 steps is about a
    tenth of an sd; the k-hat measured when written was -0.5)."""
    cohorts = _cohorts()
    settings = LaplaceSettings(draws=1000, quadrature=8, fit_points=1, seed=3, fixed=_held(),
                               per_cohort=())  # fmt: skip
    laplace = laplace_posterior(cohorts, settings)
    ensemble = sample_posterior(cohorts, LikelihoodSettings(
        walkers=8, steps=400, burn=100, thin=5, quadrature=8, fit_points=1, final_quadrature=8,
        final_fit_points=1, seed=3, fixed=_held(), per_cohort=()))  # fmt: skip
    assert laplace.khat < 0.7 and laplace.sampler == "laplace"
    for name in FREE:
        k = laplace.names.index(name)
        means = [float(r.weights @ r.theta[:, k]) for r in (laplace, ensemble)]
        sds = [float(np.sqrt(r.weights @ (r.theta[:, k] - m) ** 2))
               for r, m in zip((laplace, ensemble), means, strict=True)]  # fmt: skip
        assert abs(means[0] - means[1]) < 0.25 * sds[1], (name, means, sds)
        assert sds[0] == pytest.approx(sds[1], rel=0.25), (name, sds)
    again = laplace_posterior(cohorts, settings)
    assert np.array_equal(again.theta, laplace.theta) and np.array_equal(
        again.weights, laplace.weights
    )


def test_a_dask_cluster_gives_the_local_values_and_the_same_posterior():
    distributed = pytest.importorskip("distributed")
    from sim.inference.distributed import dask_evaluate

    cohorts = _cohorts(3)
    settings = LaplaceSettings(draws=100, quadrature=4, fit_points=1, seed=3, fixed=_held(),
                               per_cohort=())  # fmt: skip
    local = laplace_posterior(cohorts, settings)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:  # fmt: skip
        with distributed.Client(cluster) as client:
            remote = laplace_posterior(cohorts, settings, evaluate=dask_evaluate(client, chunk=16))
    np.testing.assert_allclose(remote.log_likelihood, local.log_likelihood, rtol=0, atol=1e-12)
    assert np.array_equal(remote.weights, local.weights)


def test_a_subsample_has_the_whole_panels_terms_of_its_researchers():
    """The pilot's likelihood is exact for its researchers: their colleagues stay where the whole
    panel puts them, whoever of them is in the subsample."""
    cohort = _cohorts(1)[0]
    chosen = np.array([4, 1])
    world, panel = subsample(cohort.world, cohort.panel, chosen)
    theta = theta_of(**MOBILE)
    whole = log_likelihood(cohort.world, theta, cohort.panel)
    assert np.array_equal(log_likelihood(world, theta, panel), whole[chosen])
    # and with the peer contagion off and a relocation (of a researcher in the subsample)
    from sim.world import Relocation

    base = cohort.world.world
    month = base.calendar.label(2)
    other = base.replace(peer_contagion=False,
                         relocations=(Relocation(base.researchers[4], month, "Z"),))  # fmt: skip
    compiled = other.compile(cohort.world.horizon)
    world, panel = subsample(compiled, cohort.panel, chosen)
    whole = log_likelihood(compiled, theta, cohort.panel)
    assert np.array_equal(log_likelihood(world, theta, panel), whole[chosen])
    assert not np.array_equal(whole, log_likelihood(cohort.world, theta, cohort.panel))


def test_a_big_panel_starts_from_a_pilot_and_reaches_the_same_mode():
    """One panel of 40 researchers, the pilot threshold lowered to 20 and its size to 5: a pilot
    of 5 (each counted 8 times), then a subsample of 20 (4 x 5, half the panel), then the panel.
    Tolerance: the modes within WHITENED_STOP posterior sds (the piloted search stops once its
    step is that short, the direct one at L-BFGS-B's tolerance; 0.0014 sd when written), the
    importance-sampled means within a tenth of a posterior sd (the proposals differ: the
    pilot's curvature is an estimate; 0.02 sd when written)."""
    from sim.inference.laplace import WHITENED_STOP, pilot_sizes

    world = make_world(n_people=40, seed=5).compile("2024-06")
    labs = simulate(world, theta_of(**MOBILE), replicate_seeds(1, 1)).labs[0]
    cohorts = [Cohort("big", world, complete_panel(world, labs))]
    plain = LaplaceSettings(draws=400, quadrature=8, fit_points=1, seed=3, fixed=_held(),
                            per_cohort=())  # fmt: skip
    small = dataclasses.replace(plain, pilot_above=20, pilot_size=5)
    assert pilot_sizes(40, small) == [5, 20] and pilot_sizes(39, small) == [5]
    assert pilot_sizes(20, small) == [] and pilot_sizes(10_010, plain) == [500, 2000]
    lines = []
    piloted = laplace_posterior(cohorts, small, lines.append)
    direct = laplace_posterior(cohorts, plain)
    assert direct.pilot == {} and piloted.pilot["researchers"] == 5
    assert piloted.pilot["of"] == 40 and piloted.pilot["evaluations"] > 0
    ((researchers, evaluations),) = piloted.pilot["levels"]
    assert researchers == 20 and evaluations > 0
    assert any(line.startswith("pilot fit on 5 of 40 researchers") for line in lines)
    assert any(line.startswith("continued on 20 researchers") for line in lines)
    a, b = piloted.diagnostics, direct.diagnostics
    np.testing.assert_array_less(np.abs(a["mode"] - b["mode"]), WHITENED_STOP * b["posterior_sd"])
    np.testing.assert_array_less(
        np.abs(a["posterior_mean"] - b["posterior_mean"]), 0.1 * b["posterior_sd"]
    )
    assert piloted.khat < 0.7
    (line,) = pilot_lines(piloted)
    assert "pilot fit on a seeded random subsample of 5 of the 40 researchers" in line
    assert "then on a subsample of 20" in line
    assert pilot_lines(direct) == []


def test_the_laplace_options_refuse_what_they_cannot_do():
    from tests.conftest import cli

    done = cli("calibrate", "--method", "likelihood", "--scheduler", "tcp://x:1")
    assert done.returncode == 2 and "--scheduler applies to --sampler laplace" in done.stderr
    done = cli("calibrate", "--method", "likelihood", "--sampler", "laplace", "--worlds",
               "llama,openai-founders")  # fmt: skip
    assert done.returncode == 2 and "single world's likelihood" in done.stderr
    done = cli("calibrate", "--method", "likelihood", "--sampler", "laplace", "--draws", "29")
    assert done.returncode == 2 and "--draws must be at least 30" in done.stderr
    done = cli("calibrate", "--method", "likelihood", "--fit-points", "512")
    assert done.returncode == 2 and "--fit-points applies to --sampler laplace" in done.stderr
    done = cli("calibrate", "--method", "likelihood", "--sampler", "laplace", "--fit-points", "100")
    assert done.returncode == 2 and "--fit-points must be a power of 2" in done.stderr
    assert "Traceback" not in done.stderr


def test_fit_points_reach_the_laplace_sampler():
    from types import SimpleNamespace

    from sim.cli.calibrate import laplace_settings
    from sim.inference.laplace import LaplaceSettings

    run = SimpleNamespace(seed=7, priors=LaplaceSettings().priors)
    chosen = laplace_settings(SimpleNamespace(draws=40, fit_points=512), run)
    assert (chosen.fit_points, chosen.draws, chosen.seed) == (512, 40, 7)
    default = laplace_settings(SimpleNamespace(draws=40, fit_points=None), run)
    assert default.fit_points == LaplaceSettings().fit_points
