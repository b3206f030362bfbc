"""Slow: a simulated panel of 1,008 researchers is recovered by the Laplace sampler (issue 27).

``benchmarks/recovery_scale.py`` with 72 copies of the LLaMA cohort (ties within each copy): one
history simulated at the LLaMA likelihood posterior's mean, its moves blurred to intervals drawn
from the shipped observed.csv's widths, written and read back as observed.csv, and calibrated with
the declared priors by the Laplace sampler (a pilot fit first: 1,008 > 1,000 researchers).
Tolerance: every parameter's posterior mean within 3 posterior sds of the truth, and k-hat at
most 0.7. Seeded, so the run is deterministic; with 12 parameters and exact normal z-scores the
chance of one |z| >= 3 is about 3%, and the likelihood the sampler uses reads colleagues at their
interval middles (a small bias in the pull, tests/statistical/test_attenuation.py), so a failure
here is first a question about that approximation at this size.
"""

import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_a_thousand_researchers_are_recovered_within_three_posterior_sds():
    sys.path.insert(0, str(REPO / "benchmarks"))
    from recovery_scale import recover

    run = recover("llama", copies=72, draws=1000, progress=None)
    assert run.researchers == 1008 and run.pilot["researchers"] == 500
    assert run.khat <= 0.7, run.khat
    assert run.recovered, run.table
