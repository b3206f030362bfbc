"""``sim sweep`` and ``sim sensitivity``: run (or resume) a sweep, and its sensitivity indices."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.analysis.sensitivity import run_sensitivity
from sim.analysis.sweep import Sweep, load_sweep
from sim.analysis.sweep_run import run_sweep
from sim.cli.common import add_command, output_folder, positive_int
from sim.reports.sensitivity import write_sensitivity


def register(sub) -> None:
    """Add ``sim sweep`` and ``sim sensitivity`` to the subcommands."""
    commands = (
        ("sweep", sweep_command, "run (or resume) a parameter sweep",
         "Simulates every point of the sweep file's design (grid, lhs, sobol or morris) with the\n"
         "same replicate seeds (common random numbers), one Parquet chunk per finished chunk of\n"
         "points with its checksum, then results.parquet (the mean and sd of each output per\n"
         "point). A killed sweep resumes where it stopped when run again into the same folder.",
         ["sim sweep sweeps/grid-peer-culture.toml",
          "sim sweep sweeps/sobol-baseline.toml --scheduler tcp://127.0.0.1:8786"]),
        ("sensitivity", sensitivity_command,
         "run a sobol or morris sweep (or reuse it) and write sensitivity indices",
         "Runs (or resumes) the sweep, then SALib's Sobol or Morris analysis of each output:\n"
         "sensitivity.csv, sensitivity.png and sensitivity.md, with the share of the output\n"
         "variance due to chance (the seed-noise points).",
         ["sim sensitivity sweeps/morris-quick.toml",
          "sim sensitivity sweeps/sobol-baseline.toml --workers 2"]),
    )  # fmt: skip
    for name, func, text, description, examples in commands:
        cmd = add_command(sub, name, text, description, examples)
        cmd.add_argument("spec", help="a sweep file (TOML), e.g. sweeps/morris-quick.toml")
        cmd.add_argument("--out", type=output_folder, default=None, metavar="FOLDER",
                         help="output folder; an existing one is resumed if it holds the same "
                              "sweep, other files in it are kept (default: "
                              "out/sweeps/NAME)")  # fmt: skip
        cmd.add_argument("--workers", type=positive_int, default=None, metavar="N",
                         help="local worker processes (default: the number of cores)")  # fmt: skip
        cmd.add_argument("--scheduler", default=None, metavar="ADDRESS",
                         help="a Dask scheduler address, e.g. tcp://host:8786 (default: run "
                              "locally)")  # fmt: skip
        cmd.set_defaults(func=func)


def _sweep_and_out(args: argparse.Namespace) -> tuple[Sweep, Path]:
    """The sweep file named on the command line and its output folder."""
    sweep = load_sweep(args.spec)
    return sweep, Path(args.out if args.out is not None else Path("out") / "sweeps" / sweep.name)


def sweep_command(args: argparse.Namespace) -> int:
    """Run (or resume) the sweep into its folder."""
    sweep, out = _sweep_and_out(args)
    results = run_sweep(sweep, out, workers=args.workers, scheduler=args.scheduler)
    print(f"{sweep.name}: {len(results)} points x {sweep.spec.replicates} replicates in {out}/")
    return 0


def sensitivity_command(args: argparse.Namespace) -> int:
    """Run (or resume) the sweep, then write its sensitivity indices into its folder."""
    sweep, out = _sweep_and_out(args)
    result = run_sensitivity(sweep, out, workers=args.workers, scheduler=args.scheduler)
    write_sensitivity(result, out)
    print(f"{sweep.name}: {len(result.table)} index rows; sensitivity.csv/.png/.md in {out}/")
    return 0
