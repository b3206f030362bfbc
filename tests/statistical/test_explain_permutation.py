"""Statistical tier: permutation-sampled Shapley values and their stated Monte Carlo error.

On the shipped LLaMA world (its nine default causes, parameters drawn from the prior), the exact
Shapley values over all 512 coalitions are compared with permutation sampling (Castro et al.
2009) under several seeds of the sampled orders. Exact and sampled values use the same replicates,
so their difference is the orders' error alone; the stated interval also carries the replicates'
error (a conservative crossed-design variance), so it must cover the exact value at least at its
nominal 90% rate.
"""

import numpy as np
import pytest

from sim.analysis.explain import attribute, default_causes
from sim.config.params import sample_prior
from sim.kernel.streams import replicate_seeds
from sim.world import load_world

pytestmark = pytest.mark.slow

REPLICATES = 300
ORDERS = 20
SEEDS = range(10)
MONTH = "2025-05"


def test_permutation_intervals_cover_the_exact_values():
    world = load_world("llama")
    causes = default_causes(world)
    thetas = {"prior": sample_prior(REPLICATES, np.random.default_rng(1))}
    seeds = replicate_seeds(2, REPLICATES)
    exact = attribute(causes, MONTH, thetas, seeds, method="exact")
    truth = exact.summary("prior")
    covered, z = [], []
    for seed in SEEDS:
        sampled = attribute(causes, MONTH, thetas, seeds, method="permutation", orders=ORDERS,
                            seed=seed)  # fmt: skip
        summary = sampled.summary("prior")
        np.testing.assert_allclose(sampled.phi.sum(axis=0), sampled.all_on - sampled.all_off,
                                   rtol=0, atol=1e-12)  # fmt: skip
        for name in causes.names:
            mean, low, high = (a[0] for a in summary[name])
            se = (high - low) / (2 * 1.6448536269514722)
            exact_value = truth[name][0][0]
            covered.append(low <= exact_value <= high)
            z.append((mean - exact_value) / se)
    z = np.array(z)
    assert np.mean(covered) >= 0.85, (np.mean(covered), z)
    assert np.abs(z).max() < 4.0, z
