"""How each committed posterior fits the shapes the likelihood work was about: a table.

For every committed posterior (ABC and the likelihood, each cohort alone, and joint), read at a
git revision or in the working tree, simulate the world's baseline from the world's start with
posterior draws (the posterior predictive) and report:

- ``b_peer``: the posterior mean of the colleagues' pull (the cohort's column where per cohort);
- for the LLaMA cohort, ``P(>= 8 gone by 2023-09)``: the share of replicates with at least 8 of
  the 14 authors gone from Meta by 2023-09 (TI-2023's "more than half");
- for both, the bunching statistic ``bunching_6m`` (most exits within any 6 months, declared in
  each world.toml): its predictive mean and the share of replicates at or above the observed
  history's earliest reading;
- the destination spread (``other_labs_2025_05``, ``destinations_2025_12``): the predictive
  mean and the two-sided predictive p-value, twice the smaller tail at the observed value.

Usage: ``python scripts/fit_table.py [--rev REV] [--replicates N] [--out FILE.csv]``; without
``--rev`` the working tree's posteriors are read. Same seed, same numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.config.scenario import load_posterior
from sim.paths import PROJECT_ROOT
from sim.results import observed_readings, statistic_values
from sim.world import find_statistic

#: the shipped worlds' baselines: founding chosen (the worlds' own setting) and given
OPENAI = "scenarios/openai-founders/baseline.toml"
GIVEN = "scenarios/given/baseline.toml"
GIVEN_OPENAI = "scenarios/given/openai-founders/baseline.toml"
#: (label, world, scenario, posterior file)
POSTERIORS = [
    ("ABC", "llama", "baseline", "calibration/llama/posterior.parquet"),
    ("likelihood alone, founding given", "llama", GIVEN,
     "calibration/llama/likelihood/posterior.parquet"),
    ("joint, founding given", "llama", GIVEN, "calibration/joint/posterior.parquet"),
    ("joint pooled, founding given", "llama", GIVEN, "calibration/joint-pooled/posterior.parquet"),
    ("likelihood alone, founding chosen", "llama", "baseline",
     "calibration/llama/founding/posterior.parquet"),
    ("joint pooled, founding chosen", "llama", "baseline",
     "calibration/joint-founding/posterior.parquet"),
    ("ABC", "openai-founders", OPENAI, "calibration/openai-founders/posterior.parquet"),
    ("likelihood alone, founding given", "openai-founders", GIVEN_OPENAI,
     "calibration/openai-founders/likelihood/posterior.parquet"),
    ("joint, founding given", "openai-founders", GIVEN_OPENAI,
     "calibration/joint/posterior.parquet"),
    ("joint pooled, founding given", "openai-founders", GIVEN_OPENAI,
     "calibration/joint-pooled/posterior.parquet"),
    ("likelihood alone, founding chosen", "openai-founders", OPENAI,
     "calibration/openai-founders/founding/posterior.parquet"),
    ("joint pooled, founding chosen", "openai-founders", OPENAI,
     "calibration/joint-founding/posterior.parquet"),
]  # fmt: skip
SPREAD = {"llama": "other_labs_2025_05", "openai-founders": "destinations_2025_12"}


def _posterior_file(path: str, rev: str | None, folder: Path) -> Path:
    if rev is None:
        return PROJECT_ROOT / path
    target = folder / path.replace("/", "_")
    blob = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=PROJECT_ROOT, check=True,
                          capture_output=True).stdout  # fmt: skip
    target.write_bytes(blob)
    return target


def fit_row(label, world_name, scenario_name, posterior: Path, replicates: int) -> dict:
    """One posterior's row of the table (the module docstring names the columns)."""
    scenario = sim.load_scenario(scenario_name)
    spec = scenario.spec.model_copy(
        update={"posterior_file": str(posterior), "horizon": scenario.world.calendar.observed_until}
    )
    scenario = dataclasses.replace(scenario, spec=spec)
    runs = sim.run_scenario(scenario, replicates=replicates, seed=20231)
    draws = load_posterior(posterior, world_name)
    weights = draws["weight"].to_numpy() if "weight" in draws else np.ones(len(draws))
    row = {"posterior": label, "world": world_name,
           "b_peer": float(np.average(draws["b_peer"], weights=weights))}  # fmt: skip
    world = scenario.world
    observed = observed_readings(world)

    def read(name):
        statistic = find_statistic(world, name)
        return statistic_values(statistic, runs), statistic_values(statistic, observed)

    if world_name == "llama":
        gone, _ = read("gone_by_2023_09")
        row["P(>=8 gone by 2023-09)"] = float(np.mean(gone >= 8))
    bunching, seen = read("bunching_6m")
    row["bunching_6m mean"] = float(bunching.mean())
    row["bunching_6m observed"] = f"{int(seen.min())}..{int(seen.max())}"
    row["P(bunching >= observed)"] = float(np.mean(bunching >= seen.min()))
    spread, seen = read(SPREAD[world_name])
    row["spread mean"] = float(spread.mean())
    row["spread observed"] = int(seen[0])
    row["spread p (two-sided)"] = float(
        min(1.0, 2 * min(np.mean(spread <= seen[0]), np.mean(spread >= seen[0])))
    )
    return row


def main(argv=None) -> int:
    """Print (and with ``--out`` write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", help="git revision to read the posteriors at (default: files)")
    parser.add_argument("--replicates", type=int, default=4000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        rows = [
            fit_row(label, world, scenario, _posterior_file(path, args.rev, Path(folder)),
                 args.replicates)
            for label, world, scenario, path in POSTERIORS
        ]  # fmt: skip
    table = pd.DataFrame(rows)
    print("| " + " | ".join(table.columns) + " |")
    print("|" + "---|" * len(table.columns))
    for row in table.itertuples(index=False):
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        print("| " + " | ".join(cells) + " |")
    if args.out:
        if args.out.exists():
            print(f"error: {args.out} exists; give a new file", file=sys.stderr)
            return 2
        table.to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
