"""Cross-check the calibrator against pyabc (ABC-SMC) on the same priors, targets and distance.

Both samplers target the same ABC posterior: the priors of ``sim.config.params``, the targets of
``calibration/targets.toml`` and the integer distance of ``sim.inference.abc.distances``, stopped at
the same final tolerance. pyabc simulates one particle per call (its per-particle Python and
SQLite overhead dominates when a simulation takes microseconds); ``sim.inference.abc`` simulates a
batch per vectorised call. Prints and writes (``--out``) posterior means with Monte Carlo
standard errors (posterior sd / sqrt(ESS)) and both wall times.

Run: ``python benchmarks/pyabc_crosscheck.py [--population 200] [--tolerance 2]`` (needs pyabc).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.params import PARAMETER_SPACE
from sim.engines.simulate import simulate
from sim.inference.abc.smc import CalibrationSettings, abc_smc, calibration_world
from sim.inference.abc.targets import distances, load_targets
from sim.kernel.behavior import PARAMETER_NAMES
from sim.kernel.streams import replicate_seeds


def _summary(theta: np.ndarray, weights: np.ndarray) -> pd.DataFrame:
    weights = weights / weights.sum()
    mean = weights @ theta
    sd = np.sqrt(weights @ (theta - mean) ** 2)
    ess = 1.0 / np.sum(weights**2)
    frame = pd.DataFrame({"mean": mean, "se": sd / np.sqrt(ess)}, index=list(PARAMETER_NAMES))
    frame.attrs["ess"] = ess
    return frame


def run_pyabc(population: int, tolerance: int, seed: int):
    """pyabc's ABC-SMC on the same problem; returns (theta, weights, seconds)."""
    import pyabc

    world = calibration_world()
    targets = load_targets(world.world)
    prior = pyabc.Distribution(**{
        p.name: (pyabc.RV("uniform", p.low, p.high - p.low) if np.isinf(p.sd) else
                 pyabc.RV("truncnorm", (p.low - p.mean) / p.sd, (p.high - p.mean) / p.sd,
                          p.mean, p.sd))
        for p in PARAMETER_SPACE
    })  # fmt: skip
    counter = iter(range(10**12))

    def model(parameters):
        theta = np.array([parameters[name] for name in PARAMETER_NAMES])
        seeds = replicate_seeds(seed * 1_000_003 + next(counter), 1)
        return {"d": float(distances(simulate(world, theta, seeds), targets)[0])}

    # The same perturbation kernel as sim.calibrate (Beaumont et al. 2009: twice the weighted
    # covariance); pyabc's default shrinks it by Silverman's rule, which in 12 dimensions leaves
    # its last populations with an effective size of a few particles.
    kernel = pyabc.MultivariateNormalTransition(scaling=2.0, bandwidth_selector=lambda n, d: 1.0)
    abc = pyabc.ABCSMC(
        model, prior, distance_function=lambda x, _y: x["d"], population_size=population,
        transitions=kernel, sampler=pyabc.sampler.SingleCoreSampler(),
        eps=pyabc.epsilon.QuantileEpsilon(alpha=0.5),
    )  # fmt: skip
    np.random.seed(seed)  # noqa: NPY002 (pyabc draws from numpy's global generator)
    with tempfile.TemporaryDirectory() as folder:
        abc.new(f"sqlite:///{folder}/crosscheck.db", {"d": 0.0})
        start = time.perf_counter()
        history = abc.run(minimum_epsilon=tolerance + 0.5, max_nr_populations=30)
        seconds = time.perf_counter() - start
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        eps = history.get_all_populations()["epsilon"].iloc[-1]
    return frame[list(PARAMETER_NAMES)].to_numpy(), np.asarray(weights), seconds, eps


def crosscheck(population: int = 200, tolerance: int = 2, seed: int = 1) -> pd.DataFrame:
    """Both samplers' posterior means and standard errors, side by side, and the wall times."""
    world = calibration_world()
    targets = load_targets(world.world)
    start = time.perf_counter()
    ours = abc_smc(world, targets, CalibrationSettings(
        population=population, batch=20_000, seed=seed, final_tolerance=tolerance,
        max_refinements=0,
    ))  # fmt: skip
    ours_seconds = time.perf_counter() - start
    theta, weights, theirs_seconds, eps = run_pyabc(population, tolerance, seed)
    ours_summary, theirs_summary = _summary(ours.theta, ours.weights), _summary(theta, weights)
    table = ours_summary.add_prefix("sim_").join(theirs_summary.add_prefix("pyabc_"))
    table["z"] = (table["sim_mean"] - table["pyabc_mean"]) / np.hypot(
        table["sim_se"], table["pyabc_se"]
    )
    table.attrs.update(sim_seconds=ours_seconds, pyabc_seconds=theirs_seconds, pyabc_final_eps=eps,
                       sim_simulations=ours.simulations, sim_ess=ours_summary.attrs["ess"],
                       pyabc_ess=theirs_summary.attrs["ess"])  # fmt: skip
    return table


def _markdown(table: pd.DataFrame) -> str:
    head = "| parameter | " + " | ".join(table.columns) + " |"
    rule = "|---" * (len(table.columns) + 1) + "|"
    rows = [f"| {name} | " + " | ".join(f"{v:.3f}" for v in row) + " |"
            for name, row in zip(table.index, table.to_numpy(), strict=True)]  # fmt: skip
    return "\n".join([head, rule, *rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=200)
    parser.add_argument("--tolerance", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="write a Markdown table here")
    args = parser.parse_args()
    table = crosscheck(args.population, args.tolerance, args.seed)
    a = table.attrs
    text = (
        f"# Cross-check against pyabc\n\nSame priors, targets and distance; population "
        f"{args.population}; final tolerance {args.tolerance} (pyabc's last epsilon "
        f"{a['pyabc_final_eps']:g}); seed {args.seed}.\n\n"
        f"- sim.calibrate: {a['sim_seconds']:.1f} s ({a['sim_simulations']:,} simulations, "
        f"vectorised batches), final ESS {a['sim_ess']:.0f}\n- pyabc 0.13 (single core, one "
        f"simulation per call): {a['pyabc_seconds']:.1f} s, final ESS {a['pyabc_ess']:.0f}\n"
        "- both: perturbation kernel of twice the weighted covariance\n\n"
        "z = difference of the means / combined Monte Carlo standard error (sd / sqrt(ESS)).\n\n"
        + _markdown(table)
        + "\n"
    )
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
