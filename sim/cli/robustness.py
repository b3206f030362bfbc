"""``sim robustness``: every counterfactual's effect under every calibration and prior set."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.common import OUT_POLICY, add_command, non_negative_int, output_folder, positive_int
from sim.errors import InputError
from sim.paths import CALIBRATION_DIR


def register(subparsers) -> None:
    """Add ``sim robustness`` to the ``sim`` command."""
    cmd = add_command(
        subparsers, "robustness",
        "every counterfactual's effect under every calibration setting and prior set",
        "Runs every shipped counterfactual of every world (common random numbers) once per\n"
        "calibration setting (each world alone, the other world alone, joint) and prior set\n"
        "(declared, wide, literature), reading the full-information posteriors in\n"
        "calibration/, and writes effects.csv and robustness.md: the paired effect on the count\n"
        "at the focal lab at the world's anchor month, and which conclusions keep their sign.",
        ["sim robustness", "sim robustness --replicates 500 --out out/robustness-quick"],
    )  # fmt: skip
    default = str(CALIBRATION_DIR)
    cmd.add_argument(
        "--calibrations", default=default, metavar="FOLDER",
        help="where the posteriors are (default: the project's calibration/)",
    )  # fmt: skip
    cmd.add_argument("--replicates", type=positive_int, default=2000, metavar="N",
                     help="replicates per scenario and setting (default %(default)s)")  # fmt: skip
    cmd.add_argument(
        "--seed", type=non_negative_int, default=20230224, metavar="SEED",
        help="seed of the replicates and posterior draws (default %(default)s)",
    )  # fmt: skip
    cmd.add_argument("--out", type=output_folder, default="out/robustness", metavar="FOLDER",
                     help=f"output folder (default %(default)s); {OUT_POLICY}")  # fmt: skip
    cmd.set_defaults(func=robustness_command)


def robustness_command(args: argparse.Namespace) -> int:
    """Compute the effects table and write its folder."""
    from sim.analysis.robustness import robustness_table
    from sim.reports.robustness import write_robustness
    from sim.results import check_out_folder

    calibrations = Path(args.calibrations)
    if not calibrations.is_dir():
        raise InputError("not a folder of calibrations", source=str(calibrations))
    out = check_out_folder(Path(args.out))
    table = robustness_table(calibrations, args.replicates, args.seed)
    if table.dropna(subset=["scenario"]).empty:
        raise InputError(
            "no posterior found (WORLD/likelihood*/posterior.parquet or joint*/): run `sim "
            "calibrate --method likelihood` first", source=str(calibrations),
        )  # fmt: skip
    written = write_robustness(table, out, calibrations, args.replicates, args.seed)
    print(f"{len(table.dropna(subset=['scenario'])):,} effects in {len(written)} files in {out}/")
    return 0
