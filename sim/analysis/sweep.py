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
(:data:`sim.kernel.behavior.PARAMETER_NAMES`), whatever the order in the file.

Parameters not varied keep the base scenario's values: its fixed values or the prior means as the
scenario gives them; where the scenario draws from the posterior, the posterior mean (a sweep
point is one parameter vector, so a varying draw would mix posterior spread into seed noise).

Common random numbers (Law 2015, ch. 11): every point is simulated with the same replicate seeds,
``sim.kernel.streams.replicate_seeds(seed, replicates)``, so differences between points are not
blurred by different luck. A point's row holds the mean and sd over its replicates of each
output; a replicate in which half the cohort never left within the horizon counts as T, the
number of simulated months, in ``half_gone_month``, so its mean is a mean censored at the
horizon.

Here: the sweep file (:class:`SweepSpec`, :func:`load_sweep`), its design
(:func:`design_points`) and the evaluation of points (:func:`evaluate_points`, one chunk:
:func:`chunk_task`). Running a sweep in chunks on an executor is
:func:`sim.analysis.sweep_run.run_sweep`; its resumable store is :mod:`sim.analysis.sweep_store`.
"""

from __future__ import annotations

import itertools
import threading
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
    load_scenario,
)
from sim.engines.simulate import simulate
from sim.errors import InputError, suggest
from sim.kernel.behavior import PARAMETER_NAMES
from sim.kernel.streams import replicate_seeds
from sim.results import half_gone_month, summary_functions
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
    means = scenario.posterior().means()  # a per-cohort one drawn from its prior: its prior mean
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


def chunk_task(world, points, values, theta, seed, seeds, outputs, names) -> pd.DataFrame:
    """A chunk's result table (runs in a worker; depends only on its arguments).

    One row per point: ``point``, the varied parameters' ``values``, then ``seed``,
    ``replicates`` and each output's mean and sd (:func:`evaluate_points`). ``seed`` and
    ``replicates`` in each row give its replicate seeds, ``replicate_seeds(seed, replicates)``,
    the same for every row.
    """
    frame = pd.DataFrame(values, columns=list(names))
    frame.insert(0, "point", np.asarray(points, dtype=np.int64))
    frame["seed"] = np.int64(seed)
    frame["replicates"] = np.int64(len(seeds))
    for column, data in evaluate_points(world, theta, seeds, outputs).items():
        frame[column] = data
    return frame
