"""The yardstick predictive (sim.reference): exact identities, and a Monte Carlo check."""

import numpy as np
import pytest

from sim.inference.reference import PRIORS, staged_predictive


@pytest.mark.parametrize("prior", list(PRIORS.values()))
@pytest.mark.parametrize(("cohort", "k1", "k2"), [(14, 6, 3), (14, 14, 14), (5, 2, 0), (1, 1, 1)])
def test_distributions_are_proper_and_the_mean_is_the_product_of_posterior_means(
    prior, cohort, k1, k2
):
    pred = staged_predictive(cohort, k1, k2, prior)
    a, b = prior
    assert pred.at_checkpoint.sum() == pytest.approx(1.0, abs=1e-12)
    assert pred.at_end.sum() == pytest.approx(1.0, abs=1e-12)
    # s1 and s2 are independent a posteriori: E[n2] = n E[s1] E[s2]
    expected = cohort * (a + k1) / (a + b + cohort) * (a + k2) / (a + b + k1)
    assert pred.mean == pytest.approx(expected, rel=1e-12)


def test_summaries_read_the_right_tails():
    pred = staged_predictive(14, 6, 3)
    assert pred.p_end_between(0, 14) == pytest.approx(1.0)
    assert pred.p_end_between(3, 3) == pred.at_end[3]
    assert pred.p_gone_by_checkpoint_at_least(8) == pytest.approx(pred.at_checkpoint[:7].sum())


def test_agrees_with_simulating_the_two_stage_model():
    # statistical tier: 400,000 draws; each probability within 5 standard errors (< 0.004)
    rng = np.random.default_rng(7)
    draws = 400_000
    s1, s2 = rng.beta(7, 9, draws), rng.beta(4, 4, draws)  # uniform prior, k1 = 6, k2 = 3
    n1 = rng.binomial(14, s1)
    n2 = rng.binomial(n1, s2)
    pred = staged_predictive(14, 6, 3)
    for exact, counts in ((pred.at_checkpoint, n1), (pred.at_end, n2)):
        freq = np.bincount(counts, minlength=15) / draws
        se = np.sqrt(exact * (1 - exact) / draws)
        assert np.all(np.abs(freq - exact) <= 5 * se + 1e-12)
    # the most likely count at the end: P(2) and P(3) differ by 0.012, 20 standard errors
    assert pred.mode == int(np.argmax(np.bincount(n2, minlength=15)))


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError, match="still at end"):
        staged_predictive(14, 3, 6)
