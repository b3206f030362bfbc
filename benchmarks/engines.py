"""Throughput of the two engines on the baseline world, measured in one process.

Prints researcher-months per second for the Mesa reference model and the ensemble engine
(median of repeats, after a warm-up that compiles the kernels), their ratio, and where the
ensemble's time goes (random draws vs the compiled loop). The Mesa model calls the compiled
kernel; for the rate of a plain Mesa model it is also timed with the same kernel interpreted
(NUMBA_DISABLE_JIT=1, in a child process): the same code, run as ordinary Python.
Run: ``make bench`` or
``python benchmarks/engines.py [--mesa-reps 200] [--ensemble-reps 100000] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numba
import numpy as np

from sim.ensemble import _draws, _run
from sim.params import prior_means
from sim.scenario import load_scenario
from sim.simulate import simulate
from sim.streams import replicate_seeds


def _rate(fn, researcher_months: int, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return researcher_months / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mesa-reps", type=int, default=200)
    parser.add_argument("--ensemble-reps", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--mesa-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    scenario = load_scenario("baseline")
    world = scenario.compile()
    theta = np.array(list(prior_means().values()))
    t_, n_ = world.n_months, world.n_researchers
    print(
        f"world: {n_} researchers, {t_} months, {len(world.world.labs)} labs; "
        f"cores: {os.cpu_count()}, numba threads: {numba.get_num_threads()}"
    )

    simulate(world, theta, replicate_seeds(0, 2), engine="mesa")
    mesa_seeds = replicate_seeds(1, args.mesa_reps)
    if args.mesa_only:
        rate = _rate(
            lambda: simulate(world, theta, mesa_seeds, engine="mesa"),
            args.mesa_reps * t_ * n_,
            args.repeats,
        )
        print(f"{rate:.1f}")
        return
    simulate(world, theta, replicate_seeds(0, 64))  # compile / load the cached kernels

    ens_seeds = replicate_seeds(1, args.ensemble_reps)
    mesa = _rate(
        lambda: simulate(world, theta, mesa_seeds, engine="mesa"),
        args.mesa_reps * t_ * n_,
        args.repeats,
    )
    ens = _rate(
        lambda: simulate(world, theta, ens_seeds), args.ensemble_reps * t_ * n_, args.repeats
    )
    print(f"mesa engine:     {mesa:14,.0f} researcher-months/s  ({args.mesa_reps} replicates)")
    print(f"ensemble engine: {ens:14,.0f} researcher-months/s  ({args.ensemble_reps} replicates)")
    print(f"ratio ensemble / mesa: {ens / mesa:,.0f}x")
    child = subprocess.run(
        [
            sys.executable,
            __file__,
            "--mesa-only",
            "--mesa-reps",
            str(max(args.mesa_reps // 10, 5)),
            "--repeats",
            "3",
        ],
        env={**os.environ, "NUMBA_DISABLE_JIT": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    plain = float(child.stdout.strip().splitlines()[-1])
    print(f"mesa engine, kernel interpreted (plain Mesa): {plain:14,.0f} researcher-months/s")
    print(f"ratio ensemble / plain mesa: {ens / plain:,.0f}x")

    # where the ensemble's time goes, on one chunk
    seeds = ens_seeds[:8192]
    start = time.perf_counter()
    draws_of_chunk = _draws(world, seeds)
    draws = time.perf_counter() - start
    start = time.perf_counter()
    out = _run(world, theta, draws_of_chunk)
    loop = time.perf_counter() - start
    print(
        f"one chunk of {len(seeds)}: random draws {draws * 1e3:.0f} ms, "
        f"compiled loop {loop * 1e3:.0f} ms ({out.size / loop:,.0f} researcher-months/s)"
    )


if __name__ == "__main__":
    main()
