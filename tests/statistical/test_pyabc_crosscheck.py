"""Slow: the calibrator and pyabc reach the same ABC posterior (same priors, targets, distance).

Tolerance: every parameter's posterior means differ by less than 4 combined Monte Carlo standard
errors (sd / sqrt(ESS)); with 12 parameters a |z| above 4 has a chance below 1e-3 if both are right.
Needs pyabc (`pip install -e '.[crosscheck]'`); skipped without it.
"""

import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_posterior_means_agree_with_pyabc():
    pytest.importorskip("pyabc")
    sys.path.insert(0, str(REPO / "benchmarks"))
    from pyabc_crosscheck import crosscheck

    table = crosscheck(population=150, tolerance=3, seed=2)
    assert (table["z"].abs() < 4).all(), table
