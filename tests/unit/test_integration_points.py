"""Where the likelihood spends its fit points (sim.likelihood.Integration), exactly.

A researcher with k >= 2 recorded moves integrates their fits over the first
fit_points x 2^(k - 1) points of the integration's Sobol sequence (at most
max(fit_points, most_points)); the others over the first fit_points. So each researcher's term
must equal the term computed with a flat integration of their own number of points, and a
subset of researchers' rows must equal the same rows of the whole panel's computation.
"""

import numpy as np
import pytest

from sim.likelihood import Integration, complete_panel, log_likelihood
from sim.likelihood.evaluate import conditional_log_likelihoods, tilted_fits
from tests.conftest import MOBILE, make_world, theta_of


def test_points_grow_with_the_moves_up_to_the_cap():
    integration = Integration.build(3, 4, 16, seed=1, most_points=512)
    assert [integration.points_for(k) for k in range(6)] == [16, 16, 32, 64, 128, 256]
    assert integration.fits.shape == (512, 3)
    flat = Integration.build(3, 4, 16, seed=1, most_points=1)
    assert [flat.points_for(k) for k in range(4)] == [16, 16, 16, 16]
    # one scrambled sequence: the shorter set is the longer one's prefix
    np.testing.assert_array_equal(flat.fits, integration.fits[:16])


def _world_and_panel():
    world = make_world(n_people=3, labs=("A", "B", "C"), seed=4).compile("2023-07")
    labs = np.array([
        [0, 0, 0], [1, 0, 0], [1, 0, 0], [2, 0, 1], [2, 0, 1], [2, 0, 1],
    ])  # researcher 0 moves twice, 1 never, 2 once  # fmt: skip
    return world, complete_panel(world, labs)


def test_each_researcher_is_integrated_over_their_own_number_of_points():
    world, panel = _world_and_panel()
    theta = theta_of(**{**MOBILE, "sigma_u": 0.8, "sigma_match": 0.9})
    tiered = log_likelihood(world, theta, panel, Integration.build(3, 8, 16, 5, most_points=256))
    for researcher, points in [(0, 32), (1, 16), (2, 16)]:
        flat = log_likelihood(
            world, theta, panel, Integration.build(3, 8, points, 5, most_points=1)
        )
        assert tiered[researcher] == flat[researcher]
    # a cap below the tier stops the growth
    capped = log_likelihood(world, theta, panel, Integration.build(3, 8, 16, 5, most_points=16))
    flat = log_likelihood(world, theta, panel, Integration.build(3, 8, 16, 5, most_points=1))
    assert capped[0] == flat[0]


def test_a_subset_of_researchers_gets_the_rows_of_the_whole_computation():
    world, panel = _world_and_panel()
    theta = theta_of(**{**MOBILE, "sigma_u": 0.8, "sigma_match": 0.9})
    integration = Integration.build(3, 8, 32, 2, most_points=1)
    fits, log_ratio = tilted_fits(world, theta, panel, integration.fits)
    whole = conditional_log_likelihoods(world, theta, panel, integration.z, fits)
    members = np.array([2, 0])
    some_fits, some_ratio = tilted_fits(world, theta, panel, integration.fits, members)
    np.testing.assert_array_equal(some_fits, fits[members])
    np.testing.assert_array_equal(some_ratio, log_ratio[members])
    some = conditional_log_likelihoods(world, theta, panel, integration.z, some_fits, members)
    np.testing.assert_array_equal(some, whole[members])


def _nest_share(world, theta, researcher, lab, left, month, z):
    """Lab's share of the move nest at fit normal z, from the kernel's own probabilities."""
    from sim.kernel.behavior import B_FOUNDER, B_HOME, LAM, SIGMA_MATCH, move_probabilities_into

    tl = world.timeline
    utility = tl.attributes[month] @ theta[:4] + theta[B_HOME] * world.home[researcher]
    utility = utility + theta[B_FOUNDER] * world.founder[researcher]
    utility[lab] += theta[SIGMA_MATCH] * z
    out = np.empty(len(utility))
    move_probabilities_into(utility, left, tl.exists[month], -50.0, theta[LAM], out)
    return out[lab] / (1.0 - out[left])


def test_the_tilt_is_the_mode_of_the_prior_times_the_shares():
    """Each shift solves z = (sigma_match / lam) * sum over the moves to j of (1 - s_j(z)), the
    shares computed independently by the kernel (move_probabilities_into, staying ruled out)."""
    from sim.likelihood.evaluate import tilt_shifts

    world, panel = _world_and_panel()  # researcher 0: A -> B (month 1), B -> C (month 3)
    theta = theta_of(**{**MOBILE, "sigma_u": 0.8, "sigma_match": 0.9, "lam": 0.6})
    shift = tilt_shifts(world, theta, panel, np.arange(3))
    scale = 0.9 / 0.6
    for lab, left, month in [(1, 0, 1), (2, 1, 3)]:
        z = shift[0, lab]
        share = _nest_share(world, theta, 0, lab, left, month, z)
        assert abs(z - scale * (1.0 - share)) < 1e-10
    assert 0.0 < shift[0, 1] < scale  # between no shift and the exponential tilt
    assert shift[1].tolist() == [0.0, 0.0, 0.0]  # never moved
    assert shift[0, 0] == 0.0  # no fit at the start lab


def test_a_founders_own_lab_is_barely_tilted():
    """The founder term fills the share of the founded lab, so its fit is hardly shifted."""
    from sim.likelihood.evaluate import tilt_shifts

    world = make_world(
        n_people=2, labs=("A", "B", "C"), founders=((), ("p0",), ()), seed=4
    ).compile("2023-04")  # fmt: skip
    panel = complete_panel(world, np.array([[0, 0], [1, 2], [1, 2]]))
    theta = theta_of(**{**MOBILE, "sigma_match": 0.9, "lam": 0.5, "b_founder": 10.0})
    shift = tilt_shifts(world, theta, panel, np.arange(2))
    assert 0.0 < shift[0, 1] < 1e-3 * 1.8  # the founder: the share is all but 1
    assert shift[1, 2] > 100 * shift[0, 1]  # the other, to a lab among rivals: a real shift


def test_own_points_are_each_researchers_own_fixed_scrambled_sequence():
    """With own_points every researcher integrates over their own scrambled Sobol sequence:
    fixed across calls and across the groups they are asked in, a prefix at fewer points,
    different from every other researcher's and from the shared sequence; without it every
    member gets the shared sequence's prefix."""
    own = Integration.build(3, 4, 16, seed=9, most_points=64, own_points=True)
    members = np.array([0, 1, 2])
    points = own.normals_for(members, 32)
    assert points.shape == (3, 32, 3)
    np.testing.assert_array_equal(own.normals_for(np.array([2]), 32)[0], points[2])
    np.testing.assert_array_equal(own.normals_for(members, 16), points[:, :16])
    again = Integration.build(3, 4, 16, seed=9, most_points=64, own_points=True)
    np.testing.assert_array_equal(again.normals_for(members, 32), points)
    assert not np.array_equal(points[0], points[1]) and not np.array_equal(points[0], own.fits[:32])
    shared = Integration.build(3, 4, 16, seed=9, most_points=64)
    np.testing.assert_array_equal(shared.normals_for(members, 32), shared.fits[:32])
    # the likelihood reads them: a researcher's term is the same alone as in the whole panel
    world, panel = _world_and_panel()
    theta = theta_of(**{**MOBILE, "sigma_u": 0.8, "sigma_match": 0.9})
    whole = log_likelihood(world, theta, panel, own)
    assert not np.array_equal(whole, log_likelihood(world, theta, panel, shared))
    np.testing.assert_array_equal(whole, log_likelihood(world, theta, panel, again))


def test_the_jackknife_is_two_logs_of_the_whole_less_the_halves_capped():
    """Exact: 2 a - (b1 + b2) / 2 of the whole's and halves' log means while the correction is
    small (the tanh cap changes it by under 1e-6 at 0.01); no correction where every point is
    equal; the cap (whole + JACKKNIFE_CAP) where one half holds all the mass; -inf stays -inf."""
    from scipy.special import logsumexp

    from sim.likelihood.integration import JACKKNIFE_CAP, jackknifed

    values = np.log(np.array([[1.0, 1.1, 0.9, 1.05, 0.95, 1.2, 0.8, 1.0]]))
    a = logsumexp(values[0]) - np.log(8)
    b1, b2 = logsumexp(values[0, :4]) - np.log(4), logsumexp(values[0, 4:]) - np.log(4)
    assert jackknifed(values)[0] == pytest.approx(2 * a - (b1 + b2) / 2, abs=1e-6)
    np.testing.assert_allclose(jackknifed(np.full((2, 8), -3.0)), -3.0, rtol=0, atol=1e-15)
    lopsided = np.array([[0.0, 0.0, -np.inf, -np.inf]])
    assert jackknifed(lopsided)[0] == pytest.approx(np.log(0.5) + JACKKNIFE_CAP)
    assert jackknifed(np.full((1, 4), -np.inf))[0] == -np.inf


def test_the_compiled_quadrature_is_the_log_sum_over_the_nodes():
    """Exact to rounding (1e-12): the quadrature over the restlessness equals numpy's log-sum-exp
    of the terms plus the log weights, -inf where every term is -inf."""
    from sim.likelihood.evaluate import _quadrature
    from sim.likelihood.integration import log_sum

    rng = np.random.default_rng(3)
    log_l = rng.normal(-40.0, 15.0, size=(5, 7, 6))
    log_l[2, 3] = -np.inf
    log_l[4, 1, :3] = -np.inf
    log_nodes = np.log(rng.dirichlet(np.ones(6)))
    expected = log_sum(log_l + log_nodes)
    np.testing.assert_allclose(_quadrature(log_l, log_nodes), expected, rtol=1e-12, atol=0)
    assert _quadrature(log_l, log_nodes)[2, 3] == -np.inf
