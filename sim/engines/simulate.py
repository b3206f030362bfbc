"""The one simulation function every driver calls: world + parameters + seeds -> trajectories.

Runs, sweeps, calibration and counterfactual comparisons are drivers around :func:`simulate`
(EMA Workbench's model-as-function). Either engine gives the same trajectories for the same
inputs; the ensemble engine runs in chunks, so memory stays bounded for any number of replicates.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
from tqdm.auto import tqdm

from sim.config.params import check_theta
from sim.errors import InputError
from sim.kernel.behavior import PARAMETER_NAMES
from sim.results import Trajectories
from sim.world import CompiledWorld

ENGINES = ("ensemble", "mesa")
#: Share of the available memory a run may plan to use.
MEMORY_SHARE = 0.8


def run_bytes(world: CompiledWorld, replicates: int, keep_histories: bool = True) -> int:
    """Bytes a run of ``replicates`` keeps, as planned before it starts.

    Lab codes [R, T, N] (int8), the focal-lab counts [R, T] (int16), seeds, parameter vectors
    and per-replicate summaries, plus one chunk's working arrays.
    """
    from sim.engines import ensemble

    n_labs = len(world.world.labs)
    kept = world.n_researchers + 2 if keep_histories else 4  # lab codes, or two [R, T] counts
    # seed, parameter vector and its posterior copy, and about 16 per-replicate summaries
    per_replicate = world.n_months * kept + 2 * n_labs + 8 * (1 + 2 * len(PARAMETER_NAMES) + 16)
    chunk = ensemble.chunk_size(world) * ensemble.replicate_bytes(world)
    return replicates * per_replicate + min(chunk, replicates * ensemble.replicate_bytes(world))


def available_bytes() -> int:
    """Memory available to this process now (MemAvailable of /proc/meminfo where there is one)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def check_fits(
    world: CompiledWorld, replicates: int, option: str = "--replicates", keep_histories=True
) -> None:
    """Refuse, before allocating anything, a run that would not fit in memory; say what fits.

    ``keep_histories`` False plans a streamed run (:func:`sim.engines.run.run_streamed`), which
    keeps [R, T] counts instead of the lab codes [R, T, N].
    """
    from sim.engines import ensemble

    one = ensemble.replicate_bytes(world)
    if one > ensemble.DEFAULT_BUDGET:
        raise InputError(
            f"one replicate of this world ({world.n_researchers:,} researchers, "
            f"{len(world.world.labs)} labs, {world.n_months} months) needs "
            f"{one / 2**20:,.0f} MiB of working arrays, more than the engine's chunk budget of "
            f"{ensemble.DEFAULT_BUDGET / 2**20:,.0f} MiB: shorten the horizon or split the cohort",
            key=option,
        )
    need = run_bytes(world, replicates, keep_histories)
    have = MEMORY_SHARE * available_bytes()
    if need > have:
        per = run_bytes(world, 1_000_000, keep_histories) / 1_000_000
        fits = max(int(have // per), 0)
        raise InputError(
            f"{replicates:,} replicates of {world.n_researchers:,} researchers over "
            f"{world.n_months} months need about {need / 2**30:,.1f} GiB, more than the "
            f"{have / 2**30:,.1f} GiB this machine has free; about {fits:,} fit: use fewer "
            "(several runs with different seeds can be pooled)",
            key=option,
        )


def simulate(
    world: CompiledWorld,
    theta: np.ndarray,
    seeds: np.ndarray,
    *,
    engine: str = "ensemble",
    draw: np.ndarray | None = None,
    chunk_size: int | None = None,
    progress: bool | None = False,
    from_observed: bool = False,
) -> Trajectories:
    """Simulate one replicate per seed.

    Args:
        world: the compiled world (cohort, labs, timeline over the horizon).
        theta: parameter vectors, [R, P], or one vector [P] shared by all replicates.
        seeds: integer replicate seeds (:func:`sim.kernel.streams.replicate_seeds`), length R.
        engine: ``"ensemble"`` (compiled, parallel) or ``"mesa"`` (the reference model).
        draw: the posterior draw index behind each replicate, recorded in the results.
        chunk_size: replicates per chunk for the ensemble engine (default: as many as fit its
            memory budget, :func:`sim.engines.ensemble.chunk_size`).
        progress: show a progress bar (None: only on a terminal).
        from_observed: start from the observed state (:mod:`sim.likelihood.forecast`): every
            replicate is forced through the world's observed months, and each researcher's
            latent terms are drawn given their own history at the replicate's parameters.
    """
    from sim.engines import (
        ensemble,  # imported here: numba compiles lazily, keep `import sim` light
    )
    from sim.engines.mesa_model import simulate_mesa

    check_fits(world, len(seeds), option="replicates")
    seeds = np.asarray(seeds, dtype=np.uint64)
    theta = np.asarray(theta, dtype=np.float64)
    theta = np.broadcast_to(np.atleast_2d(theta), (len(seeds), theta.shape[-1]))
    check_theta(theta)
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if len(world.world.labs) > 127:
        raise InputError("at most 127 labs are supported (lab codes are stored as int8)")
    prefix = latent = ess = None
    if from_observed:
        from sim.likelihood import forecast_inputs
        from sim.likelihood.forecast import MIN_LATENT_ESS

        prefix, latent, ess = forecast_inputs(world.world, world, theta, seeds)
        weak = [name for name, low in zip(world.world.researchers, ess.min(axis=0), strict=True)
                if low < MIN_LATENT_ESS]  # fmt: skip
        if weak:
            warnings.warn(
                f"the forecast's latent draws of {', '.join(weak)} rest on fewer than "
                f"{MIN_LATENT_ESS:g} effective candidates in some replicates (their histories are "
                "unlikely at those parameters); see forecast_ess.csv",
                stacklevel=2,
            )
    chunk = chunk_size or (
        ensemble.chunk_size(world, latent=from_observed) if engine == "ensemble" else 1
    )
    labs = np.empty((len(seeds), world.n_months, world.n_researchers), dtype=np.int8)
    bar = tqdm(
        total=len(seeds), unit="rep", disable=progress_disabled(progress), desc=f"{engine} engine"
    )
    if engine == "ensemble":
        chunks = ensemble.iter_chunks(world, theta, seeds, chunk, prefix=prefix, latent=latent)
    else:
        chunks = (
            (part, simulate_mesa(world, theta[part], seeds[part], prefix=prefix,
                                 latent=None if latent is None else (latent[0][part],
                                                                     latent[1][part])))
            for part in (slice(s, min(s + chunk, len(seeds))) for s in range(0, len(seeds), chunk))
        )  # fmt: skip
    for part, block in chunks:
        labs[part] = block
        bar.update(part.stop - part.start)
    bar.close()
    return Trajectories(
        labs=labs,
        seeds=seeds,
        theta=np.array(theta),
        world=world.world,
        draw=None if draw is None else np.asarray(draw),
        latent_ess=ess,
    )


def progress_disabled(progress: bool | None) -> bool | None:
    """Tqdm's ``disable``: None means 'only on a terminal'; CI is never a terminal."""
    import os

    if progress is None:
        return True if os.environ.get("CI") else None
    return not progress
