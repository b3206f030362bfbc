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
engines; at 14 researchers the rate at the prior means (few moves) is printed too, and the mean
number of moves per replicate at each.

``--out FILE`` also writes every figure, with the machine it ran on (cores, CPU, numba threads,
the load average before and after), the date, the commit and the mode, as JSON: ``make bench``
writes ``benchmarks/results/engines.json``, which is committed, and ``make results`` renders the
README's performance table from it (``scripts/bench_table.py``). Run: ``make bench`` or
``python benchmarks/engines.py [--quick] [--out FILE] [--note TEXT]``. Quote ratios measured in
one run; the machine is shared and noisy, which is why the load average is recorded.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
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

#: the committed figures make bench writes (and rewrites); any other existing --out is refused
COMMITTED = ROOT / "benchmarks" / "results" / "engines.json"


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
    """Researcher-months per second of ``engine``: the median of ``repeats`` after a warm-up."""
    seeds = replicate_seeds(1, replicates)
    simulate(world, theta[: min(replicates, 64)], seeds[:64], engine=engine)  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        simulate(world, theta, seeds, engine=engine)
        times.append(time.perf_counter() - start)
    return replicates * world.n_months * world.n_researchers / statistics.median(times)


def run_peak(scenario: Path, replicates: int, out: Path) -> tuple[float, float]:
    """Wall seconds and peak resident GiB of ``sim run --no-trajectories`` in a child process.

    The peak is the child's own maximum resident set (``os.wait4``), not the largest of all
    children so far.
    """
    command = [sys.executable, "-m", "sim.cli", "run", str(scenario), "--replicates",
               str(replicates), "--no-trajectories", "--out", str(out)]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=errors, env={**os.environ, "CI": "1"}
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed:\n{errors.read().decode()}")
    return wall, usage.ru_maxrss * 1024 / 2**30


def moves_per_replicate(world, theta) -> float:
    """Mean number of moves (a researcher's lab changing) per replicate of ``world``."""
    traj = simulate(world, theta, replicate_seeds(1, len(theta)))
    return float((traj.labs[:, 1:] != traj.labs[:, :-1]).sum(axis=(1, 2)).mean())


def machine() -> dict:
    """What the figures depend on: cores, CPU, threads, memory, versions, the load now."""
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")  # fmt: skip
    memory = next((int(line.split()[1]) * 1024 for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal:")), None)  # fmt: skip
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "numba_threads": numba.get_num_threads(),
        "memory_gib": None if memory is None else round(memory / 2**30, 1),
        "system": platform.system(),
        "python": platform.python_version(),
        "numba": numba.__version__,
        "numpy": np.__version__,
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _commit() -> str:
    """HEAD, with ``+changes`` when the measured code (sim/, this file) differs from it."""

    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    head = git("rev-parse", "--short=12", "HEAD").strip() or "unknown"
    changed = git("status", "--porcelain", "--", "sim", "benchmarks/engines.py").strip()
    return head + ("+changes" if changed else "")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="runs a tenth the size (replicates and rate budget)")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write every figure here, as JSON")
    parser.add_argument("--note", default="", help="what else the machine was doing, for --out")
    args = parser.parse_args(argv)
    if args.out is not None and args.out.exists() and args.out.resolve() != COMMITTED.resolve():
        parser.exit(2, f"error: {args.out} exists; give a new file (only {COMMITTED.name}, which "
                       "make bench writes, is rewritten)\n")  # fmt: skip
    quick = args.quick
    load_before = os.getloadavg()
    started = datetime.datetime.now(datetime.UTC)
    budget = 280_000 if quick else 2_800_000  # researcher-replicates per rate measurement
    runs = {1: 100_000 if quick else 1_000_000, 72: 2_000 if quick else 20_000,
            715: 200 if quick else 2_000}  # fmt: skip
    print(f"cores: {os.cpu_count()}, numba threads: {numba.get_num_threads()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # an untimed child run first, so that no timed one compiles the kernels into numba's cache
        warm = scenario_for(copy_world(1, tmp / "world-warm-up"), tmp)
        run_peak(warm, 20, tmp / "out-warm-up")
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
            rows.append((n, ens, runs[copies], wall, peak, replicates, copies))
            print(f"{n:>6} researchers: {ens:14,.0f} researcher-months/s ({replicates:,} reps); "
                  f"sim run --no-trajectories, {runs[copies]:,} replicates: {wall:6.1f} s, "
                  f"peak {peak:.2f} GiB", flush=True)  # fmt: skip
        world = base.compile()
        means = np.array([prior_means()[n] for n in PARAMETER_NAMES])
        replicates = budget // world.n_researchers
        at_means = rate(world, np.tile(means, (replicates, 1)), replicates, args.repeats)
        moves = {
            "posterior": moves_per_replicate(world, base.parameters(2000, base.spec.seed)[0]),
            "prior_means": moves_per_replicate(world, np.tile(means, (2000, 1))),
        }
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
    if args.out:
        facts = {
            "benchmark": "benchmarks/engines.py",
            "date": started.date().isoformat(),
            "commit": _commit(),
            "mode": "quick" if quick else "full",
            "repeats": args.repeats,
            "machine": machine(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "note": args.note,
            "parameters": "calibration/llama/posterior.parquet",
            "moves_per_replicate": {k: round(v, 1) for k, v in moves.items()},
            "sizes": [
                {
                    "researchers": n,
                    "copies": copies,
                    "researcher_months_per_s": round(ens),
                    "rate_replicates": rate_reps,
                    "run_replicates": run_reps,
                    "run_wall_s": round(wall, 1),
                    "run_peak_gib": round(peak, 3),
                }
                for n, ens, run_reps, wall, peak, rate_reps, copies in sorted(rows)
            ],  # fmt: skip
            "at_prior_means_researcher_months_per_s": round(at_means),
            "mesa": {
                "replicates": reps,
                "compiled_researcher_months_per_s": round(mesa),
                "plain_replicates": max(reps // 10, 4),
                "plain_researcher_months_per_s": round(plain),
            },  # fmt: skip
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(facts, indent=2) + "\n")
        print(f"wrote {args.out}")


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
