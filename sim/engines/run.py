"""Running a scenario and writing its outputs (the ``sim run`` command's work).

:func:`run_scenario` returns every history (:class:`~sim.results.Trajectories`), for use from
Python. The command line runs :func:`run_streamed` instead: it simulates block by block, appends
each block's histories to ``trajectories.parquet`` (when asked) and keeps only its
:class:`~sim.results.RunSummary`, so memory is bounded by a block's lab codes plus [R, T] counts,
whatever the number of researchers. Both give the same tables for the same scenario and seed.
"""

from __future__ import annotations

from pathlib import Path

from sim.config.scenario import Scenario
from sim.engines.simulate import check_fits, simulate
from sim.results import (
    RunSummary,
    Trajectories,
    provenance,
    replace_folder,
    retention_curve,
    save_figure,
    write_atomic,
    write_frame,
    write_json,
)

#: Replicates per row group of trajectories.parquet: each is converted to a table on its own.
TRAJECTORY_BLOCK = 2048


def run_scenario(
    scenario: Scenario,
    replicates: int | None = None,
    seed: int | None = None,
    *,
    engine: str = "ensemble",
    progress: bool | None = False,
) -> Trajectories:
    """Simulate a scenario: its replicate seeds, its parameters (posterior draws or values)."""
    replicates = replicates or scenario.spec.replicates
    seed = scenario.spec.seed if seed is None else seed
    world = scenario.compile()
    check_fits(world, replicates)
    theta, draw = scenario.parameters(replicates, seed)
    return simulate(
        world, theta, scenario.seeds(replicates, seed),
        engine=engine, draw=draw, progress=progress, from_observed=scenario.spec.from_observed,
    )  # fmt: skip


def run_streamed(
    scenario: Scenario,
    replicates: int | None = None,
    seed: int | None = None,
    *,
    engine: str = "ensemble",
    trajectories: Path | None = None,
    progress: bool | None = False,
) -> RunSummary:
    """Simulate a scenario block by block, keeping only the summaries the tables need.

    Args:
        scenario: the scenario.
        replicates: replicates (default: the scenario's).
        seed: the seed of the replicate seeds and posterior draws (default: the scenario's).
        engine: ``"ensemble"`` or ``"mesa"``.
        trajectories: where to write the tidy histories block by block (Parquet), or None.
        progress: a progress bar (None: only on a terminal).
    """
    from tqdm.auto import tqdm

    from sim.engines import ensemble
    from sim.engines.simulate import progress_disabled

    replicates = replicates or scenario.spec.replicates
    seed = scenario.spec.seed if seed is None else seed
    world = scenario.compile()
    check_fits(world, replicates, keep_histories=False)
    theta, draw = scenario.parameters(replicates, seed)
    seeds = scenario.seeds(replicates, seed)
    block = ensemble.chunk_size(world) if engine == "ensemble" else TRAJECTORY_BLOCK
    parts, writer = [], _ParquetBlocks(trajectories)
    bar = tqdm(
        total=replicates, unit="rep", disable=progress_disabled(progress), desc=f"{engine} engine"
    )
    try:
        for start in range(0, replicates, block):
            part = slice(start, min(start + block, replicates))
            traj = simulate(
                world, theta[part], seeds[part], engine=engine,
                draw=None if draw is None else draw[part], progress=False,
                from_observed=scenario.spec.from_observed,
            )  # fmt: skip
            writer.append(traj, start)
            parts.append(RunSummary.of(traj))
            bar.update(part.stop - part.start)
    finally:
        writer.close()
        bar.close()
    return RunSummary.concatenate(parts)


class _ParquetBlocks:
    """Appends blocks of histories to one Parquet file (row groups of TRAJECTORY_BLOCK)."""

    def __init__(self, path: Path | None):
        self.path, self.writer = path, None

    def append(self, traj: Trajectories, offset: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.path is None:
            return
        for start in range(0, traj.shape[0], TRAJECTORY_BLOCK):
            frame = traj.subset(slice(start, start + TRAJECTORY_BLOCK)).to_df()
            frame["replicate"] += offset + start
            table = pa.Table.from_pandas(frame, preserve_index=False)
            self.writer = self.writer or pq.ParquetWriter(self.path, table.schema)
            self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def write_trajectories(path: Path, traj: Trajectories) -> Path:
    """Write the tidy trajectories to Parquet block by block (bounded memory), atomically."""

    def write(tmp: Path) -> None:
        blocks = _ParquetBlocks(tmp)
        try:
            blocks.append(traj, 0)
        finally:
            blocks.close()

    return write_atomic(path, write)


def write_run(
    scenario: Scenario, run: Trajectories | RunSummary, out: Path, *, seed: int, engine: str,
    trajectories: bool | Path = True,
) -> list[Path]:  # fmt: skip
    """Write a run's files (tables, the figure and the manifest) into ``out``.

    They go into a fresh folder swapped in for ``out`` whole (:func:`sim.store.replace_folder`),
    so ``out`` holds one complete run.

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
        lambda folder: _write_run_files(scenario, run, folder, seed, engine, trajectories),
    )


def _write_run_files(scenario, run, out: Path, seed: int, engine: str, trajectories):
    from sim.reports.plot import retention_figure

    summary = run if isinstance(run, RunSummary) else RunSummary.of(run)
    curve = retention_curve(summary)
    written = []
    if isinstance(trajectories, Path):
        target = out / "trajectories.parquet"
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
        **provenance(),
        "files": [p.name for p in written],
    }
    written.append(write_json(out / "manifest.json", manifest))
    return written
