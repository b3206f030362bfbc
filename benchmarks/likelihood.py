"""The likelihood's cost per researcher, from the shipped cohorts up to 10,000 researchers.

For worlds made of K copies of each shipped cohort, their observed histories copied too
(:mod:`worlds`: LLaMA x 1, 72, 715 = 14, 1,008, 10,010 researchers; the OpenAI founders x 1,
91, 910 = 11, 1,001, 10,010), it times one evaluation of the panel likelihood
(:func:`sim.likelihood.log_likelihood` of ``observed.csv``, the interval-summed likelihood the
Laplace sampler evaluates, at its default integration: 16 restlessness nodes x 128 fit points)
and prints the milliseconds per evaluation and per researcher, wall and CPU (all threads'
time: on a loaded machine the wall time also counts the waits for a core, the CPU time only the
work), and the ratio of the largest world's cost per researcher to the cohort's (issue 27 asks
for at most 1.5).

Parameters: each world's committed likelihood posterior mean
(``calibration/WORLD/likelihood/posterior.parquet``). Each time is the median of ``--repeats``
evaluations after one that compiles the kernels and warms the caches; reading the world and
the history is not timed (``benchmarks/observed.py`` times it). Run: ``make bench`` or
``python benchmarks/likelihood.py [--quick]``. Quote ratios measured in one run: the machine is
shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from worlds import COPIES, DATA, ROOT, copy_history, copy_world  # noqa: E402

from sim.config.posterior_file import with_held_founding  # noqa: E402
from sim.kernel.behavior import PARAMETER_NAMES  # noqa: E402
from sim.likelihood import Integration, log_likelihood, observed_panel  # noqa: E402
from sim.world import load_world  # noqa: E402


def posterior_mean(world: str) -> np.ndarray:
    """The weighted mean of a world's committed likelihood posterior."""
    draws = pd.read_parquet(ROOT / "calibration" / world / "likelihood" / "posterior.parquet")
    draws = with_held_founding(draws)  # fitted where founding is given: held at prior means
    weights = draws["weight"].to_numpy()
    return np.array([weights @ draws[n].to_numpy() / weights.sum() for n in PARAMETER_NAMES])


def seconds_per_evaluation(folder: Path, theta: np.ndarray, repeats: int):
    """Researchers, and the median wall and CPU seconds of one evaluation of the history."""
    world = load_world(folder)
    compiled = world.compile(world.calendar.observed_until)
    panel = observed_panel(world)
    integration = Integration.build(compiled.timeline.attributes.shape[1])
    log_likelihood(compiled, theta, panel, integration)  # compile, warm up
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        log_likelihood(compiled, theta, panel, integration)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return compiled.n_researchers, statistics.median(wall), statistics.median(cpu)


def measure(repeats: int, quick: bool) -> pd.DataFrame:
    """One row per world and size: researchers, ms per evaluation and per researcher."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, copies in COPIES.items():
            theta = posterior_mean(name)
            for k in copies[:2] if quick else copies:
                folder = copy_world(k, Path(tmp) / f"{name}-{k}", DATA / name)
                copy_history(k, folder, DATA / name)
                n, wall, cpu = seconds_per_evaluation(folder, theta, repeats)
                rows.append({"world": name, "copies": k, "researchers": n,
                             "ms_per_evaluation": 1e3 * wall, "ms_per_researcher": 1e3 * wall / n,
                             "cpu_ms_per_researcher": 1e3 * cpu / n})  # fmt: skip
                print(f"  {name} x {k}: {n:,} researchers, {1e3 * wall:,.1f} ms", flush=True)
    table = pd.DataFrame(rows)
    for column in ("ms_per_researcher", "cpu_ms_per_researcher"):
        first = table.groupby("world")[column].transform("first")
        table[column.replace("ms_per_researcher", "ratio")] = table[column] / first
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the two smaller sizes, one repeat")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    print(f"likelihood: cores {os.cpu_count()}, numba threads "
          f"{numba.get_num_threads()}, median of {repeats} after a warm-up")  # fmt: skip
    table = measure(repeats, args.quick)
    print(f"{'world':>16} {'researchers':>11} {'ms/evaluation':>14} {'ms/researcher':>14} "
          f"{'vs cohort':>9} {'CPU ms/researcher':>18} {'vs cohort':>9}")  # fmt: skip
    for r in table.itertuples():
        print(f"{r.world:>16} {r.researchers:>11,} {r.ms_per_evaluation:>14,.1f} "
              f"{r.ms_per_researcher:>14.3f} {r.ratio:>8.2f}x {r.cpu_ms_per_researcher:>18.3f} "
              f"{r.cpu_ratio:>8.2f}x")  # fmt: skip
    for name, rows in table.groupby("world", sort=False):
        last, first = rows.iloc[-1], rows.iloc[0]
        print(f"{name}: cost per researcher at {last.researchers:,} / at {first.researchers}: "
              f"{last.ratio:.2f} wall, {last.cpu_ratio:.2f} CPU (target at most 1.5)")  # fmt: skip


if __name__ == "__main__":
    main()
