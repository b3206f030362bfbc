"""``sim explain``: a scenario's exodus attributed to its causes, written to a folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.analysis.explain import (
    DEFAULT_PERMUTATIONS,
    EXACT_MAX,
    METHODS,
    TOTAL,
    checkpoint,
    explain,
    load_causes,
)
from sim.cli.common import OUT_POLICY, add_command, non_negative_int, output_folder, positive_int
from sim.config.scenario import load_scenario
from sim.reports.explain import write_explanation
from sim.results import check_out_folder

DEFAULT_OUT = Path("out") / "explain"


def register(sub) -> None:
    """Add ``sim explain`` to the subcommands."""
    cmd = add_command(
        sub,
        "explain",
        "attribute a scenario's exodus to its causes (Shapley values under common random numbers)",
        "Switches the causes on and off (the focal lab's events attribute by attribute, each\n"
        "rival lab's founding and events, the peer contagion and the peer glue; or the groups of\n"
        "a --groups file) and\n"
        "gives each its Shapley value: its average marginal effect over every order in which the\n"
        "causes could have been switched on, from every cause off to the scenario; the values add\n"
        "up to the difference. Every coalition uses the same replicate seeds and parameter draws.\n"
        "Statistics: the number gone from the focal lab at the checkpoint, the retention curve up\n"
        "to it and each researcher's probability of having left, under the scenario's parameters\n"
        "(posterior) and under prior draws. Writes attribution.csv, per_researcher.csv,\n"
        "levels.csv, waterfall.png, by_month.png, report.md and manifest.json into the output\n"
        "folder. A groups file holds [[group]] tables with a name and any of\n"
        "events = [ids], labs = [names], focal_attributes = [names], peer = true (both parts)\n"
        'or peer = ["contagion"] or ["glue"].',
        [
            "sim explain baseline",
            "sim explain scenarios/openai-founders/baseline.toml --month 2023-06 --replicates 1000",
            "sim explain baseline --groups my-groups.toml --method permutation --permutations 200",
        ],
    )
    cmd.add_argument(
        "scenario",
        metavar="SCENARIO",
        help="a scenario file, or a name in scenarios/ (e.g. baseline)",
    )
    cmd.add_argument(
        "--out",
        type=output_folder,
        default=None,
        metavar="FOLDER",
        help=f"output folder (default {DEFAULT_OUT}/SCENARIO); {OUT_POLICY}",
    )
    cmd.add_argument(
        "--replicates",
        type=positive_int,
        default=None,
        metavar="N",
        help="replicates per coalition and parameter source (default: the scenario's)",
    )
    cmd.add_argument(
        "--seed",
        type=non_negative_int,
        default=None,
        metavar="SEED",
        help="seed of the replicate seeds, the posterior and prior draws and the "
        "sampled orders (default: the scenario's)",
    )
    cmd.add_argument(
        "--groups",
        default=None,
        metavar="FILE",
        help="a TOML file of [[group]] tables (default: the groups the world's data "
        "imply: the focal lab's attributes, each lab founded within the window "
        "or with events, the peer contagion, the peer glue)",
    )
    cmd.add_argument(
        "--month",
        default=None,
        metavar="YYYY-MM",
        help="the checkpoint month (default: the world's observed_until if the "
        "scenario simulates it, else the horizon)",
    )
    cmd.add_argument(
        "--method",
        choices=METHODS,
        default="auto",
        help=f"exact: every coalition; permutation: sampled orders; auto: exact up "
        f"to {EXACT_MAX} causes (default: auto)",
    )
    cmd.add_argument(
        "--permutations",
        type=positive_int,
        default=DEFAULT_PERMUTATIONS,
        metavar="K",
        help=f"orders sampled by --method permutation (default {DEFAULT_PERMUTATIONS})",
    )
    cmd.set_defaults(func=explain_command)


def explain_command(args: argparse.Namespace) -> int:
    """Attribute the scenario's exodus and write its folder."""
    scenario = load_scenario(args.scenario)
    out = check_out_folder(Path(args.out or DEFAULT_OUT / scenario.name))
    if args.groups is not None:  # check the groups and the month before simulating
        load_causes(args.groups, scenario.world)
    checkpoint(scenario.world, scenario.horizon, args.month)
    explanation = explain(
        scenario,
        args.replicates,
        args.seed,
        groups=args.groups,
        month=args.month,
        method=args.method,
        permutations=args.permutations,
        progress=None,
    )
    written = write_explanation(explanation, out)
    total = explanation.summary(explanation.sources[0])[TOTAL][0][0]
    print(
        f"{scenario.name}: {len(explanation.causes.groups)} causes, {explanation.coalitions} "
        f"coalitions x {explanation.replicates} replicates x {len(explanation.sources)} "
        f"parameter sources ({explanation.method}, {explanation.seconds:.0f} s); "
        f"{total:+.2f} researchers gone by {explanation.month} attributed; {len(written)} files "
        f"in {out}/ (see {out / 'report.md'})"
    )
    if scenario.spec.provisional:
        print("note: the parameters are provisional (not calibrated).")
    return 0
