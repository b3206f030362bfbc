"""Exact tests of the choice kernel (sim.behavior)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.params import prior_means
from sim.kernel.behavior import (
    B_PEER,
    LAM,
    choose,
    decide,
    fixed_utilities,
    lab_base_utility,
    month_weights,
    move_probabilities,
    tie_factors_into,
)
from sim.world import tie_rows

RNG = np.random.default_rng(7)


def test_probabilities_sum_to_one_over_batch_dimensions():
    v = RNG.normal(size=(3, 5, 6))
    current = RNG.integers(0, 6, size=(3, 5))
    exists = RNG.random((3, 5, 6)) < 0.7
    exists[np.arange(3)[:, None], np.arange(5)[None, :], current] = True
    p = move_probabilities(v, current, exists, RNG.normal(size=(3, 5)), 0.6)
    assert p.shape == (3, 5, 6)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    assert np.all(p[~exists] == 0.0)


def test_lambda_one_is_the_plain_multinomial_logit():
    v = np.array([0.3, -1.0, 2.0, 0.5])
    v_stay = 1.7
    p = move_probabilities(v, 0, np.ones(4, bool), v_stay, 1.0)
    utilities = np.array([v_stay, *v[1:]])
    expected = np.exp(utilities) / np.exp(utilities).sum()
    np.testing.assert_allclose(p, expected, rtol=1e-13)


def test_nest_shifts_substitution_to_other_labs_not_to_staying():
    # Removing a lab under lam < 1 sends more of its share to the other labs than plain logit does.
    v = np.array([0.0, 1.0, 1.0, 1.0])
    full, reduced = np.ones(4, bool), np.array([True, True, True, False])
    for lam, more in ((1.0, False), (0.3, True)):
        p_full = move_probabilities(v, 0, full, 2.0, lam)
        p_red = move_probabilities(v, 0, reduced, 2.0, lam)
        stay_gain = p_red[0] - p_full[0]
        assert (stay_gain < 0.5 * p_full[3]) == more


THETA = np.array(list(prior_means().values()))


def _decide_distribution(
    theta, attributes, exists, labs, home, founder, tenure=2.0, i=0, colleague_labs=None, glue=1.0
):
    """The full distribution decide() forms (a uniform of 1.0 makes it form it), and V.

    V_ij counts the colleagues at ``colleague_labs`` (default: ``labs``), and V at the own lab
    includes b_peer * peer (the glue) whatever ``glue`` is: the callers take it out.
    """
    colleague_labs = labs if colleague_labs is None else colleague_labs
    n_labs = attributes.shape[0]
    n = len(labs)
    indptr, indices, ties = tie_rows(None, n)
    base, weights, p, peer = (np.empty(n_labs) for _ in range(4))
    shift = month_weights(theta, attributes, exists, base, weights)
    fixed_u, fixed_w = np.empty(home.shape), np.empty(home.shape)
    match = np.random.default_rng(len(labs)).standard_normal(home.shape)
    fixed_utilities(theta, home, founder, match, np.zeros(n, dtype=np.int64), fixed_u, fixed_w)
    factors = np.empty(len(ties))
    tie_factors_into(theta, ties, factors)
    decide(
        theta, i, labs, colleague_labs, glue, tenure, 0.0, base, weights, shift, fixed_u, fixed_w,
        indptr, indices, ties, factors, 1.0, p, peer, np.empty(n), np.empty(n),
        np.empty((n, n_labs)), np.zeros(n, np.int8), founder[i], np.zeros(n_labs), 0.0,
    )  # fmt: skip
    v = np.array(
        [
            lab_base_utility(theta, attributes[j]) + theta[B_PEER] * peer[j] + fixed_u[i, j]
            for j in range(n_labs)
        ]
    )
    return p, v


def test_decide_forms_the_same_distribution_as_move_probabilities():
    from sim.kernel.behavior import stay_premium

    for seed in range(50):
        rng = np.random.default_rng(seed)
        theta = THETA.copy()
        theta[4:7] = rng.uniform(0, 5, 3)
        attributes = rng.random((6, 4))
        exists = rng.random(6) < 0.8
        labs = rng.integers(0, 6, 5)
        labs[0] = 1
        exists[labs] = True
        home, founder = (
            (rng.random((5, 6)) < 0.3).astype(float),
            (rng.random((5, 6)) < 0.2).astype(float),
        )
        p, v = _decide_distribution(theta, attributes, exists, labs, home, founder)
        v_stay = v[1] + stay_premium(theta, 2.0, 0.0)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
        expected = move_probabilities(v, 1, exists, v_stay, theta[LAM])
        np.testing.assert_allclose(p, expected, rtol=1e-12, atol=1e-15)


def test_the_founding_alternative_is_the_lab_with_the_founding_term_added():
    """decide() with unfounded potential labs: a founder's distribution is the nested logit in
    which each lab they may found exists and has F_it (founding_utility, at the founded share of
    their colleagues) added to its utility; a lab they did not found stays out; a non-compete at
    their own lab takes every founding alternative out."""
    from sim.kernel.availability import open_labs_into, opens_in
    from sim.kernel.behavior import (
        founding_factor,
        founding_utility,
        potential_weights_into,
        stay_premium,
    )

    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        theta = THETA.copy()
        theta[4:7] = rng.uniform(0, 5, 3)
        theta[-4:] = [rng.uniform(-3, 3), rng.uniform(0, 4), rng.uniform(-1, 1), rng.uniform(0, 8)]
        n, n_labs = 5, 6
        attributes = rng.random((n_labs, 4))
        potential = np.array([False, False, True, True, False, True])
        founded = np.array([False, False, False, True, False, False])  # lab 3 founded already
        labs = rng.integers(0, 2, n)
        labs[0] = 1
        home = (rng.random((n, n_labs)) < 0.3).astype(float)
        founder = np.zeros((n, n_labs))
        founder[0, [2, 3]] = 1.0  # researcher 0 founds 2 (unfounded) and 3 (founded); not 5
        founder[1, 5] = 1.0
        has_founded = rng.random(n) < 0.5
        exists = np.ones(n_labs, bool)
        open_now, unfounded = np.empty(n_labs, bool), np.empty(n_labs, bool)
        opens = np.array([-1, -1, -1, -1, 7, -1])  # lab 4's founding month drawn: 7
        assert open_labs_into(exists, potential, founded, opens, 6, open_now, unfounded)
        assert open_now.tolist() == [True, True, False, True, False, False]
        assert not opens_in(opens, 6) and opens_in(opens, 7)
        assert open_labs_into(exists, potential, founded, opens, 7, open_now, unfounded)
        assert open_now.tolist() == [True, True, False, True, True, False]
        indptr, indices, ties = tie_rows(None, n)
        base, weights, p, peer, pot = (np.empty(n_labs) for _ in range(5))
        shift = month_weights(theta, attributes, open_now, base, weights)
        potential_weights_into(theta, base, shift, unfounded, pot)
        fixed_u, fixed_w = np.empty(home.shape), np.empty(home.shape)
        match = rng.standard_normal(home.shape)
        fixed_utilities(theta, home, founder, match, np.zeros(n, np.int64), fixed_u, fixed_w)
        factors = np.empty(len(ties))
        tie_factors_into(theta, ties, factors)
        seniority, climate = 3.5, rng.random()
        for barred_here in (False, True):
            barred = np.zeros(n_labs, bool)
            barred[1] = barred_here
            factor = founding_factor(theta, 0, 1, seniority, climate, barred, founder[0],
                                     unfounded, True, indptr, indices, ties, has_founded)  # fmt: skip
            decide(
                theta, 0, labs, labs, 1.0, 2.0, 0.0, base, weights, shift, fixed_u, fixed_w,
                indptr, indices, ties, factors, 1.0, p, peer, np.empty(n), np.empty(n),
                np.empty((n, n_labs)), np.zeros(n, np.int8), founder[0], pot, factor,
            )  # fmt: skip
            share = sum(ties[e] for e in range(indptr[0], indptr[1]) if has_founded[indices[e]])
            v = np.array([lab_base_utility(theta, attributes[j]) + theta[B_PEER] * peer[j]
                          + fixed_u[0, j] for j in range(n_labs)])  # fmt: skip
            choosable = open_now.copy()
            if not barred_here:
                v[2] += founding_utility(theta, climate, seniority, share)
                choosable[2] = True
            v_stay = v[1] + stay_premium(theta, 2.0, 0.0)
            expected = move_probabilities(v, 1, choosable, v_stay, theta[LAM])
            np.testing.assert_allclose(p, expected, rtol=1e-12, atol=1e-15)
            assert p[5] == 0.0 and (p[2] > 0.0) != barred_here


def _random_case(seed):
    rng = np.random.default_rng(seed)
    theta = THETA.copy()
    theta[4:7] = rng.uniform(0.5, 5, 3)
    attributes = rng.random((6, 4))
    exists = np.ones(6, bool)
    labs = rng.integers(0, 6, 5)
    labs[0] = 1
    home, founder = (
        (rng.random((5, 6)) < 0.3).astype(float),
        (rng.random((5, 6)) < 0.2).astype(float),
    )
    return rng, theta, attributes, exists, labs, home, founder


def test_glue_off_takes_the_own_labs_peer_term_out_of_staying_only():
    from sim.kernel.behavior import stay_premium

    for seed in range(30):
        _, theta, attributes, exists, labs, home, founder = _random_case(seed)
        labs[1:3] = 1  # colleagues at the own lab: a glue to take away
        p, v = _decide_distribution(theta, attributes, exists, labs, home, founder, glue=0.0)
        own_peer = np.mean(labs[1:] == 1)  # everyone tied, weight 1/4 each
        v_stay = v[1] - theta[B_PEER] * own_peer + stay_premium(theta, 2.0, 0.0)
        expected = move_probabilities(v, 1, exists, v_stay, theta[LAM])
        np.testing.assert_allclose(p, expected, rtol=1e-12, atol=1e-15)
        glued, _ = _decide_distribution(theta, attributes, exists, labs, home, founder)
        assert p[1] < glued[1]  # b_peer > 0: the glue held the researcher


def test_contagion_off_counts_the_colleagues_where_they_would_be_had_none_moved():
    from sim.kernel.behavior import stay_premium

    for seed in range(30):
        rng, theta, attributes, exists, labs, home, founder = _random_case(seed)
        unmoved = rng.integers(0, 6, 5)
        p, v = _decide_distribution(
            theta, attributes, exists, labs, home, founder, colleague_labs=unmoved
        )
        # V counts the colleagues at `unmoved` (the helper's V): decide must match it
        expected = move_probabilities(
            v, 1, exists, v[1] + stay_premium(theta, 2.0, 0.0), theta[LAM]
        )
        np.testing.assert_allclose(p, expected, rtol=1e-12, atol=1e-15)


def test_both_parts_off_is_b_peer_zero_for_a_cohort_that_started_at_one_lab():
    for seed in range(30):
        _, theta, attributes, exists, labs, home, founder = _random_case(seed)
        labs[:] = 1
        labs[3] = 4  # a colleague has moved; had no one moved, all would be at lab 1
        unmoved = np.ones(5, dtype=np.int64)
        p, _ = _decide_distribution(
            theta, attributes, exists, labs, home, founder, colleague_labs=unmoved, glue=0.0
        )
        peerless = theta.copy()
        peerless[B_PEER] = 0.0
        expected, _ = _decide_distribution(peerless, attributes, exists, labs, home, founder)
        np.testing.assert_allclose(p, expected, rtol=1e-12, atol=1e-15)


def test_raising_a_positively_weighted_attribute_raises_that_labs_probability():
    attributes = RNG.random((5, 4))
    labs = np.zeros(4, dtype=np.int64)
    home, founder = np.zeros((4, 5)), np.zeros((4, 5))
    exists = np.ones(5, bool)
    for k in range(4):
        better = attributes.copy()
        better[2, k] += 0.3
        before = _decide_distribution(THETA, attributes, exists, labs, home, founder)[0][2]
        after = _decide_distribution(THETA, better, exists, labs, home, founder)[0][2]
        assert after > before


@given(
    st.lists(st.floats(-1e300, 1e300), min_size=2, max_size=8),
    st.floats(-1e300, 1e300),
    st.floats(0.05, 1.0),
)
@settings(max_examples=200, deadline=None)
def test_huge_utilities_give_no_nan(values, v_stay, lam):
    v = np.array(values)
    p = move_probabilities(v, 0, np.ones(len(v), bool), v_stay, lam)
    assert np.all(np.isfinite(p))
    assert abs(p.sum() - 1.0) < 1e-9
    assert np.all(p >= 0)


def test_no_other_lab_means_staying():
    p = move_probabilities(np.array([1.0, 50.0]), 0, np.array([True, False]), -100.0, 0.5)
    np.testing.assert_array_equal(p, [1.0, 0.0])


def test_choose_inverts_stay_first_then_labs_in_order():
    p = np.array([0.1, 0.6, 0.3])  # current lab 1: stay 0.6
    assert choose(p, 1, 0.0) == 1
    assert choose(p, 1, 0.59) == 1
    assert choose(p, 1, 0.65) == 0
    assert choose(p, 1, 0.71) == 2
    assert choose(p, 1, 0.999999) == 2


def test_lam_outside_its_range_is_an_error():
    with pytest.raises(ValueError, match="lam"):
        move_probabilities(np.zeros(3), 0, np.ones(3, bool), 0.0, 0.0)
