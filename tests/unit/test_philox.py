"""The counter-based generator (sim.philox): known answers, two implementations, statistics."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
from scipy import stats

from sim.kernel.philox import (
    _int53,
    normal,
    normals_numpy,
    philox4x32,
    philox4x32_numpy,
    uniform,
    uniforms_numpy,
)

M32 = 0xFFFFFFFF
#: Random123's kat_vectors for philox4x32, 10 rounds: (counter, key, output).
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((M32, M32, M32, M32), (M32, M32), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]
KEY = 0x243F6A8885A308D3  # an arbitrary 64-bit key for the statistical tests
N_STAT = 200_000
N_CORR = 100_000


def philox_inverse(words, k0, k1):
    """The counter whose Philox4x32-10 block under (k0, k1) is ``words`` (rounds undone)."""
    m0_inv, m1_inv = pow(0xD2511F53, -1, 2**32), pow(0xCD9E8D57, -1, 2**32)
    y0, y1, y2, y3 = words
    for r in reversed(range(10)):
        rk0, rk1 = (k0 + r * 0x9E3779B9) & M32, (k1 + r * 0xBB67AE85) & M32
        c0, c2 = (y3 * m0_inv) & M32, (y1 * m1_inv) & M32
        hi0, hi1 = (0xD2511F53 * c0) >> 32, (0xCD9E8D57 * c2) >> 32
        y0, y1, y2, y3 = c0, y0 ^ hi1 ^ rk0, c2, y2 ^ hi0 ^ rk1
    return y0, y1, y2, y3


def counter_for_block(key, words):
    """A counter whose block under the 64-bit ``key`` is ``words`` (checked)."""
    counter = philox_inverse(words, key & M32, key >> 32)
    assert philox4x32(*counter, key & M32, key >> 32) == tuple(words)
    return counter


def random_inputs(n, seed):
    """``n`` random counters [n, 4] and 64-bit keys [n] from a seeded generator."""
    rng = np.random.default_rng(seed)
    counters = rng.integers(0, 2**32, (n, 4), dtype=np.uint64)
    return counters, rng.integers(0, 2**64, n, dtype=np.uint64)


def grid(*words):
    """Counters [n, 4] from four broadcastable word arrays."""
    return np.stack(np.broadcast_arrays(*map(np.asarray, words)), axis=-1)


def pearson(a, b):
    return np.corrcoef(a, b)[0, 1]


@njit
def uniform_grid(key, n_streams, n_researchers):
    """uniform(key, s, 3, i, 0) over s, i, with int64 loop indices as in engine code."""
    out = np.empty((n_streams, n_researchers))
    for s in range(n_streams):
        for i in range(n_researchers):
            out[s, i] = uniform(key, s, 3, i, 0)
    return out


@njit
def normal_grid(key, n_streams, n_researchers):
    out = np.empty((n_streams, n_researchers))
    for s in range(n_streams):
        for i in range(n_researchers):
            out[s, i] = normal(key, s, 3, i, 0)
    return out


# ---------------------------------------------------------------- exact


@pytest.mark.parametrize("counter, key, expected", KAT)
def test_known_answers_compiled(counter, key, expected):
    assert philox4x32(*counter, *key) == expected


def test_known_answers_numpy():
    counters, keys, expected = (
        np.array(column, dtype=np.uint64) for column in zip(*KAT, strict=True)
    )
    out = philox4x32_numpy(counters, keys)
    assert out.dtype == np.uint32
    np.testing.assert_array_equal(out, expected)


def test_compiled_equals_numpy_on_random_inputs():
    counters, keys64 = random_inputs(10_000, seed=1)
    keys = np.stack([keys64 & M32, keys64 >> 32], axis=-1)
    expected = philox4x32_numpy(counters, keys)
    compiled = np.array([philox4x32(*c, *k) for c, k in zip(counters, keys, strict=True)])
    np.testing.assert_array_equal(compiled, expected)


def test_uniform_and_normal_equal_the_numpy_versions():
    counters, keys = random_inputs(5_000, seed=2)
    u = np.array([uniform(k, *c) for c, k in zip(counters, keys, strict=True)])
    z = np.array([normal(k, *c) for c, k in zip(counters, keys, strict=True)])
    np.testing.assert_array_equal(u, uniforms_numpy(keys, counters))
    # u1 and u2 are exact, but numpy's SIMD log/cos and the C library's (numba) may differ in the
    # last bit or two (2 ulp seen on AVX-512), so normals are compared to 4 ulp, not bit for bit.
    np.testing.assert_array_max_ulp(z, normals_numpy(keys, counters), maxulp=4)


def test_compiled_in_an_njit_loop_equals_numpy():
    counters = grid(np.arange(3)[:, None], 3, np.arange(50)[None, :], 0)
    np.testing.assert_array_equal(uniform_grid(KEY, 3, 50), uniforms_numpy(KEY, counters))
    np.testing.assert_array_max_ulp(normal_grid(KEY, 3, 50), normals_numpy(KEY, counters), 4)


def test_one_key_broadcasts_over_counters():
    counters, _ = random_inputs(100, seed=3)
    np.testing.assert_array_equal(
        uniforms_numpy(KEY, counters), uniforms_numpy(np.full(100, KEY, np.uint64), counters)
    )


def test_uniform_is_below_one_even_for_the_all_ones_block():
    assert _int53(np.uint64(M32), np.uint64(M32)) == 2**53 - 1
    assert (2**53 - 1) * 2.0**-53 == 1.0 - 2.0**-53 < 1.0
    top = counter_for_block(KEY, (M32, M32, 0, 0))
    assert uniform(KEY, *top) == 1.0 - 2.0**-53
    assert uniforms_numpy(KEY, [top]).tolist() == [1.0 - 2.0**-53]
    assert uniform(KEY, *counter_for_block(KEY, (0, 0, M32, M32))) == 0.0


@pytest.mark.parametrize("x01", [0, M32])
@pytest.mark.parametrize("x23", [0, M32])
def test_normal_is_finite_for_the_extreme_blocks(x01, x23):
    counter = counter_for_block(KEY, (x01, x01, x23, x23))
    z, z_numpy = normal(KEY, *counter), normals_numpy(KEY, [counter])[0]
    # u1 = 2**-53 (x0 = x1 = 0) gives the largest |z|, sqrt(106 log 2); u1 = 1 gives z = 0
    bound = math.sqrt(-2 * math.log(2.0**-53))
    assert math.isfinite(z) and math.isfinite(z_numpy)
    assert abs(z) <= bound and abs(z_numpy) <= bound
    if x01 == 0:
        assert abs(z) == pytest.approx(bound, rel=1e-12)
    else:
        assert z == 0.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, M32), min_size=6, max_size=6))
def test_compiled_equals_numpy_property(words):
    expected = philox4x32_numpy([words[:4]], [words[4:]])[0]
    assert philox4x32(*words) == tuple(int(x) for x in expected)


# ---------------------------------------------------------------- statistical
# Inputs are fixed, so each test passes or fails deterministically; the tolerances are ones a
# good generator fails with probability ~1e-4 (KS) or ~6e-7 (5 standard errors) per test.


def test_uniforms_of_consecutive_counters_are_uniform():
    u = uniforms_numpy(KEY, grid(np.arange(N_STAT), 0, 0, 0))
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-4


def test_normals_of_consecutive_counters_are_standard_normal():
    z = normals_numpy(KEY, grid(np.arange(N_STAT), 0, 0, 0))
    n = len(z)
    # standard errors under N(0, 1): of the mean 1/sqrt(n), of the sample variance sqrt(2/(n-1))
    assert abs(z.mean()) < 5 / math.sqrt(n)
    assert abs(z.var(ddof=1) - 1) < 5 * math.sqrt(2 / (n - 1))
    assert stats.kstest(z, "norm").pvalue > 1e-4


# Under independence a Pearson correlation of n pairs has standard error ~1/sqrt(n): bound 5 SE.


def test_streams_differing_in_c0_are_uncorrelated():
    j = np.arange(N_CORR)
    a = uniforms_numpy(KEY, grid(0, j, 5, 0))
    b = uniforms_numpy(KEY, grid(1, j, 5, 0))
    assert abs(pearson(a, b)) < 5 / math.sqrt(N_CORR)


def test_neighbouring_c2_values_are_uncorrelated():
    j = np.arange(N_CORR)
    a = uniforms_numpy(KEY, grid(0, j, 7, 0))  # researcher i ...
    b = uniforms_numpy(KEY, grid(0, j, 8, 0))  # ... and i + 1, same stream and months
    assert abs(pearson(a, b)) < 5 / math.sqrt(N_CORR)
    along = uniforms_numpy(KEY, grid(0, 3, np.arange(N_CORR + 1), 0))  # lag 1 along c2
    assert abs(pearson(along[:-1], along[1:])) < 5 / math.sqrt(N_CORR)


@pytest.mark.parametrize("bit", [0, 31, 32, 63])
def test_keys_differing_in_one_bit_are_uncorrelated(bit):
    counters = grid(np.arange(N_CORR), 0, 0, 0)
    a = uniforms_numpy(KEY, counters)
    b = uniforms_numpy(KEY ^ (1 << bit), counters)
    assert abs(pearson(a, b)) < 5 / math.sqrt(N_CORR)
