"""``sim compare``: scenarios under common random numbers, written to a folder replaced whole."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.analysis.compare import BASELINE, all_scenarios, compare
from sim.cli.common import OUT_POLICY, add_command, non_negative_int, output_folder, positive_int
from sim.config.scenario import load_scenario
from sim.errors import InputError
from sim.reports.compare import write_comparison
from sim.results import check_out_folder

#: Where ``sim compare`` writes unless ``--out`` says otherwise.
DEFAULT_OUT = Path("out") / "compare"


def register(sub) -> None:
    """Add ``sim compare`` to the subcommands."""
    cmd = add_command(
        sub, "compare",
        "compare scenarios under common random numbers (the first is the reference)",
        "Runs every scenario with the reference's replicate seeds and parameter draws (its own\n"
        "fixed [params] values on top), so each difference is paired replicate by replicate, and\n"
        "writes comparison.csv, replicates.csv, retention.csv/.png, difference.csv/.png,\n"
        "destinations.csv/.png, report.md, manifest.json (a forecast also forecast.csv) into the\n"
        "output folder. All scenarios run to the earliest of their horizons (months are YYYY-MM).",
        ["sim compare --all",
         "sim compare baseline culture-kept mistral-never-founded --replicates 5000",
         "sim compare --all --reference scenarios/openai-founders/baseline.toml "
         "--out out/openai"],
    )  # fmt: skip
    cmd.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO",
        help="scenario files or names in scenarios/; the first is the reference",
    )  # fmt: skip
    cmd.add_argument("--all", action="store_true",
                     help="the reference (--reference) and every scenario in its folder that "
                          "extends it (followed by any SCENARIO given)")  # fmt: skip
    cmd.add_argument("--reference", default=BASELINE,
                     help=f"the reference scenario of --all (default {BASELINE}; e.g. "
                          "scenarios/openai-founders/baseline.toml)")  # fmt: skip
    cmd.add_argument(
        "--replicates",
        type=positive_int,
        default=None,
        metavar="N",
        help="replicates per scenario (default: the reference's)",
    )
    cmd.add_argument("--seed", type=non_negative_int, default=None, metavar="SEED",
                     help="seed of the replicate seeds and the posterior draws (default: the "
                          "reference's)")  # fmt: skip
    cmd.add_argument(
        "--out",
        type=output_folder,
        default=str(DEFAULT_OUT),
        metavar="FOLDER",
        help=f"output folder (default {DEFAULT_OUT}); {OUT_POLICY}",
    )
    cmd.add_argument(
        "--from-observed", action="store_true",
        help="forecast every scenario from the observed state at the world's last observed "
             "month (default: the reference's from_observed key, else from the world's start)",
    )  # fmt: skip
    cmd.set_defaults(func=compare_command)


def compare_command(args: argparse.Namespace) -> int:
    """Load the scenarios, compare them and write the comparison's folder."""
    if not args.scenarios and not args.all:
        raise InputError("give the scenarios to compare (the first is the reference), or --all")
    scenarios = all_scenarios(args.reference) if args.all else []
    seen = {str(s.path) for s in scenarios}
    for ref in args.scenarios:
        scenario = load_scenario(ref)
        if args.all and str(scenario.path) in seen:
            continue
        seen.add(str(scenario.path))
        scenarios.append(scenario)
    out = check_out_folder(Path(args.out))
    if args.from_observed:
        scenarios = [s.from_observed() for s in scenarios]
    comparison = compare(scenarios, args.replicates, args.seed, progress=None)
    written = write_comparison(comparison, out)
    print(
        f"compared {len(scenarios)} scenarios ({', '.join(comparison.labels)}) with "
        f"{comparison.replicates} replicates each: {len(written)} files in {out}/ "
        f"(see {out / 'report.md'})"
    )
    if any(s.spec.provisional for s in scenarios):
        print("note: the parameters are provisional (not calibrated).")
    return 0
