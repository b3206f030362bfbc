"""Random streams: one seed in, an explicit integer seed per replicate, no global state.

Replicate r of a run with seed S uses ``numpy.random.default_rng(replicate_seeds(S, R)[r])``.
The replicate seeds are the first R 64-bit words of ``SeedSequence(S)``: computed in one call for
any R (a million replicates need no million ``spawn`` calls), independent of the executor and the
number of workers, and recorded in every result row so that any single history can be re-run.

Both engines read a replicate's stream at the same places (DESIGN.md, "same seed, same
history"):

1. one standard normal per researcher, in cohort order: the restlessness u_i (scaled by sigma_u);
2. one uniform per researcher per month, months in order, researchers in cohort order: the draws
   that decide each month's choice;
3. after skipping to the place where the uniforms of a run to the model's last month
   (``LAST_MONTH``) would end, one standard normal per lab and researcher, lab by lab: the fits
   m_ij (scaled by sigma_match).

So month t's uniforms do not depend on the horizon, and a lab's fits do not depend on which other
labs a scenario adds (at the end) or removes (labs keep their places): two scenarios with the same
seeds share their random numbers draw for draw (common random numbers).
"""

from __future__ import annotations

import numpy as np

from sim.timeline import LAST_MONTH, parse_month

#: Months from the start month through LAST_MONTH: the uniforms reserved in every stream.
WINDOW_MONTHS = parse_month(LAST_MONTH) + 1


def replicate_seeds(seed: int, replicates: int) -> np.ndarray:
    """The integer seed of each of ``replicates`` replicates of a run seeded with ``seed``."""
    if replicates < 0:
        raise ValueError("replicates must be >= 0")
    return np.random.SeedSequence(int(seed)).generate_state(replicates, np.uint64)


def replicate_generator(replicate_seed) -> np.random.Generator:
    """The generator of one replicate (the Mesa model is given the same integer as ``rng``)."""
    return np.random.default_rng(int(replicate_seed))


def replicate_draws(
    seeds: np.ndarray, n_researchers: int, n_labs: int, n_months: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every random number a batch of replicates needs, in the order the Mesa model draws them.

    Returns:
        ``z`` [R, N], standard normals (restlessness before scaling by sigma_u);
        ``match`` [R, N, L], standard normals (fits before scaling by sigma_match; a view);
        ``u`` [R, T, N], the monthly uniforms.
    """
    n = len(seeds)
    z = np.empty((n, n_researchers))
    match = np.empty((n, n_labs, n_researchers))
    u = np.empty((n, n_months, n_researchers))
    skip = (WINDOW_MONTHS - n_months) * n_researchers
    for r, s in enumerate(seeds):
        rng = replicate_generator(s)
        rng.standard_normal(out=z[r])
        rng.random(out=u[r])
        rng.bit_generator.advance(skip)
        rng.standard_normal(out=match[r])
    return z, match.transpose(0, 2, 1), u


def fit_normals(replicate_seed, n_researchers: int, n_labs: int) -> np.ndarray:
    """The fits' standard normals [N, L] of one replicate, read from its stream's third part.

    For the Mesa model, which draws its restlessness and its monthly uniforms from the model's
    own generator as it goes: this reads the same stream with a second generator.
    """
    rng = replicate_generator(replicate_seed)
    rng.standard_normal(n_researchers)
    rng.bit_generator.advance(WINDOW_MONTHS * n_researchers)
    return rng.standard_normal((n_labs, n_researchers)).T
