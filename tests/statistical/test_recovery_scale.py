"""Slow: a simulated panel of 1,008 researchers is recovered by the Laplace sampler (issue 27).

``benchmarks/recovery_scale.py`` with 72 copies of the LLaMA cohort (ties within each copy): one
history simulated at the LLaMA likelihood posterior's mean, its moves blurred to intervals drawn
from the shipped observed.csv's widths, written and read back as observed.csv, and calibrated with
the declared priors by the Laplace sampler (a pilot fit first: 1,008 > 1,000 researchers).
Tolerance: every parameter's posterior mean within 3 posterior sds of the truth, and k-hat at
most 0.7. Seeded, so the run is deterministic; with 12 parameters and exact normal z-scores the
chance of one |z| >= 3 is about 3%.

History. It failed when first written (k-hat 0.55, ESS 92 of 1,000; sigma_match z -5.4, b_peer
z -5.0) because of the likelihood's integral over the fits: the log of a quasi-Monte Carlo
average is biased down by about half its relative variance, more so at a large sigma_match, and
the biases add up over researchers while the posterior narrows (the profile of sigma_match at the
truth peaked 5.9 profile sds low with 128 points, 2.3 with 1,024). Researchers with two or more
moves and founders carried it: the exponential tilt of their fits overshot wherever a lab's
share of the move nest was already near 1. With the tilt at the mode of the prior times the
shares and more points for researchers with more moves (``sim.likelihood.Integration``), the
same seeded run gave k-hat 0.47, ESS 185 of 1,000, and every |z| below 2.2 (sigma_match -2.0,
b_pay -2.2, b_peer -1.6, b_open -1.6: the signs still lean low, so at 10,010 researchers, where
the posterior sds are about three times smaller, the remaining bias may show again; not run
since). Wall time 1,683 s on the 2-core machine while two calibrations ran beside it.

It did show at 10,010 (``--copies 715 --draws 300``: sigma_match z -4.12, b_founder -3.29,
k_tenure -3.03). ``benchmarks/integration_bias.py`` found why: every researcher integrated over
the same points, so the points' error was one function of theta for the whole panel and moved
its mode together (at 1,008 researchers, 128 shared points: lam +0.98 sds, sigma_u -0.87,
k_tenure +0.52, b_open +0.57); with each researcher's own scrambled points, at most 0.13. With
own points, the jackknifed log integral and the mode search in levels, the 10,010 run
(``--copies 715 --draws 200``, seed 2027, an idle machine) took 1,258 s to calibrate, k-hat
0.44, ESS 84 of 200, every |z| below 2.2 (sigma_match -2.18, b_pay -2.02, b_open -1.92,
b_founder -1.89: a lean low remains, from the colleagues' imputed months or the simulated
censoring's clamps at neighbouring moves, each measured as noise-sized at 1,008 researchers).
This test's own case at the same code (0edfb6d): 575 s on an idle machine, k-hat 0.47, ESS 183
of 1,000, every |z| below 1.9 (b_pay -1.85, b_open -1.54, sigma_match -1.42).
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
