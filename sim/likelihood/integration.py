"""The likelihood's integration points and the estimate of each researcher's log integral.

:class:`Integration` holds the fixed points :mod:`sim.likelihood.evaluate` integrates each
researcher's latent terms over: Gauss-Hermite nodes for the restlessness and scrambled Sobol
normals for the fits, shared by every researcher or each researcher's own; :func:`jackknifed`
is the bias-corrected log of a researcher's average over their fit points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.errors import InputError

#: Gauss-Hermite nodes for the restlessness and Sobol points for the fits, by default.
QUADRATURE, FIT_POINTS = 16, 128


#: The most fit points a researcher with many moves gets (:meth:`Integration.points_for`).
MOST_POINTS = 1024


def sobol_normals(n_labs: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` Sobol points in ``n_labs`` dimensions, scrambled by ``rng``, as normals.

    [count, n_labs]; the uniforms are kept off 0 and 1 so that no normal is infinite.
    """
    from scipy.stats import norm, qmc

    uniforms = qmc.Sobol(d=n_labs, scramble=True, rng=rng).random(count)
    return np.ascontiguousarray(norm.ppf(np.clip(uniforms, 1e-12, 1 - 1e-12)))


def power_of_two(n: int) -> bool:
    """Whether ``n`` is 1, 2, 4, ...: the sizes the fit points' Sobol sequence is balanced at."""
    return n >= 1 and n & (n - 1) == 0


@dataclass(frozen=True)
class Integration:
    """The fixed integration points of the likelihood: nodes for u, quasi-random normals for m.

    ``z`` [Q] and ``z_weights`` [Q] are Gauss-Hermite nodes and weights for a standard normal
    (the weights sum to 1); ``fits`` [M', L] are the fit normals of one scrambled Sobol sequence,
    of which researcher i integrates over the first :meth:`points_for` points.

    **More points where the integral is hard.** A researcher's fits integral is the harder the
    more moves their history has: each visited lab adds a dimension in which the integrand is
    peaked, so with a fixed number of points its Monte Carlo error, and the downward bias of its
    log (about half its variance), grow with the moves. So a researcher with k >= 2 moves gets
    ``fit_points`` x 2^(k - 1) points, at most ``max(fit_points, most_points)``: the number
    depends on the observed history only, never on theta, so the likelihood stays smooth in
    theta. Prefixes of one Sobol sequence of a power-of-2 length are themselves balanced point
    sets. (Measured on a shipped cohort of 11 at its posterior mean, 8 scrambles at 64 points:
    the log-likelihood's standard deviation 0.13 with every researcher at 64 points, 0.07 with
    this allocation, 0.005 with everyone at 4,096.)
    """

    z: np.ndarray
    z_weights: np.ndarray
    fits: np.ndarray
    fit_points: int  # a researcher with at most one move
    most_points: int  # the cap for researchers with many moves
    jackknife: bool = False  # correct the log of the average for its bias (:func:`jackknifed`)
    own_points: bool = False  # each researcher their own scramble (:meth:`normals_for`)
    seed: int = 0
    _own: dict = field(default_factory=dict, compare=False, repr=False)  # own points, built once

    @classmethod
    def build(
        cls, n_labs: int, quadrature: int = QUADRATURE, fit_points: int = FIT_POINTS,
        seed: int = 0, most_points: int = MOST_POINTS, jackknife: bool = False,
        own_points: bool = False,
    ) -> Integration:  # fmt: skip
        """Points for a world of ``n_labs`` labs; ``fit_points`` and ``most_points`` powers of 2."""
        if quadrature < 1 or not power_of_two(fit_points) or not power_of_two(most_points):
            raise InputError(
                f"quadrature must be >= 1 and fit_points and most_points powers of 2, got "
                f"{quadrature}, {fit_points} and {most_points}"
            )
        nodes, weights = np.polynomial.hermite.hermgauss(quadrature)
        return cls(
            z=math.sqrt(2.0) * nodes,
            z_weights=weights / math.sqrt(math.pi),
            fits=sobol_normals(n_labs, max(fit_points, most_points), np.random.default_rng(seed)),
            fit_points=fit_points,
            most_points=most_points,
            jackknife=jackknife,
            own_points=own_points,
            seed=seed,
        )

    def normals_for(self, members: np.ndarray, count: int) -> np.ndarray:
        """The unshifted fit normals of ``members`` at ``count`` points: [M, L] or [n, M, L].

        Shared (the default): the first ``count`` points of the one sequence, the same for
        every researcher, so the integral's error is the same function of theta for all of them
        and does not average out over a panel: it moves the mode by a fixed amount, which grows
        in posterior sds as sqrt(N) (``benchmarks/integration_bias.py``). With ``own_points``
        each researcher has their own scrambled Sobol sequence (seeded by the integration's seed
        and the researcher's index, so it is fixed across evaluations and theta stays smooth), as
        simulated maximum likelihood draws independently per individual (Train 2009, 10.5): the
        errors are independent across researchers and their sum grows only as sqrt(N), a
        constant in posterior sds; what remains systematic is the log's bias, of order 1/M
        (:func:`jackknifed`). Built once per members and count, then reused.
        """
        if not self.own_points:
            return self.fits[:count]
        key = (count, np.asarray(members, dtype=np.int64).tobytes())
        if key not in self._own:
            n_labs = self.fits.shape[1]
            self._own[key] = np.stack([
                sobol_normals(n_labs, count, np.random.default_rng(
                    np.random.SeedSequence(self.seed, spawn_key=(int(i),))))
                for i in members
            ])  # fmt: skip
        return self._own[key]

    def points_for(self, moves: int) -> int:
        """The fit points of a researcher whose history has ``moves`` recorded moves."""
        boost = 2 ** max(0, min(moves, 16) - 1)
        return min(self.fit_points * boost, max(self.fit_points, self.most_points))


#: The largest jackknife correction of one researcher's log-likelihood, in nats (a soft cap).
JACKKNIFE_CAP = 1.0


def jackknifed(per_point: np.ndarray) -> np.ndarray:
    """The log of each row's mean of exp(``per_point``) [n, M], corrected for its bias.

    The log of a Monte Carlo average is biased low by about half its relative variance, a bias
    of order 1/M that adds up over a panel's researchers while the posterior narrows as
    1/sqrt(N) (Lee 1995 for simulated maximum likelihood). The two-group jackknife (Quenouille
    1956) removes the 1/M term: with ``a`` the log of the mean over all M points and ``b1``,
    ``b2`` those over each half (prefixes of one Sobol sequence of a power-of-2 length, so each
    half is itself balanced), ``2 a - (b1 + b2) / 2`` is unbiased to order 1/M^2, and to first
    order it fluctuates as ``a`` does (the halves' deviations enter with weights 1/2 each), so
    the correction costs no precision. The correction ``a - (b1 + b2) / 2`` is never negative
    (Jensen); it is passed through ``cap * tanh(. / cap)`` with :data:`JACKKNIFE_CAP`, which
    leaves it unchanged where it is small, as it is wherever the integral is resolved at all,
    and keeps it finite where one half holds all the mass. Smooth in the values, so in theta.
    """
    count = per_point.shape[-1]
    half = count // 2
    whole = log_sum(per_point) - math.log(count)
    first = log_sum(per_point[..., :half]) - math.log(half)
    second = log_sum(per_point[..., half : 2 * half]) - math.log(half)
    with np.errstate(invalid="ignore"):
        correction = whole - 0.5 * (first + second)
    correction = JACKKNIFE_CAP * np.tanh(np.where(np.isnan(correction), 0.0, correction)
                                         / JACKKNIFE_CAP)  # fmt: skip
    return whole + correction


def log_sum(terms: np.ndarray) -> np.ndarray:
    """Log-sum-exp over the last axis; -inf where every term is -inf."""
    peak = terms.max(axis=-1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(terms - peak).sum(axis=-1)) + peak[..., 0]
