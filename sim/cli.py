"""The ``sim`` command: run, compare, sweep, sensitivity, calibrate.

Bad input (a malformed scenario, an unknown lab or parameter, a date outside the window, a
corrupt results file) prints one paragraph naming the file, the key and what was expected, and
exits with status 2; it never leaves a traceback and never overwrites earlier results.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import InputError


def _cmd_run(args: argparse.Namespace) -> int:
    from sim.run import run_scenario, write_run
    from sim.scenario import load_scenario
    from sim.store import check_out_folder

    scenario = load_scenario(args.scenario)
    seed = scenario.spec.seed if args.seed is None else args.seed
    out = check_out_folder(Path(args.out or Path("out") / scenario.name))
    traj = run_scenario(scenario, args.replicates, seed, engine=args.engine, progress=None)
    written = write_run(
        scenario, traj, out, seed=seed, engine=args.engine,
        trajectories=not args.no_trajectories,
    )  # fmt: skip
    print(f"{scenario.name}: {traj.shape[0]} replicates, {len(written)} files in {out}/")
    if scenario.spec.provisional:
        print("note: this scenario's parameters are provisional (not calibrated).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommands register themselves here)."""
    parser = argparse.ArgumentParser(prog="sim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one scenario and write its outputs")
    run.add_argument("scenario", help="a scenario file, or a name in scenarios/ (e.g. baseline)")
    run.add_argument("--replicates", type=positive_int, default=None)
    run.add_argument("--seed", type=non_negative_int, default=None)
    run.add_argument("--out", default=None, help="output folder (default out/SCENARIO)")
    run.add_argument("--engine", choices=("ensemble", "mesa"), default="ensemble")
    run.add_argument("--no-trajectories", action="store_true",
                     help="skip trajectories.parquet (for very many replicates)")  # fmt: skip
    run.set_defaults(func=_cmd_run)

    for register in _extensions():
        register(sub)
    return parser


def _extensions():
    """Subcommands defined beside their drivers (compare, sweep, calibrate), where present."""
    import importlib

    for module in ("sim.compare", "sim.sweep", "sim.calibrate"):
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
