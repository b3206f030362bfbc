"""A yardstick for the predictive check: what an ideal model could predict from N histories.

The calibration conditions on a handful of counts (how many had left the focal lab by an early
checkpoint, and how many are there at the end). However well a model is specified, its
posterior predictive of those counts is wider than the chance of one history alone, because
the parameters are learnt from that same single history. This module computes exactly how wide
it is for the simplest model that could explain the counts: every member independently still at
the focal lab at the checkpoint with probability ``s1``
and, if so, still there at the end with probability ``s2``; Beta priors on ``s1`` and ``s2``; no
peers, no covariates, nothing else to learn. Its predictive is a beta-binomial compounded with
a beta-binomial.

To predict more narrowly than this yardstick, a richer model needs prior information that
narrows the survival probabilities or covariates that tell the stayers from the leavers; peer
contagion, which makes departures bunch, widens the predictive. The calibration report prints
the yardstick beside the model's own predictive, so that a reader can tell a misfit from the
limit of what N histories can say.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import betabinom

#: Beta priors on each stage's survival probability: uniform (Bayes-Laplace) and Jeffreys.
PRIORS: dict[str, tuple[float, float]] = {"uniform": (1.0, 1.0), "Jeffreys": (0.5, 0.5)}


@dataclass(frozen=True)
class StagedPredictive:
    """Posterior predictive of the two-stage binomial model, exact.

    ``at_checkpoint[k]`` and ``at_end[k]`` are the probabilities that k of the cohort are still
    at the start lab at the checkpoint and at the end.
    """

    cohort: int
    at_checkpoint: np.ndarray  # float [cohort + 1]
    at_end: np.ndarray  # float [cohort + 1]

    @property
    def mode(self) -> int:
        """The most likely number still there at the end."""
        return int(np.argmax(self.at_end))

    @property
    def mean(self) -> float:
        """The expected number still there at the end."""
        return float(np.arange(self.cohort + 1) @ self.at_end)

    def p_end_between(self, low: int, high: int) -> float:
        """P(low <= still there at the end <= high)."""
        return float(self.at_end[low : high + 1].sum())

    def p_gone_by_checkpoint_at_least(self, gone: int) -> float:
        """P(at least ``gone`` of the cohort have left by the checkpoint)."""
        return float(self.at_checkpoint[: self.cohort - gone + 1].sum())


def staged_predictive(
    cohort: int, still_at_checkpoint: int, still_at_end: int, prior: tuple[float, float] = (1, 1)
) -> StagedPredictive:
    """The exact posterior predictive of the two-stage binomial model.

    Args:
        cohort: number of researchers at the start.
        still_at_checkpoint: observed number still at the start lab at the checkpoint.
        still_at_end: observed number still there at the end (at most ``still_at_checkpoint``).
        prior: Beta(a, b) prior on each stage's survival probability.

    Returns:
        The predictive distributions of the two counts for a new history of the same cohort.
    """
    if not 0 <= still_at_end <= still_at_checkpoint <= cohort:
        raise ValueError(
            f"expected 0 <= still at end ({still_at_end}) <= still at checkpoint "
            f"({still_at_checkpoint}) <= cohort ({cohort})"
        )
    a, b = prior
    k = np.arange(cohort + 1)
    first = betabinom.pmf(k, cohort, a + still_at_checkpoint, b + cohort - still_at_checkpoint)
    a2, b2 = a + still_at_end, b + still_at_checkpoint - still_at_end
    at_end = np.zeros(cohort + 1)
    for m in range(cohort + 1):  # compound: n2 | n1 = m ~ BetaBinomial(m, a2, b2)
        at_end[: m + 1] += first[m] * betabinom.pmf(np.arange(m + 1), m, a2, b2)
    return StagedPredictive(cohort, first, at_end)
