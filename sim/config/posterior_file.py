"""Posterior files, and how their per-cohort columns map onto the world a scenario runs.

A posterior file (Parquet) holds one row per draw and a column per parameter, with an optional
``weight``. A joint calibration (:mod:`sim.inference.joint`) writes one column per world for
each per-cohort parameter (:attr:`sim.config.params.Parameter.per_cohort`, today the stay
premium ``k0``): ``k0[llama]``, ``k0[openai-founders]``. A scenario may run any posterior on any
world; its ``[params]`` table says where each per-cohort parameter comes from:

* a fixed value (``k0 = 4.0``) wins, whatever the file holds;
* ``per_cohort = "prior"``: drawn from its declared prior, one draw per replicate (as the
  leave-one-cohort-out check does, :func:`sim.inference.joint.leave_one_out`; both draw with
  :func:`sim.config.params.sample_prior`);
* ``per_cohort = "population"``: drawn from the population of a partially pooled posterior
  (``sim calibrate --worlds ... --pool k0``, columns ``k0.population_mean`` and
  ``k0.population_sd``): for each replicate, from the normal of its posterior draw's mean and
  sd, restricted to the parameter's bounds (the population predictive: the principled forecast
  for a cohort the posterior has not seen);
* ``per_cohort = "NAME"``: the column of the cohort called NAME (``k0[NAME]``);
* not given: the file's plain column (a single-world posterior), else the column of this world,
  else the population (a pooled posterior), else the prior. A world's identity is the ``name``
  its ``world.toml`` declares (a shipped world loaded by its name is that name), never its
  folder's name: a folder called ``llama``
  whose world.toml names nothing does not take ``k0[llama]`` (an error asks which is meant).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.params import PARAMETER_SPACE, check_theta, sample_prior
from sim.errors import InputError, suggest
from sim.kernel.behavior import FOUNDING_NAMES, PARAMETER_NAMES

#: The ``[params]`` key that chooses the per-cohort columns.
PER_COHORT_KEY = "per_cohort"
#: Its value that draws every per-cohort parameter from its prior.
FROM_PRIOR = "prior"
#: Its value that draws every per-cohort parameter from a pooled posterior's population.
FROM_POPULATION = "population"


def population_columns(name: str) -> tuple[str, str]:
    """The columns of a pooled parameter's population mean and standard deviation."""
    return f"{name}.population_mean", f"{name}.population_sd"


def draw_population(
    frame: pd.DataFrame, name: str, index: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One value of ``name`` per posterior draw in ``index``, from that draw's population.

    The population is the normal of the draw's mean and sd restricted to the parameter's bounds
    (as the pooled likelihood has it: :class:`sim.inference.posterior.LogPosterior`), drawn by
    the inverse CDF of one uniform each.
    """
    from scipy.special import ndtr, ndtri

    declared = PARAMETER_SPACE[PARAMETER_NAMES.index(name)]
    mean_column, sd_column = population_columns(name)
    mean = frame[mean_column].to_numpy(np.float64)[index]
    sd = np.maximum(frame[sd_column].to_numpy(np.float64)[index], 1e-12)
    a, b = ndtr((declared.low - mean) / sd), ndtr((declared.high - mean) / sd)
    q = np.clip(a + rng.random(len(index)) * (b - a), 1e-300, 1 - 1e-16)
    return np.clip(mean + sd * ndtri(q), declared.low, declared.high)


def cohort_view(frame: pd.DataFrame, world_name: str) -> pd.DataFrame:
    """One world's parameter vectors from posterior columns: ``name[world]`` taken as ``name``.

    A joint posterior (:mod:`sim.inference.joint`) has a column per world for each per-cohort
    parameter; a posterior without such columns is returned as it is.
    """
    renamed = {f"{n}[{world_name}]": n for n in PARAMETER_NAMES if f"{n}[{world_name}]" in frame}
    drop = [c for c in frame.columns if "[" in c and c not in renamed]
    return frame.drop(columns=drop).rename(columns=renamed) if renamed or drop else frame


def cohorts_in(frame: pd.DataFrame) -> list[str]:
    """The cohorts a joint posterior has per-cohort columns for (``k0[llama]`` -> llama)."""
    found = []
    for column in frame.columns:
        name, _, rest = str(column).partition("[")
        if rest.endswith("]") and name in PARAMETER_NAMES and rest[:-1] not in found:
            found.append(rest[:-1])
    return found


def read_posterior(path: Path) -> pd.DataFrame:
    """The draws of a posterior file as they are, with a clear error if it cannot be read."""
    if not path.exists():
        raise InputError(
            "no posterior file: run `sim calibrate` first, or give parameter values",
            source=str(path),
        )
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InputError(f"not a readable Parquet file ({exc})", source=str(path)) from exc


def load_posterior(path: Path, world: str | None = None) -> pd.DataFrame:
    """Posterior draws (one row each, a column per parameter) from a Parquet file.

    With ``world``, a joint posterior's columns for that world are read (:func:`cohort_view`).
    Every parameter must have a column; :func:`posterior_for_world` is the lenient reading that
    draws or fixes what is missing.
    """
    frame = read_posterior(path)
    if world is not None:
        frame = cohort_view(frame, world)
    return _checked(with_held_founding(frame), path, PARAMETER_NAMES)


def with_held_founding(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with a column at its prior mean for each founding parameter it lacks.

    A posterior fitted where founding is given holds those parameters (they change nothing
    there: :func:`sim.config.params.prior_space`), and a file written before they existed has
    no column for them; either way they take their held value.
    """
    from sim.config.params import prior_means

    missing = [n for n in FOUNDING_NAMES if n not in frame.columns]
    if not missing:
        return frame
    means = prior_means()
    return frame.assign(**{n: means[n] for n in missing})


def _checked(frame: pd.DataFrame, path: Path, needed, hint: str = "") -> pd.DataFrame:
    """The frame, after checking its weights and the values of the ``needed`` columns."""
    missing = [n for n in needed if n not in frame.columns]
    if missing or frame.empty:
        raise InputError(
            f"expected a column for each parameter and at least one row; missing {missing}" + hint,
            source=str(path),
        )
    if "weight" in frame:
        weights = frame["weight"].to_numpy(dtype=np.float64)
        if not (np.isfinite(weights).all() and (weights >= 0).all() and weights.sum() > 0):
            raise InputError(
                "column weight: expected finite, non-negative weights with a positive sum",
                source=str(path),
            )
    values = frame[list(needed)].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise InputError("expected finite parameter values (found NaN or inf)", source=str(path))
    check = np.array([p.mean for p in PARAMETER_SPACE]) + np.zeros((len(frame), 1))
    for name in needed:  # the file, not the scenario that reads it, is wrong
        check[:, PARAMETER_NAMES.index(name)] = frame[name].to_numpy(dtype=np.float64)
    check_theta(check, source=str(path))
    return frame


@dataclass(frozen=True)
class WorldPosterior:
    """A posterior mapped onto one world (:func:`posterior_for_world`).

    ``frame`` has a column for every parameter taken from the file; the parameters in
    ``from_prior`` are drawn from their prior for each replicate, and those in ``fixed`` are the
    scenario's values, so neither needs a column.
    """

    frame: pd.DataFrame
    from_prior: tuple[str, ...]
    fixed: dict[str, float]
    path: Path
    #: parameters drawn from the population of a pooled posterior (:func:`draw_population`)
    from_population: tuple[str, ...] = ()

    @property
    def weights(self) -> np.ndarray:
        """The draws' weights (1 each without a ``weight`` column), not normalised."""
        frame = self.frame
        return frame["weight"].to_numpy(np.float64) if "weight" in frame else np.ones(len(frame))

    def draw(self, replicates: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Parameter vectors [R, P] and the posterior draw behind each (``index``).

        ``index`` is drawn with replacement, in proportion to the weights, from
        ``default_rng([seed, 1])``; the prior draws of ``from_prior`` from
        ``default_rng([seed, 12])`` with :func:`~sim.config.params.sample_prior`, and the
        population draws of ``from_population`` from ``default_rng([seed, 13])``, so adding them
        leaves the posterior draws as they were. Fixed values are set last.
        """
        weights = self.weights
        index = np.random.default_rng([int(seed), 1]).choice(
            len(weights), size=replicates, p=weights / weights.sum()
        )
        theta = np.empty((replicates, len(PARAMETER_NAMES)))
        for k, name in enumerate(PARAMETER_NAMES):
            if name in self.frame and name not in self.fixed:
                theta[:, k] = self.frame[name].to_numpy(np.float64)[index]
        if self.from_prior:
            prior = sample_prior(replicates, np.random.default_rng([int(seed), 12]))
            for name in self.from_prior:
                k = PARAMETER_NAMES.index(name)
                theta[:, k] = prior[:, k]
        if self.from_population:
            rng = np.random.default_rng([int(seed), 13])
            for name in self.from_population:
                k = PARAMETER_NAMES.index(name)
                theta[:, k] = draw_population(self.frame, name, index, rng)
        for name, value in self.fixed.items():
            theta[:, PARAMETER_NAMES.index(name)] = value
        return theta, index

    def means(self) -> dict[str, float]:
        """Each parameter's posterior mean; a prior mean for those drawn, the value if fixed."""
        from sim.config.params import prior_means

        names = [n for n in PARAMETER_NAMES if n in self.frame and n not in self.from_prior]
        weights = self.weights
        values = weights @ self.frame[names].to_numpy() / weights.sum()
        out = {**prior_means(), **dict(zip(names, map(float, values), strict=True))}
        for name in self.from_population:  # the population's mean
            column = self.frame[population_columns(name)[0]].to_numpy()
            out[name] = float(weights @ column / weights.sum())
        return {**out, **self.fixed}


def posterior_for_world(
    path: Path,
    world,
    *,
    per_cohort: str | None = None,
    fixed: dict[str, float] | None = None,
    source: str | None = None,
) -> WorldPosterior:
    """Read a posterior file for a world it may not have been fitted to.

    Args:
        path: the posterior file.
        world: the :class:`~sim.world.World` run; its ``name`` identifies its per-cohort
            columns only where its world.toml declares it (``name_declared``).
        per_cohort: the scenario's ``params.per_cohort``: None (the file's plain column, else
            this world's, else the prior), ``"prior"`` or a cohort's name.
        fixed: the scenario's fixed values; they need no column.
        source: the scenario file, for errors about ``params.per_cohort``.

    Raises:
        InputError: the file is missing or wrong; ``per_cohort`` names no cohort of the file;
            or a world whose folder name is a cohort of the file declares no name (ambiguous).
    """
    fixed = dict(fixed or {})
    raw = read_posterior(path)
    cohorts = cohorts_in(raw)
    key = f"params.{PER_COHORT_KEY}"
    declared = getattr(world, "name_declared", True)
    per_world = [p.name for p in PARAMETER_SPACE if p.per_cohort]
    choose = (
        f'choose with {key} = "{FROM_PRIOR}" (draw them from their prior), '
        f'{key} = "{FROM_POPULATION}" (from a pooled posterior\'s population) or '
        f'{key} = "COHORT" (one of {", ".join(cohorts) or "none in this file"}) in the '
        "scenario's [params], or fix them there (k0 = 4.0)"
    )
    if per_cohort is None:
        if world.name in cohorts and not declared and not set(per_world) <= set(fixed):
            raise InputError(
                f"the posterior {path} has columns for a world named {world.name!r} "
                f"({', '.join(f'{n}[{world.name}]' for n in per_world)}), and this world's "
                f"folder has that name, but its world.toml declares no name: add "
                f'name = "{world.name}" to {Path(world.folder or world.source) / "world.toml"} '
                f"if it is that world, or {choose}",
                source=source, key=key,
            )  # fmt: skip
        frame = cohort_view(raw, world.name if declared else "")
        from_prior = [n for n in per_world if n not in frame and n not in fixed]
        from_population = [n for n in from_prior if set(population_columns(n)) <= set(raw)]
        from_prior = [n for n in from_prior if n not in from_population]
    elif per_cohort == FROM_POPULATION:
        frame = cohort_view(raw, "").drop(columns=per_world, errors="ignore")
        from_population = [n for n in per_world if n not in fixed]
        lacking = [n for n in from_population if not set(population_columns(n)) <= set(raw)]
        if lacking:
            raise InputError(
                f"the posterior {path} has no population for {', '.join(lacking)} (columns "
                f"{', '.join(c for n in lacking for c in population_columns(n))}): it was not "
                f"calibrated with --pool; {choose}",
                source=source, key=key,
            )  # fmt: skip
        from_prior = []
    elif per_cohort == FROM_PRIOR:
        frame = cohort_view(raw, "").drop(columns=per_world, errors="ignore")
        from_prior = [n for n in per_world if n not in fixed]
        from_population = []
    else:
        if per_cohort not in cohorts:
            raise InputError(
                f"no cohort {per_cohort!r}{suggest(per_cohort, cohorts)} in the posterior "
                f"{path}: its per-cohort columns are for "
                f"{', '.join(cohorts) or 'no cohort (it was fitted to one world)'}; {choose}",
                source=source, key=key,
            )  # fmt: skip
        frame = cohort_view(raw, per_cohort)
        from_prior, from_population = [], []
    if not getattr(world, "founding_chosen", False):  # the founding parameters change nothing
        frame = with_held_founding(frame)
    drawn = set(from_prior) | set(from_population)
    needed = [n for n in PARAMETER_NAMES if n not in fixed and n not in drawn]
    lacking = [n for n in FOUNDING_NAMES if n in needed and n not in frame]
    if lacking:
        raise InputError(
            f"the posterior {path} has no columns for the founding parameters "
            f"({', '.join(lacking)}): it was fitted where founding is given, and this world "
            "founds its labs by choice (world.toml founding = \"chosen\"); calibrate on this "
            "world, or fix them in the scenario's [params]",
            source=source, key="params",
        )  # fmt: skip
    hint = ""
    if any(n in per_world for n in needed) or cohorts:
        hint = f" (per-cohort columns of this file: {', '.join(cohorts) or 'none'}; {choose})"
    frame = _checked(frame, path, needed, hint)
    return WorldPosterior(frame=frame, from_prior=tuple(from_prior), fixed=fixed, path=path,
                          from_population=tuple(from_population))  # fmt: skip
