"""The files of one calibration (``sim calibrate``): posterior, diagnostics, figures, report.

The report says how the posterior was reached (ABC-SMC: Toni et al. 2009, Beaumont et al. 2009,
adaptive tolerances after Del Moral et al. 2012; or the full-information likelihood sampled with
emcee), the prior against the posterior of every parameter with its contraction (Manski 1993 on
what the histories cannot identify), beside the world's other calibration where one is
committed, and the posterior predictive check: the targets' statistics with their p-values
(Gelman, Meng & Stern 1996) and the two-stage binomial yardstick of what the histories allow.
The numbers come from :mod:`sim.inference.diagnostics` and :mod:`sim.inference.predictive`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.scenario import load_posterior
from sim.inference.abc.smc import CalibrationResult
from sim.inference.abc.targets import Target
from sim.inference.diagnostics import contraction, identifiability, uncertain_months
from sim.inference.posterior import SCRAMBLES
from sim.inference.predictive import PredictiveCheck, predictive_p_values, yardstick_counts
from sim.paths import CALIBRATION_DIR
from sim.reports.plot import pairs_figure, ppc_figure
from sim.results import provenance, save_figure, write_frame, write_json, write_text
from sim.world import World, find_statistic


def write_calibration(
    result, check: PredictiveCheck, world: World, out: Path, destination: Path | None = None
) -> list[Path]:
    """Write posterior.parquet, generations.csv, report.md, ppc.png and pairs.png into ``out``.

    Also identifiability.csv, predictive.parquet (the statistics of the predictive check) and,
    for the likelihood posterior, diagnostics.csv in place of generations.csv.

    Args:
        result: a :class:`~sim.inference.abc.smc.CalibrationResult` or a
            :class:`~sim.inference.posterior.LikelihoodResult`, its ``targets`` set.
        check: its posterior predictive check (:func:`sim.inference.predictive.predictive_check`).
        world: the calibrated world.
        out: the folder written (a staging folder, :mod:`sim.results.output_folder`).
        destination: where the result will live (default ``out``): a committed posterior
            there is the result itself, not the other method's to compare with.
    """
    out = Path(out)
    full_information = not isinstance(result, CalibrationResult)
    table = identifiability(result)
    stats, prior_stats = check.stats, check.prior_stats
    refs, anchor = check.yardsticks, check.anchor
    written = [
        write_frame(out / "posterior.parquet", result.to_df()),
        write_frame(out / "diagnostics.csv", result.diagnostics)
        if full_information
        else write_frame(
            out / "generations.csv",
            pd.DataFrame(
                [
                    {
                        "generation": k,
                        "tolerance": g.tolerance,
                        "simulations": g.simulations,
                        "accepted": g.accepted,
                        "acceptance": g.acceptance,
                    }
                    for k, g in enumerate(result.generations)
                ]
            ),
        ),  # fmt: skip
        write_frame(out / "identifiability.csv", table),
        write_frame(out / "predictive.parquet", stats),
        save_figure(
            out / "ppc.png",
            ppc_figure(
                stats,
                prior_stats,
                check.curve,
                world,
                None if anchor is None else (anchor[0], anchor[1].observed),
                yardstick=refs["uniform"].at_end if refs else None,
            ),
        ),  # fmt: skip
        save_figure(out / "pairs.png", pairs_figure(result.to_df())),
    ]
    months = _months_of(result, world) if full_information else None
    if months is not None:
        written.append(write_frame(out / "months.csv", months))
    others = _other_posteriors(Path(destination or out), world, full_information)
    written.append(
        write_text(
            out / "report.md",
            _report(result, table, stats, prior_stats, provenance(), world, refs, others)
            + _month_lines(months),
        )
    )
    timing = {"seconds": round(result.seconds, 3)}
    if not full_information:
        timing["generation_seconds"] = [round(g.seconds, 3) for g in result.generations]
    manifest = {
        "command": "sim calibrate", "method": "likelihood" if full_information else "abc",
        "world": world.name, **provenance(), "timing": timing,
    }  # fmt: skip
    written.append(write_json(out / "manifest.json", manifest))
    return written


def _months_of(result, world: World) -> pd.DataFrame | None:
    """The posterior of the world's uncertain months (:func:`uncertain_months`), if sampled."""
    months = getattr(result, "months", None) or {}
    draws = months.get(world.name, next(iter(months.values())) if len(months) == 1 else None)
    if draws is None or world.observed is None:
        return None
    return uncertain_months(world, draws, result.weights)


def _month_lines(months: pd.DataFrame | None) -> str:
    if months is None or months.empty:
        return ""
    lines = [
        "",
        "",
        "## When the uncertain moves happened",
        "Each move known only to an interval has its month sampled with the parameters; its "
        "posterior (months.csv) says when the model places it, given everyone's history.",
        "",
        "| researcher | to | interval | posterior median | 90% interval |",
        "|---|---|---|---|---|",
        *[
            f"| {r.researcher} | {r.to} | {r.earliest} .. {r.latest} | {r.median} | "
            f"{r.q05} .. {r.q95} |"
            for r in months.itertuples()
        ],
    ]
    return "\n".join(lines) + "\n"


def _other_posteriors(out: Path, world: World, full_information: bool) -> dict:
    """The world's other committed posterior, for the side-by-side contraction table.

    The ABC posterior lives in ``calibration/WORLD/`` and the full-information one in
    ``calibration/WORLD/likelihood/``; each report shows the other's contraction where it exists.
    """
    folder = CALIBRATION_DIR / world.name
    path, label = (
        (folder / "posterior.parquet", "ABC")
        if full_information
        else (folder / "likelihood" / "posterior.parquet", "likelihood")
    )
    if not path.exists() or path.resolve().parent == out.resolve():
        return {}
    frame = load_posterior(path)
    return {label: frame}


def _report(result, table, stats, prior_stats, prov, world: World, refs: dict, others) -> str:
    cohort = len(world.researchers)
    full_information = not isinstance(result, CalibrationResult)
    lines = [
        f"# Calibration report: {world.title}",
        "",
        f"Written by `sim calibrate{' --method likelihood' if full_information else ''}` "
        f"(seed {result.settings.seed}), package {prov['version']}, commit {prov['git_commit']}.",
        "",
        *(_likelihood_method(result, world) if full_information else _abc_method(result, world)),
        "## Prior vs posterior",
        "Contraction = 1 - posterior variance / prior variance. Parameters below 0.3 are not "
        f"identified by the {cohort} histories: their posterior mostly repeats the prior, and "
        "results that depend on them inherit the prior's assumptions (Manski 1993 on peer "
        "effects).",
        "",
        "| parameter | prior mean (sd) | posterior mean (sd) | 90% interval | contraction "
        "| identified |",
        "|---|---|---|---|---|---|",
        *[
            f"| {r.parameter} | {r.prior_mean:.2f} ({r.prior_sd:.2f}) | {r.posterior_mean:.2f} "
            f"({r.posterior_sd:.2f}) | {r.q05:.2f} .. {r.q95:.2f} | {r.contraction:.2f} | "
            f"{'yes' if r.identified else 'no'} |"
            for r in table.itertuples()
        ],
        "",
        *_side_by_side(table, others, result.settings.priors),
        f"## Posterior predictive check ({len(stats):,} replicates, posterior draws x chance)",
        *_predictive_lines(result.targets, stats, prior_stats, world),
        "",
        "![posterior predictive](ppc.png)",
        "",
        *p_value_lines(result.targets, stats, world),
        *founding_lines(stats, world),
        *_yardstick(result.targets, stats, world, refs),
        "## Pairs",
        "",
        "![pairs](pairs.png)",
        "",
    ]
    return "\n".join(lines)


def founding_lines(stats: pd.DataFrame, world: World) -> list[str]:
    """Where founding is a choice: how often, and when, the replicates found each potential lab.

    Read against the observed founding: the month of labs.csv and the interval of the first
    founder's move in the observed history. Months are counted within the simulated window
    (from the world's start through the last observed month).
    """
    from sim.inference.predictive import founding_column

    labs = [lab for lab in world.labs if founding_column(lab) in stats]
    if not labs:
        return []
    calendar = world.calendar
    last = calendar.observed_months - 1
    lines = [
        "## Foundings",
        "Founding is a choice in this world: each potential lab exists only once one of its "
        "founders in the cohort founds it. Share of the replicates that found it by the last "
        f"observed month ({calendar.observed_until}), and the month they found it in (median and "
        "90% interval, among those that do), beside the observed founding.",
        "",
        "| lab | observed founding | first founder's move (observed) | founded by then | month "
        "(median) | 90% interval |",
        "|---|---|---|---|---|---|",
    ]
    for lab in labs:
        months = stats[founding_column(lab)].to_numpy()
        inside = months[(months >= 0) & (months <= last)]
        founders = set(world.founders[world.labs.index(lab)])
        moves = [
            m for i, name in enumerate(world.researchers) if name in founders
            for m in (world.observed.moves_of(i) if world.observed else ()) if m.to == lab
        ]  # fmt: skip
        first = min(moves, key=lambda m: m.earliest) if moves else None
        move = ("none" if first is None else calendar.label(first.earliest) if
                first.earliest == first.latest else
                f"{calendar.label(first.earliest)} .. {calendar.label(first.latest)}")  # fmt: skip
        if inside.size:
            q05, q50, q95 = (calendar.label(int(q)) for q in
                             np.quantile(inside, [0.05, 0.5, 0.95], method="lower"))  # fmt: skip
        else:
            q05 = q50 = q95 = "-"
        lines.append(
            f"| {lab} | {world.founded[world.labs.index(lab)] or '-'} | {move} | "
            f"{inside.size / len(months):.2f} | {q50} | {q05} .. {q95} |"
        )
    return [*lines, ""]


def _side_by_side(table: pd.DataFrame, others: dict, priors: tuple) -> list[str]:
    """Each parameter's contraction under this posterior and the world's other one."""
    if not others:
        return []
    columns = {label: contraction(frame, priors) for label, frame in others.items()}

    def cell(label: str, name: str) -> str:  # "held": the other calibration never drew it
        held = name in others[label] and others[label][name].nunique() == 1
        return "held" if held else f"{columns[label][name]:.2f}"

    return [
        "### Contraction beside the world's other calibration",
        "Both against the same prior; the other posterior is read from its committed file.",
        "",
        "| parameter | this calibration | " + " | ".join(columns) + " |",
        "|---|---|" + "---|" * len(columns),
        *[
            f"| {r.parameter} | {r.contraction:.2f} | "
            + " | ".join(cell(label, r.parameter) for label in columns)
            + " |"
            for r in table.itertuples()
        ],
        "",
    ]


def _laplace_method(result, world: World) -> list[str]:
    from sim.inference.laplace import MAX_KHAT

    calendar, s, d = world.calendar, result.settings, result.diagnostics
    trusted = result.khat <= MAX_KHAT
    return [
        "## Method",
        f"The likelihood of the whole observed history {calendar.start} .. "
        f"{calendar.observed_until}, each researcher's own uncertain months summed over their "
        "intervals and colleagues read at the middle of theirs (the interval-summed likelihood, "
        "`sim.likelihood`). Sampled for big panels (`--sampler laplace`, `sim.inference.laplace`):"
        " the normal approximation at the posterior mode on the prior-quantile logit scale "
        "(Hessian by central differences), then importance sampling from a multivariate t "
        f"({s.df:g} degrees of freedom, scale {s.inflate:g} x the covariance) to the exact "
        f"posterior of that likelihood, the weights Pareto-smoothed; {s.quadrature} x "
        f"{s.fit_points} integration points"
        + (", each researcher's own scrambled fit points" if s.own_points else "")
        + (", the log of each researcher's integral jackknifed" if s.jackknife else "")
        + ".",
        "",
        "## Sampler",
        f"- {s.draws:,} proposals; likelihood evaluations {result.evaluations:,} (the wall time "
        "is in manifest.json)",
        *pilot_lines(result),
        f"- Pareto k-hat {result.khat:.2f}: "
        + (
            "the weights can be trusted (at most 0.7)"
            if trusted
            else f"**above {MAX_KHAT}: the normal approximation is too far from the posterior "
            "for its "
            "importance weights to be trusted; use the ensemble sampler**"
        ),  # fmt: skip
        f"- importance-sampling effective sample size {result.ess():.0f} of "
        f"{len(result.theta):,} (largest weight {result.weights.max():.4f})",
        "",
        "| parameter | at the mode | posterior mean | posterior sd | approximation's sd "
        "(logit scale) |",
        "|---|---|---|---|---|",
        *[
            f"| {r.parameter} | {r.mode:.3f} | {r.posterior_mean:.3f} | {r.posterior_sd:.3f} | "
            f"{r.sd_unbounded_laplace:.3f} |"
            for r in d.itertuples()
        ],
        "",
        "The targets below are not fitted here; the predictive check reads them as ABC does.",
        "",
        *_target_lines(result),
    ]


def pilot_lines(result) -> list[str]:
    """The report's line on the Laplace sampler's pilot fit (none without one)."""
    pilot = getattr(result, "pilot", {})
    if not pilot:
        return []
    levels = "".join(f", then on a subsample of {n:,} ({k:,} evaluations)"
                     for n, k in pilot.get("levels", []))  # fmt: skip
    return [
        f"- mode search from a pilot fit on a seeded random subsample of {pilot['researchers']:,} "
        f"of the {pilot['of']:,} researchers ({pilot['evaluations']:,} evaluations of the "
        "subsample, its log-likelihood counted N / n times), continued by quasi-Newton steps in "
        f"the space whitened by the pilot's covariance{levels}, then on the full panel; the "
        "curvature at the mode is the pilot's"
    ]


def _likelihood_method(result, world: World) -> list[str]:
    if getattr(result, "sampler", "ensemble") == "laplace":
        return _laplace_method(result, world)
    calendar = world.calendar
    s = result.settings
    d = result.diagnostics
    return [
        "## Method",
        f"The likelihood of the whole observed history {calendar.start} .. "
        f"{calendar.observed_until}: every researcher's lab in every month (`sim.likelihood`: "
        "the panel mixed logit, restlessness by Gauss-Hermite quadrature, fits by tilted "
        "quasi-Monte Carlo). The month of every move known only to an interval is a latent "
        "variable sampled with the parameters (data augmentation, Metropolis-within-Gibbs: "
        f"{s.month_updates} month proposal(s) per walker, world and step), so the likelihood is "
        "exact, colleagues' positions included. Sampled by differential evolution over an "
        "ensemble of walkers on the prior-quantile logit scale, from the mode of the "
        "interval-summed likelihood; the chains use "
        f"{s.quadrature} x {s.fit_points} integration points, "
        f"and every retained draw is re-weighted to {_points(result, 're-weighting')} points, "
        "scrambled independently of the chains' (importance sampling; `sim.posterior`).",
        "",
        "## Sampler",
        f"- {s.walkers} walkers x {s.steps} steps, burn-in {s.burn}, every {s.thin}th step "
        f"kept: {len(result.theta):,} draws; acceptance {result.acceptance:.2f}"
        + (
            f"; month proposals accepted {result.month_acceptance:.2f}"
            if result.month_acceptance == result.month_acceptance
            else ""
        ),  # fmt: skip
        f"- likelihood evaluations {result.evaluations:,} (the wall time is in manifest.json)",
        *integration_lines(result),
        f"- re-weighting to the accurate integration: effective sample size {result.ess():.0f} "
        f"of {len(result.theta):,} (largest weight {result.weights.max():.4f})",
        f"- largest split R-hat {d.r_hat.max():.3f}, smallest bulk ESS {d.ess_bulk.min():.0f}, "
        f"chains {d.steps_per_autocorrelation.min():.0f} autocorrelation times long at the "
        "shortest (emcee's authors ask for 50)",
        "",
        "| parameter | split R-hat | bulk ESS | autocorrelation (steps) |",
        "|---|---|---|---|",
        *[
            f"| {r.parameter} | {r.r_hat:.3f} | {r.ess_bulk:.0f} | {r.autocorrelation_steps:.1f} |"
            for r in d.itertuples()
        ],
        "",
        "Walkers of one ensemble are not independent chains: R-hat near 1 is necessary, not "
        "sufficient.",
        "",
        "The targets below are not fitted here; the predictive check reads them as ABC does.",
        "",
        *_target_lines(result),
    ]


def integration_lines(result) -> list[str]:
    """The log-likelihood's Monte Carlo error at the draw of highest posterior density.

    One report line: the error at the chains' integration size and at the re-weighting's, with
    how the re-weighting's size was reached.
    """
    sd, s = result.integration_sd, result.settings
    if not sd:
        return []
    trail = getattr(result, "integration_trail", ())
    grown = ""
    if len(trail) > 1:
        grown = " (grown until at most " + f"{s.max_integration_sd}: " + ", ".join(
            f"{sd_k:.2f} at {n}" for n, sd_k in trail) + " fit points)"  # fmt: skip
    return [
        f"- integration error: the log-likelihood's Monte Carlo standard deviation at the "
        f"draw of highest posterior density is {sd['chains']:.2f} at {s.quadrature} x "
        f"{s.fit_points} points (the chains) and {sd['re-weighting']:.2f} at "
        f"{_points(result, 're-weighting')} (the re-weighting){grown}, over {SCRAMBLES} "
        "independent scrambles of the fit points"
    ]


def _points(result, which: str) -> str:
    """'Q x M', the integration size of the chains or of the re-weighting."""
    s = result.settings
    default = {"chains": (s.quadrature, s.fit_points),
               "re-weighting": (s.final_quadrature, s.final_fit_points)}[which]  # fmt: skip
    q, m = (getattr(result, "integration_points", None) or {}).get(which, default)
    return f"{q} x {m}"


def _abc_method(result, world: World) -> list[str]:
    calendar = world.calendar
    return [
        "## Method",
        f"Rejection ABC on discrete summaries of the {calendar.start} .. "
        f"{calendar.observed_until} history, refined by ABC-SMC "
        "(Toni et al. 2009; Beaumont et al. 2009; adaptive tolerances, Del Moral et al. 2012) "
        "on the ensemble engine; one simulated history per particle, one vectorised call per "
        "batch. "
        + (
            "The final population meets every target (distance 0)."
            if result.settings.final_tolerance == 0
            else f"The final population's histories miss the targets by at most "
            f"{result.settings.final_tolerance} in all (the distance: the sum over targets of "
            "how far a summary lies outside its accepted set): an approximate ABC posterior, "
            "chosen because exact acceptance was too rare for the budget."
        ),
        "",
        *_target_lines(result),
        "## Sampler",
        f"- population {result.settings.population}, effective sample size {result.ess():.0f}",
        f"- simulations {result.simulations:,} (wall times are in manifest.json)",
        "",
        "| generation | tolerance | simulated | acceptance |",
        "|---|---|---|---|",
        *[
            f"| {k} | {g.tolerance} | {g.simulations:,} | {g.acceptance:.4f} |"
            for k, g in enumerate(result.generations)
        ],
        "",
    ]


def _target_lines(result) -> list[str]:
    return [
        "## Targets",
        "| summary | observed | accepted when | why |",
        "|---|---|---|---|",
        *[
            f"| {t.summary} | {t.observed} | {t.direction} within {t.tolerance} | {t.why} |"
            if isinstance(t, Target)
            else f"| {t.summary} | {t.low} .. {t.high} | inside the band | {t.why} |"
            for t in result.targets
        ],
        "",
    ]


def _predictive_lines(targets, stats, prior_stats, world: World) -> list[str]:
    """One bullet per summary target: the predictive of its statistic, in the world's words."""
    lines = []
    for t in targets:
        if not isinstance(t, Target):
            continue
        stat = find_statistic(world, t.summary)
        label = stat.describe(world.focal_lab) if stat else t.summary
        x = stats[t.summary].to_numpy()
        line = (
            f"- {label}: mean {x.mean():.2f} (prior predictive {prior_stats[t.summary].mean():.2f})"
        )
        if stat is not None and stat.kind == "at_focal":
            counts = np.bincount(x, minlength=len(world.researchers) + 1)
            line += (
                f", mode {counts.argmax()}, distribution 0..{len(counts) - 1}: {counts.tolist()}"
            )
        for low, high in stat.ranges if stat else []:
            line += f", P({low} to {high}) = {((x >= low) & (x <= high)).mean():.3f}"
        lines.append(f"{line} (observed {t.observed})")
    return lines


def p_value_lines(targets: list, stats: pd.DataFrame, world: World) -> list[str]:
    """The table of posterior predictive p-values, one row per statistic and curve month.

    Args:
        targets: the calibration targets (:func:`sim.inference.predictive.predictive_p_values`).
        stats: per replicate, the statistics of the replicated histories.
        world: the world, whose declared statistics and observed history are read.
    """
    lines = [
        "Posterior predictive p-values: the share of replicated histories at or below, and at or "
        "above, the observed value. A value near 0 on either side is a misfit; the two add up "
        "to more than 1 because a discrete summary often equals the observed value. Every "
        "declared statistic has a row (read against its target where one names it, else "
        f"against observed.csv), and so has every month of a curve target (the count at "
        f"{world.focal_lab}, against the band the observed intervals allow). Where the "
        "observation is an interval low .. high, the first share is of replicates <= high and "
        "the second of replicates >= low.",
        "",
        "| statistic | observed | read against | P(replicate <= observed) "
        "| P(replicate >= observed) |",
        "|---|---|---|---|---|",
    ]
    for p in predictive_p_values(targets, stats, world):
        lines.append(
            f"| {p.summary} | {p.observed} | {p.source} | {p.at_most:.3f} | {p.at_least:.3f} |"
        )
    return [*lines, ""]


def _yardstick(targets, stats, world: World, refs: dict) -> list[str]:
    """The model's predictive beside the yardstick (:func:`sim.inference.predictive.yardsticks`)."""
    if not refs:
        return []
    end, gone, end_stat, gone_stat = yardstick_counts(targets, world)
    cohort = len(world.researchers)
    focal = world.focal_lab
    rem, gone_sim = stats[end_stat.name].to_numpy(), stats[gone_stat.name].to_numpy()
    n = len(rem)

    def share(hit) -> str:
        p = float(np.mean(hit))
        return f"{p:.3f} ± {(p * (1 - p) / n) ** 0.5:.3f}"

    low, high = max(end - 1, 0), end + 1
    at_end = f"at {focal} in {end_stat.month}"
    rows = [
        (f"most likely number {at_end}", str(np.bincount(rem).argmax()),
         [str(r.mode) for r in refs.values()]),
        (f"mean {at_end}", f"{rem.mean():.2f}", [f"{r.mean:.2f}" for r in refs.values()]),
        (f"P(exactly {end} {at_end})", share(rem == end),
         [f"{r.at_end[end]:.3f}" for r in refs.values()]),
        (f"P({low} to {high} {at_end})", share((rem >= low) & (rem <= high)),
         [f"{r.p_end_between(low, high):.3f}" for r in refs.values()]),
        (f"P(at least {gone} left {focal} by {gone_stat.month})", share(gone_sim >= gone),
         [f"{r.p_gone_by_checkpoint_at_least(gone):.3f}" for r in refs.values()]),
    ]  # fmt: skip
    return [
        f"## What {cohort} histories allow",
        "The yardstick is the exact posterior predictive of the simplest model that could explain "
        f"the two counts: each member independently still at {focal} in {gone_stat.month} "
        f"({cohort - gone} of {cohort}, the observed bound taken as the count) and, if so, still "
        f"there in {end_stat.month} ({end} of {cohort - gone}), "
        "with a uniform or a Jeffreys prior on each stage's probability (`sim.reference`). It "
        "has nothing else to learn, so its spread is what learning from one history costs. A "
        "model with peers, whose departures bunch, predicts more widely unless its priors or "
        "covariates tell it more (and one with returns to the focal lab is only approximately "
        "two-staged). The ± is the Monte Carlo standard error of the model's share.",
        "",
        "| statistic | model | " + " | ".join(f"yardstick, {k} prior" for k in refs) + " |",
        "|---|---|" + "---|" * len(refs),
        *[f"| {label} | {model} | " + " | ".join(ref) + " |" for label, model, ref in rows],
        "",
    ]
