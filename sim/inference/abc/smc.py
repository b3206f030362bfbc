"""Simulation-based Bayesian calibration: ABC on the ensemble engine, with honest uncertainty.

Method (reference/literature.md):

* **Rejection ABC** on discrete summaries: draw theta from the prior, simulate one history each,
  accept the histories whose summaries all match the targets (the world's ``targets.toml``, whose
  summaries are the world's declared statistics: :mod:`sim.inference.abc.targets`).
  Every batch of draws is one vectorised call of the ensemble engine (one parameter vector per
  replicate).
* **ABC-SMC** where acceptance from the prior is low (Toni et al. 2009; Beaumont et al. 2009):
  a sequence of populations under decreasing tolerances, each proposal drawn from the previous
  weighted population and perturbed by a Gaussian kernel with twice its weighted covariance;
  importance weights prior(theta) / sum_j w_j K(theta | theta_j). Tolerances adapt (Del Moral,
  Doucet & Jasra 2012): the next one is a quantile of the current population's distances, until
  the distance is 0, i.e. every target is met.

The distance of a simulated history is the sum over targets of how far its summary misses the
target's accepted set (an integer); the final population is exactly the rejection-ABC posterior
for the indicator kernel. What is calibrated is the predictive distribution, not one lucky run:
even a perfect model reproduces an exact count only a fraction of the time. The sampler returns
a :class:`CalibrationResult`; :mod:`sim.reports.calibration` writes its files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.config.params import DEFAULT_PRIORS, log_prior, sample_prior
from sim.config.scenario import load_scenario
from sim.engines.simulate import simulate
from sim.errors import InputError
from sim.inference.abc.targets import Target, distances
from sim.inference.diagnostics import weighted_quantile
from sim.kernel.behavior import PARAMETER_NAMES
from sim.kernel.streams import replicate_seeds
from sim.world import CompiledWorld


@dataclass(frozen=True)
class CalibrationSettings:
    """How hard to work: population size, batch size, budget, schedule and seed."""

    population: int = 2000
    batch: int = 50_000
    max_simulations: int = 20_000_000
    quantile: float = 0.5  # next tolerance: this quantile of the current distances
    min_ess_fraction: float = 0.5  # at tolerance 0, refine until the ESS reaches this share
    max_refinements: int = 1  # extra generations at tolerance 0, at most
    final_tolerance: int = 0  # stop at this distance (0: every target met exactly)
    seed: int = 20230224
    priors: tuple = DEFAULT_PRIORS  # the prior set (sim.inference.priors.load_priors)


@dataclass
class Generation:
    """One ABC-SMC population's bookkeeping."""

    tolerance: int
    simulations: int
    accepted: int
    seconds: float

    @property
    def acceptance(self) -> float:
        """Accepted / simulated in this generation."""
        return self.accepted / max(self.simulations, 1)


@dataclass
class CalibrationResult:
    """The final weighted population and how it was reached."""

    theta: np.ndarray  # [n, P]
    weights: np.ndarray  # [n], sum 1
    generations: list[Generation] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    settings: CalibrationSettings = field(default_factory=CalibrationSettings)

    @property
    def simulations(self) -> int:
        """Histories simulated in all."""
        return sum(g.simulations for g in self.generations)

    @property
    def seconds(self) -> float:
        """Wall time of the sampler."""
        return sum(g.seconds for g in self.generations)

    def to_df(self) -> pd.DataFrame:
        """The posterior: one row per particle, a column per parameter, and its weight."""
        frame = pd.DataFrame(self.theta, columns=list(PARAMETER_NAMES))
        frame["weight"] = self.weights
        return frame

    def ess(self) -> float:
        """Effective sample size of the weighted population (Kish)."""
        return float(1.0 / np.sum(self.weights**2))


def _batch_seeds(seed: int, generation: int, batch: int, size: int) -> np.ndarray:
    key = np.random.SeedSequence([seed, generation, batch]).generate_state(1, np.uint64)[0]
    return replicate_seeds(int(key), size)


def abc_smc(
    world: CompiledWorld,
    targets: list[Target],
    settings: CalibrationSettings = CalibrationSettings(),
    progress=None,
) -> CalibrationResult:
    """Calibrate by rejection ABC, refined by ABC-SMC while the prior's acceptance is too low.

    Args:
        world: the compiled world, horizon at least the last target month.
        targets: what a history must match (:func:`~sim.inference.abc.targets.load_targets`).
        settings: population, batch size, budget, tolerance schedule and seed.
        progress: optional callable(str) told about each generation.

    Returns:
        The final population, every particle's history within ``settings.final_tolerance`` of
        the targets (0: every target met).
    """
    n = settings.population
    rng = np.random.default_rng([settings.seed, 0])
    result = CalibrationResult(
        np.empty((0, len(PARAMETER_NAMES))), np.empty(0), [], targets, settings
    )
    used = 0

    def run(theta: np.ndarray, generation: int, batch: int) -> np.ndarray:
        nonlocal used
        used += len(theta)
        if used > settings.max_simulations:
            raise InputError(
                f"calibration budget of {settings.max_simulations:,} simulations exhausted; "
                "raise max_simulations or relax the targets"
            )
        return distances(
            simulate(world, theta, _batch_seeds(settings.seed, generation, batch, len(theta))),
            targets,
        )

    # generation 0: rejection from the prior
    start = time.perf_counter()
    theta0 = sample_prior(settings.batch, rng, settings.priors)
    drawn = [k for k, p in enumerate(settings.priors) if not p.held]  # perturbed, the rest held
    d0 = run(theta0, 0, 0)
    accepted = d0 <= settings.final_tolerance
    if accepted.sum() >= n:  # plain rejection ABC suffices
        keep = np.flatnonzero(accepted)[:n]
        result.theta, result.weights = theta0[keep], np.full(n, 1.0 / n)
        result.generations.append(
            Generation(
                settings.final_tolerance,
                settings.batch,
                int(accepted.sum()),
                time.perf_counter() - start,
            )
        )
        return result
    order = np.argsort(d0, kind="stable")[:n]
    tolerance = int(d0[order[-1]])
    theta, weights, dist = theta0[order], np.full(n, 1.0 / n), d0[order]
    result.generations.append(Generation(tolerance, settings.batch, n, time.perf_counter() - start))
    _tell(progress, result.generations[-1])

    generation, refinements = 0, 0
    final = settings.final_tolerance
    while tolerance > final or (
        refinements < settings.max_refinements
        and 1.0 / np.sum(weights**2) < settings.min_ess_fraction * n
    ):
        if tolerance == final:
            refinements += 1
        generation += 1
        start = time.perf_counter()
        tolerance = min(
            tolerance - 1, int(np.floor(weighted_quantile(dist, weights, settings.quantile)))
        )
        tolerance = max(tolerance, final)
        cov = 2.0 * np.cov(theta[:, drawn], rowvar=False, aweights=weights)
        chol = np.linalg.cholesky(cov + 1e-12 * np.eye(cov.shape[0]))
        new_theta, new_dist, simulated, batch = [], [], 0, 0
        got = 0
        while got < n:
            size = settings.batch
            parents = rng.choice(n, size=size, p=weights)
            proposals = theta[parents].copy()  # held parameters keep their value
            proposals[:, drawn] += rng.standard_normal((size, len(drawn))) @ chol.T
            inside = np.isfinite(log_prior(proposals, settings.priors))
            proposals = proposals[inside]
            d = run(proposals, generation, batch)
            simulated += len(proposals)
            batch += 1
            ok = d <= tolerance
            new_theta.append(proposals[ok])
            new_dist.append(d[ok])
            got += int(ok.sum())
        theta_new = np.concatenate(new_theta)[:n]
        dist = np.concatenate(new_dist)[:n]
        weights = _importance_weights(theta_new, theta, weights, chol, settings.priors, drawn)
        theta = theta_new
        result.generations.append(Generation(tolerance, simulated, n, time.perf_counter() - start))
        _tell(progress, result.generations[-1])
    result.theta, result.weights = theta, weights
    return result


def _importance_weights(new, old, old_weights, chol, priors, drawn) -> np.ndarray:
    """prior(theta) / sum_j w_j N(theta; theta_j, cov), normalised (Beaumont et al. 2009).

    The kernel acts on the ``drawn`` columns (the held ones never move).
    """
    inv = np.linalg.inv(chol)
    z_new, z_old = new[:, drawn] @ inv.T, old[:, drawn] @ inv.T
    sq = (z_new**2).sum(1)[:, None] + (z_old**2).sum(1)[None, :] - 2.0 * z_new @ z_old.T
    log_kernel = -0.5 * np.maximum(sq, 0.0)
    peak = log_kernel.max(axis=1, keepdims=True)
    mixture = np.log((np.exp(log_kernel - peak) * old_weights[None, :]).sum(axis=1)) + peak[:, 0]
    log_w = log_prior(new, priors) - mixture
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def _tell(progress, generation: Generation) -> None:
    if progress is not None:
        progress(
            f"tolerance {generation.tolerance}: {generation.simulations:,} simulated, "
            f"acceptance {generation.acceptance:.4f}, {generation.seconds:.1f} s"
        )


def calibration_world(scenario_name: str = "baseline") -> CompiledWorld:
    """The scenario's world, compiled only up to the end of its observed history."""
    world = load_scenario(scenario_name).world
    return world.compile(world.calendar.observed_until)
