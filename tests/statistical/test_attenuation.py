"""Colleagues' uncertain months and the estimated pull (issue 23): three estimates side by side.

Sixty LLaMA histories are simulated at a known pull (b_peer 1.5, every other parameter at its
prior mean, restlessness 0.5, no fits), and every move is then known only to an interval as
wide as the shipped ones (widths drawn from the LLaMA observed.csv's uncertain moves, the true
month anywhere inside). b_peer alone is estimated (the rest held at the truth, a flat prior)
three ways:

- **complete**: every month known (the information the intervals remove);
- **midpoint**: the interval-summed likelihood, each researcher's own months summed, the
  colleagues' read at the middle of their intervals (the likelihood before issue 23);
- **augmented**: the months sampled with b_peer (:mod:`sim.likelihood.augment`), exact.

Measured when written (posterior mean +- sd): complete 1.49 +- 0.085, midpoint 1.39 +- 0.094,
augmented 1.59 +- 0.112. Reading colleagues at their interval middles does bias the pull
down here, but by about one standard error, not the halving the ABC and likelihood posteriors'
difference suggested; the test asserts what the method promises (the augmented estimate
recovers the truth within two of its standard errors) and keeps the midpoint estimate on
record, without a bound tuned to make it fail.
"""

import dataclasses

import numpy as np
import pytest

from sim.config.params import PARAMETER_SPACE
from sim.engines.simulate import simulate
from sim.inference.posterior import Cohort, LikelihoodSettings, sample_posterior
from sim.kernel.behavior import PARAMETER_NAMES
from sim.kernel.streams import replicate_seeds
from sim.likelihood import Integration, complete_panel, interval_censored, log_likelihood
from sim.world import load_world

pytestmark = pytest.mark.slow

TRUE_PULL, HISTORIES = 1.5, 60
#: the widths of the LLaMA history's uncertain moves, as written in observed.csv before issue 23
SHIPPED_WIDTHS = np.array([3, 3, 3, 23, 26, 13, 10, 4])
PULL = PARAMETER_NAMES.index("b_peer")


def _grid_posterior(world, theta, panels, integration):
    """Posterior mean and sd of b_peer on a grid (flat prior), the rest held at theta."""
    grid = np.linspace(0.0, 5.0, 101)
    log_l = []
    for b in grid:
        at = theta.copy()
        at[PULL] = b
        log_l.append(sum(log_likelihood(world, at, p, integration).sum() for p in panels))
    p = np.exp(np.array(log_l) - max(log_l))
    p /= p.sum()
    mean = float(p @ grid)
    return mean, float(np.sqrt(p @ (grid - mean) ** 2))


def test_sampling_the_months_recovers_the_pull_with_the_midpoint_reading_beside_it():
    world = load_world("llama")
    compiled = world.compile(world.calendar.observed_until)
    truth = {p.name: p.mean for p in PARAMETER_SPACE}
    truth.update(b_peer=TRUE_PULL, sigma_match=0.0, sigma_u=0.5)
    theta = np.array([truth[n] for n in PARAMETER_NAMES])
    labs = simulate(compiled, theta, replicate_seeds(2024, HISTORIES)).labs
    rng = np.random.default_rng(7)
    complete = [complete_panel(compiled, labs[r]) for r in range(HISTORIES)]
    censored = [interval_censored(compiled, c, SHIPPED_WIDTHS, rng) for c in complete]
    integration = Integration.build(compiled.timeline.attributes.shape[1], 8, 1)
    known = _grid_posterior(compiled, theta, complete, integration)
    midpoint = _grid_posterior(compiled, theta, censored, integration)

    flat = tuple(
        dataclasses.replace(p, mean=2.0, sd=100.0) if p.name == "b_peer" else p
        for p in PARAMETER_SPACE
    )  # near-flat on b_peer's range, as the grid's
    settings = LikelihoodSettings(
        walkers=8, steps=150, burn=60, thin=5, quadrature=8, fit_points=1, final_quadrature=8,
        final_fit_points=1, priors=flat, per_cohort=(), seed=3,
        fixed=tuple((n, float(v)) for n, v in zip(PARAMETER_NAMES, theta, strict=True) if n != "b_peer"),
    )  # fmt: skip
    cohorts = [Cohort(f"h{r}", compiled, p) for r, p in enumerate(censored)]
    result = sample_posterior(cohorts, settings)
    draws = result.theta[:, result.names.index("b_peer")]
    mean = float(result.weights @ draws)
    sd = float(np.sqrt(result.weights @ (draws - mean) ** 2))
    estimates = {"complete": known, "midpoint": midpoint, "augmented": (mean, sd)}
    print({k: (round(m, 3), round(s, 3)) for k, (m, s) in estimates.items()})
    assert abs(mean - TRUE_PULL) < 2 * sd, estimates
    # the months' information is lost, never gained: the augmented posterior is no narrower
    # than the complete-data one (up to its own Monte Carlo error, a tenth)
    assert sd > 0.9 * known[1], estimates
    assert known[0] == pytest.approx(TRUE_PULL, abs=2 * known[1]), estimates
