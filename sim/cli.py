"""The sim command: run, compare, sweep, sensitivity, calibrate.

Bad input (a malformed scenario, an unknown lab or parameter, a date outside the window, a
corrupt results file) prints one paragraph naming the file, the key and what was expected, and
exits with status 2; it never leaves a traceback and never overwrites earlier results.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sim.errors import InputError


def _cmd_run(args: argparse.Namespace) -> int:
    import tempfile

    from sim.run import run_streamed, write_run
    from sim.scenario import load_scenario
    from sim.store import check_out_folder

    scenario = load_scenario(args.scenario)
    if args.from_observed:
        scenario = scenario.from_observed()
    seed = scenario.spec.seed if args.seed is None else args.seed
    out = check_out_folder(Path(args.out or Path("out") / scenario.name))
    histories = None
    if not args.no_trajectories:  # written beside the folder, moved in with the rest
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".parquet", dir=out.parent)
        os.close(handle)
        histories = Path(name)
    try:
        summary = run_streamed(
            scenario, args.replicates, seed, engine=args.engine, trajectories=histories,
            progress=None,
        )  # fmt: skip
        written = write_run(
            scenario, summary, out, seed=seed, engine=args.engine, trajectories=histories or False
        )
    finally:
        if histories is not None:
            histories.unlink(missing_ok=True)
    print(f"{scenario.name}: {summary.replicates} replicates, {len(written)} files in {out}/")
    if scenario.spec.provisional:
        print("note: this scenario's parameters are provisional (not calibrated).")
    return 0


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of descriptions and examples (each option's help gives its default)."""


def add_command(sub, name: str, summary: str, description: str, examples: list[str]):
    """A subcommand with a one-line summary, a description and examples in its epilog."""
    return sub.add_parser(
        name, help=summary, description=f"{summary[0].upper()}{summary[1:]}.\n\n{description}",
        epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
        formatter_class=HelpFormatter,
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommands register themselves here)."""
    parser = argparse.ArgumentParser(
        prog="sim",
        description=(
            "Simulate researchers leaving a lab: run scenarios, compare counterfactuals under "
            "common random\nnumbers, sweep parameters and calibrate them to an observed history. "
            "'sim COMMAND --help' says more.\nBad input exits with status 2 and one paragraph "
            "naming the file, the key and what was expected."
        ),
        epilog="examples:\n  sim run baseline\n  sim compare --all\n  sim calibrate --quiet",
        formatter_class=HelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = add_command(
        sub, "run", "run one scenario and write its outputs",
        "Simulates the scenario's replicates (each with its own parameter draw where the scenario\n"
        "takes its parameters from a posterior) and writes, into a folder that is replaced whole,\n"
        "trajectories.parquet, parameters.parquet, retention.csv, summary.csv, destinations.csv,\n"
        "exits.csv, retention.png and manifest.json. Months are YYYY-MM in the world's calendar.",
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
        default=None,
        metavar="FOLDER",
        help="output folder, replaced whole (default: out/SCENARIO)",
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
    run.set_defaults(func=_cmd_run)

    for register in _extensions():
        register(sub)
    return parser


def _extensions():
    """Subcommands defined beside their drivers (compare, sweep, calibrate), where present."""
    import importlib

    for module in (
        "sim.compare",
        "sim.sweep",
        "sim.calibrate",
        "sim.robustness",
        "sim.explain",
        "sim.app",
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        yield mod.register_cli


def positive_int(text: str) -> int:
    """An argparse ``type``: a whole number >= 1 (a usage error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    """An argparse ``type``: a whole number >= 0 (a usage error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse, run, and turn bad input into exit status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"sim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"sim {args.command}: interrupted; finished files are kept.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
