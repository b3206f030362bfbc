"""Learning across cohorts: a joint calibration, and each cohort predicted from the other.

``sim calibrate --method likelihood --worlds llama,openai-founders`` samples one posterior for
the histories of several worlds at once: the behavioural weights shared (the same tastes explain
both cohorts), the parameters declared per cohort (:attr:`sim.params.Parameter.per_cohort`: the
stay premium k0, a lab's hold on its people) once per world. The joint likelihood is the product
of the worlds' (:class:`sim.posterior.LogPosterior`). ABC is not offered jointly: its acceptance
rate is the product of the worlds' (below 1e-4 for the two shipped ones at distance 0), which
no budget of this library's size reaches.

**Leave one cohort out.** The honest test of what one cohort teaches is a cohort it was not
fitted to: draws of the posterior fitted to world A, with each per-cohort parameter of world B
drawn from its prior (A says nothing about B's stay premium), simulate B's baseline from its
start; B's targets are read on those histories with posterior predictive p-values, and its
retention band is drawn against its observed counts (:func:`leave_one_out`).

Outputs go to ``calibration/joint/``: the joint posterior and its diagnostics, one folder per
world with the predictive check of that world's parameter vector (the single-world report's
sections), and ``report.md`` with the contraction per parameter side by side (each world alone,
joint), the predictive p-values of every world and the leave-one-cohort-out checks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.scenario import Scenario, cohort_view, load_posterior, load_scenario
from sim.errors import InputError
from sim.kernel.behavior import PARAMETER_NAMES
from sim.paths import CALIBRATION_DIR, SCENARIO_DIR


def baseline_of(world_name: str) -> Scenario:
    """The shipped baseline scenario of a world: ``scenarios/**/baseline.toml`` naming it."""
    found = []
    for path in sorted(SCENARIO_DIR.rglob("baseline.toml")):
        scenario = load_scenario(path)
        if scenario.world.name == world_name:
            found.append(scenario)
        elif Path(world_name).is_dir() and scenario.world.name == Path(world_name).name:
            found.append(scenario)
    if not found:
        known = sorted({load_scenario(p).world.name for p in SCENARIO_DIR.rglob("baseline.toml")})
        raise InputError(
            f"no baseline scenario (scenarios/**/baseline.toml) for world {world_name!r}; "
            f"worlds with one: {', '.join(known)}",
            key="--worlds",
        )
    return found[0]


def parse_worlds(text: str) -> list[Scenario]:
    """Scenarios from a comma-separated list: world names (their baselines) or scenario files.

    At least two, of different worlds.
    """
    entries = [n.strip() for n in text.split(",") if n.strip()]
    scenarios = [
        load_scenario(e) if e.endswith(".toml") or Path(e).is_file() else baseline_of(e)
        for e in entries
    ]
    names = [s.world.name for s in scenarios]
    if len(names) < 2 or len(set(names)) != len(names):
        raise InputError(
            f"expected at least two different worlds separated by commas, got {text!r}",
            key="--worlds",
        )
    return scenarios


def leave_one_out(
    posterior: pd.DataFrame, predicted: Scenario, replicates: int, seed: int, priors: tuple
) -> dict:
    """Predict world ``predicted``'s observed history from a posterior fitted to another world.

    Each replicate takes a posterior draw (by weight) for the shared parameters and a prior draw
    for every per-cohort one, and simulates the predicted world's baseline from its start to its
    last observed month.

    Returns:
        ``{"stats", "prior_stats", "curve"}``: per-replicate target statistics of the
        prediction and of the prior predictive, and the prediction's retention curve.
    """
    from sim.config.params import sample_prior
    from sim.engines.simulate import simulate
    from sim.kernel.streams import replicate_seeds
    from sim.results import replicate_summaries, retention_curve

    world = predicted.world
    compiled = world.compile(world.calendar.observed_until)
    rng = np.random.default_rng([seed, 11])
    weights = posterior["weight"].to_numpy() if "weight" in posterior else np.ones(len(posterior))
    index = rng.choice(len(posterior), size=replicates, p=weights / weights.sum())
    theta = posterior[list(PARAMETER_NAMES)].to_numpy()[index].copy()
    prior_draws = sample_prior(replicates, rng, priors)
    for k, p in enumerate(priors):
        if p.per_cohort:
            theta[:, k] = prior_draws[:, k]
    seeds = replicate_seeds(seed, replicates)
    traj = simulate(compiled, theta, seeds)
    prior_traj = simulate(compiled, prior_draws, seeds)
    return {
        "stats": replicate_summaries(traj),
        "prior_stats": replicate_summaries(prior_traj),
        "curve": retention_curve(traj),
    }


def single_posterior(world_name: str, suffix: str = "") -> pd.DataFrame | None:
    """The world's full-information posterior (calibration/WORLD/likelihood{suffix}/), if any."""
    path = CALIBRATION_DIR / world_name / f"likelihood{suffix}" / "posterior.parquet"
    return load_posterior(path) if path.exists() else None


def check_fixed_agree(scenarios: list[Scenario]) -> None:
    """Refuse worlds whose baselines hold a shared parameter at different values.

    Their parameter spaces disagree: one posterior cannot hold both.
    """
    from sim.config.scenario import fixed_parameters

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


def write_joint(result, scenarios: list[Scenario], targets: dict, out: Path, seed: int,
                replicates: int, suffix: str = "") -> list[Path]:  # fmt: skip
    """Write the joint posterior, each world's predictive check and the joint report.

    ``suffix`` names the single-world posteriors compared with and predicted from
    (``calibration/WORLD/likelihood{suffix}/``): those of the same prior set.
    """
    from sim.inference.calibrate import write_calibration
    from sim.results import provenance, write_frame, write_text

    out.mkdir(parents=True, exist_ok=True)
    written = [
        write_frame(out / "posterior.parquet", result.to_df()),
        write_frame(out / "diagnostics.csv", result.diagnostics),
    ]
    for s in scenarios:
        view = result.for_cohort(s.world.name)
        view.targets = targets[s.world.name]
        written += write_calibration(view, s, out / s.world.name, seed, replicates)
    loo = []
    for s in scenarios:
        for other in scenarios:
            if other is s:
                continue
            fitted = single_posterior(other.world.name, suffix)
            if fitted is not None:
                prediction = leave_one_out(fitted, s, replicates, seed, result.settings.priors)
                loo.append((s, other.world.name, prediction))
    written += _loo_figures(loo, out)
    written.append(write_text(
        out / "report.md",
        _joint_report(result, scenarios, targets, loo, provenance(), out, suffix),
    ))  # fmt: skip
    return written


def _loo_figures(loo, out: Path) -> list[Path]:
    from sim.inference.calibrate import anchor_target, load_targets
    from sim.reports.plot import ppc_figure
    from sim.results import save_figure

    written = []
    for scenario, fitted_on, res in loo:
        world = scenario.world
        anchor = anchor_target(load_targets(world), world)
        written.append(save_figure(
            out / f"loo-{world.name}-from-{fitted_on}.png",
            ppc_figure(res["stats"], res["prior_stats"], res["curve"], world,
                       None if anchor is None else (anchor[0], anchor[1].observed)),
        ))  # fmt: skip
    return written


def _joint_report(result, scenarios, targets, loo, prov, out: Path, suffix) -> str:
    from sim.inference.calibrate import _predictive_p_values

    d = result.diagnostics
    s = result.settings
    names = [sc.world.name for sc in scenarios]
    contraction = _contraction_columns(result, scenarios, suffix)
    lines = [
        f"# Joint calibration: {', '.join(sc.world.title for sc in scenarios)}",
        "",
        f"Written by `sim calibrate --method likelihood --worlds {','.join(names)}` (seed "
        f"{s.seed}), package {prov['version']}, commit {prov['git_commit']}.",
        "",
        "## Method",
        "One posterior for the observed histories of every world: the likelihood is the product "
        "of the worlds' (`sim.likelihood`), the behavioural weights are shared, and "
        f"{', '.join(n for n in result.names if '[' in n) or 'nothing'} "
        "are calibrated per world (a lab's hold on its people is the lab's). emcee as for one "
        f"world (`sim.posterior`): {s.walkers} walkers x {s.steps} steps, burn-in {s.burn}, "
        f"{len(result.theta):,} draws, acceptance {result.acceptance:.2f}; "
        f"{result.evaluations:,} likelihood evaluations in {result.seconds:.0f} s; re-weighted "
        f"ESS {result.ess():.0f}; largest split R-hat {d.r_hat.max():.3f}, smallest bulk ESS "
        f"{d.ess_bulk.min():.0f}, chains {d.steps_per_autocorrelation.min():.0f} "
        "autocorrelation times long at the shortest.",
        "",
        "| column | split R-hat | bulk ESS | autocorrelation (steps) |",
        "|---|---|---|---|",
        *[
            f"| {r.parameter} | {r.r_hat:.3f} | {r.ess_bulk:.0f} | {r.autocorrelation_steps:.1f} |"
            for r in d.itertuples()
        ],
        "",
        "## Contraction per parameter: what each world teaches, and what the pair teaches",
        "1 - posterior variance / prior variance, all against the same prior. A world alone "
        f"is its full-information posterior (`calibration/WORLD/likelihood{suffix}/`, the same "
        "prior set); a per-world "
        "parameter of the joint posterior is read for its world.",
        "",
        "| parameter | " + " | ".join(contraction) + " |",
        "|---|" + "---|" * len(contraction),
        *[
            f"| {p} | "
            + " | ".join("" if np.isnan(v[k]) else f"{v[k]:.2f}" for v in contraction.values())
            + " |"
            for k, p in enumerate(PARAMETER_NAMES)
        ],
        "",
        "## Posterior predictive checks, each world with its own parameter vector",
    ]
    for sc in scenarios:
        w = sc.world.name
        lines += [
            f"### {sc.world.title}",
            f"Full report: [{w}/report.md]({w}/report.md).",
            "",
            *_predictive_p_values(targets[w], _stats_of(out / w)),
        ]
    lines += [
        "## Leave one cohort out",
        "Each world predicted from the posterior fitted to the other alone (its per-cohort "
        "parameters from the prior): the predictive p-values of its targets and its retention "
        "band against its observed counts.",
        "",
    ]
    if not loo:
        lines += ["Not computed: the single-world posteriors (`sim calibrate --method "
                  "likelihood` per world) were not found.", ""]  # fmt: skip
    for scenario, fitted_on, res in loo:
        w = scenario.world.name
        lines += [
            f"### {scenario.world.title}, from the posterior of {fitted_on}",
            "",
            *_predictive_p_values(targets[w], res["stats"]),
            f"![{w} from {fitted_on}](loo-{w}-from-{fitted_on}.png)",
            "",
        ]
    return "\n".join(lines)


def _stats_of(folder: Path) -> pd.DataFrame:
    """The predictive statistics a world's check wrote (predictive.parquet)."""
    return pd.read_parquet(folder / "predictive.parquet")


def _contraction_columns(result, scenarios, suffix: str) -> dict[str, np.ndarray]:
    from sim.inference.calibrate import contraction

    priors = result.settings.priors
    out = {}
    for sc in scenarios:
        frame = single_posterior(sc.world.name, suffix)
        out[f"{sc.world.name} alone"] = (
            contraction(frame, priors) if frame is not None
            else np.full(len(PARAMETER_NAMES), np.nan)
        )  # fmt: skip
    for sc in scenarios:
        out[f"joint, {sc.world.name}"] = contraction(
            cohort_view(result.to_df(), sc.world.name), priors
        )
    return out
