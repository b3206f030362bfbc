"""The panel likelihood against the simulated frequency of the same history (sim.likelihood).

On a small world (3 researchers, 3 labs, 5 months, moves frequent), the most common simulated
histories are counted over 200,000 replicates of the ensemble engine; the likelihood of each must
equal its frequency. Tolerance: 4 binomial standard errors of the frequency, plus, where the fits
are integrated by quasi-Monte Carlo, 3% of the probability (1,024 Sobol points).
"""

import numpy as np
import pytest

from sim.likelihood import panel_log_likelihood
from sim.simulate import simulate
from sim.streams import replicate_seeds
from tests.conftest import MOBILE, make_world, theta_of

REPLICATES = 200_000


def _most_common_histories(world, theta, k):
    traj = simulate(world, theta, replicate_seeds(17, REPLICATES))
    flat = traj.labs.reshape(REPLICATES, -1)
    histories, counts = np.unique(flat, axis=0, return_counts=True)
    order = np.argsort(counts)[::-1][:k]
    shape = traj.labs.shape[1:]
    return [(histories[j].reshape(shape), counts[j] / REPLICATES) for j in order]


@pytest.mark.parametrize(("sigma_match", "relative"), [(0.0, 0.0), (0.6, 0.03)])
def test_the_likelihood_of_a_history_is_its_simulated_frequency(sigma_match, relative):
    world = make_world(n_people=3, labs=("A", "B", "C"), seed=4).compile("2023-06")
    theta = theta_of(**{**MOBILE, "sigma_u": 0.8, "sigma_match": sigma_match})
    for panel, frequency in _most_common_histories(world, theta, 4):
        likelihood = np.exp(panel_log_likelihood(world, theta, panel, fit_points=1024).sum())
        error = 4 * np.sqrt(frequency * (1 - frequency) / REPLICATES) + relative * frequency
        assert abs(likelihood - frequency) < error, (panel.tolist(), likelihood, frequency)


def test_an_impossible_history_has_likelihood_zero():
    world = make_world(n_people=2, labs=("A", "B"), founded=("", "2023-05")).compile("2023-04")
    panel = np.array([[1, 0], [1, 0], [1, 0]])  # at B before it is founded
    assert np.isneginf(panel_log_likelihood(world, theta_of(**MOBILE), panel).sum())
