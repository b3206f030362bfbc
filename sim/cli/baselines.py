"""``sim baselines``: the agent-based model against simpler survival models, cohort by cohort."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.common import OUT_POLICY, add_command, non_negative_int, output_folder, positive_int
from sim.errors import InputError
from sim.paths import CALIBRATION_DIR

#: The defaults, kept equal to those of sim.reports.baselines (the documented seeded run)
#: without importing it before the options are parsed.
DEFAULT_REPLICATES = 10_000
DEFAULT_SEED = 20230224


def register(subparsers) -> None:
    """Add ``sim baselines`` to the ``sim`` command."""
    cmd = add_command(
        subparsers, "baselines",
        "does the agent-based model predict a cohort better than simpler survival models?",
        "Leave one cohort out: each world is predicted by models fitted on the other world(s)\n"
        "only: a constant monthly hazard, Kaplan-Meier pooled across the other cohorts, a\n"
        "competing-risks hazard model by destination type with covariates (founder, tenure),\n"
        "and the agent-based model itself (the other world's likelihood posterior in\n"
        "CALIBRATIONS/WORLD/founding/ where founding is chosen, else WORLD/likelihood/, its\n"
        "per-cohort k0 drawn from the prior). Exit months known only to an interval are summed\n"
        "over the months it allows.\n"
        "Writes baselines.md (the comparison, and where the model wins and loses), scores.csv,\n"
        "researchers.csv, coefficients.csv and manifest.json. Scores: the log predictive\n"
        "density of each researcher's first exit (months and destination type; higher is\n"
        "better) and the CRPS of the world's declared counts (lower is better, in counts).",
        ["sim baselines", "sim baselines --replicates 2000 --out out/baselines-quick",
         "sim baselines --worlds llama,path/to/my-world --calibrations my-study/calibration"],
    )  # fmt: skip
    cmd.add_argument(
        "--worlds", default="llama,openai-founders", metavar="A,B",
        help="the cohorts, comma-separated: shipped world names or world folders, at least two; "
             "each needs an observed history and a posterior (default %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--calibrations", default=str(CALIBRATION_DIR), metavar="FOLDER",
        help="where each world's single-world likelihood posterior is, as WORLD/founding/ "
             "(founding chosen) or WORLD/likelihood/posterior.parquet (default: the project's "
             "calibration/)",
    )  # fmt: skip
    cmd.add_argument(
        "--replicates", type=positive_int, default=DEFAULT_REPLICATES, metavar="N",
        help="histories simulated by the agent-based model per cohort, and drawn from each "
             "baseline for its CRPS (default %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--seed", type=non_negative_int, default=DEFAULT_SEED, metavar="SEED",
        help="seed of the posterior draws, the simulations and the baselines' draws "
             "(default %(default)s)",
    )  # fmt: skip
    cmd.add_argument("--out", type=output_folder, default="out/baselines", metavar="FOLDER",
                     help=f"output folder (default %(default)s); {OUT_POLICY}")  # fmt: skip
    cmd.set_defaults(func=baselines_command)


def baselines_command(args: argparse.Namespace) -> int:
    """Score every model's leave-one-cohort-out predictions and write the folder."""
    from sim.analysis.baselines import committed_posteriors, compare_baselines, load_cohorts
    from sim.reports.baselines import write_baselines
    from sim.results import check_out_folder

    calibrations = Path(args.calibrations)
    if not calibrations.is_dir():
        raise InputError("not a folder of calibrations", source=str(calibrations),
                         key="--calibrations")  # fmt: skip
    out = check_out_folder(Path(args.out))
    worlds = load_cohorts([e.strip() for e in args.worlds.split(",") if e.strip()])
    comparison = compare_baselines(
        worlds, committed_posteriors(calibrations, worlds), args.replicates, args.seed
    )
    written = write_baselines(comparison, out)
    print(f"{len(comparison.scores):,} scores of {comparison.scores.model.nunique()} models on "
          f"{len(worlds)} cohorts in {len(written)} files in {out}/")  # fmt: skip
    return 0
