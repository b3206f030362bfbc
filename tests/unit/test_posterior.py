"""The full-information posterior sampler (sim.posterior): exact properties at small size."""

import numpy as np
import pytest

from sim.engines.simulate import simulate
from sim.errors import InputError
from sim.inference.posterior import Cohort, LikelihoodSettings, sample_posterior
from sim.kernel.streams import replicate_seeds
from sim.likelihood import complete_panel
from tests.conftest import MOBILE, make_world, theta_of

SMALL = dict(walkers=8, steps=30, burn=10, thin=5, quadrature=4, fit_points=1, final_quadrature=6,
             final_fit_points=1)  # fmt: skip


def _cohorts():
    world = make_world(n_people=4, seed=5).compile("2024-06")
    labs = simulate(world, theta_of(**MOBILE), replicate_seeds(1, 3)).labs
    return [Cohort(f"r{k}", world, complete_panel(world, x)) for k, x in enumerate(labs)]


def _held(*free):
    from sim.kernel.behavior import PARAMETER_NAMES

    theta = theta_of(**{**MOBILE, "sigma_match": 0.0})
    return tuple(
        (n, float(v)) for n, v in zip(PARAMETER_NAMES, theta, strict=True) if n not in free
    )


def test_the_same_seed_gives_the_same_posterior_and_held_parameters_stay_held():
    settings = LikelihoodSettings(**SMALL, seed=4, fixed=_held("k0", "b_open"), per_cohort=())
    a = sample_posterior(_cohorts(), settings)
    b = sample_posterior(_cohorts(), settings)
    assert np.array_equal(a.theta, b.theta) and np.array_equal(a.weights, b.weights)
    held = dict(settings.fixed)
    for k, name in enumerate(a.names):
        if name in held:
            assert np.all(a.theta[:, k] == held[name])
    assert np.isclose(a.weights.sum(), 1.0)
    assert list(a.diagnostics.parameter) == ["b_open", "k0"]
    assert {"r_hat", "ess_bulk", "autocorrelation_steps"} <= set(a.diagnostics.columns)


def test_too_few_walkers_or_steps_are_refused():
    with pytest.raises(InputError, match="at least twice the free parameters"):
        sample_posterior(
            _cohorts(),
            LikelihoodSettings(
                **{**SMALL, "walkers": 2}, fixed=_held("k0", "b_open"), per_cohort=()
            ),
        )
    with pytest.raises(InputError, match="must exceed the burn-in"):
        sample_posterior(
            _cohorts(),
            LikelihoodSettings(**{**SMALL, "steps": 10}, fixed=_held("k0"), per_cohort=()),
        )


def test_the_mode_search_never_evaluates_more_often_than_the_sampler_will():
    """The search before the sampler had no budget: --steps did not bound a run."""
    settings = LikelihoodSettings(
        **{**SMALL, "walkers": 24, "steps": 5, "burn": 1, "thin": 1}, seed=4, fixed=(),
        per_cohort=(),
    )  # fmt: skip
    # every parameter free: unbudgeted, the search alone took 221 evaluations here
    messages = []
    result = sample_posterior(_cohorts()[:1], settings, progress=messages.append)
    found = next(m for m in messages if m.startswith("mode found"))
    searched = int(found.rsplit("after ", 1)[1].split()[0])
    dims = len(result.names)
    # L-BFGS checks its budget once an iteration: at most one gradient (dims + 1 calls) over it
    assert searched <= settings.walkers * settings.steps + dims + 1, found
    # the start, every step, and the re-weighting; the panel is complete: no month proposals
    sampled = settings.walkers * (settings.steps + 1) + len(result.theta)
    assert result.evaluations == searched + sampled


def test_the_integration_error_is_reported_and_shrinks_with_more_points():
    """The log-likelihood's Monte Carlo spread at the mode, over independent scrambles: with
    sigma_match free the fits are integrated, and 16 times the points give a smaller spread."""
    from sim.inference.posterior import integration_sd

    settings = LikelihoodSettings(**SMALL, seed=4, fixed=_held("sigma_match", "k0"), per_cohort=())
    result = sample_posterior(_cohorts(), settings)
    assert set(result.integration_sd) == {"chains", "re-weighting"}
    assert all(v >= 0 for v in result.integration_sd.values())
    theta = result.theta[np.argmax(result.weights)]
    coarse = integration_sd(_cohorts(), settings, theta, 4, 1)
    fine = integration_sd(_cohorts(), settings, theta, 4, 16)
    assert coarse > 0 and fine < coarse, (coarse, fine)


def test_every_likelihood_report_states_its_integration_error():
    from types import SimpleNamespace

    from sim.reports.calibration import integration_lines

    settings = LikelihoodSettings(**SMALL)
    result = SimpleNamespace(integration_sd={"chains": 0.987, "re-weighting": 0.3412},
                             settings=settings)  # fmt: skip
    (line,) = integration_lines(result)
    assert "the draw of highest posterior density is 0.99 at 4 x 1 points (the chains)" in line
    assert "0.34 at 6 x 1 (the re-weighting), over 8 independent scrambles" in line
    grown = SimpleNamespace(integration_sd={"chains": 0.987, "re-weighting": 0.0812},
                            settings=settings, integration_points={"re-weighting": (6, 16)},
                            integration_trail=((1, 0.41), (4, 0.2), (16, 0.0812)))  # fmt: skip
    (line,) = integration_lines(grown)
    assert (
        "0.08 at 6 x 16 (the re-weighting) (grown until at most 0.1: 0.41 at 1, 0.20 at 4, "
        "0.08 at 16 fit points)" in line
    )
    assert integration_lines(SimpleNamespace(integration_sd={}, settings=settings)) == []
