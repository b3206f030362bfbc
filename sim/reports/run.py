"""The files of one run (``sim run``): tables, the retention figure and the manifest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.scenario import Scenario
from sim.reports.plot import retention_figure
from sim.results import (
    RunSummary,
    Trajectories,
    provenance,
    replace_folder,
    retention_curve,
    save_figure,
    write_frame,
    write_json,
    write_trajectories,
)


def write_run(
    scenario: Scenario, run: Trajectories | RunSummary, out: Path, *, seed: int, engine: str,
    trajectories: bool | Path = True,
) -> list[Path]:  # fmt: skip
    """Write a run's files (tables, the figure and the manifest) into ``out``.

    By the output-folder policy (:mod:`sim.results.output_folder`): they are staged beside
    ``out`` and moved in as one result; a user's other files in ``out`` are kept.

    Args:
        scenario: the scenario run.
        run: its histories, or the :class:`~sim.results.RunSummary` of a streamed run.
        out: the output folder.
        seed: the run's seed, for the manifest.
        engine: the engine used, for the manifest.
        trajectories: whether to write trajectories.parquet (from ``run``'s histories), or
            the path of the file a streamed run already wrote, to be moved in.
    """
    return replace_folder(
        Path(out),
        lambda folder: write_run_files(scenario, run, folder, seed, engine, trajectories),
        kind="run",
    )


def write_run_files(scenario, run, out: Path, seed: int, engine: str, trajectories) -> list[Path]:
    """Write a run's files into the folder ``out`` (a staging folder); return their paths.

    ``trajectories`` as for :func:`write_run`; a path already inside ``out`` stays where it is.
    """
    summary = run if isinstance(run, RunSummary) else RunSummary.of(run)
    curve = retention_curve(summary)
    written = []
    if isinstance(trajectories, Path):
        target = out / "trajectories.parquet"
        if trajectories != target:
            trajectories.replace(target)
        written.append(target)
    elif trajectories:
        written.append(write_trajectories(out / "trajectories.parquet", run))
    if trajectories:
        written.append(write_frame(out / "parameters.parquet", summary.parameters_df()))
    written.append(write_frame(out / "retention.csv", curve))
    written.append(write_frame(out / "summary.csv", summary.summary_table()))
    written.append(write_frame(out / "destinations.csv", summary.destination_counts()))
    written.append(write_frame(out / "exits.csv", summary.exits_per_month()))
    world = scenario.world
    if summary.latent_ess is not None:  # a forecast: how well each latent draw is supported
        ess = pd.DataFrame({
            "researcher": list(world.researchers),
            "ess_min": summary.latent_ess.min(axis=0),
            "ess_median": np.median(summary.latent_ess, axis=0),
        })  # fmt: skip
        written.append(write_frame(out / "forecast_ess.csv", ess))
    fig = retention_figure(
        {scenario.name: curve}, world,
        title=f"{world.title}, {scenario.name}: share still at {world.focal_lab}",
    )  # fmt: skip
    written.append(save_figure(out / "retention.png", fig))
    manifest = {
        "scenario": scenario.name,
        "scenario_files": list(scenario.chain),
        "spec": scenario.spec.model_dump(mode="json"),
        "provisional_parameters": scenario.spec.provisional,
        "engine": engine,
        "replicates": int(summary.replicates),
        "seed": seed,
        "replicate_seeds": "numpy.random.SeedSequence(seed).generate_state(replicates, uint64)",
        "parameters": (
            "parameters.parquet (one row per replicate)"
            if trajectories
            else "not written (--no-trajectories); the scenario and seed determine them"
        ),
        "destinations_month": summary.checkpoint,
        # per-cohort parameters without a column for this world (params.per_cohort)
        "drawn_from_prior": (
            list(scenario.posterior().from_prior) if scenario.params_from == "posterior" else []
        ),
        # ... and those drawn from a pooled posterior's population instead
        "drawn_from_population": (
            list(scenario.posterior().from_population)
            if scenario.params_from == "posterior"
            else []
        ),
        **provenance(),
        "files": [p.name for p in written],
    }
    written.append(write_json(out / "manifest.json", manifest))
    return written
