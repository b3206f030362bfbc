"""Running a sweep: its chunks in this process, a local process pool or on a Dask cluster.

Points are cut into chunks of ``chunk_points``, one :func:`sim.engines.simulate.simulate` call
each (theta repeated per replicate; :func:`sim.analysis.sweep.chunk_task`). Chunks run in this
process (``workers=1``), a process pool ('spawn' context, passed explicitly), or on a Dask
distributed cluster (``scheduler``). A chunk's result depends only on its points and the fixed
seeds (common random numbers, Law 2015, ch. 11), so the executor and the number of workers never
change the numbers. Each finished chunk goes to the resumable store
(:mod:`sim.analysis.sweep_store`), so a killed sweep resumes where it stopped.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pandas as pd

from sim.analysis.sweep import Sweep, as_sweep, chunk_task, design_points
from sim.analysis.sweep_store import (
    chunk_path,
    finished_chunk,
    open_store,
    sign_store,
    stale_writes,
    sweep_manifest,
    write_chunk,
)
from sim.engines.simulate import progress_disabled
from sim.errors import InputError
from sim.results import write_frame


def run_sweep(
    spec: Sweep | str | Path,
    out: str | Path,
    workers: int | None = None,
    scheduler=None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Run (or resume) a sweep into ``out``; returns the results, one row per point.

    Args:
        spec: a loaded :class:`Sweep` or the path of a sweep file.
        out: the output folder: manifest.json, design.parquet, chunks/, results.parquet.
        workers: local processes (default ``os.cpu_count()``); 1 runs in this process.
        scheduler: a Dask scheduler address (``tcp://host:8786``) or a ``distributed.Client``;
            the chunks then run on that cluster (``workers`` must not be given).
        progress: a progress bar over points (None: only on a terminal, never under CI).

    Raises:
        InputError: a bad sweep file, or ``out`` holding something other than this sweep.
    """
    from tqdm.auto import tqdm

    sweep = as_sweep(spec)
    if workers is not None and scheduler is not None:
        raise InputError("give either workers or a scheduler, not both")
    if workers is not None and workers < 1:
        raise InputError(f"workers must be >= 1, got {workers}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file: expected a folder for the sweep", key="--out")
    design = design_points(sweep)
    seeds = sweep.seeds()
    manifest = sweep_manifest(sweep, design, seeds)
    open_store(out, manifest)
    write_frame(out / "design.parquet", design)
    for stale in stale_writes(out):
        stale.unlink(missing_ok=True)  # left by a killed run's atomic write

    size = sweep.spec.chunk_points
    parts = [design.iloc[k : k + size] for k in range(0, len(design), size)]
    columns = ["point", *sweep.names, "seed", "replicates"] + [
        f"{o}_{stat}" for o in sweep.spec.outputs for stat in ("mean", "sd")
    ]
    todo = [
        k for k, part in enumerate(parts) if not finished_chunk(chunk_path(out, k), part, columns)
    ]
    theta = sweep.theta(design)
    world = sweep.scenario.compile()
    outputs = tuple(sweep.spec.outputs)

    def task(k: int) -> tuple:
        part = parts[k]
        rows = part["point"].to_numpy()
        values = part[sweep.names].to_numpy()
        return rows, values, theta[rows], sweep.seed, seeds, outputs, tuple(sweep.names)

    bar = tqdm(total=len(design), initial=len(design) - sum(len(parts[k]) for k in todo),
               unit="point", desc=f"sweep {sweep.name}",
               disable=progress_disabled(progress))  # fmt: skip

    def done(k: int, frame: pd.DataFrame) -> None:
        write_chunk(out, k, frame)
        bar.update(len(frame))

    try:
        if todo:
            _execute(world, todo, task, done, workers, scheduler)
    finally:
        bar.close()
    results = pd.concat(
        [pd.read_parquet(chunk_path(out, k)) for k in range(len(parts))], ignore_index=True
    )
    write_frame(out / "results.parquet", results)
    sign_store(out)
    return results


def _execute(world, todo, task, done, workers, scheduler) -> None:
    """Run the chunks ``todo`` on the chosen executor, calling ``done(k, frame)`` as each ends."""
    if scheduler is not None:
        _execute_dask(world, todo, task, done, scheduler)
        return
    workers = min(workers or os.cpu_count() or 1, len(todo))
    if workers == 1:
        for k in todo:
            done(k, chunk_task(world, *task(k)))
        return
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    threads = max(1, (os.cpu_count() or 1) // workers)
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker, initargs=(threads,),
    )  # fmt: skip
    try:
        queue = iter(todo)
        pending = {}
        for k in itertools.islice(queue, 2 * workers):
            pending[pool.submit(chunk_task, world, *task(k))] = k
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                done(pending.pop(future), future.result())
                for k in itertools.islice(queue, 1):
                    pending[pool.submit(chunk_task, world, *task(k))] = k
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _execute_dask(world, todo, task, done, scheduler) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError(
            "a scheduler needs dask.distributed: pip install 'llama-exodus-sim[dask]'"
        ) from None
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler) if own else scheduler
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot connect to the Dask scheduler {scheduler!r} ({exc})") from None
    try:
        shared = client.scatter(world, broadcast=True)
        futures = {client.submit(chunk_task, shared, *task(k), pure=False): k for k in todo}
        for future in as_completed(futures):
            done(futures[future], future.result())
            future.release()
    finally:
        if own:
            client.close()


def _init_worker(threads: int) -> None:
    """Pool worker start-up: share the cores between workers instead of oversubscribing."""
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
