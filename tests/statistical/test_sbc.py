"""Simulation-based calibration of the full-information posterior (slow tier; Talts et al. 2018).

Draw parameters from the prior, simulate observed panels from them with the engine, sample the
posterior with sim.posterior (emcee, re-weighted) and record the rank of the true value among
posterior draws. If the likelihood and the sampler are right, every rank is uniform. Here: the
stay premium k0 and the weight on openness b_open free (the declared priors), the others held;
60 repetitions of 12 replicated panels of a 6-researcher world over 24 months; ranks among 19
posterior draws, binned in 5 bins and tested with a chi-square test at level 0.001 per
parameter (a wrong posterior shifts or narrows the ranks; autocorrelated draws make the test
conservative). Run with ``pytest -m slow tests/statistical/test_sbc.py``.
"""

import numpy as np
import pytest
from scipy.stats import chisquare

from sim.config.params import PARAMETER_SPACE
from sim.engines.simulate import simulate
from sim.inference.posterior import Cohort, LikelihoodSettings, sample_posterior
from sim.kernel.behavior import PARAMETER_NAMES
from sim.kernel.streams import replicate_seeds
from sim.likelihood import complete_panel
from tests.conftest import MOBILE, make_world, theta_of

FREE = ("k0", "b_open")
REPETITIONS, PANELS, DRAWS = 60, 12, 19


@pytest.mark.slow
def test_posterior_ranks_of_the_truth_are_uniform():
    world = make_world(n_people=6, labs=("A", "B", "C"), seed=3).compile("2025-01")
    held = {**MOBILE, "sigma_u": 0.7, "sigma_match": 0.0}
    fixed = tuple((n, float(v)) for n, v in zip(PARAMETER_NAMES, theta_of(**held), strict=True)
                  if n not in FREE)  # fmt: skip
    rng = np.random.default_rng(2018)
    ranks = {n: [] for n in FREE}
    for rep in range(REPETITIONS):
        truth = theta_of(**held)
        for name in FREE:
            k = PARAMETER_NAMES.index(name)
            truth[k] = PARAMETER_SPACE[k].from_unit(rng.random())
        labs = simulate(world, truth, replicate_seeds(rep, PANELS)).labs
        cohorts = [Cohort(f"r{j}", world, complete_panel(world, x)) for j, x in enumerate(labs)]
        settings = LikelihoodSettings(
            walkers=8, steps=500, burn=100, thin=5, quadrature=12, fit_points=1,
            final_quadrature=16, final_fit_points=1, seed=rep, fixed=fixed, per_cohort=(),
        )  # fmt: skip
        result = sample_posterior(cohorts, settings)
        pick = rng.choice(len(result.theta), size=DRAWS, p=result.weights)
        for name in FREE:
            k = PARAMETER_NAMES.index(name)
            ranks[name].append(int(np.sum(result.theta[pick, k] < truth[k])))
    for name, values in ranks.items():
        counts = np.bincount(np.array(values) * 5 // (DRAWS + 1), minlength=5)
        assert chisquare(counts).pvalue > 0.001, (name, counts.tolist())
