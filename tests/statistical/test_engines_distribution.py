"""Statistical tier: the engines give the same distribution under independent seeds.

The exact tier shows move-for-move identity under shared seeds; this checks the distribution of
the number left at Meta in 2025-05 over 2,000 replicates with *different* seeds for the two engines
(so nothing is shared but the rule). Test: chi-square on the counts 0..14 pooled into cells with an
expected count >= 5, at alpha = 0.001 (a false alarm once in a thousand seeds; the seeds are fixed).
"""

import numpy as np
from scipy import stats

from sim.engines.simulate import simulate
from sim.kernel.streams import replicate_seeds
from sim.results import remaining
from tests.conftest import theta_of

PARAMS = dict(k0=4.0, b_peer=4.0, sigma_u=1.0, lam=0.7)  # about half the cohort leaves by 2025-05


def test_left_at_meta_in_2025_05_has_the_same_distribution_in_both_engines(llama):
    world = llama.compile("2025-05")
    theta = theta_of(**PARAMS)
    a = remaining(simulate(world, theta, replicate_seeds(2024, 2000), engine="ensemble"), "2025-05")
    b = remaining(simulate(world, theta, replicate_seeds(2025, 2000), engine="mesa"), "2025-05")
    assert 2 < a.mean() < 12  # the statistic is not degenerate at these parameters
    table = np.array([np.bincount(a, minlength=15), np.bincount(b, minlength=15)])
    keep = table.sum(axis=0) >= 10
    pooled = (
        np.column_stack([table[:, keep], table[:, ~keep].sum(axis=1)])
        if (~keep).any()
        else table[:, keep]
    )
    pooled = pooled[:, pooled.sum(axis=0) > 0]
    _, p_value, _, _ = stats.chi2_contingency(pooled)
    assert p_value > 0.001
