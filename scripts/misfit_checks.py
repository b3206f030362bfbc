"""Which mechanism a misfit points to: the fit statistics under variants of the model, side by side.

The fit table (``scripts/fit_table.py``) shows where the posteriors misfit: the early exodus of
the LLaMA cohort (at least 8 of 14 gone by 2023-09) and the spread of the OpenAI co-founders'
destinations. This asks, for the posterior the baselines use (the joint one, founding chosen),
what each candidate mechanism would have to do, by simulating the baseline under variants, all
with the same replicate seeds and posterior draws (common random numbers):

- ``as calibrated``: the posterior predictive itself;
- ``no peer contagion``: colleagues counted where they would be had none moved
  (``[world.peer] contagion = false``). If the misfit is a spread too narrow, contagion
  concentrating the leavers is a suspect; if it is an exodus too slow, contagion is already what
  speeds it up, and removing it shows how much it does;
- ``fit spread x2``: each draw's ``sigma_match`` doubled (within its bound): more idiosyncratic
  scatter over labs. If that reaches the observed spread, the lab list is wide enough and what is
  missing is heterogeneity of fit; if not, the lab list or the destinations' attributes are;
- ``at the catch-all``: for a spread, how many are at the world's catch-all lab(s) (cities
  ``*``, "any other lab", where each researcher counts as a destination of their own), as
  calibrated: a spread too narrow because too few go there says the lab list lumps the real
  destinations into one alternative whose profile draws too few;
- ``named labs available``: the number of labs other than the focal lab, the excluded ones and
  the catch-all that exist at the statistic's month (a static count, no simulation): what a spread
  can reach without the catch-all.

Each row gives the predictive mean of the statistic and the share of replicates at or beyond the
observed value (upper tail for the spread and the early exodus, which the model under-predicts).

Usage: ``python scripts/misfit_checks.py [--replicates N]``. Same seed, same numbers.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import pandas as pd

import sim
from sim.config.params import parameter
from sim.engines.simulate import simulate
from sim.kernel.behavior import SIGMA_MATCH
from sim.paths import PROJECT_ROOT
from sim.results import observed_readings, statistic_values
from sim.world import find_statistic

#: (world, scenario, statistic, what it measures)
CHECKS = [
    ("llama", "baseline", "gone_by_2023_09", "gone by 2023-09 (early exodus)"),
    ("llama", "baseline", "other_labs_2025_05", "destination spread"),
    ("openai-founders", "scenarios/openai-founders/baseline.toml", "destinations_2025_12",
     "destination spread"),
]  # fmt: skip
POSTERIOR = "calibration/joint-founding/posterior.parquet"
SEED = 20231


def _variants(scenario, replicates: int):
    """(label, compiled world, theta) of every simulated variant, sharing seeds and draws."""
    theta, _ = scenario.parameters(replicates, SEED)
    world = scenario.compile()
    no_contagion = dataclasses.replace(
        scenario, world=scenario.world.replace(peer_contagion=False)
    ).compile()
    wider = theta.copy()
    wider[:, SIGMA_MATCH] = np.minimum(2 * wider[:, SIGMA_MATCH], parameter("sigma_match").high)
    return [
        ("as calibrated", world, theta),
        ("no peer contagion", no_contagion, theta),
        ("fit spread x2", world, wider),
    ]


def check_rows(world_name, scenario_name, statistic_name, label, replicates) -> list[dict]:
    """The rows of one statistic: every variant, then the destinations available."""
    scenario = sim.load_scenario(scenario_name)
    spec = scenario.spec.model_copy(
        update={"posterior_file": str(PROJECT_ROOT / POSTERIOR),
                "horizon": scenario.world.calendar.observed_until}
    )  # fmt: skip
    scenario = dataclasses.replace(scenario, spec=spec)
    statistic = find_statistic(scenario.world, statistic_name)
    observed = statistic_values(statistic, observed_readings(scenario.world))
    target = observed.min()
    seeds = scenario.seeds(replicates, SEED)
    rows = []
    calibrated = None
    for variant, world, theta in _variants(scenario, replicates):
        runs = simulate(world, theta, seeds)
        if calibrated is None:
            calibrated = runs
        values = statistic_values(statistic, runs)
        rows.append({
            "world": world_name, "statistic": label, "variant": variant,
            "mean": float(values.mean()), "observed": _observed(observed),
            "P(at least observed)": float(np.mean(values >= target)),
        })  # fmt: skip
    if statistic.kind == "destinations":
        pooled = _at_pooled(scenario.world, calibrated, statistic.month)
        seen = _at_pooled(scenario.world, observed_readings(scenario.world), statistic.month)
        rows.append({
            "world": world_name, "statistic": label, "variant": "at the catch-all",
            "mean": float(pooled.mean()), "observed": _observed(seen),
            "P(at least observed)": float(np.mean(pooled >= seen.min())),
        })  # fmt: skip
        rows.append({
            "world": world_name, "statistic": label, "variant": "named labs available",
            "mean": float(_available(scenario.world, statistic)),
            "observed": "", "P(at least observed)": np.nan,
        })  # fmt: skip
    return rows


def _observed(values: np.ndarray) -> str:
    low, high = int(values.min()), int(values.max())
    return str(low) if low == high else f"{low}..{high}"


def _at_pooled(world, runs, month: str) -> np.ndarray:
    """Per replicate (or reading), how many are at a catch-all lab at the end of ``month``."""
    t = world.calendar.index(month)
    pooled = [world.labs.index(lab) for lab in world.pooled_labs]
    return np.isin(runs.labs[:, t, :], pooled).sum(axis=1)


def _available(world, statistic) -> int:
    """Named labs (not focal, excluded or catch-all) that exist at the statistic's month."""
    compiled = world.compile(world.calendar.observed_until)
    t = world.calendar.index(statistic.month)
    excluded = {world.focal_lab, *statistic.exclude, *world.pooled_labs}
    return sum(
        bool(compiled.timeline.exists[t, j]) and lab not in excluded
        for j, lab in enumerate(world.labs)
    )


def table(replicates: int = 4000) -> pd.DataFrame:
    """Every check's rows."""
    return pd.DataFrame([row for check in CHECKS for row in check_rows(*check, replicates)])


def readings(rows: pd.DataFrame) -> list[str]:
    """One sentence per misfit statistic, read off its rows (which variant moves it, how far)."""
    lines = []
    for (world, label), part in rows.groupby(["world", "statistic"], sort=False):
        by = part.set_index("variant")
        base = by.loc["as calibrated"]
        parts = [f"**{world}, {label}**: {base['mean']:.1f} predicted against {base['observed']} "
                 f"observed (P(at least) = {base['P(at least observed)']:.2f})"]  # fmt: skip
        contagion = by.loc["no peer contagion", "mean"]
        parts.append(
            f"without peer contagion {contagion:.1f}, so contagion "
            + ("raises" if contagion < base["mean"] else "lowers")
            + " it"
        )
        wider = by.loc["fit spread x2"]
        parts.append(
            f"with the fit spread doubled {wider['mean']:.1f} "
            f"(P = {wider['P(at least observed)']:.2f})"
        )
        if "at the catch-all" in by.index:
            pooled = by.loc["at the catch-all"]
            parts.append(
                f"at the catch-all {pooled['mean']:.1f} against {pooled['observed']} observed "
                f"(P(at least) = {pooled['P(at least observed)']:.2f}), with "
                f"{int(by.loc['named labs available', 'mean'])} named labs available"
            )
        lines.append("- " + "; ".join(parts) + ".")
    return lines


def main(argv=None) -> int:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=4000)
    args = parser.parse_args(argv)
    print(table(args.replicates).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
