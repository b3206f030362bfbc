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
from sim.simulate import simulate
from sim.store import provenance, save_figure, write_frame, write_json


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
    theta, draw = scenario.parameters(replicates, seed)
    return simulate(
        scenario.compile(), theta, scenario.seeds(replicates, seed),
        engine=engine, draw=draw, progress=progress,
    )  # fmt: skip


def write_run(
    scenario: Scenario, traj: Trajectories, out: Path, *, seed: int, engine: str,
    trajectories: bool = True,
) -> list[Path]:  # fmt: skip
    """Write a run's files into ``out``: tables, the figure and the manifest (each atomically)."""
    from sim.plot import retention_figure

    out = Path(out)
    curve = retention_curve(traj)
    written = []
    if trajectories:
        frame = traj.to_df()
        written.append(write_frame(out / "trajectories.parquet", frame))
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
