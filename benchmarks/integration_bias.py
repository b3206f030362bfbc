"""How far the likelihood's approximations move the mode of a big panel: integral, imputation.

Each researcher's likelihood averages over fit points (the match terms' quasi-random normals,
:mod:`sim.likelihood.evaluate`), and its log is the log of that average. Two errors follow: the
points' error itself, which is the same function of theta for every researcher when they all
share one point set (so it does not average out over a panel), and the log's bias, about half
the average's relative variance. Either, where it is systematic, moves the mode by a fixed
amount while the posterior sd shrinks as 1/sqrt(N). With interval-censored months the
likelihood also reads colleagues at their intervals' middles. This measures what each does to
the estimate, on one simulated panel, without sampling:

1. a world of K copies of a shipped cohort (:mod:`worlds`), one history simulated at known
   parameters (the world's committed likelihood posterior mean, as
   :mod:`recovery_scale` does), every month known (``complete_panel``) or, with ``--censored``,
   blurred to intervals as the shipped history's;
2. the gradient of the panel's log-likelihood at the truth (central differences in each free
   parameter) for each integration in :data:`VARIANTS` (fit points; jackknifed; each
   researcher's own points or the shared ones) and for the reference :data:`FINEST`, and the
   Hessian at the first (:func:`sim.inference.laplace.finite_difference_hessian`, the Laplace
   sampler's);
3. the mode shift each integration causes relative to the reference, to first order
   ``-H^-1 (g_fit - g_finest)``, in posterior sds (``sqrt(diag(-H^-1))``, the likelihood's
   curvature: the prior is the same at every integration and is left out);
4. with ``--censored``, the same shift between the censored panel's likelihood and the complete
   panel's (both at the reference integration): the imputation's bias plus the noise of the
   information the censoring removes (their scores differ by a zero-mean term of covariance
   I_complete - I_censored), so one panel's column is noisy; compare seeds.

A systematic shift of a sizeable fraction of an sd at N researchers grows as sqrt(N) in sd units;
an error independent across researchers does not. Run:
``python benchmarks/integration_bias.py --copies 72 --censored`` (1,008 researchers; minutes on
two cores).
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

#: The integrations compared with the finest: (fit points, jackknifed, own points).
VARIANTS = ((128, False, False), (128, False, True), (128, True, True), (512, True, True))
#: The reference: the finest integration, each researcher's own points, jackknifed.
FINEST = (2048, True, True)
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

    def panel_density(history, points, jackknife, own):
        """The history's log-likelihood on the free parameters in units of their steps."""
        integration = Integration.build(n_labs, fit_points=points, jackknife=jackknife,
                                        own_points=own)  # fmt: skip
        return scaled(
            lambda theta: float(log_likelihood(compiled, theta, history, integration).sum()),
            truth, step,
        )  # fmt: skip

    if censored:  # the complete panel's gradient at the finest integration: exact but for it
        started = time.perf_counter()
        g = panel_density(complete_panel(compiled, labs), *FINEST)
        exact = gradient(g, len(FREE)) / step[FREE]
        progress(f"complete panel's gradient: {time.perf_counter() - started:.0f} s")
    for points, jackknife, own in (*VARIANTS, FINEST):
        g = panel_density(panel, points, jackknife, own)
        started = time.perf_counter()
        grads[points, jackknife, own] = gradient(g, len(FREE)) / step[FREE]
        what = f"{points} fit points{', jackknifed' if jackknife else ''}{', own' if own else ''}"
        progress(f"gradient at {what}: {time.perf_counter() - started:.0f} s")
        if (points, jackknife, own) == VARIANTS[0]:
            started = time.perf_counter()
            h = finite_difference_hessian(g, np.zeros(len(FREE)), 1.0)
            h /= np.outer(step[FREE], step[FREE])
            progress(f"Hessian at {what}: {time.perf_counter() - started:.0f} s")
    covariance = np.linalg.inv(-0.5 * (h + h.T))
    sd = np.sqrt(np.diag(covariance))
    table = pd.DataFrame({"parameter": [PARAMETER_NAMES[k] for k in FREE], "truth": truth[FREE],
                          "sd": sd})  # fmt: skip
    finest = grads[FINEST]
    for points, jackknife, own in VARIANTS:
        shift = covariance @ (grads[points, jackknife, own] - finest)
        table[f"{points}{' jk' if jackknife else ''}{' own' if own else ''}"] = shift / sd
    if censored:  # what reading colleagues at their intervals' middles adds, at the finest points
        table["imputation shift (sds)"] = covariance @ (finest - exact) / sd
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
