"""The files of a joint calibration (``sim calibrate --worlds``): posterior, checks, report.

The joint posterior and its chain diagnostics; one folder per world with the single-world
report of that world's parameter vector (:func:`sim.reports.calibration.write_calibration`);
the leave-one-cohort-out figures; ``baselines.csv``; and ``report.md``: the contraction per
parameter side by side (each world alone, joint), the predictive p-values of every world, the
leave-one-cohort-out checks (:mod:`sim.inference.joint` computes them) and the comparison with
simpler survival models on the same held-out cohorts (:mod:`sim.analysis.baselines`). The
posteriors "alone" are those the checks were given (``sim calibrate --alone``); the report names
their files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.scenario import Scenario, cohort_view
from sim.errors import InputError
from sim.inference.abc.targets import anchor_target, load_targets
from sim.inference.diagnostics import contraction, weighted_quantile
from sim.inference.joint import JointChecks, baseline_of
from sim.kernel.behavior import PARAMETER_NAMES
from sim.paths import PROJECT_ROOT
from sim.reports.baselines import comparison_markdown
from sim.reports.calibration import integration_lines, p_value_lines, write_calibration
from sim.reports.plot import ppc_figure
from sim.results import provenance, save_figure, write_frame, write_json, write_text


def write_joint(
    result, checks: JointChecks, scenarios: list[Scenario], targets: dict, out: Path
) -> list[Path]:
    """Write the joint posterior, each world's predictive check and the joint report.

    Args:
        result: the joint posterior (:class:`~sim.inference.posterior.LikelihoodResult`).
        checks: its checks (:func:`sim.inference.joint.joint_checks`).
        scenarios: the worlds' baseline scenarios.
        targets: per world name, its targets.
        out: the output folder.

    The single-world posteriors compared with are the checks' (``checks.alone``); the report
    names their files, and says which world had none.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = [
        write_frame(out / "posterior.parquet", result.to_df()),
        write_frame(out / "diagnostics.csv", result.diagnostics),
    ]
    for s in scenarios:
        name = s.world.name
        written += write_calibration(checks.views[name], checks.checks[name], s.world, out / name)
    written += _loo_figures(checks.loo, out)
    for name, frame in checks.computed.items():  # posteriors alone that this run computed
        written.append(write_frame(out / ALONE_FOLDER / name / "posterior.parquet", frame))
    if checks.baselines is not None:
        written.append(write_frame(out / "baselines.csv", checks.baselines.scores))
    stats = {name: check.stats for name, check in checks.checks.items()}
    written.append(write_text(
        out / "report.md",
        _joint_report(result, scenarios, targets, stats, checks, provenance()),
    ))  # fmt: skip
    manifest = {
        "command": "sim calibrate --method likelihood --worlds", "worlds": list(checks.views),
        "alone": {name: _shown(path) for name, path in checks.alone.items()},
        **provenance(), "timing": {"seconds": round(result.seconds, 3)},
    }  # fmt: skip
    written.append(write_json(out / "manifest.json", manifest))
    return written


def cohort_difference_lines(result, names: list[str]) -> list[str]:
    """How much the worlds' per-cohort parameters differ, and their population if pooled.

    Per per-cohort parameter: each world's posterior mean and 90% interval, the posterior
    probability that the first world's value exceeds the second's, and, where the parameter was
    pooled, the posterior of the population's mean and standard deviation beside the sd's prior
    interval (how far the data moved the spread).
    """
    weights = result.weights
    columns = list(result.names)

    def summary(values) -> str:
        mean = float(weights @ values)
        lo, hi = (weighted_quantile(values, weights, q) for q in (0.05, 0.95))
        return f"{mean:.2f} ({lo:.2f} to {hi:.2f})"

    lines = []
    for p in PARAMETER_NAMES:
        own = [f"{p}[{n}]" for n in names]
        if not all(c in columns for c in own):
            continue
        values = {n: result.theta[:, columns.index(f"{p}[{n}]")] for n in names}
        lines += [
            f"## How much the cohorts differ: {p}",
            "Posterior mean (90% interval), re-weighted draws.",
            "",
            "| column | posterior |",
            "|---|---|",
            *[f"| {p}[{n}] | {summary(values[n])} |" for n in names],
        ]
        mean_column, sd_column = f"{p}.population_mean", f"{p}.population_sd"
        if mean_column in columns:
            prior = result.priors[columns.index(sd_column)]
            prior_lo, prior_hi = prior.from_unit(np.array([0.05, 0.95]))  # on its bounds
            lines += [
                f"| {mean_column} | {summary(result.theta[:, columns.index(mean_column)])} |",
                f"| {sd_column} | {summary(result.theta[:, columns.index(sd_column)])} "
                f"(prior 90%: {prior_lo:.2f} to {prior_hi:.2f}) |",
            ]
        first, second = names[0], names[1]
        above = float(weights @ (values[first] > values[second]))
        lines += [
            "",
            f"P({p}[{first}] > {p}[{second}]) = {above:.2f} in the posterior.",
            "",
        ]
    return lines


def _loo_figures(loo, out: Path) -> list[Path]:
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


def _joint_report(result, scenarios, targets, stats, checks: JointChecks, prov) -> str:
    d = result.diagnostics
    s = result.settings
    names = [sc.world.name for sc in scenarios]
    contraction = _contraction_columns(result, scenarios, checks.alone_draws)
    loo = checks.loo
    lines = [
        f"# Joint calibration: {', '.join(sc.world.title for sc in scenarios)}",
        "",
        f"Written by `sim calibrate --method likelihood --worlds "
        f"{','.join(_world_entry(sc) for sc in scenarios)}` (seed "
        f"{s.seed}), package {prov['version']}, commit {prov['git_commit']}.",
        "",
        "## Method",
        "One posterior for the observed histories of every world: the likelihood is the product "
        "of the worlds' (`sim.likelihood`), the behavioural weights are shared, and "
        f"{', '.join(n for n in result.names if '[' in n) or 'nothing'} "
        "are calibrated per world (a lab's hold on its people is the lab's)"
        + (
            f", partially pooled: drawn from a population whose mean and spread are calibrated "
            f"too ({', '.join(s.pooled)})"
            if s.pooled
            else ""
        )
        + ". Sampled as for one "
        "world (`sim.posterior`: differential evolution within Gibbs, every uncertain month a "
        "latent variable of each walker, so the likelihood is exact; each world's folder says "
        f"when the model places its uncertain moves): {s.walkers} walkers x {s.steps} steps, "
        f"burn-in {s.burn}, "
        f"{len(result.theta):,} draws, acceptance {result.acceptance:.2f}; "
        f"{result.evaluations:,} likelihood evaluations (wall time: manifest.json); re-weighted "
        f"ESS {result.ess():.0f}; largest split R-hat {d.r_hat.max():.3f}, smallest bulk ESS "
        f"{d.ess_bulk.min():.0f}, chains {d.steps_per_autocorrelation.min():.0f} "
        "autocorrelation times long at the shortest.",
        *integration_lines(result),
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
        "is its full-information posterior under the same prior set; a per-world parameter of "
        "the joint posterior is read for its world.",
        "",
        *_alone_lines(scenarios, checks.alone, checks.computed),
        "| parameter | " + " | ".join(contraction) + " |",
        "|---|" + "---|" * len(contraction),
        *[
            f"| {p} | "
            + " | ".join("" if np.isnan(v[p]) else f"{v[p]:.2f}" for v in contraction.values())
            + " |"
            for p in next(iter(contraction.values())).index
        ],
        "",
        *cohort_difference_lines(result, names),
        "## Posterior predictive checks, each world with its own parameter vector",
    ]
    for sc in scenarios:
        w = sc.world.name
        lines += [
            f"### {sc.world.title}",
            f"Full report: [{w}/report.md]({w}/report.md).",
            "",
            *p_value_lines(targets[w], stats[w], sc.world),
        ]
    lines += [
        "## Leave one cohort out",
        "Each world predicted from the posterior fitted to each other world alone (its "
        "per-cohort parameters from the prior): the predictive p-values of its targets and its "
        "retention band against its observed counts.",
        "",
    ]
    done = {(sc.world.name, fitted_on) for sc, fitted_on, _ in loo}
    missing = [
        (sc.world.name, other.world.name) for sc in scenarios for other in scenarios
        if other is not sc and (sc.world.name, other.world.name) not in done
    ]  # fmt: skip
    if missing:
        absent = sorted({fitted_on for _, fitted_on in missing})
        lines += [
            "Not computed for "
            + "; ".join(f"{w} from {fitted_on}" for w, fitted_on in missing)
            + f": no posterior of {', '.join(absent)} fitted alone was given "
            "(`--alone WORLD=FOLDER`, or `--compute-alone`).",
            "",
        ]
    for scenario, fitted_on, res in loo:
        w = scenario.world.name
        lines += [
            f"### {scenario.world.title}, from the posterior of {fitted_on}",
            "",
            *p_value_lines(targets[w], res["stats"], scenario.world),
            f"![{w} from {fitted_on}](loo-{w}-from-{fitted_on}.png)",
            "",
        ]
    return "\n".join([*lines, *_baseline_lines(checks.baselines)])


def _baseline_lines(comparison) -> list[str]:
    """The section comparing the model with simpler survival models, or why it is missing."""
    lines = ["## Simpler models to beat", ""]
    if comparison is None:
        return [*lines, "Not computed: it needs every world's posterior fitted alone "
                "(`--alone WORLD=FOLDER`, or `--compute-alone`).", ""]  # fmt: skip
    return [
        *lines,
        comparison_markdown(comparison),
        "Every score: `baselines.csv` (as `sim baselines` writes `scores.csv`).",
        "",
    ]


#: The subfolder of a joint calibration's output where the posteriors alone it computed go.
ALONE_FOLDER = "alone"


def _alone_lines(scenarios, alone: dict[str, Path], computed=()) -> list[str]:
    """Where each world's posterior fitted alone was read from, or that none was given."""
    lines = []
    for sc in scenarios:
        name = sc.world.name
        path = alone.get(name)
        where = f"`{_shown(path)}`" if path else "none given (`--alone WORLD=FOLDER`)"
        if name in computed:
            where = (f"computed by this run (`{ALONE_FOLDER}/{name}/posterior.parquet`: the same "
                     "priors, seed and sampler settings, `--compute-alone`)")  # fmt: skip
        lines.append(f"- {name} alone: {where}")
    return [*lines, ""]


def _world_entry(scenario) -> str:
    """How ``--worlds`` named a world.

    A shipped world's name for its baseline, else the scenario file or the world folder.
    """
    if scenario.source is None:  # a world folder, as its files give it
        return _shown(Path(scenario.world.folder or scenario.world.source))
    try:
        baseline = baseline_of(scenario.world.name)
    except InputError:  # not a shipped world
        return _shown(Path(scenario.source))
    if Path(baseline.source).resolve() == Path(scenario.source).resolve():
        return scenario.world.name
    return _shown(Path(scenario.source))


def _shown(path: Path) -> str:
    """A path relative to the project where it lies inside it (reports are committed)."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT.resolve()))
    except ValueError:
        return str(path)


def _contraction_columns(result, scenarios, alone: dict) -> dict[str, pd.Series]:
    """Contraction per calibrated parameter (the index), each world alone and in the joint."""
    priors = result.settings.priors
    out = {}
    for sc in scenarios:
        frame = alone.get(sc.world.name)
        out[f"{sc.world.name} alone"] = (
            contraction(frame, priors) if frame is not None
            else pd.Series(np.nan, index=[p.name for p in priors if not p.held])
        )  # fmt: skip
    for sc in scenarios:
        out[f"joint, {sc.world.name}"] = contraction(
            cohort_view(result.to_df(), sc.world.name), priors
        )
    return out
