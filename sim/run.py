"""Running a scenario and writing its outputs (the ``sim run`` command's work)."""

from __future__ import annotations

from pathlib import Path

from sim.results import (
    Trajectories,
    destination_counts,
    exits_per_month,
    retention_curve,
    summary_table,
)
from sim.scenario import Scenario
from sim.simulate import check_fits, simulate
from sim.store import provenance, replace_folder, save_figure, write_atomic, write_frame, write_json

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
        engine=engine, draw=draw, progress=progress,
    )  # fmt: skip


def write_run(
    scenario: Scenario, traj: Trajectories, out: Path, *, seed: int, engine: str,
    trajectories: bool = True,
) -> list[Path]:  # fmt: skip
    """Write a run's files (tables, the figure and the manifest) into ``out``.

    They go into a fresh folder swapped in for ``out`` whole (:func:`sim.store.replace_folder`),
    so ``out`` holds one complete run.
    """
    return replace_folder(
        Path(out),
        lambda folder: _write_run_files(scenario, traj, folder, seed, engine, trajectories),
    )


def write_trajectories(path: Path, traj: Trajectories) -> Path:
    """Write the tidy trajectories to Parquet block by block (bounded memory), atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def write(tmp: Path) -> None:
        writer = None
        try:
            for start in range(0, max(traj.shape[0], 1), TRAJECTORY_BLOCK):
                part = traj.subset(slice(start, start + TRAJECTORY_BLOCK))
                frame = part.to_df()
                frame["replicate"] += start
                table = pa.Table.from_pandas(frame, preserve_index=False)
                writer = writer or pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()

    return write_atomic(path, write)


def _write_run_files(scenario, traj, out: Path, seed: int, engine: str, trajectories: bool):
    from sim.plot import retention_figure

    curve = retention_curve(traj)
    written = []
    if trajectories:
        written.append(write_trajectories(out / "trajectories.parquet", traj))
        written.append(write_frame(out / "parameters.parquet", traj.parameters_df()))
    written.append(write_frame(out / "retention.csv", curve))
    written.append(write_frame(out / "summary.csv", summary_table(traj)))
    written.append(write_frame(out / "destinations.csv", destination_counts(traj)))
    written.append(write_frame(out / "exits.csv", exits_per_month(traj)))
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
        "replicates": traj.shape[0],
        "seed": seed,
        "replicate_seeds": "numpy.random.SeedSequence(seed).generate_state(replicates, uint64)",
        "parameters": (
            "parameters.parquet (one row per replicate)"
            if trajectories
            else "not written (--no-trajectories); the scenario and seed determine them"
        ),
        **provenance(),
        "files": [p.name for p in written],
    }
    written.append(write_json(out / "manifest.json", manifest))
    return written
