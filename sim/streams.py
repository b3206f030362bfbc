"""Random streams: one seed in, an explicit integer seed per replicate, no global state.

Replicate r of a run with seed S uses ``numpy.random.default_rng(replicate_seeds(S, R)[r])``.
The replicate seeds are the first R 64-bit words of ``SeedSequence(S)``: computed in one call for
any R (a million replicates need no million ``spawn`` calls), independent of the executor and the
number of workers, and recorded in every result row so that any single history can be re-run.

Both engines consume a replicate's generator in the same order (DESIGN.md, "same seed, same
history"): first one standard normal per researcher (the restlessness u_i, scaled by sigma_u),
then one standard normal per researcher and lab (the fits m_ij, scaled by sigma_match; row by
row), then one uniform per researcher per month, researchers in cohort order, months in order.
"""

from __future__ import annotations

import numpy as np


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
        ``match`` [R, N, L], standard normals (fits before scaling by sigma_match);
        ``u`` [R, T, N], the monthly uniforms.
    """
    n = len(seeds)
    z = np.empty((n, n_researchers))
    match = np.empty((n, n_researchers, n_labs))
    u = np.empty((n, n_months, n_researchers))
    for r, s in enumerate(seeds):
        rng = replicate_generator(s)
        rng.standard_normal(out=z[r])
        rng.standard_normal(out=match[r])
        rng.random(out=u[r])
    return z, match, u
