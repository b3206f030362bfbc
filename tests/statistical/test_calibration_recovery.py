"""Checks of the calibration method on synthetic data from the model itself (Carrella 2021).

Recovery: simulate one history from known parameters, calibrate on its summaries, and require
the truth inside the 90% credible interval of every parameter the report calls identified
(contraction > 0.3). A single synthetic history misses a 90% interval 10% of the time per
parameter; the seed is fixed, so the test is deterministic, and the slow SBC run below checks
coverage over many histories instead of one.
"""

import numpy as np
import pytest
from scipy import stats

from sim.config.params import PARAMETER_SPACE, sample_prior
from sim.engines.simulate import simulate
from sim.inference.abc.smc import CalibrationSettings, abc_smc, calibration_world
from sim.inference.abc.targets import CurveTarget, Target
from sim.inference.diagnostics import identifiability
from sim.kernel.streams import replicate_seeds
from sim.results import summary_functions
from tests.conftest import theta_of

TRUTH = theta_of(b_open=1.2, b_peer=1.5, k0=4.5, sigma_u=1.9, sigma_match=2.0)
CHECKPOINTS = ["2023-06", "2023-12", "2024-06", "2024-12"]


def synthetic_targets(world, theta, seed):
    """The shipped target structure, filled in from one simulated history."""
    traj = simulate(world, theta, replicate_seeds(seed, 1))
    value = {name: int(f(traj)[0]) for name, f in summary_functions(world.world).items()}
    counts = traj.at_focal()[0, [world.world.calendar.index(m) for m in CHECKPOINTS]]
    return [
        Target(
            summary="remaining_2025_05", observed=value["remaining_2025_05"], why="synthetic anchor"
        ),
        Target(
            summary="at_mistral_2025_05",
            observed=value["at_mistral_2025_05"],
            tolerance=1,
            why="synthetic target",
        ),
        Target(
            summary="gone_by_2023_09",
            observed=value["gone_by_2023_09"],
            direction="at_least",
            why="synthetic target",
        ),
        Target(
            summary="other_labs_2025_05",
            observed=value["other_labs_2025_05"],
            tolerance=1,
            why="synthetic target",
        ),
        CurveTarget(
            months=CHECKPOINTS,
            why="synthetic band of +-1",
            low=(counts - 1).tolist(),
            high=(counts + 1).tolist(),
        ),
    ]


def test_known_parameters_are_recovered_where_identified():
    world = calibration_world()
    targets = synthetic_targets(world, TRUTH, seed=7)
    result = abc_smc(
        world, targets, CalibrationSettings(population=300, batch=20_000, seed=3, max_refinements=0)
    )
    table = identifiability(result)
    identified = table[table["identified"]]
    assert len(identified) >= 2, "the synthetic summaries should identify something"
    for row in identified.itertuples():
        truth = TRUTH[list(table["parameter"]).index(row.parameter)]
        assert row.q05 <= truth <= row.q95, (
            f"{row.parameter}: {truth} outside {row.q05:.2f}..{row.q95:.2f}"
        )


@pytest.mark.slow
def test_simulation_based_calibration_ranks_are_uniform():
    """Talts et al. 2018: the rank of the true value among posterior draws is uniform.

    20 datasets from the prior, 100 weighted-resampled posterior draws each; ranks pooled into 4
    bins per parameter; chi-square over all parameters' bins at alpha = 0.001.
    """
    world = calibration_world()
    truths = sample_prior(20, np.random.default_rng(123))
    ranks = []
    rng = np.random.default_rng(5)
    for k, theta in enumerate(truths):
        targets = synthetic_targets(world, theta, seed=1000 + k)
        result = abc_smc(
            world,
            targets,
            CalibrationSettings(population=200, batch=20_000, seed=k, max_refinements=0),
        )
        draws = result.theta[rng.choice(len(result.theta), 100, p=result.weights)]
        ranks.append((draws < theta).sum(axis=0))
    ranks = np.array(ranks)  # [datasets, parameters] in 0..100
    bins = np.minimum(ranks // 26, 3)
    counts = np.array([np.bincount(bins[:, j], minlength=4) for j in range(len(PARAMETER_SPACE))])
    _, p_value = stats.chisquare(counts.ravel(), np.full(counts.size, len(truths) / 4))
    assert p_value > 0.001
