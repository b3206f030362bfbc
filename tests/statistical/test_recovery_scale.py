"""Slow: a simulated panel of 1,008 researchers is recovered by the Laplace sampler (issue 27).

``benchmarks/recovery_scale.py`` with 72 copies of the LLaMA cohort (ties within each copy): one
history simulated at the LLaMA likelihood posterior's mean, its moves blurred to intervals drawn
from the shipped observed.csv's widths, written and read back as observed.csv, and calibrated with
the declared priors by the Laplace sampler (a pilot fit first: 1,008 > 1,000 researchers).
Tolerance: every parameter's posterior mean within 3 posterior sds of the truth, and k-hat at
most 0.7. Seeded, so the run is deterministic; with 12 parameters and exact normal z-scores the
chance of one |z| >= 3 is about 3%.

It fails today, and is marked so (strict: it must be unmarked once it passes). Measured when
written: k-hat 0.55, ESS 92 of 1,000, sigma_match z -5.4 and b_peer z -5.0 (the others within
2.4). The cause is the likelihood's integral over the fits, not the sampler nor the censoring:
the profile of sigma_match (the rest held at the truth) on this panel peaks 5.9 profile sds low
with the sampler's 128 fit points for the complete history and 5.8 for the censored one, 2.3 to
2.5 low with 1,024 points (another scrambling of the points: 3.9 and 2.9; one simulated history
is itself about one sd off by chance). Researchers with two or more moves carry it: between 128
and 2,048 points their summed log-likelihood changes by -97 per unit of sigma_match (stayers +4,
one move +33), against an information of about 1,000. The log of a tilted quasi-Monte Carlo
average over the fits is biased down for them, more so at a large sigma_match; the bias adds up
over researchers while the posterior narrows (giving each researcher independently rotated
points does not help: it is not the shared points' correlation). A panel of thousands needs a
better importance distribution for the fits than the shipped cohorts do. At 10,010 researchers
(``--copies 715 --draws 200``) the misses grow as the posterior narrows: sigma_match z -14.1,
k0 +11.1, b_founder -10.5, b_peer -8.7, lam +8.7, k_tenure -8.2 (k-hat 0.64, ESS 41 of 200).
"""

import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="the fit integral (128 points) biases sigma_match low at "
                   "this size; see the module docstring")  # fmt: skip
def test_a_thousand_researchers_are_recovered_within_three_posterior_sds():
    sys.path.insert(0, str(REPO / "benchmarks"))
    from recovery_scale import recover

    run = recover("llama", copies=72, draws=1000, progress=None)
    assert run.researchers == 1008 and run.pilot["researchers"] == 500
    assert run.khat <= 0.7, run.khat
    assert run.recovered, run.table
