"""The files of a counterfactual comparison: tables, figures, a Markdown report, a manifest.

:func:`write_comparison` turns a :class:`~sim.analysis.compare.Comparison` (scenarios simulated
under common random numbers; Law 2015, *Simulation Modeling and Analysis*, 5th ed., sec. 11.2)
into ``comparison.csv`` (one row per scenario and statistic), ``replicates.csv`` (per-replicate
statistics, for paired analyses), ``retention.csv``, ``difference.csv``, ``destinations.csv``,
the figures ``retention.png``, ``difference.png``, ``destinations.png``, a ``report.md`` tying
them together (:func:`report`; 90% intervals as in :mod:`sim.analysis.compare`: replicate
quantiles, Wilson 1927 for a probability) and a ``manifest.json``; each file is written
atomically (:mod:`sim.results.store`) and only after every simulation has finished, so a failed
comparison leaves an earlier one's files in place.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from sim.analysis.compare import Comparison
from sim.results import (
    checkpoint_month,
    observed_readings,
    provenance,
    replace_folder,
    save_figure,
    statistic_values,
    write_frame,
    write_json,
    write_text,
)
from sim.world import latest_at_focal, simulated


def forecast_start(comparison: Comparison) -> str | None:
    """The last observed month a forecast comparison starts from; None if it is no forecast."""
    reference = comparison.scenarios[0]
    return reference.world.calendar.observed_until if reference.spec.from_observed else None


def forecast_table(comparison: Comparison) -> pd.DataFrame:
    """A forecast's answers per researcher: P(at the focal lab at the horizon), by scenario.

    Then, for those at the focal lab in the last observed month, P(all of them are still there)
    and P(none is). One row per scenario and ``who`` (a researcher, ``all`` or ``none``).
    """
    world = comparison.world
    focal = world.labs.index(world.focal_lab)
    observed = world.calendar.index(forecast_start(comparison))
    rows = []
    for label, traj in zip(comparison.labels, comparison.trajectories, strict=True):
        there = traj.labs[:, -1, :] == focal  # [R, N] at the horizon
        stayed = (
            traj.labs[0, observed, :] == focal
        )  # the forced history: the same in every replicate
        for i, name in enumerate(world.researchers):
            rows.append({"scenario": label, "who": name, "probability": float(there[:, i].mean())})
        if stayed.any():
            rows.append({"scenario": label, "who": "all",
                         "probability": float(there[:, stayed].all(axis=1).mean())})  # fmt: skip
            rows.append({"scenario": label, "who": "none",
                         "probability": float((~there[:, stayed]).all(axis=1).mean())})  # fmt: skip
    return pd.DataFrame(rows)


def write_comparison(comparison: Comparison, out: Path) -> list[Path]:
    """Write the comparison's tables, figures, report and manifest into ``out``.

    They go into a fresh folder swapped in for ``out`` whole
    (:func:`sim.results.output_folder.replace_folder`).
    """
    return replace_folder(
        Path(out), lambda folder: _write_comparison_files(comparison, folder), kind="comparison"
    )


def _write_comparison_files(comparison: Comparison, out: Path) -> list[Path]:
    from sim.reports.plot import destinations_figure, difference_figure, retention_figure

    ref = comparison.labels[0]
    table = comparison.to_df()
    retention = comparison.retention()
    differences = comparison.differences()
    destinations = comparison.destinations()
    world = comparison.world
    written = [
        write_frame(out / "comparison.csv", table),
        write_frame(out / "replicates.csv", comparison.replicate_table()),
        write_frame(out / "retention.csv", _long(retention)),
        write_frame(
            out / "difference.csv",
            _long(differences)
            if differences
            else pd.DataFrame(columns=["scenario", "month", "mean"]),
        ),  # fmt: skip
        write_frame(out / "destinations.csv", destinations),
    ]
    if forecast_start(comparison) is not None:
        written.append(write_frame(out / "forecast.csv", forecast_table(comparison)))
    fig = retention_figure(
        retention, world, title=f"{world.title}: share still at {world.focal_lab}, by scenario"
    )
    written.append(save_figure(out / "retention.png", fig))
    written.append(save_figure(out / "difference.png", difference_figure(differences, world, ref)))
    start = (world.focal_lab, *dict.fromkeys(world.start_labs))
    month = checkpoint_month(comparison.reference)
    written.append(
        save_figure(out / "destinations.png", destinations_figure(destinations, start, month))
    )
    written.append(write_text(out / "report.md", report(comparison, table)))
    manifest = {
        "command": "compare",
        "reference": ref,
        "scenarios": [
            {
                "label": label,
                "name": s.name,
                "files": list(s.chain),
                "fixed_parameters": fixed,
                "provisional_parameters": s.spec.provisional,
                "spec": s.spec.model_dump(mode="json"),
            }
            for label, s, fixed in zip(
                comparison.labels, comparison.scenarios, comparison.overrides, strict=True
            )
        ],
        "replicates": comparison.replicates,
        "seed": comparison.seed,
        "horizon": comparison.horizon,
        "common_random_numbers": (
            "every scenario uses the reference's replicate seeds and parameter draws "
            f"(params.from = {comparison.parameter_source!r} in the reference), with its own "
            "fixed [params] values applied on top"
        ),
        **provenance(),
        "files": [p.name for p in written],
    }
    written.append(write_json(out / "manifest.json", manifest))
    return written


# --------------------------------------------------------------------------- report
def report(comparison: Comparison, table: pd.DataFrame | None = None) -> str:
    """The Markdown report: the question of each scenario, a table, the figures, the answers."""
    table = comparison.to_df() if table is None else table
    world = comparison.world
    focal = world.focal_lab
    ref = comparison.labels[0]
    cell = {(r.scenario, r.statistic): r for r in table.itertuples(index=False)}
    horizon = comparison.horizon
    statistics = comparison.statistics
    month = checkpoint_month(comparison.reference)
    start = forecast_start(comparison)
    title = (
        f"# Forecast from {start}: {cohort_phrase(world.title, focal)} to {horizon}, by scenario"
        if start
        else f"# Counterfactuals: what would have kept {cohort_phrase(world.title, focal)}?"
    )
    lines = [
        title,
        "",
        f"{len(comparison.labels)} scenarios, {comparison.replicates} replicates each, seed "
        f"{comparison.seed}, simulated from {world.calendar.start} to {horizon}. The reference "
        f"is **{ref}**. Common random numbers: every scenario uses the reference's replicate "
        f'seeds and parameter draws (`params.from = "{comparison.parameter_source}"`), with its '
        "own fixed parameter values on top, so each difference below is paired replicate by "
        "replicate. Intervals are 90%: the 5% and 95% quantiles across replicates (for a "
        "probability, a Monte Carlo interval).",
        "",
    ]
    if start:
        lines += [
            f"A forecast: every replicate is the observed history through {start} (a move known "
            "to an interval placed at its middle), and each researcher's latent terms are drawn "
            "given their own history; the scenarios differ only after it. Statistics read by "
            f"{start} are the history itself, marked *observed*. `forecast.csv` gives each "
            f"researcher's probability of being at {focal} in {horizon}, and that all, or none, "
            f"of those at {focal} in {start} are.",
            "",
        ]
    if any(s.spec.provisional for s in comparison.scenarios):
        lines += [
            "> **Provisional parameters.** The reference's parameters are not calibrated yet "
            "(`provisional = true`): the numbers show how the model responds, not estimates of "
            "what would have happened.",
            "",
        ]
    lines += observed_lines(world, comparison.reference.shape[1])
    lines += ["## Summary", "", "| statistic | " + " | ".join(
        f"**{label}**" if label == ref else label for label in comparison.labels) + " |",
        "|" + "---|" * (len(comparison.labels) + 1)]  # fmt: skip
    fixed = _observed_statistics(comparison, start)
    for stat in statistics:
        row = [stat.label]
        for label in comparison.labels:
            r = cell[label, stat.name]
            if stat.name in fixed:  # a forecast's forced months: the history, not a result
                row.append(f"{r.estimate:.0f} (observed)")
                continue
            value = {"count": _count, "probability": _probability}.get(stat.kind)
            text = value(r) if value else _month(r, horizon, world.calendar)
            if label != ref and stat.paired:
                text += f"; {_diff(r)}" if stat.kind != "probability" else f"; {r.diff_mean:+.2f}"
            row.append(text)
        lines.append("| " + " | ".join(row) + " |")
    headline = latest_at_focal(simulated(world, comparison.reference.shape[1]))
    wanted = headline.name if headline and not start else "remaining_at_horizon"
    headline = next(s for s in statistics if s.name == wanted)  # a forecast's is its horizon
    lines += [
        "",
        "Each cell: mean (90% interval); after the semicolon, the paired difference from the "
        "reference: mean (90% interval of the per-replicate difference).",
        "",
        "## Each scenario: its question and the answer",
        "",
    ]
    for label, scenario in zip(comparison.labels, comparison.scenarios, strict=True):
        lines.append(f"- {_sentence(label, scenario, cell, ref, horizon, headline, focal)}")
    lines += [
        "",
        "## Figures",
        "",
        "![Retention by scenario](retention.png)",
        "",
        f"*retention.png*: share of the cohort at {focal}, month by month: mean with 50% and "
        "90% bands per scenario; the black steps are the observed history (latest and earliest "
        "reading of each move).",
        "",
        "![Paired difference from the reference](difference.png)",
        "",
        f"*difference.png*: each scenario's retention minus {ref}'s in the same replicate: mean "
        "with 50% and 90% bands. Above zero: more stay.",
        "",
        "![Destinations](destinations.png)",
        "",
        f"*destinations.png*: mean number of the cohort at each lab in {month}.",
        "",
        "## Files",
        "",
        "`comparison.csv` (this table, one row per scenario and statistic), `replicates.csv` "
        "(each replicate's statistics, for your own paired analyses), `retention.csv`, "
        "`difference.csv`, `destinations.csv`, `manifest.json` (scenario files, seeds, code "
        "version).",
        "",
    ]
    return "\n".join(lines)


def _observed_statistics(comparison: Comparison, start: str | None) -> set[str]:
    """The declared statistics a forecast reads within its forced (observed) months."""
    if start is None:
        return set()
    calendar = comparison.world.calendar
    return {s.name for s in comparison.world.statistics
            if calendar.index(s.month) <= calendar.index(start)}  # fmt: skip


def observed_lines(world, n_months: int) -> list[str]:
    """Markdown lines giving the world's declared statistics on its observed history.

    Each is read off the earliest and the latest reading of the observed moves; where the two
    differ the value is a range.
    """
    if world.observed is None:
        return []
    readings = observed_readings(world)
    parts = []
    for stat in world.statistics:
        if world.calendar.index(stat.month) >= min(n_months, world.observed.n_months):
            continue
        low, high = sorted(int(v) for v in statistic_values(stat, readings))
        parts.append(f"{stat.describe(world.focal_lab)}: {low if low == high else f'{low}-{high}'}")
    if not parts:
        return []
    return [f"Observed ({world.observed.source.rsplit('/', 1)[-1]}): " + "; ".join(parts) + ".",
            ""]  # fmt: skip


def _sentence(label, scenario, cell, ref, horizon, headline, focal) -> str:
    main, hor = cell[label, headline.name], cell[label, "remaining_at_horizon"]
    if label == ref:
        return (
            f"**{label}** (the reference): {headline.label}: {main.estimate:.1f} "
            f"(90%: {_range(main.low, main.high)}); at {focal} in {horizon}: {hor.estimate:.1f} "
            f"(90%: {_range(hor.low, hor.high)})."
        )
    return (
        f"**{label}**: {_question(scenario.spec.description)} {headline.label}: "
        f"{main.estimate:.1f} against {cell[ref, headline.name].estimate:.1f}, a paired "
        f"difference of {main.diff_mean:+.2f} (90%: {_range(main.diff_low, main.diff_high, True)}"
        f"); at {focal} in {horizon}: {hor.diff_mean:+.2f} "
        f"(90%: {_range(hor.diff_low, hor.diff_high, True)})."
    )


def _question(description: str) -> str:
    """The first sentence of a scenario's description (its question, by convention)."""
    text = " ".join(description.split())
    match = re.match(r"(.+?[?.])(\s|$)", text)
    return match.group(1) if match else text


def _range(low: float, high: float, signed: bool = False) -> str:
    def number(x: float) -> str:
        return f"{x:+g}" if signed and x != 0 else f"{x:g}"

    return f"{number(low)} to {number(high)}"


def _count(r) -> str:
    return f"{r.estimate:.1f} ({_range(r.low, r.high)})"


def _diff(r) -> str:
    return f"{r.diff_mean:+.2f} ({_range(r.diff_low, r.diff_high, True)})"


def _probability(r) -> str:
    return f"{r.estimate:.2f} ({r.low:.2f}-{r.high:.2f})"


def _month(r, horizon: str, calendar) -> str:
    def label(value: float) -> str:
        return f"after {horizon}" if math.isinf(value) else calendar.label(int(value))

    if r.low == r.high == r.estimate:
        return label(r.estimate)
    return f"{label(r.estimate)} ({label(r.low)} to {label(r.high)})"


def _long(curves: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(
        [c.assign(scenario=label)[["scenario", *c.columns]] for label, c in curves.items()],
        ignore_index=True,
    )


def cohort_phrase(title: str, focal: str) -> str:
    """A world's title as the object of a sentence, at its focal lab, said once.

    "The five at Acme" -> "the five at Acme" (not "... at Acme at Acme"); "The Acme five" ->
    "the Acme five at Acme".
    """
    phrase = title[:1].lower() + title[1:] if title.startswith(("The ", "A ", "An ")) else title
    return phrase if phrase.endswith(f" at {focal}") else f"{phrase} at {focal}"
