"""Philox4x32-10: a counter-based random number generator, compiled (numba) and in numpy.

Philox (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011;
the Random123 library) is a keyed bijection on 128-bit blocks. Its input is a counter of four
32-bit words (c0, c1, c2, c3) and a key of two 32-bit words (k0, k1); its output is four 32-bit
words that pass BigCrush. Each of its 10 rounds is::

    hi0:lo0 = 0xD2511F53 * c0            (64-bit products of 32-bit words)
    hi1:lo1 = 0xCD9E8D57 * c2
    (c0, c1, c2, c3) <- (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)

and between rounds (after each of the first nine) the key is bumped by the Weyl increments,
k0 += 0x9E3779B9 and k1 += 0xBB67AE85 (mod 2**32).

Why counter-based: every number is a pure function of (key, counter). There is no generator
state to carry, split or advance, no array of numbers drawn in advance, and a number is the same
wherever and in whatever order it is computed: in any engine, thread or process, or alone when
re-running one piece of a history. Give each quantity its own counter and the numbers it gets do
not depend on which other numbers were computed.

The implementation reproduces Random123's known-answer vectors (``kat_vectors``, philox4x32,
10 rounds), checked in ``tests/unit/test_philox.py``:

========================================  =====================  ===================================
counter (c0, c1, c2, c3)                  key (k0, k1)           output
========================================  =====================  ===================================
00000000 00000000 00000000 00000000       00000000 00000000      6627e8d5 e169c58d bc57ac4c 9b00dbd8
ffffffff ffffffff ffffffff ffffffff       ffffffff ffffffff      408f276d 41c83b0e a20bc7c6 6d5451fd
243f6a88 85a308d3 13198a2e 03707344       a4093822 299f31d0      d16cfe09 94fdcceb 5001e420 24126ea1
========================================  =====================  ===================================

From bits to floats. ``uniform`` and ``normal`` take the key as one 64-bit integer, split as
k0 = its low 32 bits and k1 = its high 32 bits, and use one Philox block (x0, x1, x2, x3) per
number:

* uniform: ``u = ((x0 << 21) | (x1 >> 11)) * 2**-53``, the 53-bit integer made of the 32 bits of
  x0 above the top 21 bits of x1, scaled exactly into a double: u is a multiple of 2**-53 in
  [0, 1 - 2**-53], so never 1.0.
* normal: Box-Muller, ``z = sqrt(-2 log u1) * cos(2 pi u2)`` with
  ``u1 = (((x0 << 21) | (x1 >> 11)) + 1) * 2**-53`` in (0, 1] (so the log is finite; |z| is at
  most sqrt(106 log 2) ~ 8.57) and ``u2 = ((x2 << 21) | (x3 >> 11)) * 2**-53`` as for a uniform.
  The sine half of the pair is discarded: one block per normal, so that each normal, like each
  uniform, is a pure function of its own counter.

Every word of a counter or key is taken modulo 2**32 (only its low 32 bits are used). The
compiled functions do their arithmetic in ``np.uint64`` with explicit 32-bit masks, so numba
never mixes signed and unsigned integers (which it would promote to float64). The numpy functions
are a second, independent, vectorised implementation: the tests check the compiled kernel against
it, and code outside numba can use it to make many numbers at once.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_MASK = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_SHIFT21 = np.uint64(21)
_SHIFT11 = np.uint64(11)
_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_ONE = np.uint64(1)
_TWO_POW_M53 = 2.0**-53
_TWO_PI = 2.0 * np.pi
ROUNDS = 10


# ---------------------------------------------------------------- compiled (numba) kernel


@njit(cache=True, inline="always")
def _round(c0, c1, c2, c3, k0, k1):
    """One Philox round on uint64-held 32-bit words."""
    p0 = _M0 * c0
    p1 = _M1 * c2
    return (
        (p1 >> _SHIFT32) ^ c1 ^ k0,
        p1 & _MASK,
        (p0 >> _SHIFT32) ^ c3 ^ k1,
        p0 & _MASK,
    )


@njit(cache=True, inline="always")
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of counter (c0, c1, c2, c3) under key (k0, k1).

    Arguments are integers (any numba integer type; each taken modulo 2**32). Returns the four
    output words as ``np.uint64`` values in [0, 2**32) (Python ints when called from Python).
    """
    c0 = np.uint64(c0) & _MASK
    c1 = np.uint64(c1) & _MASK
    c2 = np.uint64(c2) & _MASK
    c3 = np.uint64(c3) & _MASK
    k0 = np.uint64(k0) & _MASK
    k1 = np.uint64(k1) & _MASK
    for _ in range(ROUNDS - 1):
        c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return _round(c0, c1, c2, c3, k0, k1)


@njit(cache=True, inline="always")
def _block(key, c0, c1, c2, c3):
    """Philox4x32-10 of a counter under a 64-bit key (k0 = low 32 bits, k1 = high 32 bits)."""
    key = np.uint64(key)
    return philox4x32(c0, c1, c2, c3, key & _MASK, key >> _SHIFT32)


@njit(cache=True, inline="always")
def _int53(hi, lo):
    """The 53-bit integer ``(hi << 21) | (lo >> 11)`` of two uint64-held 32-bit words."""
    return (hi << _SHIFT21) | (lo >> _SHIFT11)


@njit(cache=True, inline="always")
def uniform(key, c0, c1, c2, c3):
    """The uniform in [0, 1) of counter (c0, c1, c2, c3) under ``key`` (one 64-bit integer).

    ``((x0 << 21) | (x1 >> 11)) * 2**-53`` of the block's first two words: a multiple of 2**-53,
    at most 1 - 2**-53.
    """
    x0, x1, _, _ = _block(key, c0, c1, c2, c3)
    return np.float64(_int53(x0, x1)) * _TWO_POW_M53


@njit(cache=True, inline="always")
def normal(key, c0, c1, c2, c3):
    """The standard normal of counter (c0, c1, c2, c3) under ``key``, by Box-Muller.

    ``sqrt(-2 log u1) * cos(2 pi u2)`` with u1 = (int53(x0, x1) + 1) * 2**-53 in (0, 1] and
    u2 = int53(x2, x3) * 2**-53 in [0, 1) (int53 as in ``uniform``). One block per normal: the
    sine half is discarded so that each normal is a function of its own counter alone.
    """
    x0, x1, x2, x3 = _block(key, c0, c1, c2, c3)
    u1 = np.float64(_int53(x0, x1) + _ONE) * _TWO_POW_M53
    u2 = np.float64(_int53(x2, x3)) * _TWO_POW_M53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(_TWO_PI * u2)


# ---------------------------------------------------------------- numpy reference


def _words(a, n: int, name: str) -> np.ndarray:
    """``a`` as uint64 words modulo 2**32, checking that its last axis has ``n`` entries."""
    a = np.asarray(a)
    if a.ndim == 0 or a.shape[-1] != n:
        raise ValueError(f"{name} must have shape [..., {n}], got {a.shape}")
    return a.astype(np.uint64) & _MASK


def philox4x32_numpy(counters, keys) -> np.ndarray:
    """Philox4x32-10 in pure numpy, vectorised: the reference for the compiled ``philox4x32``.

    Args:
        counters: integers of shape [..., 4] (typically [n, 4]), words (c0, c1, c2, c3).
        keys: integers of shape [..., 2], words (k0, k1); broadcast against ``counters``.

    Returns:
        uint32 array [..., 4], the output words.
    """
    c = _words(counters, 4, "counters")
    k = _words(keys, 2, "keys")
    c0, c1, c2, c3 = c[..., 0], c[..., 1], c[..., 2], c[..., 3]
    k0, k1 = k[..., 0], k[..., 1]
    for r in range(ROUNDS):
        if r > 0:
            k0 = (k0 + _W0) & _MASK
            k1 = (k1 + _W1) & _MASK
        p0, p1 = _M0 * c0, _M1 * c2  # < 2**64: exact
        hi0, lo0 = p0 >> _SHIFT32, p0 & _MASK
        hi1, lo1 = p1 >> _SHIFT32, p1 & _MASK
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return np.stack(np.broadcast_arrays(c0, c1, c2, c3), axis=-1).astype(np.uint32)


def _blocks_numpy(keys_u64, counters) -> np.ndarray:
    """Output words (uint64) for 64-bit keys [...] and counters [..., 4]."""
    keys = np.asarray(keys_u64).astype(np.uint64)  # a negative int64 wraps, as in numba
    split = np.stack([keys & _MASK, keys >> _SHIFT32], axis=-1)
    return philox4x32_numpy(counters, split).astype(np.uint64)


def _int53_numpy(hi, lo) -> np.ndarray:
    """The 53-bit integer ``(hi << 21) | (lo >> 11)`` of two uint64-held 32-bit words."""
    return (hi << _SHIFT21) | (lo >> _SHIFT11)


def uniforms_numpy(keys_u64, counters) -> np.ndarray:
    """``uniform`` for many numbers at once, equal to it bit for bit.

    Args:
        keys_u64: 64-bit keys, shape [...] (a scalar for one key), broadcast against the
            counters' leading axes.
        counters: integers of shape [..., 4].

    Returns:
        float64 array [...] in [0, 1).
    """
    x = _blocks_numpy(keys_u64, counters)
    return _int53_numpy(x[..., 0], x[..., 1]).astype(np.float64) * _TWO_POW_M53


def normals_numpy(keys_u64, counters) -> np.ndarray:
    """``normal`` for many numbers at once: same arguments as ``uniforms_numpy``, same formula.

    u1 and u2 are bit for bit those of ``normal``, but numpy's vectorised (SIMD) log and cos may
    differ from the C library's, which numba calls, in the last bit or two: the results agree to
    a few ulp, not always exactly.
    """
    x = _blocks_numpy(keys_u64, counters)
    u1 = (_int53_numpy(x[..., 0], x[..., 1]) + _ONE).astype(np.float64) * _TWO_POW_M53
    u2 = _int53_numpy(x[..., 2], x[..., 3]).astype(np.float64) * _TWO_POW_M53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(_TWO_PI * u2)
