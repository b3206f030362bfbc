"""Running a scenario: every history in memory, or streamed block by block (``sim run``).

:func:`run_scenario` returns every history (:class:`~sim.results.Trajectories`), for use from
Python. The command line runs :func:`run_streamed` instead: it simulates block by block, appends
each block's histories to ``trajectories.parquet`` (when asked;
:class:`~sim.results.TrajectoryWriter`) and keeps only its
:class:`~sim.results.RunSummary`, so memory is bounded by a block's lab codes plus [R, T] counts,
whatever the number of researchers. Both give the same tables for the same scenario and seed.
"""

from __future__ import annotations

from pathlib import Path

from sim.config.scenario import Scenario
from sim.engines.simulate import check_fits, simulate
from sim.results import TRAJECTORY_BLOCK, RunSummary, Trajectories, TrajectoryWriter


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
    parts, writer = [], TrajectoryWriter(trajectories)
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
