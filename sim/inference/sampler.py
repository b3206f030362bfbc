"""An ensemble sampler whose walkers carry latent variables: differential evolution within Gibbs.

Each walker holds a point y of the parameters' (unbounded) space and a latent state of its own
(the months of the uncertain moves, :mod:`sim.likelihood.augment`). One step updates, for every
walker in turn, first y given its latent state, then the latent state given y:

- **y: differential evolution** (ter Braak 2006), the ensemble move emcee calls ``DEMove``
  (Foreman-Mackey et al. 2013): the walkers are split at random into two halves, and a walker
  of one half proposes y + gamma (y_a - y_b) + e, from two walkers a, b of the other half,
  with gamma = 2.38 / sqrt(2 d) and, one proposal in ten, gamma = 1 (a jump between modes;
  ter Braak & Vrugt 2008), and e ~ N(0, 1e-5^2) to keep the chain irreducible. The proposal is
  symmetric given the other half, so it is accepted with the ratio of the target densities at
  the walker's own latent state. Moving one coordinate block of (y, latent) with a kernel that
  keeps its conditional distribution keeps the joint distribution: Metropolis-within-Gibbs, in
  which the other half of the ensemble only shapes the proposal.
- **latent state: the walker's own Gibbs step** (:meth:`Walker.update`), which keeps the
  conditional distribution of the latent state given y (for the months,
  :func:`sim.likelihood.augment.update_months`).

emcee itself cannot carry a per-walker latent state (its target sees only y), which is why the
move is written here; with no latent state (an update that changes nothing) this is emcee's DE
move alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

#: Share of differential-evolution proposals made with gamma = 1 (jumps between modes).
JUMP_SHARE = 0.1
#: Standard deviation of the small noise added to every differential-evolution proposal.
NOISE = 1e-5


class Walker(Protocol):
    """A walker's latent state and the target density at it (see :func:`sample_ensemble`)."""

    def log_prob(self, y: np.ndarray) -> float:
        """The log target at (y, this state), remembered until :meth:`accept` or the next call."""

    def accept(self) -> None:
        """The last point :meth:`log_prob` saw was accepted: it is now the walker's point."""

    def update(self, y: np.ndarray, rng: np.random.Generator) -> tuple[float, int, int]:
        """The Gibbs step of the latent state at the walker's point y.

        It keeps the latent state's conditional distribution given y, and returns
        ``(log target, proposals made, proposals accepted)``.
        """

    def record(self) -> object:
        """What a kept step keeps of the latent state."""


@dataclass
class Chains:
    """The walkers' path and how often each block's proposals were accepted.

    Points [steps, walkers, dims], log densities [steps, walkers], the recorded latent states
    of the kept steps, and the number of latent proposals made.
    """

    y: np.ndarray
    log_prob: np.ndarray
    kept_states: list
    acceptance: float
    latent_acceptance: float
    latent_proposals: int


def sample_ensemble(
    walkers: list[Walker], start: np.ndarray, steps: int, rng: np.random.Generator,
    keep: Callable | None = None, progress: Callable | None = None,
) -> Chains:  # fmt: skip
    """Run the ensemble for ``steps`` steps from ``start`` [walkers, dims].

    Args:
        walkers: each walker's latent state (:class:`Walker`).
        start: the walkers' starting points.
        steps: how many steps every walker takes.
        rng: the one random stream of the run (the walkers' order, pairs and acceptances).
        keep: ``keep(step) -> bool``, the steps (from 0) whose latent states are recorded.
        progress: called with (step, acceptance so far) every 250 steps.
    """
    n_walkers, dims = start.shape
    if n_walkers < 4:
        raise ValueError(f"the ensemble needs at least 4 walkers, got {n_walkers}")
    y = np.array(start, dtype=np.float64)
    current = np.empty(n_walkers)
    for w, walker in enumerate(walkers):
        current[w] = walker.log_prob(y[w])
        walker.accept()
    path = np.empty((steps, n_walkers, dims))
    densities = np.empty((steps, n_walkers))
    kept: list = []
    moves = accepted = latent_made = latent_accepted = 0
    gamma = 2.38 / math.sqrt(2.0 * dims)
    for step in range(steps):
        order = rng.permutation(n_walkers)
        halves = (order[: n_walkers // 2], order[n_walkers // 2 :])
        for half, other in (halves, halves[::-1]):
            for w in half:
                a, b = rng.choice(other, size=2, replace=False)
                g = 1.0 if rng.random() < JUMP_SHARE else gamma
                proposal = y[w] + g * (y[a] - y[b]) + NOISE * rng.standard_normal(dims)
                value = walkers[w].log_prob(proposal)
                moves += 1
                if value > -math.inf and math.log(rng.random()) < value - current[w]:
                    y[w], current[w] = proposal, value
                    walkers[w].accept()
                    accepted += 1
                current[w], made, took = walkers[w].update(y[w], rng)
                latent_made += made
                latent_accepted += took
        path[step], densities[step] = y, current
        if keep is not None and keep(step):
            kept.append([walker.record() for walker in walkers])
        if progress and (step + 1) % 250 == 0:
            progress(step + 1, accepted / moves)
    return Chains(
        path, densities, kept, accepted / max(moves, 1),
        latent_accepted / latent_made if latent_made else math.nan, latent_made,
    )  # fmt: skip
