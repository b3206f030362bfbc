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

from sim.likelihood.evaluate import log_likelihood
from sim.likelihood.integration import Integration
from sim.likelihood.panel import Panel, at_months, with_month
from sim.world import CompiledWorld


@dataclass(frozen=True)
class LatentMonths:
    """Which moves of a panel have an uncertain month, whose they are, and where they can be.

    ``uncertain`` [K] are the indices (into the panel's moves) of the moves whose interval holds
    more than one month its lab exists in; ``owner`` [K] the researcher who made each;
    ``allowed`` [K] the months of each interval in which its lab exists (a month when it does
    not has probability 0 whatever the parameters, so it is never proposed: two such months
    at once would leave a walker nowhere to go, since one month moves at a time).
    """

    panel: Panel
    uncertain: np.ndarray
    owner: np.ndarray
    allowed: tuple[np.ndarray, ...]
    start: np.ndarray  # every move's first allowed month (its earliest where none is)

    @classmethod
    def of(cls, world: CompiledWorld, panel: Panel) -> LatentMonths:
        """The uncertain moves of an (observed) panel in ``world``."""
        owner_of = np.repeat(np.arange(panel.n_researchers), np.diff(panel.chain))
        exists = world.timeline.exists
        months = [
            np.flatnonzero(exists[lo : hi + 1, to]) + lo
            for lo, hi, to in zip(panel.earliest, panel.latest, panel.to, strict=True)
        ]
        start = np.array(
            [m[0] if m.size else lo for m, lo in zip(months, panel.earliest, strict=True)]
        )
        uncertain = np.array([k for k, m in enumerate(months) if m.size > 1], dtype=np.int64)
        return cls(
            panel, uncertain, owner_of[uncertain].astype(np.int64),
            tuple(months[k] for k in uncertain), start.astype(np.int64),
        )  # fmt: skip

    @property
    def n_uncertain(self) -> int:
        """Moves whose month is latent."""
        return int(self.uncertain.shape[0])

    def midpoints(self) -> np.ndarray:
        """Every uncertain move at the middle of its allowed months, int [moves]."""
        months = self.start.copy()
        for k, allowed in zip(self.uncertain, self.allowed, strict=True):
            months[k] = allowed[(allowed.size - 1) // 2]
        return months

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """Every uncertain move at a month drawn uniformly from its allowed months, int [moves]."""
        months = self.start.copy()
        for k, allowed in zip(self.uncertain, self.allowed, strict=True):
            months[k] = allowed[rng.integers(allowed.size)]
        return months

    def propose(self, k: int, month: int, rng: np.random.Generator) -> int:
        """A new month for uncertain move ``k`` (an index into :attr:`uncertain`), symmetric.

        Half the time uniform over its allowed months, half the time one month earlier or
        later; a step out of the allowed months stays where it is (the proposal is rejected).
        """
        allowed = self.allowed[k]
        if rng.random() < 0.5:
            return int(allowed[rng.integers(allowed.size)])
        step = month + (1 if rng.random() < 0.5 else -1)
        return step if step in allowed else month


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
