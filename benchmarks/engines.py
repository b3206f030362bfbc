"""Throughput and memory of the engines, from the shipped cohort up to 10,000 researchers.

For synthetic worlds made of K copies of the LLaMA cohort (ties within each copy, the labs and
events as shipped; K = 1, 72 and 715 give 14, 1,008 and 10,010 researchers), it prints:

* the ensemble engine's researcher-months per second (median of repeats, after a warm-up that
  compiles the kernels), at the same number of researcher-replicates for every size;
* the wall time and peak memory (the child's maximum resident set) of ``sim run
  --no-trajectories`` at the replicate counts the README quotes (a million at 14 researchers,
  2,000 at 10,000);
* at 14 researchers, the Mesa reference model's rate, with the compiled kernel and with it
  interpreted (``NUMBA_DISABLE_JIT=1``: plain Python, as a straightforward Mesa model runs), and
  the ratios.

Parameters are the draws of the LLaMA world's ABC posterior
(``calibration/llama/posterior.parquet``, a single-world file any copy of the cohort can read;
about 40 moves per replicate, so most decisions recompute their cached terms), for both
engines; at 14 researchers the rate at the prior means (few moves) is printed too. Run:
``make bench`` or ``python benchmarks/engines.py [--quick]``. Quote ratios measured in one run;
the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from worlds import ROOT, copy_world  # noqa: E402

from sim.config.params import prior_means  # noqa: E402
from sim.config.scenario import load_scenario  # noqa: E402
from sim.engines.simulate import simulate  # noqa: E402
from sim.kernel.behavior import PARAMETER_NAMES  # noqa: E402
from sim.kernel.streams import replicate_seeds  # noqa: E402


def scenario_for(world: Path, folder: Path) -> Path:
    """The baseline's parameters (posterior draws) on another world."""
    path = folder / f"{world.name}.toml"
    baseline = ROOT / "scenarios" / "baseline.toml"
    posterior = ROOT / "calibration" / "llama" / "posterior.parquet"
    path.write_text(
        f'description = "benchmark world {world.name}"\nextends = "{baseline}"\n'
        f'posterior_file = "{posterior}"\n[world]\nname = "{world}"\n'
    )
    return path


def rate(world, theta, replicates: int, repeats: int, engine: str = "ensemble") -> float:
    seeds = replicate_seeds(1, replicates)
    simulate(world, theta[: min(replicates, 64)], seeds[:64], engine=engine)  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        simulate(world, theta, seeds, engine=engine)
        times.append(time.perf_counter() - start)
    return replicates * world.n_months * world.n_researchers / statistics.median(times)


def run_peak(scenario: Path, replicates: int, out: Path) -> tuple[float, float]:
    """Wall seconds and peak resident GiB of ``sim run --no-trajectories`` in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", str(scenario), "--replicates", str(replicates),
         "--no-trajectories", "--out", str(out)],
        check=True, capture_output=True, env={**os.environ, "CI": "1"},
    )  # fmt: skip
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak <= before:
        print("  (peak memory not measurable: an earlier child used more)")
    return wall, peak * 1024 / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (a smoke test)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    quick = args.quick
    budget = 280_000 if quick else 2_800_000  # researcher-replicates per rate measurement
    runs = {1: 100_000 if quick else 1_000_000, 72: 2_000 if quick else 20_000,
            715: 200 if quick else 2_000}  # fmt: skip
    print(f"cores: {os.cpu_count()}, numba threads: {numba.get_num_threads()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # largest first: each child's peak memory is then its own (ru_maxrss is a maximum)
        for copies in sorted(runs, reverse=True):
            folder = copy_world(copies, tmp / f"world-{copies}")
            scenario = load_scenario(scenario_for(folder, tmp))
            world = scenario.compile()
            n = world.n_researchers
            replicates = max(budget // n, 20)
            theta, _ = scenario.parameters(replicates, scenario.spec.seed)
            ens = rate(world, theta, replicates, args.repeats)
            wall, peak = run_peak(scenario.path, runs[copies], tmp / f"out-{copies}")
            if copies == 1:
                base = scenario  # the cohort itself, with the same draws, for the Mesa rates
            rows.append((n, ens, runs[copies], wall, peak))
            print(f"{n:>6} researchers: {ens:14,.0f} researcher-months/s ({replicates:,} reps); "
                  f"sim run --no-trajectories, {runs[copies]:,} replicates: {wall:6.1f} s, "
                  f"peak {peak:.2f} GiB", flush=True)  # fmt: skip
        world = base.compile()
        means = np.array([prior_means()[n] for n in PARAMETER_NAMES])
        replicates = budget // world.n_researchers
        at_means = rate(world, np.tile(means, (replicates, 1)), replicates, args.repeats)
        print(f"    14 researchers at the prior means (few moves, as the earlier benchmark): "
              f"{at_means:14,.0f} researcher-months/s", flush=True)  # fmt: skip
        reps = 40 if quick else 200
        theta, _ = base.parameters(reps, base.spec.seed)
        mesa = rate(world, theta, reps, args.repeats, engine="mesa")
        child = subprocess.run(
            [sys.executable, "-c",
             _PLAIN_MESA.format(reps=max(reps // 10, 4), path=str(base.path))],
            env={**os.environ, "NUMBA_DISABLE_JIT": "1"}, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
        plain = float(child.stdout.strip().splitlines()[-1])
    small = next(r for r in rows if r[0] == 14)
    large = max(rows, key=lambda r: r[0])
    print(f"mesa engine (compiled kernel): {mesa:14,.0f} researcher-months/s")
    print(f"mesa engine (kernel interpreted, plain Mesa): {plain:14,.0f} researcher-months/s")
    print(f"ratio ensemble / mesa: {small[1] / mesa:,.0f}x; ensemble / plain mesa: "
          f"{small[1] / plain:,.0f}x")  # fmt: skip
    print(f"rate at {large[0]:,} researchers / rate at 14: {large[1] / small[1]:.2f}")


_PLAIN_MESA = """
import time
from sim.config.scenario import load_scenario
from sim.engines.simulate import simulate
s = load_scenario({path!r}); w = s.compile(); theta, _ = s.parameters({reps}, 1)
from sim.kernel.streams import replicate_seeds
seeds = replicate_seeds(1, {reps})
start = time.perf_counter(); simulate(w, theta, seeds, engine="mesa")
print({reps} * w.n_months * w.n_researchers / (time.perf_counter() - start))
"""


if __name__ == "__main__":
    main()
