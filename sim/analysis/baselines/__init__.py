"""Simpler models to beat: the agent-based model against survival models, cohort by cohort.

Does the agent-based model predict a cohort it was not fitted to better than a standard
survival model would? :func:`compare_baselines` answers it by leave-one-cohort-out: each world
in turn is held out, every model is fitted on the others, and the held-out world's observed
history is scored under each model's predictive.

The models:

- three survival baselines (:mod:`.survival`): a constant hazard, Kaplan-Meier pooled across
  the other cohorts, and cause-specific hazards by destination type with covariates, each
  fitted by its likelihood with interval-censored exit months summed over;
- the agent-based model's own leave-one-cohort-out predictive: the other world's committed
  single-world likelihood posterior (``CALIBRATIONS/OTHER/founding/`` or
  ``OTHER/likelihood/posterior.parquet``, :func:`posterior_file`), its per-cohort parameters
  (``k0``) drawn from their prior, simulates the held-out world from its start to its last
  observed month (:func:`sim.inference.joint.loo_draws`, the draws of the joint
  calibration's leave-one-out check).

The scores, both proper (Gneiting & Raftery 2007):

- **log predictive density** of each researcher's first exit from the focal lab: the
  probability of the months its interval allows (``log density: exit months``) and of the
  destination type given them (``destination types``); a stayer contributes the probability of
  staying through the last observed month. Summed over the cohort. For the survival models,
  whose researchers are independent, the sum is the log density of the whole history; the
  agent-based model's researchers are not independent (colleagues pull), and its sum is of each
  researcher's marginal predictive (a composite score), estimated from the simulated histories
  with Krichevsky-Trofimov's half count per outcome (:meth:`.survival.Predictive.from_samples`).
  Higher is better; a difference of 1 is a factor e in probability.
- **CRPS of the declared counts** (:mod:`.scoring`): each statistic declared in the held-out
  world's ``world.toml`` and read within its observed months, against the band between its
  earliest and latest reading of the observed history (exact for counts at the focal lab and
  of leavers, which those readings bound). Lower is better, in counts. The survival baselines
  predict first exits only, so they are scored on the counts those determine (:data:`FOCAL_KINDS`,
  their histories sampled from their predictive); counts of particular labs, of destinations and
  of returners are the agent-based model's alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.baselines.scoring import crps_energy, crps_interval
from sim.analysis.baselines.survival import (
    COVARIATES,
    DESTINATION_TYPES,
    ConstantHazard,
    ExitHistory,
    HazardRegression,
    KaplanMeier,
    Predictive,
    exit_history,
    interval_log_likelihood,
    lab_types,
)
from sim.config.scenario import load_posterior
from sim.engines.simulate import simulate
from sim.errors import InputError
from sim.inference.joint import loo_draws
from sim.inference.priors import load_priors
from sim.kernel.streams import replicate_seeds
from sim.results import Trajectories, observed_readings, statistic_values
from sim.world import World, load_world, simulated

__all__ = [
    "COVARIATES",
    "DESTINATION_TYPES",
    "FOCAL_KINDS",
    "MODEL",
    "Comparison",
    "ConstantHazard",
    "ExitHistory",
    "HazardRegression",
    "KaplanMeier",
    "Predictive",
    "committed_posteriors",
    "compare_baselines",
    "crps_energy",
    "crps_interval",
    "exit_history",
    "interval_log_likelihood",
    "lab_types",
    "load_cohorts",
]

#: The shipped cohorts, compared by default.
WORLDS = ("llama", "openai-founders")
#: Kinds of declared statistics that first exits alone determine (the baselines' counts).
FOCAL_KINDS = ("at_focal", "left_by", "bunching")
#: The agent-based model's name in the tables.
MODEL = "agent-based model"
#: The log-density items, in table order.
LOG_ITEMS = ("exit months", "destination types", "both")


@dataclass
class Comparison:
    """The leave-one-cohort-out scores of every model (:func:`compare_baselines`).

    ``scores`` has one row per held-out world, model and score: ``score`` is "log density"
    (``item`` one of :data:`LOG_ITEMS`) or "CRPS" (``item`` a declared statistic, ``label`` its
    label, ``observed`` the band it is scored against). ``researchers`` has each researcher's
    log densities under each model; ``coefficients`` the covariate model's fitted values.
    """

    scores: pd.DataFrame
    researchers: pd.DataFrame
    coefficients: pd.DataFrame
    worlds: tuple[str, ...]
    replicates: int
    seed: int
    posteriors: dict[str, str]  # world -> the posterior file it was predicted from

    def to_df(self) -> pd.DataFrame:
        """The scores, one row per held-out world, model and score."""
        return self.scores


def load_cohorts(entries: list[str]) -> list[World]:
    """Worlds from names or folders (:func:`sim.world.load_world`): at least two, all different.

    Raises:
        InputError: an unknown world (from the loader), fewer than two, or one given twice.
    """
    worlds = [load_world(e) for e in entries]
    names = [w.name for w in worlds]
    if len(set(names)) < 2 or len(set(names)) != len(names):
        raise InputError(
            f"expected at least two different worlds, got {', '.join(names) or 'none'}: each is "
            "predicted from the others", key="--worlds",
        )  # fmt: skip
    return worlds


def posterior_file(calibrations: Path, world: World) -> Path:
    """Where a world's committed single-world likelihood posterior is.

    ``WORLD/founding/`` where the world's founding is chosen (the shipped worlds: ``make
    calibrate-founding``), ``WORLD/likelihood/`` where it is given, so the other cohort's
    posterior predicts the held-out one under the founding its world declares.
    """
    folder = "founding" if world.founding_chosen else "likelihood"
    return Path(calibrations) / world.name / folder / "posterior.parquet"


def committed_posteriors(calibrations: Path, worlds: list[World]) -> dict[str, Path]:
    """Each world's single-world likelihood posterior file under a folder of calibrations.

    Raises:
        InputError: a world without one, naming the file expected and how to make it.
    """
    files = {w.name: posterior_file(calibrations, w) for w in worlds}
    for name, path in files.items():
        if not path.is_file():
            raise InputError(
                f"no single-world likelihood posterior of {name!r}: run `sim calibrate --method "
                f"likelihood` on its baseline with --out {path.parent}, or point --calibrations "
                "at the folder that holds it", source=str(path),
            )  # fmt: skip
    return files


def first_exits(traj: Trajectories, history: ExitHistory) -> tuple[np.ndarray, np.ndarray]:
    """Each replicate's first exit of each researcher of ``history``: month and type, int [R, N].

    -1 for both where the researcher is at the focal lab throughout.
    """
    labs = traj.labs[:, :, history.columns]
    away = labs != traj.focal
    left = away.any(axis=1)
    month = np.where(left, away.argmax(axis=1), -1)
    lab = np.take_along_axis(labs, np.maximum(month, 0)[:, None, :], axis=1)[:, 0, :]
    return month, np.where(left, lab_types(traj.world)[lab], -1)


def sample_histories(
    predictive: Predictive, history: ExitHistory, world: World, replicates: int, rng
) -> Trajectories:
    """Histories drawn from a baseline's predictive, researchers independent.

    Who leaves goes to some lab other than the focal one (which one the baselines do not say):
    only the statistics of :data:`FOCAL_KINDS` may be read on them.
    """
    n_people, n_months, n_kinds = predictive.cells.shape
    probs = np.concatenate([predictive.cells.reshape(n_people, -1), predictive.stay[:, None]], 1)
    cumulative = np.cumsum(probs, axis=1)
    cumulative /= cumulative[:, -1:]
    focal = world.labs.index(world.focal_lab)
    away = next(j for j in range(len(world.labs)) if j != focal)
    labs = np.empty((replicates, n_months, len(world.researchers)), dtype=np.int8)
    labs[:] = np.array([world.labs.index(s) for s in world.start_labs], dtype=np.int8)
    months = np.arange(n_months)
    for n, column in enumerate(history.columns):
        cell = np.searchsorted(cumulative[n], rng.random(replicates), side="right")
        month = np.where(cell < n_months * n_kinds, cell // n_kinds, n_months)
        labs[:, :, column] = np.where(months[None, :] >= month[:, None], away, focal)
    return Trajectories(
        labs=labs, seeds=np.zeros(replicates, np.uint64), theta=np.zeros((replicates, 0)),
        world=world,
    )  # fmt: skip


def observed_band(world: World, statistic) -> tuple[int, int]:
    """The smallest and largest value of a declared statistic on the observed readings."""
    values = statistic_values(statistic, observed_readings(world))
    return int(values.min()), int(values.max())


def compare_baselines(
    worlds: list[World], posteriors: dict[str, Path | pd.DataFrame], replicates: int, seed: int,
    priors: tuple | None = None,
) -> Comparison:  # fmt: skip
    """Leave each world out in turn; score every model's prediction of it (module docstring).

    Args:
        worlds: the cohorts (:func:`load_cohorts`); each needs an observed history.
        posteriors: per world, its posterior fitted to it alone, which the agent-based model
            predicts the other worlds from: a file (:func:`committed_posteriors`; a joint
            file's columns for that world are read) or the draws themselves (a joint
            calibration's ``--compute-alone``, shown as "computed by this run").
        replicates: histories simulated by the agent-based model per held-out world, and drawn
            from each baseline for its CRPS.
        seed: seed of the posterior draws, the simulations and the baselines' draws.
        priors: the prior set whose per-cohort parameters the predictive draws (default: the
            shipped priors).

    Raises:
        InputError: a world without an observed history or without a posterior.
    """
    histories = {w.name: exit_history(w) for w in worlds}
    missing = [w.name for w in worlds if w.name not in posteriors]
    if missing:
        raise InputError(
            f"no posterior fitted alone was given for {', '.join(missing)}: each world is "
            "predicted from the others' posteriors", key="--worlds",
        )  # fmt: skip
    draws = {
        w.name: load_posterior(p, w.name) if isinstance(p, (str, Path)) else p
        for w in worlds for p in [posteriors[w.name]]
    }  # fmt: skip
    priors = load_priors(None) if priors is None else priors
    scores, researchers, coefficients = [], [], []
    for w, held in enumerate(worlds):
        others = [o for o in worlds if o is not held]
        training = [histories[o.name] for o in others]
        history = histories[held.name]
        trained_on = "+".join(o.name for o in others)
        predictions: list[tuple[str, str, Predictive, Trajectories | None]] = []
        for k, model in enumerate((ConstantHazard(), KaplanMeier(), HazardRegression())):
            predictive = model.fit(training).predict(history, history.n_months)
            rng = np.random.default_rng([seed, 13, w, k])
            traj = sample_histories(predictive, history, held, replicates, rng)
            predictions.append((model.name, trained_on, predictive, traj))
            if isinstance(model, HazardRegression):
                coefficients += [
                    {"held_out": held.name, "trained_on": trained_on, "name": n, "value": v}
                    for n, v in model.coefficients().items()
                ]  # fmt: skip
        for other in others:
            theta, _ = loo_draws(draws[other.name], replicates, seed, priors)
            compiled = held.compile(held.calendar.observed_until)
            traj = simulate(compiled, theta, replicate_seeds(seed, replicates))
            month, kind = first_exits(traj, history)
            name = MODEL if len(others) == 1 else f"{MODEL} ({other.name})"
            predictions.append(
                (name, other.name, Predictive.from_samples(month, kind, history.n_months), traj)
            )
        labels = held.calendar.labels(history.n_months)
        for name, fitted_on, predictive, traj in predictions:
            base = {"held_out": held.name, "trained_on": fitted_on, "model": name}
            logs = interval_log_likelihood(predictive, history)
            totals = (logs[:, 0].sum(), logs[:, 1].sum(), logs.sum())
            scores += [
                {**base, "score": "log density", "item": item, "label": "", "observed": "",
                 "value": float(v)}
                for item, v in zip(LOG_ITEMS, totals, strict=True)
            ]  # fmt: skip
            researchers += [
                {**base, "researcher": r, "observed": history.describe(i, labels),
                 "log_exit_months": float(logs[i, 0]), "log_destination": float(logs[i, 1])}
                for i, r in enumerate(history.researchers)
            ]  # fmt: skip
            for stat in simulated(held, history.n_months):
                if not name.startswith(MODEL) and stat.kind not in FOCAL_KINDS:
                    continue
                low, high = observed_band(held, stat)
                scores.append({
                    **base, "score": "CRPS", "item": stat.name,
                    "label": stat.describe(held.focal_lab),
                    "observed": str(low) if low == high else f"{low} .. {high}",
                    "value": crps_interval(statistic_values(stat, traj), low, high),
                })  # fmt: skip
    return Comparison(
        scores=pd.DataFrame(scores),
        researchers=pd.DataFrame(researchers),
        coefficients=pd.DataFrame(coefficients),
        worlds=tuple(w.name for w in worlds),
        replicates=replicates,
        seed=seed,
        posteriors={
            w.name: str(p) if isinstance(p, (str, Path)) else "computed by this run"
            for w in worlds
            for p in [posteriors[w.name]]
        },  # fmt: skip
    )
