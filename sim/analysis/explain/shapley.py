"""Shapley values from coalition values: exact, or by sampling orders, in integers.

The Shapley value of player i (Shapley 1953) is its average marginal effect over every order in
which the players could have been switched on::

    phi_i = sum over coalitions S without i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S))

:func:`shapley_exact` visits all 2^n coalitions with integer weights scaled by n!, so a dummy's 0
and symmetric players' equality are exact. :func:`shapley_permutations` samples orders
(Castro, Gomez & Tejada 2009, "Polynomial calculation of the Shapley value based on sampling");
every order telescopes, so efficiency still holds exactly. Both take the coalition values as a
function of a coalition mask (bit k: player k) and know nothing of what the players are.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

_CACHE_BYTES = 256 * 2**20  # coalition values kept for permutation sampling


def shapley_weights(n: int, size: int) -> tuple[int, int]:
    """Integer Shapley weights (scaled by n!) of a coalition of ``size`` among ``n`` players.

    Returns ``(inside, outside)``: a coalition S of this size enters phi_i * n! with
    ``+inside * v(S)`` for i in S (weight (|S|-1)! (n-|S|)!) and ``-outside * v(S)`` for i not
    in S (weight |S|! (n-|S|-1)!).
    """
    inside = math.factorial(size - 1) * math.factorial(n - size) if size > 0 else 0
    outside = math.factorial(size) * math.factorial(n - size - 1) if size < n else 0
    return inside, outside


def shapley_exact(
    n: int, value: Callable[[int], np.ndarray], progress=None
) -> tuple[np.ndarray, int]:
    """Exact Shapley values of ``n`` players, replicate by replicate, in integers.

    Args:
        n: the number of players (bit k of a coalition mask is player k).
        value: coalition mask -> integer values [R, K] (one row per replicate).
        progress: a callable called once per coalition (or None).

    Returns:
        ``(numerators int64 [n, R, K], divisor)``: phi = numerators / divisor (divisor n!).
    """
    total = None
    for mask in range(2**n):
        v = np.asarray(value(mask), dtype=np.int64)
        if total is None:
            total = np.zeros((n, *v.shape), dtype=np.int64)
        inside, outside = shapley_weights(n, mask.bit_count())
        plus = inside * v if inside else None
        minus = outside * v if outside else None
        for i in range(n):
            if mask >> i & 1:
                total[i] += plus
            else:
                total[i] -= minus
        if progress is not None:
            progress()
    return total, math.factorial(n)


def shapley_permutations(
    n: int,
    value: Callable[[int], np.ndarray],
    orders: int,
    rng: np.random.Generator,
    parts: tuple[slice, ...] = (),
    progress=None,
) -> tuple[np.ndarray, int, list[np.ndarray]]:
    """Shapley values by sampling orders of the players (Castro et al. 2009), per replicate.

    Each of ``orders`` random orders adds the players one at a time; a player's marginal effect
    in an order is the value after it minus the value before. The same orders serve every
    replicate (common random numbers again).

    Args:
        n: the number of players.
        value: coalition mask -> integer values [R, K].
        orders: K, the number of sampled orders.
        rng: the generator of the orders.
        parts: groups of replicates (row slices) whose per-order means are kept for the error.
        progress: a callable called once per order (or None).

    Returns:
        ``(sums int64 [n, R, K], K, per_order)``: phi = sums / K; ``per_order[p]`` is float
        [n, K, K_stats], the mean marginal effect over the replicates of ``parts[p]`` in each
        order.
    """
    cache: dict[int, np.ndarray] = {}
    used = 0

    def cached(mask: int) -> np.ndarray:
        nonlocal used
        if mask in cache:
            return cache[mask]
        v = np.asarray(value(mask), dtype=np.int64)
        if used + v.nbytes <= _CACHE_BYTES:
            cache[mask] = v
            used += v.nbytes
        return v

    empty = cached(0)
    sums = np.zeros((n, *empty.shape), dtype=np.int64)
    per_order = [np.zeros((n, orders, empty.shape[1])) for _ in parts]
    for k in range(orders):
        before, mask = empty, 0
        for i in rng.permutation(n):
            mask |= 1 << int(i)
            after = cached(mask)
            step = after - before
            sums[i] += step
            for p, part in enumerate(parts):
                per_order[p][i, k] = step[part].mean(axis=0)
            before = after
        if progress is not None:
            progress()
    return sums, orders, per_order
