"""Prior draws follow the declared truncated normal, even where the bounds cut a far tail.

A prior whose mean lies far outside its bounds (``low = 5, high = 6`` around 1.5 with sd 0.3, or
mean 100 with sd 0.01 on [0, 6]) has a CDF that rounds to the same number at both bounds; the
draws must still spread over the bounds as the truncated normal does, not pile on one bound.
"""

import numpy as np
import pytest
from scipy import stats

from sim.config.params import TAIL_MASS, Parameter


@pytest.mark.parametrize(
    ("low", "high", "mean", "sd"),
    [(5.0, 6.0, 1.5, 0.3), (0.0, 6.0, 100.0, 0.01), (0.0, 6.0, -100.0, 0.01), (0.0, 6.0, 1.5, 1.5)],
)
def test_prior_draws_have_the_truncated_normals_distribution(low, high, mean, sd):
    prior = Parameter("b_open", low, high, mean, sd, "test")
    draws = prior.from_unit(np.random.default_rng(7).random(20_000))
    assert ((draws >= low) & (draws <= high)).all()
    assert len(np.unique(draws)) > 19_000, "draws pile up on a bound"
    a, b = (low - mean) / sd, (high - mean) / sd
    # Kolmogorov-Smirnov against the exact truncated normal: at 20,000 draws the test rejects a
    # correct sampler with probability 0.001; a sampler off by a few percent is rejected surely
    result = stats.kstest(draws, stats.truncnorm(a, b, loc=mean, scale=sd).cdf)
    assert result.pvalue > 0.001, result


def test_an_ordinary_prior_keeps_its_closed_form_inverse():
    prior = Parameter("b_open", 0.0, 6.0, 1.5, 1.5, "test")
    lo, hi = prior.prior_cdf_bounds()
    assert hi - lo > TAIL_MASS
    q = np.array([0.0, 0.25, 0.5, 0.9, 1.0])
    from scipy.special import ndtri

    assert np.array_equal(prior.from_unit(q), np.clip(1.5 + 1.5 * ndtri(lo + q * (hi - lo)), 0, 6))
