"""Simulation-based calibration of the full-information posterior (Talts et al. 2018).

Draw parameters from the prior, simulate observed panels from them with the engine, sample the
posterior with sim.posterior (differential evolution within Gibbs, re-weighted) and record the
rank of the true value among posterior draws. If the likelihood and the sampler are right, every
rank is uniform; ranks are binned and tested with a chi-square test at level 0.001 per parameter
(a wrong posterior shifts or narrows the ranks; autocorrelated draws make the test
conservative).

- **Slow tier** (``pytest -m slow tests/statistical/test_sbc.py``): the stay premium k0 and the
  weight on openness b_open free (the declared priors), the others held; 60 repetitions of 12
  replicated panels of a 6-researcher world over 24 months; ranks among 19 posterior draws in 5
  bins. Twice: complete panels with one fit point, and panels whose moves are known to
  three-month intervals with the fits integrated (sigma_match 0.6, 16 and 64 fit points), so the
  months are sampled (data augmentation) and the tilted quasi-Monte Carlo is exercised.
- **Default tier**: the second configuration made small (k0 alone, 4 panels of a 4-researcher
  world over 12 months, 30 repetitions, ranks among 9 draws in 5 bins), the suite's slowest
  default test.
"""

import numpy as np
import pytest
from scipy.stats import chisquare

from sim.config.params import PARAMETER_SPACE
from sim.engines.simulate import simulate
from sim.inference.posterior import Cohort, LikelihoodSettings, sample_posterior
from sim.kernel.behavior import PARAMETER_NAMES
from sim.kernel.streams import replicate_seeds
from sim.likelihood import complete_panel, panel_from_chains
from tests.conftest import MOBILE, make_world, theta_of


def _three_month_intervals(world, complete, rng):
    """Every move of ``complete`` known only to three months (the true one anywhere inside)."""
    earliest, latest = complete.earliest.copy(), complete.latest.copy()
    for i in range(complete.n_researchers):
        previous = -1
        for k in range(complete.chain[i], complete.chain[i + 1]):
            true = int(complete.earliest[k])
            following = (
                int(complete.earliest[k + 1]) if k + 1 < complete.chain[i + 1]
                else complete.n_months
            )  # fmt: skip
            lo = max(true - int(rng.integers(3)), previous + 1)
            earliest[k], latest[k] = (
                lo,
                max(min(lo + 2, following - 1, complete.n_months - 1), true),
            )
            previous = latest[k]
    return panel_from_chains(world, complete.n_months, complete.chain, complete.to, earliest,
                             latest)  # fmt: skip


def _ranks(world, free, held, repetitions, panels, draws, intervals, **sizes):
    fixed = tuple((n, float(v)) for n, v in zip(PARAMETER_NAMES, theta_of(**held), strict=True)
                  if n not in free)  # fmt: skip
    rng = np.random.default_rng(2018)
    ranks = {n: [] for n in free}
    for rep in range(repetitions):
        truth = theta_of(**held)
        for name in free:
            k = PARAMETER_NAMES.index(name)
            truth[k] = PARAMETER_SPACE[k].from_unit(rng.random())
        labs = simulate(world, truth, replicate_seeds(rep, panels)).labs
        histories = [complete_panel(world, x) for x in labs]
        if intervals:
            histories = [_three_month_intervals(world, h, rng) for h in histories]
        cohorts = [Cohort(f"r{j}", world, h) for j, h in enumerate(histories)]
        settings = LikelihoodSettings(**sizes, seed=rep, fixed=fixed, per_cohort=())
        result = sample_posterior(cohorts, settings)
        pick = rng.choice(len(result.theta), size=draws, p=result.weights)
        for name in free:
            k = PARAMETER_NAMES.index(name)
            ranks[name].append(int(np.sum(result.theta[pick, k] < truth[k])))
    return ranks


def _assert_uniform(ranks, draws):
    for name, values in ranks.items():
        counts = np.bincount(np.array(values) * 5 // (draws + 1), minlength=5)
        assert chisquare(counts).pvalue > 0.001, (name, counts.tolist())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("intervals", "sigma_match", "points"), [(False, 0.0, (1, 1)), (True, 0.6, (16, 64))]
)
def test_posterior_ranks_of_the_truth_are_uniform(intervals, sigma_match, points):
    world = make_world(n_people=6, labs=("A", "B", "C"), seed=3).compile("2025-01")
    held = {**MOBILE, "sigma_u": 0.7, "sigma_match": sigma_match}
    ranks = _ranks(
        world, ("k0", "b_open"), held, 60, 12, 19, intervals, walkers=8, steps=500, burn=100,
        thin=5, quadrature=12, fit_points=points[0], final_quadrature=16,
        final_fit_points=points[1], max_integration_sd=1.0,
    )  # fmt: skip
    _assert_uniform(ranks, 19)


def test_posterior_ranks_are_uniform_with_months_sampled_and_fits_integrated():
    world = make_world(n_people=4, labs=("A", "B", "C"), seed=3).compile("2024-01")
    held = {**MOBILE, "sigma_u": 0.7, "sigma_match": 0.6}
    ranks = _ranks(
        world, ("k0",), held, 30, 4, 9, True, walkers=4, steps=100, burn=40, thin=6,
        quadrature=8, fit_points=8, final_quadrature=8, final_fit_points=16,
        max_integration_sd=1.0, month_updates=1,
    )  # fmt: skip
    _assert_uniform(ranks, 9)
