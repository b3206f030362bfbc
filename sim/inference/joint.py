"""Learning across cohorts: a joint calibration, and each cohort predicted from the other.

``sim calibrate --method likelihood --worlds llama,openai-founders`` samples one posterior for the
histories of several worlds at once: the behavioural weights shared (the same tastes explain both
cohorts), the parameters declared per cohort (:attr:`sim.config.params.Parameter.per_cohort`: the
stay premium k0, a lab's hold on its people) once per world. The joint likelihood is the product of
the worlds' (:class:`sim.inference.posterior.LogPosterior`). ABC is not offered jointly: its
acceptance rate is the product of the worlds' (below 1e-4 for the two shipped ones at distance 0),
which no budget of this library's size reaches.

**Leave one cohort out.** The honest test of what one cohort teaches is a cohort it was not
fitted to: draws of the posterior fitted to world A, with each per-cohort parameter of world B
drawn from its prior (A says nothing about B's stay premium), simulate B's baseline from its
start; B's targets are read on those histories with posterior predictive p-values, and its
retention band is drawn against its observed counts (:func:`leave_one_out`).
The posterior of each world fitted alone is given explicitly (``sim calibrate --alone
WORLD=FOLDER``; :func:`joint_checks` takes the files), never derived from the output folder's
name; a world without one predicts nothing, and the report says so.

``--worlds`` takes shipped world names (their baseline scenarios, :func:`baseline_of`), world
folders (:func:`~sim.config.scenario.world_scenario`) and scenario files (:func:`parse_worlds`).

Outputs go to ``calibration/joint/`` (:mod:`sim.reports.joint`): the joint posterior and its
diagnostics, one folder per world with the predictive check of that world's parameter vector
(the single-world report's sections), and ``report.md`` with the contraction per parameter side
by side (each world alone, joint), the predictive p-values of every world and the
leave-one-cohort-out checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.params import sample_prior
from sim.config.scenario import (
    Scenario,
    fixed_parameters,
    load_posterior,
    load_scenario,
    world_scenario,
)
from sim.engines.simulate import simulate
from sim.errors import InputError
from sim.inference.posterior import LikelihoodResult
from sim.inference.predictive import PredictiveCheck, predictive_check, predictive_statistics
from sim.kernel.behavior import PARAMETER_NAMES
from sim.kernel.streams import replicate_seeds
from sim.paths import CALIBRATION_DIR, SCENARIO_DIR
from sim.results import retention_curve


def baseline_of(world_name: str) -> Scenario:
    """The shipped baseline scenario of a world: ``scenarios/**/baseline.toml`` naming it.

    Where several do (a variant's folder such as ``scenarios/given/`` has its own), the one
    nearest the top of ``scenarios/`` is the world's baseline (then the first by path).
    """
    found = []
    paths = sorted(SCENARIO_DIR.rglob("baseline.toml"), key=lambda p: (len(p.parts), str(p)))
    for path in paths:
        scenario = load_scenario(path)
        if scenario.world.name == world_name:
            found.append(scenario)
    if not found:
        known = sorted({load_scenario(p).world.name for p in SCENARIO_DIR.rglob("baseline.toml")})
        raise InputError(
            f"no world or scenario {world_name!r}: expected a shipped world with a baseline "
            f"scenario ({', '.join(known)}), a world folder (with world.toml) or a scenario "
            "file (.toml)",
            key="--worlds",
        )
    return found[0]


def parse_worlds(text: str) -> list[Scenario]:
    """Scenarios from a comma-separated list of shipped world names, world folders, scenario files.

    A shipped world's name stands for its baseline scenario (:func:`baseline_of`), a world
    folder for its world as its files give it (:func:`~sim.config.scenario.world_scenario`), a
    ``.toml`` file for that scenario. At least two, of different worlds.
    """
    entries = [n.strip() for n in text.split(",") if n.strip()]
    scenarios = [
        load_scenario(e) if e.endswith(".toml") or Path(e).is_file()
        else world_scenario(e) if Path(e).is_dir() else baseline_of(e)
        for e in entries
    ]  # fmt: skip
    names = [s.world.name for s in scenarios]
    if len(names) < 2:
        raise InputError(
            f"expected at least two different worlds separated by commas, got {text!r}",
            key="--worlds",
        )
    for k, s in enumerate(scenarios):
        for other in scenarios[:k]:
            if other.world.name != s.world.name:
                continue
            if Path(other.world.source).resolve() == Path(s.world.source).resolve():
                raise InputError(f"the world {s.world.name!r} is given twice", key="--worlds")
            raise InputError(
                f"two different worlds are named {s.world.name!r} ({other.world.source} and "
                f"{s.world.source}): the name labels a world's per-cohort parameters "
                f"(k0[{s.world.name}]) and its outputs, so give each its own with name = \"...\" "
                "in its world.toml (default: the folder's name)",
                key="--worlds",
            )  # fmt: skip
    return scenarios


def loo_draws(
    posterior: pd.DataFrame, replicates: int, seed: int, priors: tuple
) -> tuple[np.ndarray, np.ndarray]:
    """The parameter vectors with which a posterior fitted to one world predicts another.

    Each of the ``replicates`` rows takes a posterior draw (by weight) for the shared
    parameters and a prior draw for every per-cohort one (the other world says nothing about
    this world's stay premium). Used by :func:`leave_one_out` and by the comparison with
    simpler models (:mod:`sim.analysis.baselines`), so both predict from the same draws.

    Returns:
        ``(theta, prior_draws)``, both float [replicates, P]: the predictive's parameter
        vectors and the prior draws whose per-cohort columns they took.
    """
    rng = np.random.default_rng([seed, 11])
    weights = posterior["weight"].to_numpy() if "weight" in posterior else np.ones(len(posterior))
    index = rng.choice(len(posterior), size=replicates, p=weights / weights.sum())
    theta = posterior[list(PARAMETER_NAMES)].to_numpy()[index].copy()
    prior_draws = sample_prior(replicates, rng, priors)
    for k, p in enumerate(priors):
        if p.per_cohort:
            theta[:, k] = prior_draws[:, k]
    return theta, prior_draws


def leave_one_out(
    posterior: pd.DataFrame, predicted: Scenario, replicates: int, seed: int, priors: tuple,
    targets: list = (),
) -> dict:  # fmt: skip
    """Predict world ``predicted``'s observed history from a posterior fitted to another world.

    Each replicate takes a posterior draw (by weight) for the shared parameters and a prior draw
    for every per-cohort one, and simulates the predicted world's baseline from its start to its
    last observed month.

    Returns:
        ``{"stats", "prior_stats", "curve"}``: per-replicate statistics of the prediction and of
        the prior predictive (with the months of ``targets``' curves,
        :func:`~sim.inference.predictive.predictive_statistics`), and the prediction's
        retention curve.
    """
    world = predicted.world
    compiled = world.compile(world.calendar.observed_until)
    theta, prior_draws = loo_draws(posterior, replicates, seed, priors)
    seeds = replicate_seeds(seed, replicates)
    traj = simulate(compiled, theta, seeds)
    prior_traj = simulate(compiled, prior_draws, seeds)
    return {
        "stats": predictive_statistics(traj, targets),
        "prior_stats": predictive_statistics(prior_traj, targets),
        "curve": retention_curve(traj),
    }


def default_alone(world_name: str) -> Path:
    """Where ``sim calibrate --method likelihood`` writes a world's posterior by default."""
    return CALIBRATION_DIR / world_name / "likelihood" / "posterior.parquet"


def single_posteriors(paths: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """Each world's posterior fitted to it alone, read from the given files (world -> file).

    A joint posterior may stand in: its columns for that world are read
    (:func:`~sim.config.scenario.load_posterior`).
    """
    return {name: load_posterior(path, name) for name, path in paths.items()}


def posteriors_alone(cohorts, settings, folder: Path, progress=None) -> dict:
    """Each cohort's posterior fitted to it alone, sampled as the joint one was.

    The joint run's settings (priors, seed, walkers, steps, integration), without what only a
    joint calibration has (per-cohort columns, their priors, pooling). Returns, per cohort, the
    file it is to be written to (``folder/NAME/posterior.parquet``) and its draws, as
    :func:`joint_checks` takes them (``computed``).
    """
    import dataclasses

    from sim.inference.posterior import sample_posterior

    single = dataclasses.replace(settings, per_cohort=None, cohort_priors=(), pooled=())
    computed = {}
    for cohort in cohorts:
        if progress:
            progress(f"sampling {cohort.name} alone (--compute-alone)")
        frame = sample_posterior([cohort], single).to_df()
        computed[cohort.name] = (folder / cohort.name / "posterior.parquet", frame)
    return computed


def check_fixed_agree(scenarios: list[Scenario]) -> None:
    """Refuse worlds whose baselines hold a shared parameter at different values.

    Their parameter spaces disagree: one posterior cannot hold both.
    """
    seen: dict[str, tuple[float, Scenario]] = {}
    for s in scenarios:
        for name, value in fixed_parameters(s).items():
            if name in seen and seen[name][0] != value:
                other = seen[name][1]
                raise InputError(
                    f"the worlds' parameter spaces disagree: {other.source} holds {name} = "
                    f"{seen[name][0]:g}, this file {value:g}; a joint calibration needs one "
                    "value (or none) for a shared parameter",
                    source=s.source, key=f"params.{name}",
                )  # fmt: skip
            seen.setdefault(name, (value, s))


@dataclass
class JointChecks:
    """The checks of a joint posterior that its report shows (:func:`joint_checks`)."""

    views: dict[str, LikelihoodResult]  # per world: its parameter vector's posterior, targets set
    checks: dict[str, PredictiveCheck]  # per world: the predictive check of that posterior
    loo: list[tuple[Scenario, str, dict]]  # (world predicted, world fitted on, leave_one_out's)
    alone: dict[str, Path]  # per world with one: the file of its posterior fitted alone
    alone_draws: dict[str, pd.DataFrame]  # and its draws
    #: the posteriors alone this run computed (``--compute-alone``), to be written by the report
    computed: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: the comparison with simpler models (a :class:`sim.analysis.baselines.Comparison`), where
    #: every world has a posterior alone to predict the others from; else None
    baselines: object | None = None


def joint_checks(
    result: LikelihoodResult, scenarios: list[Scenario], targets: dict, seed: int,
    replicates: int, alone: dict[str, Path] | None = None,
    computed: dict[str, tuple[Path, pd.DataFrame]] | None = None,
) -> JointChecks:  # fmt: skip
    """Each world's predictive check under the joint posterior, and the leave-one-out checks.

    Args:
        result: the joint posterior (:func:`sim.inference.posterior.sample_posterior`).
        scenarios: the worlds' baseline scenarios.
        targets: per world name, its targets (read by the checks, not fitted).
        seed: seed of the checks.
        replicates: histories simulated per check.
        alone: per world, the file of its posterior fitted alone (under the same prior set),
            which the other worlds are predicted from; a world without one predicts nothing.
        computed: per world, a posterior alone computed by this run: (the file it will be
            written to, its draws).
    """
    alone = dict(alone or {})
    alone_draws = single_posteriors(alone)
    for name, (path, frame) in (computed or {}).items():
        alone[name], alone_draws[name] = path, frame
    views, checks = {}, {}
    for s in scenarios:
        view = result.for_cohort(s.world.name)
        view.targets = targets[s.world.name]
        views[s.world.name] = view
        checks[s.world.name] = predictive_check(view, s, seed, replicates)
    loo = []
    for s in scenarios:
        for other in scenarios:
            if other is s:
                continue
            fitted = alone_draws.get(other.world.name)
            if fitted is not None:
                prediction = leave_one_out(
                    fitted, s, replicates, seed, result.settings.priors, targets[s.world.name]
                )
                loo.append((s, other.world.name, prediction))
    return JointChecks(views, checks, loo, alone, alone_draws,
                       {name: frame for name, (_, frame) in (computed or {}).items()})  # fmt: skip
