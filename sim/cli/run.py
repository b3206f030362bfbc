"""``sim run``: one scenario's replicates, written to an output folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.common import (
    OUT_POLICY,
    add_command,
    non_negative_int,
    output_folder,
    positive_int,
)


def register(sub) -> None:
    """Add ``sim run`` to the subcommands."""
    run = add_command(
        sub, "run", "run one scenario and write its outputs",
        "Simulates the scenario's replicates (each with its own parameter draw where the scenario\n"
        "takes its parameters from a posterior) and writes trajectories.parquet,\n"
        "parameters.parquet, retention.csv, summary.csv, destinations.csv, exits.csv,\n"
        "retention.png and manifest.json (for a forecast also forecast_ess.csv) into the output\n"
        "folder. Months are YYYY-MM in the world's calendar.",
        ["sim run baseline", "sim run scenarios/culture-kept.toml --replicates 10000 --seed 1",
         "sim run baseline --replicates 1000000 --no-trajectories --out out/million",
         "sim run baseline --from-observed --out out/forecast"],
    )  # fmt: skip
    run.add_argument("scenario", help="a scenario file, or a name in scenarios/ (e.g. baseline)")
    run.add_argument(
        "--replicates",
        type=positive_int,
        default=None,
        metavar="N",
        help="number of simulated histories (default: the scenario's replicates)",
    )
    run.add_argument("--seed", type=non_negative_int, default=None, metavar="SEED",
                     help="seed of the replicate seeds and posterior draws (default: the "
                          "scenario's seed)")  # fmt: skip
    run.add_argument(
        "--out",
        type=output_folder,
        default=None,
        metavar="FOLDER",
        help=f"output folder (default: out/SCENARIO); {OUT_POLICY}",
    )
    run.add_argument(
        "--engine",
        choices=("ensemble", "mesa"),
        default="ensemble",
        help="ensemble: compiled, many replicates at once; mesa: the reference "
        "Mesa model, one agent at a time (same histories, much slower; "
        "default: ensemble)",
    )
    run.add_argument(
        "--from-observed", action="store_true",
        help="forecast from the observed state: every replicate is forced through the world's "
             "observed months and each researcher's latent terms are drawn given their history "
             "(default: the scenario's from_observed key, else from the world's start)",
    )  # fmt: skip
    run.add_argument("--no-trajectories", action="store_true",
                     help="skip trajectories.parquet and parameters.parquet (for very many "
                          "replicates; default: write them)")  # fmt: skip
    run.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Run the scenario and write its folder."""
    from sim.config.scenario import load_scenario
    from sim.engines.run import run_streamed
    from sim.reports.run import write_run_files
    from sim.results import Staging

    scenario = load_scenario(args.scenario)
    if args.from_observed:
        scenario = scenario.from_observed()
    seed = scenario.spec.seed if args.seed is None else args.seed
    out = args.out if args.out is not None else Path("out") / scenario.name
    with Staging(out, kind="run") as staging:  # the output-folder policy, checked before work
        histories = None if args.no_trajectories else staging.path / "trajectories.parquet"
        summary = run_streamed(
            scenario, args.replicates, seed, engine=args.engine, trajectories=histories,
            progress=None,
        )  # fmt: skip
        write_run_files(scenario, summary, staging.path, seed, args.engine, histories or False)
        written = staging.commit()
    out = staging.out
    print(f"{scenario.name}: {summary.replicates} replicates, {len(written)} files in {out}/")
    if scenario.spec.provisional:
        print("note: this scenario's parameters are provisional (not calibrated).")
    late = after_horizon(scenario)
    if late:
        print(
            f"note: summary.csv leaves out the statistics read after the horizon "
            f"({scenario.horizon}): {', '.join(late)}; extend horizon to read them."
        )
    return 0


def after_horizon(scenario) -> list[str]:
    """The world's declared statistics whose month lies after the scenario's horizon."""
    calendar = scenario.world.calendar
    last = calendar.index(scenario.horizon)
    return [s.name for s in scenario.world.statistics if calendar.index(s.month) > last]
