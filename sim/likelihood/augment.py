"""The exact likelihood of an interval-censored history: the uncertain months as latent variables.

A move known only to lie within ``earliest .. latest`` has a true month nobody observed. The
interval-summed likelihood (:func:`sim.likelihood.log_likelihood` on an observed panel) sums each
researcher's own months exactly but reads the colleagues' positions with their moves at the
middle of their intervals: an errors-in-variables reading of the peer regressor, which biases the
colleagues' pull toward zero. Summing over the joint months of everyone is exact but costs the
product of all interval widths (millions for the LLaMA history).

**Data augmentation** (Tanner & Wong 1987) makes the months part of the state instead. With every
move at a month M of its interval the panel is complete and its likelihood p(history, M | theta)
is exact (:func:`sim.likelihood.panel.at_months`); summed over every M the intervals allow it is
the likelihood of the observed history, so a sampler of theta and M together has the exact
posterior of theta as its marginal. The months are updated by Metropolis-within-Gibbs
(:func:`update_months`): one uncertain move at a time, a new month proposed within its interval
(half the time uniformly over the interval, half the time one month either way; both proposals
are symmetric), accepted with the ratio of the complete panels' likelihoods, which includes the
move's effect on every colleague's pull. The prior on M is uniform over the months the intervals
allow: the observation says only that the move happened in its interval, the model says how
likely each month is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.likelihood.evaluate import Integration, log_likelihood
from sim.likelihood.panel import Panel, at_months, with_month
from sim.world import CompiledWorld


@dataclass(frozen=True)
class LatentMonths:
    """Which moves of a panel have an uncertain month, and whose they are.

    ``uncertain`` [K] are the indices (into the panel's moves) of the moves whose interval spans
    more than one month; ``owner`` [K] the researcher who made each.
    """

    panel: Panel
    uncertain: np.ndarray
    owner: np.ndarray

    @classmethod
    def of(cls, panel: Panel) -> LatentMonths:
        """The uncertain moves of an (observed) panel."""
        owner_of = np.repeat(np.arange(panel.n_researchers), np.diff(panel.chain))
        uncertain = np.flatnonzero(panel.latest > panel.earliest)
        return cls(panel, uncertain.astype(np.int64), owner_of[uncertain].astype(np.int64))

    @property
    def n_uncertain(self) -> int:
        """Moves whose month is latent."""
        return int(self.uncertain.shape[0])

    def midpoints(self) -> np.ndarray:
        """Every move at the middle of its interval, int [moves] (the imputed reading)."""
        return (self.panel.earliest + self.panel.latest) // 2

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """Every move at a month drawn uniformly from its interval, int [moves]."""
        return rng.integers(self.panel.earliest, self.panel.latest + 1)

    def propose(self, k: int, month: int, rng: np.random.Generator) -> int:
        """A new month for uncertain move ``k`` (an index into :attr:`uncertain`), symmetric.

        Half the time uniform over the interval, half the time one month earlier or later; a
        step out of the interval stays where it is (the proposal is rejected).
        """
        move = self.uncertain[k]
        lo, hi = int(self.panel.earliest[move]), int(self.panel.latest[move])
        if rng.random() < 0.5:
            return int(rng.integers(lo, hi + 1))
        step = month + (1 if rng.random() < 0.5 else -1)
        return step if lo <= step <= hi else month


@dataclass
class Augmented:
    """One walker's latent months for one history.

    The months, their complete panel and log p(history, months | theta) at the walker's
    current theta.
    """

    months: np.ndarray
    complete: Panel
    log_l: float


def augmented(
    world: CompiledWorld, latent: LatentMonths, months: np.ndarray, theta: np.ndarray | None = None,
    integration: Integration | None = None,
) -> Augmented:  # fmt: skip
    """The augmented state at ``months``.

    Its complete panel and, given ``theta``, its exact log-likelihood (NaN without one: to be
    set by the caller).
    """
    complete = at_months(world, latent.panel, months)
    value = math.nan
    if theta is not None:
        value = float(log_likelihood(world, theta, complete, integration).sum())
    return Augmented(np.asarray(months, dtype=np.int64).copy(), complete, value)


def update_months(
    world: CompiledWorld, theta: np.ndarray, latent: LatentMonths, state: Augmented,
    integration: Integration, rng: np.random.Generator, updates: int,
) -> tuple[int, int]:  # fmt: skip
    """Metropolis-within-Gibbs on the months: ``updates`` uncertain moves, chosen at random.

    ``state`` (at ``theta``) is updated in place. Returns how many proposals were made and how
    many accepted (a proposal of the month already held counts as neither).
    """
    made = accepted = 0
    if latent.n_uncertain == 0:
        return 0, 0
    for _ in range(updates):
        k = int(rng.integers(latent.n_uncertain))
        move, owner = int(latent.uncertain[k]), int(latent.owner[k])
        month = latent.propose(k, int(state.months[move]), rng)
        if month == state.months[move]:
            continue
        made += 1
        candidate = with_month(world, state.complete, move, owner, month)
        value = float(log_likelihood(world, theta, candidate, integration).sum())
        if value > -math.inf and math.log(rng.random()) < value - state.log_l:
            state.months[move] = month
            state.complete, state.log_l = candidate, value
            accepted += 1
    return made, accepted
