"""Reading an observed history at scale: a world of K copies of the LLaMA cohort, its history too.

Times loading the world (which reads and checks ``observed.csv``) and the three readers of the
history: the readings as trajectories, the focal bounds and the likelihood's panel. Each is the
median of ``--repeats`` runs; run it with ``python benchmarks/observed.py [--copies 715]``
(715 copies are 10,010 researchers).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from worlds import copy_history, copy_world  # noqa: E402

from sim.likelihood import observed_panel  # noqa: E402
from sim.results import observed_readings  # noqa: E402
from sim.world import load_world  # noqa: E402


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=715)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = copy_world(args.copies, Path(tmp) / "world")
        copy_history(args.copies, folder)
        world = load_world(folder)
        n = len(world.researchers)
        rows = {
            "load_world (reads observed.csv)": median_seconds(
                lambda: load_world(folder), args.repeats
            ),
            "observed_readings": median_seconds(lambda: observed_readings(world), args.repeats),
            "focal_bounds": median_seconds(
                lambda: world.observed.focal_bounds(world), args.repeats
            ),
            "observed_panel": median_seconds(lambda: observed_panel(world), args.repeats),
        }
    print(f"{n:,} researchers, median of {args.repeats}:")
    for name, seconds in rows.items():
        print(f"  {name:34s} {seconds:8.3f} s")


if __name__ == "__main__":
    main()
