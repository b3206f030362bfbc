"""A walker of the full-information sampler: its point in parameter space and its latent state.

The sampler (:mod:`sim.inference.sampler`) moves theta by differential evolution; each walker
(:class:`AugmentedWalker`) also holds, per cohort, the months of its uncertain moves
(:mod:`sim.likelihood.augment`, updated by Metropolis within Gibbs) and the combination of its
founding months known only to intervals (:mod:`sim.world.openings`, updated by Gibbs), so that
the likelihood it evaluates is exact (:mod:`sim.inference.posterior`).
"""

from __future__ import annotations

import math

import numpy as np

from sim.likelihood import LatentMonths, augmented, update_months


class AugmentedWalker:
    """A walker's uncertain months (:class:`sim.inference.sampler.Walker`).

    One :class:`~sim.likelihood.Augmented` per cohort, and per cohort the combination of its
    founding months known only to intervals (:mod:`sim.world.openings`; always 0 where there
    are none): the months are updated by Metropolis within the combination's world, then the
    combination by Gibbs from its exact conditional given theta and the months.
    """

    def __init__(self, target, latents: list[LatentMonths], months: list,
                 updates: int):  # fmt: skip
        self.target, self.latents, self.updates = target, latents, updates
        #: the first combination has every interval lab at its earliest month: the world in
        #: which the latent months' starting draw (read against the earliest months) is possible
        self.variant = [0] * len(target.cohorts)
        self.states = [
            augmented(c.world, latent, m)
            for c, latent, m in zip(target.cohorts, latents, months, strict=True)
        ]
        self.pending: list[float] = []

    def log_prob(self, y: np.ndarray) -> float:
        """The log posterior at y given this walker's months and combination (kept pending)."""
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)) or np.any(np.abs(y) > 30):
            self.pending = []
            return -math.inf
        x = self.target.theta(y)
        prior = self.target.log_prior_terms(y, x)
        if not np.isfinite(prior):
            self.pending = []
            return -math.inf
        self.pending = [
            self.target.cohort_log_likelihood(x, c, state.complete, self.variant[c])
            for c, state in enumerate(self.states)
        ]
        total = sum(self.pending)
        return total + prior if np.isfinite(total) else -math.inf

    def accept(self) -> None:
        """The move to the last y evaluated was accepted: its log-likelihoods become current."""
        for state, value in zip(self.states, self.pending, strict=True):
            state.log_l = value

    def update(self, y: np.ndarray, rng: np.random.Generator) -> tuple[float, int, int]:
        """Update the latent state at y; return the log posterior, proposals made and accepted."""
        x = self.target.theta(y)
        made = accepted = 0
        for c, (state, latent) in enumerate(zip(self.states, self.latents, strict=True)):
            variants = self.target.variants[c]
            tried, took = update_months(
                variants[self.variant[c]][1], self.target.cohort_theta(x, c), latent, state,
                self.target.integrations[c], rng, self.updates,
            )  # fmt: skip
            self.target.evaluations += tried
            made, accepted = made + tried, accepted + took
            if len(variants) > 1:
                self.variant[c], state.log_l = self._draw_variant(x, c, state, rng)
        total = sum(state.log_l for state in self.states)
        value = total + self.target.log_prior_terms(y, x)
        return (value if np.isfinite(value) else -math.inf), made, accepted

    def _draw_variant(self, x, c: int, state, rng) -> tuple[int, float]:
        """A combination of founding months from its conditional, and the log-likelihood there."""
        values = np.array([
            self.target.cohort_log_likelihood(x, c, state.complete, k)
            for k in range(len(self.target.variants[c]))
        ])  # fmt: skip
        top = values.max()
        if top == -math.inf:  # theta makes the months impossible in every combination
            return self.variant[c], -math.inf
        p = np.exp(values - top)
        k = int(rng.choice(len(values), p=p / p.sum()))
        return k, float(values[k])

    def record(self) -> tuple[list[np.ndarray], tuple[int, ...]]:
        """The latent state to keep: the months per cohort, and the combination per cohort."""
        return [state.months.copy() for state in self.states], tuple(self.variant)
