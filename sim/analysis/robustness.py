"""Which answers survive the calibration choices: every counterfactual under every posterior.

``sim robustness`` runs every shipped counterfactual of every world (``sim compare --all`` from
each world's baseline, common random numbers) once per calibration setting and prior set, and
tabulates the paired effect on the count still at the focal lab at the world's anchor month (the
latest declared count at the focal lab; mean and 90% interval of the per-replicate difference).

**Calibration settings**, read from ``calibration/`` (``--calibrations``):

- *WORLD alone*: ``WORLD/likelihood{SUFFIX}/posterior.parquet``, the full-information posterior
  of that world's history;
- *OTHER alone*: a world predicted from the posterior fitted to another world, its per-cohort
  parameters (:attr:`sim.params.Parameter.per_cohort`) drawn from the prior set, as in the
  leave-one-cohort-out check (:mod:`sim.joint`);
- *joint*: ``joint{SUFFIX}/posterior.parquet``, the world's columns of the joint posterior.

**Prior sets**: the declared priors (no suffix), ``calibration/priors-wide.toml`` (``-wide``)
and ``calibration/priors-literature.toml`` (``-literature``). A missing posterior is reported as
missing, not filled in. A conclusion *survives* when every available setting gives the effect
the same sign.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.scenario import Scenario, load_posterior
from sim.errors import InputError
from sim.kernel.behavior import PARAMETER_NAMES
from sim.paths import CALIBRATION_DIR

PRIOR_SETS = {"declared": ("", None), "wide": ("-wide", "priors-wide.toml"),
              "literature": ("-literature", "priors-literature.toml")}  # fmt: skip
WORLDS = ("llama", "openai-founders")


def posterior_for(
    calibrations: Path, world: str, setting: str, prior_set: str, seed: int
) -> pd.DataFrame | None:
    """The posterior draws a setting gives a world's parameter vectors, or None if missing."""
    from sim.config.params import sample_prior
    from sim.inference.calibrate import load_priors

    suffix, priors_file = PRIOR_SETS[prior_set]
    if setting == "joint":
        path = calibrations / f"joint{suffix}" / "posterior.parquet"
        return load_posterior(path, world) if path.exists() else None
    source = setting.removesuffix(" alone")
    path = calibrations / source / f"likelihood{suffix}" / "posterior.parquet"
    if not path.exists():
        return None
    frame = load_posterior(path, source)
    if source == world:
        return frame
    priors = load_priors(None if priors_file is None else calibrations / priors_file)
    draws = sample_prior(len(frame), np.random.default_rng([seed, 5]), priors)
    frame = frame.copy()
    for k, p in enumerate(priors):
        if p.per_cohort:
            frame[p.name] = draws[:, k]
    return frame


def robustness_table(
    calibrations: Path, replicates: int, seed: int, worlds=WORLDS, scratch: Path | None = None
) -> pd.DataFrame:
    """One row per world, counterfactual, setting and prior set: the anchor effect."""
    import tempfile

    from sim.analysis.compare import all_scenarios, compare
    from sim.inference.calibrate import anchor_target, load_targets
    from sim.inference.joint import baseline_of
    from sim.results import write_frame

    rows = []
    settings = [f"{w} alone" for w in worlds] + ["joint"]
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        for world in worlds:
            reference = baseline_of(world)
            scenarios = all_scenarios(str(reference.path))
            anchor = anchor_target(load_targets(reference.world), reference.world)
            if anchor is None:
                raise InputError(f"world {world!r} declares no count at its focal lab to read")
            stat = anchor[0].name
            for setting in settings:
                for prior_set in PRIOR_SETS:
                    frame = posterior_for(calibrations, world, setting, prior_set, seed)
                    if frame is None:
                        rows.append(dict(world=world, setting=setting, priors=prior_set,
                                         scenario=None, statistic=stat))  # fmt: skip
                        continue
                    path = Path(tmp) / f"{world}-{setting}-{prior_set}.parquet".replace(" ", "_")
                    write_frame(path, frame[[*PARAMETER_NAMES, "weight"]] if "weight" in frame
                                else frame[list(PARAMETER_NAMES)])  # fmt: skip
                    run = [_with_posterior(scenarios[0], path), *scenarios[1:]]
                    table = compare(run, replicates, seed).to_df()
                    for r in table[table.statistic == stat].itertuples():
                        if r.scenario == run[0].name:
                            continue
                        rows.append(dict(
                            world=world, setting=setting, priors=prior_set, scenario=r.scenario,
                            statistic=stat, effect=r.diff_mean, low=r.diff_low, high=r.diff_high,
                        ))  # fmt: skip
    return pd.DataFrame(rows)


def _with_posterior(scenario: Scenario, path: Path) -> Scenario:
    import dataclasses

    spec = scenario.spec.model_copy(
        update={"posterior_file": str(path), "params": {**scenario.spec.params,
                                                          "from": "posterior"}}
    )  # fmt: skip
    return dataclasses.replace(scenario, spec=spec)


def markdown(table: pd.DataFrame, replicates: int) -> str:
    """The table for the README: effects by setting and prior set, and what survives."""
    lines = [
        f"Effect on the number still at the focal lab at the anchor month: paired mean over "
        f"{replicates:,} replicates and the 90% interval of the per-replicate difference. "
        "Columns: calibration setting / prior set; '-' where that posterior was not computed.",
        "",
    ]
    for world, part in table.groupby("world", sort=False):
        columns = [(s, p) for s in part.setting.unique() for p in PRIOR_SETS]
        done = part.dropna(subset=["scenario"])
        lines += [
            f"**{world}** ({part.statistic.iloc[0]})",
            "",
            "| counterfactual | " + " | ".join(f"{s} / {p}" for s, p in columns)
            + " | survives |",
            "|---|" + "---|" * (len(columns) + 1),
        ]  # fmt: skip
        for scenario in done.scenario.unique():
            cells, signs = [], []
            for s, p in columns:
                hit = done[(done.scenario == scenario) & (done.setting == s) & (done.priors == p)]
                if hit.empty:
                    cells.append("-")
                else:
                    r = hit.iloc[0]
                    cells.append(f"{r.effect:+.2f} ({_whole(r.low)} to {_whole(r.high)})")
                    signs.append(np.sign(round(float(r.effect), 2)))
            survives = "yes" if signs and len(set(signs)) == 1 and signs[0] != 0 else "no"
            lines.append(f"| {scenario} | " + " | ".join(cells) + f" | {survives} |")
        lines += ["", *_rankings(done), ""]
    return "\n".join(lines)


def _whole(x: float) -> str:
    """A whole number with its sign, 0 without one."""
    return "0" if round(x) == 0 else f"{x:+.0f}"


def _rankings(done: pd.DataFrame) -> list[str]:
    """Which counterfactual has the largest effect in each setting: does the ranking survive?"""
    top = (
        done.loc[done.groupby(["setting", "priors"], sort=False).effect.idxmax()]
        .groupby("scenario").size().sort_values(ascending=False)
    )  # fmt: skip
    settings = int(top.sum())
    parts = [f"{name} in {n} of {settings}" for name, n in top.items()]
    verdict = "survives" if len(top) == 1 else "does not survive"
    return [f"Largest effect: {'; '.join(parts)} settings (the ranking {verdict})."]


def _cmd_robustness(args: argparse.Namespace) -> int:
    from sim.results import (
        check_out_folder,
        provenance,
        replace_folder,
        write_frame,
        write_json,
        write_text,
    )

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

    def write(folder: Path) -> list[Path]:
        written = [
            write_frame(folder / "effects.csv", table),
            write_text(folder / "robustness.md", markdown(table, args.replicates)),
        ]
        manifest = {
            "command": "sim robustness", "calibrations": str(calibrations),
            "replicates": args.replicates, "seed": args.seed, **provenance(),
            "files": [p.name for p in written],
        }  # fmt: skip
        return [*written, write_json(folder / "manifest.json", manifest)]

    written = replace_folder(out, write)
    print(f"{len(table.dropna(subset=['scenario'])):,} effects in {len(written)} files in {out}/")
    return 0


def register_cli(subparsers) -> None:
    """Add ``sim robustness`` to the ``sim`` command."""
    from sim.cli.common import add_command, non_negative_int, positive_int

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
    cmd.add_argument("--out", default="out/robustness", metavar="FOLDER",
                     help="output folder, replaced whole (default %(default)s)")  # fmt: skip
    cmd.set_defaults(func=_cmd_robustness)
