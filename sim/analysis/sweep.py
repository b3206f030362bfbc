"""Parameter sweeps: a TOML design over the declared parameter space, run in chunks, resumable.

A sweep file names a base scenario, the parameters to vary with their ranges, a design and how
many replicates each design point gets::

    scenario = "baseline"            # a name in scenarios/, or a path relative to this file
    design = "sobol"                 # "grid" | "lhs" | "sobol" | "morris"
    samples = 1024                   # N (lhs: points; sobol: a power of 2; morris: trajectories)
    calc_second_order = false        # sobol only
    replicates = 200                 # replicates per design point
    seed = 20230224                  # default: the scenario's seed
    outputs = ["remaining_2025_05", "at_mistral_2025_05", "half_gone_month"]   # the default
    chunk_points = 64                # points per task (default 64)
    noise_points = 32                # points re-run for the seed-noise floor (sim sensitivity)

    [parameters]                     # name = [low, high], inside the declared bounds
    b_peer = [0.0, 20.0]
    k0 = [2.0, 8.0]

Designs: a full-factorial ``grid`` of ``levels`` evenly spaced values per parameter (first
parameter slowest); Latin hypercube ``lhs`` (McKay, Beckman & Conover 1979; scipy's ``qmc``);
``sobol``, Saltelli's extension of the scrambled Sobol' sequence, N(D+2) points, or N(2D+2) with
second-order indices (Sobol' 2001; Saltelli 2002; Saltelli et al. 2010, doi:10.1016/
j.cpc.2009.09.018); ``morris``, N one-at-a-time trajectories on ``num_levels`` levels, N(D+1)
points (Morris 1991, doi:10.1080/00401706.1991.10484804; Campolongo, Cariboni & Saltelli 2007).
Sampling and analysis use SALib (Herman & Usher 2017, doi:10.21105/joss.00097; Iwanaga, Usher &
Herman 2022, doi:10.18174/sesmo.18155). Parameter columns are always in the declared order
(:data:`sim.behavior.PARAMETER_NAMES`), whatever the order in the file.

Parameters not varied keep the base scenario's values: its fixed values or the prior means as the
scenario gives them; where the scenario draws from the posterior, the posterior mean (a sweep
point is one parameter vector, so a varying draw would mix posterior spread into seed noise).

Common random numbers (Law 2015, ch. 11): every point is simulated with the same replicate seeds,
``sim.streams.replicate_seeds(seed, replicates)``, so differences between points are not blurred
by different luck. A point's row holds the mean and sd over its replicates of each output; a
replicate in which half the cohort never left within the horizon counts as T, the number of
simulated months, in ``half_gone_month``, so its mean is a mean censored at the horizon.

Execution: points are cut into chunks of ``chunk_points``, one :func:`sim.simulate.simulate` call
each (theta repeated per replicate). Chunks run in this process (``workers=1``), a process pool
('spawn' context, passed explicitly), or on a Dask distributed cluster (``scheduler``). A chunk's
result depends only on its points and the fixed seeds, so the executor and the number of workers
never change the numbers.

The store loses nothing: ``out/manifest.json`` is written first, then each finished chunk as
``out/chunks/chunk-00012.parquet`` (atomically), and ``out/results.parquet`` (all chunks in point
order) at the end. Re-running the same sweep into the same folder resumes: valid chunk files are
kept, damaged ones are recomputed; a different sweep in the same folder is an error.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError

from sim.config.params import parameter, problem
from sim.config.scenario import (
    Scenario,
    find_scenario,
    fixed_parameters,
    load_posterior,
    load_scenario,
)
from sim.errors import InputError, suggest
from sim.kernel.behavior import PARAMETER_NAMES
from sim.kernel.streams import replicate_seeds
from sim.results import (
    half_gone_month,
    provenance,
    summary_functions,
    write_atomic,
    write_frame,
    write_json,
    write_text,
)
from sim.world import (
    CompiledWorld,
    StrictModel,
    explain_validation_error,
    find_statistic,
    read_toml,
)

DESIGNS = ("grid", "lhs", "sobol", "morris")
DEFAULT_OUTPUTS = ("remaining_2025_05", "at_mistral_2025_05", "half_gone_month")
#: Outputs that may not happen within the horizon, computed with "never" counted as T months
#: (:func:`sim.results.half_gone_month` with ``never=T``).
CENSORED_AT_HORIZON: dict[str, Callable[..., np.ndarray]] = {"half_gone_month": half_gone_month}
#: The most points a sweep's design may have (a design of 10 million points is ~0.5 GB).
MAX_POINTS = 10_000_000
#: Design options and the designs they belong to.
_OPTIONS = {
    "levels": ("grid",),
    "samples": ("lhs", "sobol", "morris"),
    "calc_second_order": ("sobol",),
    "num_levels": ("morris",),
}
# Keys that must match for a folder to be resumed (the rest of the manifest is provenance).
_IDENTITY = (
    "spec", "scenario_spec", "base_parameters", "design", "seed", "replicate_seeds", "outputs",
    "chunk_points", "chunks",
)  # fmt: skip
_SIMULATE_LOCK = threading.Lock()  # numba's parallel kernel: one call at a time per process


class SweepSpec(StrictModel):
    """The content of a sweep file (see the module docstring for the keys)."""

    scenario: str
    description: str = ""
    parameters: dict[str, tuple[float, float]] = Field(min_length=1)
    design: Literal["grid", "lhs", "sobol", "morris"]
    levels: int | None = Field(default=None, ge=2)
    samples: int | None = Field(default=None, ge=2)
    calc_second_order: bool | None = None
    num_levels: int | None = Field(default=None, ge=2)
    replicates: int = Field(ge=1)
    seed: int | None = Field(default=None, ge=0)
    outputs: list[str] = Field(default_factory=lambda: list(DEFAULT_OUTPUTS), min_length=1)
    chunk_points: int = Field(default=64, ge=1)
    noise_points: int = Field(default=32, ge=2)


@dataclass(frozen=True)
class Sweep:
    """A loaded, checked sweep: its spec, the base scenario and the fixed parameter values."""

    spec: SweepSpec
    path: Path | None
    scenario: Scenario
    base: dict[str, float]  # every parameter's value where it is not varied
    base_from: str  # where the base values come from (for the manifest and the report)

    @property
    def name(self) -> str:
        """The sweep's name: its file's stem."""
        return self.path.stem if self.path else "sweep"

    @property
    def names(self) -> list[str]:
        """The varied parameters, in the declared order."""
        return [n for n in PARAMETER_NAMES if n in self.spec.parameters]

    @property
    def seed(self) -> int:
        """The sweep's seed (the scenario's where the file gives none)."""
        return self.scenario.spec.seed if self.spec.seed is None else self.spec.seed

    @property
    def source(self) -> str | None:
        """The sweep file, for error messages."""
        return str(self.path) if self.path else None

    def problem(self) -> dict:
        """The SALib problem dict: the varied parameters with the sweep's ranges."""
        prob = problem(self.names)
        prob["bounds"] = [list(self.spec.parameters[n]) for n in self.names]
        return prob

    def seeds(self) -> np.ndarray:
        """The replicate seeds every point shares (common random numbers)."""
        return replicate_seeds(self.seed, self.spec.replicates)

    def noise_seeds(self) -> np.ndarray:
        """A second, independent set of replicate seeds: the first child of the sweep's seed.

        ``SeedSequence(seed).spawn(1)[0]`` mixes a spawn key into the entropy pool, so its words
        are independent of :meth:`seeds` (the root's own words).
        """
        child = np.random.SeedSequence(int(self.seed)).spawn(1)[0]
        return child.generate_state(self.spec.replicates, np.uint64)

    def theta(self, design: pd.DataFrame) -> np.ndarray:
        """Full parameter vectors [points, P]: the base values with the varied ones replaced."""
        theta = np.tile([self.base[n] for n in PARAMETER_NAMES], (len(design), 1))
        for name in self.names:
            theta[:, PARAMETER_NAMES.index(name)] = design[name].to_numpy()
        return theta


# --------------------------------------------------------------------------- loading
def load_sweep(path: str | Path) -> Sweep:
    """Load and check a sweep file; every error names the file and the key.

    Raises:
        InputError: a missing or malformed file, an unknown parameter or output (with the
            nearest known name), a range outside the declared bounds, options that do not
            belong to the design, or a sobol ``samples`` that is not a power of 2.
    """
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise InputError("no such sweep file: expected a .toml file (see sweeps/)", source=where)
    try:
        spec = SweepSpec.model_validate(read_toml(path))
    except ValidationError as exc:
        raise explain_validation_error(exc, path, SweepSpec) from None
    _check_spec(spec, where)
    try:
        scenario = load_scenario(find_scenario(spec.scenario, relative_to=path.parent))
    except InputError as exc:
        if exc.source is None:
            raise InputError(str(exc), source=where, key="scenario") from None
        raise
    _check_outputs(spec, scenario, where)
    base, base_from = base_values(scenario)
    return Sweep(spec=spec, path=path.resolve(), scenario=scenario, base=base, base_from=base_from)


def base_values(scenario: Scenario) -> tuple[dict[str, float], str]:
    """The value of every parameter in the base scenario, and where it comes from.

    Fixed values and ``from = "prior-mean"`` are taken as the scenario gives them; with
    ``from = "posterior"`` each parameter the scenario does not fix gets its posterior mean.
    """
    theta, draw = scenario.parameters(1, scenario.spec.seed)  # checks names, values and bounds
    base = {n: float(v) for n, v in zip(PARAMETER_NAMES, theta[0], strict=True)}
    if draw is None:
        return base, "the scenario's values" if scenario.params_from == "values" else "prior means"
    draws = load_posterior(scenario.posterior_path(), scenario.world.name)
    weights = draws["weight"].to_numpy() if "weight" in draws else np.ones(len(draws))
    means = dict(zip(PARAMETER_NAMES, weights @ draws[list(PARAMETER_NAMES)].to_numpy()
                     / weights.sum(), strict=True))  # fmt: skip
    fixed = fixed_parameters(scenario)
    return {n: base[n] if n in fixed else float(means[n]) for n in PARAMETER_NAMES}, (
        "posterior means"
    )


def _check_spec(spec: SweepSpec, where: str) -> None:
    for name, (low, high) in spec.parameters.items():
        key = f"parameters.{name}"
        try:
            declared = parameter(name)
        except InputError as exc:
            raise InputError(str(exc), source=where, key=key) from None
        if not low < high:
            raise InputError(f"expected [low, high] with low < high, got [{low:g}, {high:g}]",
                             source=where, key=key)  # fmt: skip
        if low < declared.low or high > declared.high:
            raise InputError(
                f"range [{low:g}, {high:g}] is outside the declared bounds "
                f"[{declared.low:g}, {declared.high:g}] of {name} (sim/params.py)",
                source=where,
                key=key,
            )
    for option, designs in _OPTIONS.items():
        if getattr(spec, option) is not None and spec.design not in designs:
            raise InputError(
                f"{option} is an option of design {' / '.join(designs)}, not {spec.design!r}",
                source=where,
                key=option,
            )
    if spec.design == "grid" and spec.levels is None:
        raise InputError("design 'grid' needs levels (values per parameter, >= 2)",
                         source=where, key="levels")  # fmt: skip
    if spec.design == "grid" and spec.levels ** len(spec.parameters) > MAX_POINTS:
        raise InputError(
            f"a grid of {spec.levels} levels over {len(spec.parameters)} parameters has "
            f"{spec.levels ** len(spec.parameters):,} points, more than the {MAX_POINTS:,} a "
            "sweep may have: use fewer levels or a sampled design (lhs, sobol, morris)",
            source=where, key="levels",
        )  # fmt: skip
    if spec.samples is not None and spec.samples * (2 * len(spec.parameters) + 2) > MAX_POINTS:
        raise InputError(
            f"{spec.samples:,} samples over {len(spec.parameters)} parameters make more than "
            f"the {MAX_POINTS:,} points a sweep may have", source=where, key="samples",
        )  # fmt: skip
    if spec.design != "grid" and spec.samples is None:
        raise InputError(f"design {spec.design!r} needs samples (N)", source=where, key="samples")
    if spec.design == "sobol" and spec.samples & (spec.samples - 1):
        lower = 1 << (spec.samples.bit_length() - 1)
        raise InputError(
            f"sobol needs a power of 2 for samples, got {spec.samples} "
            f"(try {lower} or {lower * 2})",
            source=where,
            key="samples",
        )
    if len(set(spec.outputs)) != len(spec.outputs):
        raise InputError("an output is listed twice", source=where, key="outputs")


def _check_outputs(spec: SweepSpec, scenario: Scenario, where: str) -> None:
    """Every output is a summary of the scenario's world, read within its horizon."""
    known = summary_functions(scenario.world)
    for k, name in enumerate(spec.outputs):
        if name not in known:
            raise InputError(
                f"unknown output {name!r}{suggest(name, known)}; the world declares: "
                f"{', '.join(known)}",
                source=where,
                key=f"outputs[{k}]",
            )
        stat = find_statistic(scenario.world, name)
        if stat is not None and scenario.world.calendar.index(stat.month) > scenario.world.month(
            scenario.horizon, key="horizon", source=scenario.source
        ):  # fmt: skip
            raise InputError(
                f"output {name!r} is read in {stat.month}, after the scenario's horizon "
                f"{scenario.horizon}", source=where, key=f"outputs[{k}]",
            )  # fmt: skip


def as_sweep(spec: Sweep | str | Path) -> Sweep:
    """The sweep itself, or the one its file describes."""
    return spec if isinstance(spec, Sweep) else load_sweep(spec)


# --------------------------------------------------------------------------- design
def design_points(spec: Sweep | str | Path) -> pd.DataFrame:
    """The design: one row per point, ``point`` (0, 1, ...) and a column per varied parameter.

    Rows are in the sampler's order (SALib's analyses rely on it). The same spec always gives
    the same design: the samplers are seeded with the sweep's seed.
    """
    sweep = as_sweep(spec)
    s = sweep.spec
    prob = sweep.problem()
    lows, highs = np.array(prob["bounds"]).T
    if s.design == "grid":
        axes = [np.linspace(lo, hi, s.levels) for lo, hi in zip(lows, highs, strict=True)]
        values = np.array(list(itertools.product(*axes)), dtype=np.float64)
    elif s.design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(lows), rng=np.random.default_rng(sweep.seed)).random(
            s.samples
        )
        values = qmc.scale(unit, lows, highs)
    elif s.design == "sobol":
        from SALib.sample import sobol

        second = True if s.calc_second_order is None else s.calc_second_order
        values = sobol.sample(prob, s.samples, calc_second_order=second, seed=sweep.seed)
    else:
        from SALib.sample import morris

        values = morris.sample(prob, s.samples, num_levels=s.num_levels or 4, seed=sweep.seed)
    frame = pd.DataFrame(np.asarray(values, dtype=np.float64), columns=sweep.names)
    frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
    return frame


# --------------------------------------------------------------------------- one chunk
def evaluate_points(
    world: CompiledWorld, theta: np.ndarray, seeds: np.ndarray, outputs: list[str]
) -> dict[str, np.ndarray]:
    """Simulate each parameter vector with every seed; the mean and sd over replicates.

    Args:
        world: the compiled world.
        theta: full parameter vectors, [points, P].
        seeds: the replicate seeds shared by every point.
        outputs: names of the world's summaries (:func:`sim.results.summary_functions`).

    Returns:
        ``{"<output>_mean": [points], "<output>_sd": [points], ...}`` (sd with ddof 1).
    """
    from sim.engines.simulate import simulate

    n, reps = len(theta), len(seeds)
    with _SIMULATE_LOCK:
        traj = simulate(world, np.repeat(theta, reps, axis=0), np.tile(seeds, n), progress=False)
    columns = {}
    functions = summary_functions(world.world)
    for name in outputs:
        if name in CENSORED_AT_HORIZON:
            values = CENSORED_AT_HORIZON[name](traj, never=world.n_months)
        else:
            values = functions[name](traj)
        values = np.asarray(values, dtype=np.float64).reshape(n, reps)
        columns[f"{name}_mean"] = values.mean(axis=1)
        columns[f"{name}_sd"] = values.std(axis=1, ddof=1) if reps > 1 else np.full(n, np.nan)
    return columns


def _chunk_task(world, points, values, theta, seed, seeds, outputs, names) -> pd.DataFrame:
    """A chunk's result table (runs in a worker; depends only on its arguments).

    ``seed`` and ``replicates`` in each row give its replicate seeds,
    ``replicate_seeds(seed, replicates)``, the same for every row.
    """
    frame = pd.DataFrame(values, columns=list(names))
    frame.insert(0, "point", np.asarray(points, dtype=np.int64))
    frame["seed"] = np.int64(seed)
    frame["replicates"] = np.int64(len(seeds))
    for column, data in evaluate_points(world, theta, seeds, outputs).items():
        frame[column] = data
    return frame


def _init_worker(threads: int) -> None:
    """Pool worker start-up: share the cores between workers instead of oversubscribing."""
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


# --------------------------------------------------------------------------- the store
def chunk_path(out: Path, index: int) -> Path:
    """Where chunk ``index`` of a sweep in ``out`` is stored."""
    return Path(out) / "chunks" / f"chunk-{index:05d}.parquet"


def _checksum_path(path: Path) -> Path:
    """The SHA-256 of a chunk, written after it: a chunk without one is not finished."""
    return path.with_suffix(".sha256")


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(sweep: Sweep, design: pd.DataFrame, seeds: np.ndarray) -> dict:
    digest = hashlib.sha256(
        np.ascontiguousarray(design[sweep.names].to_numpy()).tobytes()
    ).hexdigest()
    chunks = -(-len(design) // sweep.spec.chunk_points)
    return {
        "kind": "sweep",
        "sweep_file": sweep.source,
        "spec": sweep.spec.model_dump(mode="json"),
        "scenario": sweep.scenario.name,
        "scenario_files": list(sweep.scenario.chain),
        "scenario_spec": sweep.scenario.spec.model_dump(mode="json"),
        "base_parameters": sweep.base,
        "base_parameters_from": sweep.base_from,
        "design": {
            "method": sweep.spec.design,
            "points": len(design),
            "parameters": sweep.names,
            "bounds": sweep.problem()["bounds"],
            "sha256": digest,
            "file": "design.parquet",
        },
        "seed": sweep.seed,
        "replicates": sweep.spec.replicates,
        "replicate_seeds": [int(s) for s in seeds],
        "replicate_seeds_rule": (
            "numpy.random.SeedSequence(seed).generate_state(replicates, uint64)"
        ),
        "outputs": list(sweep.spec.outputs),
        "chunk_points": sweep.spec.chunk_points,
        "chunks": chunks,
        "results": "results.parquet: one row per point; <output>_mean and <output>_sd",
        **provenance(),
    }


def _open_store(out: Path, manifest: dict) -> None:
    """Write the manifest into a new folder, or check that an existing folder holds this sweep."""
    path = out / "manifest.json"
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise InputError(
                f"unreadable manifest ({exc}); choose another --out", source=str(path)
            ) from None
        if old.get("kind") != "sweep":
            raise InputError(
                "this folder holds other results, not a sweep; choose another --out",
                source=str(path),
            )
        # JSON round trip, so tuples and lists compare alike
        new = json.loads(json.dumps({k: manifest[k] for k in _IDENTITY}))
        changed = []
        for k in _IDENTITY:
            if isinstance(new[k], dict) and isinstance(old.get(k), dict):
                keys = sorted(set(new[k]) | set(old[k]))
                changed += [f"{k}.{s}" for s in keys if old[k].get(s) != new[k].get(s)]
            elif old.get(k) != new[k]:
                changed.append(k)
        if changed:
            raise InputError(
                f"this folder holds a different sweep (it differs in {', '.join(changed)}); its "
                "results are kept: choose another --out, or delete the folder to start again",
                source=str(path),
            )
        if old.get("git_commit") and old.get("git_commit") != manifest["git_commit"]:
            warnings.warn(
                f"{path}: resuming a sweep begun at commit {old['git_commit'][:10]} with the code "
                f"at {str(manifest['git_commit'])[:10]}; if the model changed, start a new folder",
                stacklevel=3,
            )
        return
    if out.exists() and any(not p.name.startswith(".") for p in out.iterdir()):
        raise InputError(
            "the folder is not empty and has no sweep manifest; choose another --out",
            source=str(out),
        )
    write_json(path, manifest)


def _finished_chunk(path: Path, expected: pd.DataFrame, columns: list[str]) -> bool:
    """True where ``path`` is a complete chunk for these points; a damaged file is removed."""
    if not path.exists():
        return False
    try:
        recorded = _checksum_path(path).read_text().strip() if _checksum_path(path).exists() else ""
        frame = pd.read_parquet(path)
        problem_ = None
        if recorded != _file_digest(path):
            problem_ = "its checksum differs from the one recorded when it was written"
        elif list(frame.columns) != columns:
            problem_ = f"columns {list(frame.columns)}"
        elif not np.array_equal(frame["point"].to_numpy(), expected["point"].to_numpy()):
            problem_ = "other point ids"
        elif not np.array_equal(
            frame[expected.columns[1:]].to_numpy(), expected[expected.columns[1:]].to_numpy()
        ):
            problem_ = "other parameter values"
    except Exception as exc:  # pyarrow raises several types for a damaged file
        problem_ = f"not readable as Parquet ({type(exc).__name__})"
    if problem_ is None:
        return True
    warnings.warn(f"{path}: damaged chunk ({problem_}); recomputing it", stacklevel=3)
    path.unlink()
    _checksum_path(path).unlink(missing_ok=True)
    return False


# --------------------------------------------------------------------------- running
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

    from sim.engines.simulate import progress_disabled

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
    manifest = _manifest(sweep, design, seeds)
    _open_store(out, manifest)
    write_frame(out / "design.parquet", design)
    for stale in [*out.glob(".*.tmp"), *out.glob("chunks/.chunk-*.tmp")]:
        stale.unlink(missing_ok=True)  # left by a killed run's atomic write

    size = sweep.spec.chunk_points
    parts = [design.iloc[k : k + size] for k in range(0, len(design), size)]
    columns = ["point", *sweep.names, "seed", "replicates"] + [
        f"{o}_{stat}" for o in sweep.spec.outputs for stat in ("mean", "sd")
    ]
    todo = [
        k for k, part in enumerate(parts) if not _finished_chunk(chunk_path(out, k), part, columns)
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
        # the checksum goes first: a chunk on disk always has one (a killed run leaves at most
        # a checksum without its chunk, which is recomputed)
        data = io.BytesIO()
        frame.to_parquet(data, index=False)
        path = chunk_path(out, k)
        write_text(_checksum_path(path), hashlib.sha256(data.getvalue()).hexdigest() + "\n")
        write_atomic(path, lambda tmp: tmp.write_bytes(data.getvalue()))
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
    return results


def _execute(world, todo, task, done, workers, scheduler) -> None:
    """Run the chunks ``todo`` on the chosen executor, calling ``done(k, frame)`` as each ends."""
    if scheduler is not None:
        _execute_dask(world, todo, task, done, scheduler)
        return
    workers = min(workers or os.cpu_count() or 1, len(todo))
    if workers == 1:
        for k in todo:
            done(k, _chunk_task(world, *task(k)))
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
            pending[pool.submit(_chunk_task, world, *task(k))] = k
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                done(pending.pop(future), future.result())
                for k in itertools.islice(queue, 1):
                    pending[pool.submit(_chunk_task, world, *task(k))] = k
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
        futures = {client.submit(_chunk_task, shared, *task(k), pure=False): k for k in todo}
        for future in as_completed(futures):
            done(futures[future], future.result())
            future.release()
    finally:
        if own:
            client.close()


# --------------------------------------------------------------------------- command line
def register_cli(subparsers) -> None:
    """Add ``sim sweep`` and ``sim sensitivity`` to the command line."""
    from sim.cli.common import add_command, positive_int

    commands = (
        ("sweep", _cmd_sweep, "run (or resume) a parameter sweep",
         "Simulates every point of the sweep file's design (grid, lhs, sobol or morris) with the\n"
         "same replicate seeds (common random numbers), one Parquet chunk per finished chunk of\n"
         "points with its checksum, then results.parquet (the mean and sd of each output per\n"
         "point). A killed sweep resumes where it stopped when run again into the same folder.",
         ["sim sweep sweeps/grid-peer-culture.toml",
          "sim sweep sweeps/sobol-baseline.toml --scheduler tcp://127.0.0.1:8786"]),
        ("sensitivity", _cmd_sensitivity,
         "run a sobol or morris sweep (or reuse it) and write sensitivity indices",
         "Runs (or resumes) the sweep, then SALib's Sobol or Morris analysis of each output:\n"
         "sensitivity.csv, sensitivity.png and sensitivity.md, with the share of the output\n"
         "variance due to chance (the seed-noise points).",
         ["sim sensitivity sweeps/morris-quick.toml",
          "sim sensitivity sweeps/sobol-baseline.toml --workers 2"]),
    )  # fmt: skip
    for name, func, text, description, examples in commands:
        cmd = add_command(subparsers, name, text, description, examples)
        cmd.add_argument("spec", help="a sweep file (TOML), e.g. sweeps/morris-quick.toml")
        cmd.add_argument("--out", default=None, metavar="FOLDER",
                         help="output folder; an existing one is resumed if it holds the same "
                              "sweep (default: out/sweeps/NAME)")  # fmt: skip
        cmd.add_argument("--workers", type=positive_int, default=None, metavar="N",
                         help="local worker processes (default: the number of cores)")  # fmt: skip
        cmd.add_argument("--scheduler", default=None, metavar="ADDRESS",
                         help="a Dask scheduler address, e.g. tcp://host:8786 (default: run "
                              "locally)")  # fmt: skip
        cmd.set_defaults(func=func)


def _sweep_and_out(args) -> tuple[Sweep, Path]:
    """The sweep file named on the command line and its output folder."""
    sweep = load_sweep(args.spec)
    return sweep, Path(args.out or Path("out") / "sweeps" / sweep.name)


def _cmd_sweep(args) -> int:
    sweep, out = _sweep_and_out(args)
    results = run_sweep(sweep, out, workers=args.workers, scheduler=args.scheduler)
    print(f"{sweep.name}: {len(results)} points x {sweep.spec.replicates} replicates in {out}/")
    return 0


def _cmd_sensitivity(args) -> int:
    from sim.analysis.sensitivity import run_sensitivity

    sweep, out = _sweep_and_out(args)
    table = run_sensitivity(sweep, out, workers=args.workers, scheduler=args.scheduler)
    print(f"{sweep.name}: {len(table)} index rows; sensitivity.csv/.png/.md in {out}/")
    return 0
