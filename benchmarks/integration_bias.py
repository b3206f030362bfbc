"""How far the likelihood's Monte Carlo integral over the fits moves the mode of a big panel.

Each researcher's likelihood averages over ``fit_points`` quasi-random fits (the match terms,
:mod:`sim.likelihood.evaluate`), and its log is the log of that average: biased low by about half
the average's relative variance, a bias that does not shrink with the panel while the posterior
sd does (as 1/sqrt(N)). This measures what that bias does to the estimate, on one simulated
panel, without sampling:

1. a world of K copies of a shipped cohort (:mod:`worlds`), one history simulated at known
   parameters (the world's committed likelihood posterior mean, as
   :mod:`recovery_scale` does), every month known (``complete_panel``) or, with ``--censored``,
   blurred to intervals as the shipped history's;
2. the gradient of the panel's log-likelihood at the truth (central differences in each free
   parameter) at ``fit_points`` = 128 (the default), 512 and 2048, and its Hessian at the default
   (:func:`sim.inference.laplace.finite_difference_hessian`, the Laplace sampler's);
3. the mode shift each integration causes relative to the finest, to first order
   ``-H^-1 (g_fit - g_finest)``, in posterior sds (``sqrt(diag(-H^-1))``, the likelihood's
   curvature: the prior is the same at every integration and is left out).

A shift of a sizeable fraction of an sd at N researchers grows as sqrt(N) in sd units. Run:
``python benchmarks/integration_bias.py --copies 72`` (1,008 researchers; a few minutes).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from likelihood import posterior_mean  # noqa: E402
from recovery_scale import shipped_widths  # noqa: E402
from worlds import DATA, copy_world  # noqa: E402

from sim.engines.simulate import simulate  # noqa: E402
from sim.inference.laplace import finite_difference_hessian  # noqa: E402
from sim.kernel.behavior import FOUNDING_NAMES, PARAMETER_NAMES  # noqa: E402
from sim.kernel.streams import replicate_seeds  # noqa: E402
from sim.likelihood import Integration, complete_panel, interval_censored, log_likelihood  # noqa: E402
from sim.world import load_world  # noqa: E402

FIT_POINTS = (128, 512, 2048)
FREE = [k for k, n in enumerate(PARAMETER_NAMES) if n not in FOUNDING_NAMES]


def scaled(f, x: np.ndarray, step: np.ndarray):
    """``f`` on the free parameters in units of their steps: y -> f(x + step * y on FREE)."""

    def g(y: np.ndarray) -> float:
        theta = x.copy()
        theta[FREE] += step[FREE] * y
        return f(theta)

    return g


def gradient(g, d: int) -> np.ndarray:
    """Central differences of ``g`` at 0 with unit steps."""
    unit = np.eye(d)
    return np.array([(g(unit[i]) - g(-unit[i])) / 2 for i in range(d)])


def measure(world: str, copies: int, seed: int, censored: bool, progress=print) -> pd.DataFrame:
    """One row per free parameter: its sd and each integration's first-order mode shift in sds."""
    source = DATA / world
    truth = posterior_mean(world)
    with tempfile.TemporaryDirectory() as tmp:
        copied = load_world(copy_world(copies, Path(tmp) / "world", source))
    compiled = copied.compile(copied.calendar.observed_until)
    labs = simulate(compiled, truth, replicate_seeds(seed, 1)).labs[0]
    panel = complete_panel(compiled, labs)
    if censored:
        panel = interval_censored(compiled, panel, shipped_widths(source),
                                  np.random.default_rng(seed))  # fmt: skip
    n_labs = compiled.timeline.attributes.shape[1]
    step = 1e-3 * np.maximum(np.abs(truth), 0.1)
    grads = {}
    for points in FIT_POINTS:
        integration = Integration.build(n_labs, fit_points=points)

        def f(theta, integration=integration):
            return float(log_likelihood(compiled, theta, panel, integration).sum())

        g = scaled(f, truth, step)
        started = time.perf_counter()
        grads[points] = gradient(g, len(FREE)) / step[FREE]
        progress(f"gradient at {points} fit points: {time.perf_counter() - started:.0f} s")
        if points == FIT_POINTS[0]:
            started = time.perf_counter()
            h = finite_difference_hessian(g, np.zeros(len(FREE)), 1.0)
            h /= np.outer(step[FREE], step[FREE])
            progress(f"Hessian at {points} fit points: {time.perf_counter() - started:.0f} s")
    covariance = np.linalg.inv(-0.5 * (h + h.T))
    sd = np.sqrt(np.diag(covariance))
    table = pd.DataFrame({"parameter": [PARAMETER_NAMES[k] for k in FREE], "truth": truth[FREE],
                          "sd": sd})  # fmt: skip
    finest = grads[FIT_POINTS[-1]]
    for points in FIT_POINTS[:-1]:
        shift = covariance @ (grads[points] - finest)
        table[f"shift at {points} (sds)"] = shift / sd
    table.attrs["researchers"] = panel.n_researchers
    return table


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", default="llama", choices=("llama", "openai-founders"))
    parser.add_argument("--copies", type=int, default=72)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--censored", action="store_true",
                        help="blur the months to intervals as the shipped history's")  # fmt: skip
    args = parser.parse_args()
    table = measure(args.world, args.copies, args.seed, args.censored)
    print(f"{table.attrs['researchers']:,} researchers "
          f"({'censored' if args.censored else 'complete'} months)")  # fmt: skip
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
