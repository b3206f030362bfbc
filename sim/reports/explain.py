"""The files of an attribution (``sim explain``): tables, figures, report and manifest.

Turns a :class:`sim.analysis.explain.Explanation` into ``attribution.csv``,
``per_researcher.csv``, ``levels.csv``, the waterfall and by-month figures
(:mod:`sim.reports.plot`), ``report.md`` and ``manifest.json``, in a folder swapped in whole.
The method (Shapley values under common random numbers; Shapley 1953, Castro et al. 2009 for
permutation sampling) is described in :mod:`sim.analysis.explain`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.explain import TOTAL, Explanation
from sim.analysis.explain.causes import potential_in
from sim.results import provenance, replace_folder, save_figure, write_frame, write_json, write_text
from sim.world import Event


def write_explanation(explanation: Explanation, out: Path) -> list[Path]:
    """Write the attribution's tables, figures, report and manifest into ``out`` (swapped whole)."""
    return replace_folder(
        Path(out), lambda folder: _write_files(explanation, folder), kind="explanation"
    )


def _write_files(ex: Explanation, out: Path) -> list[Path]:
    from sim.reports.plot import attribution_by_month_figure, waterfall_figure  # matplotlib

    table = ex.to_df()
    levels = ex.levels_df()
    people = ex.per_researcher_df()
    written = [
        write_frame(out / "attribution.csv", table),
        write_frame(out / "per_researcher.csv", people),
        write_frame(out / "levels.csv", levels),
    ]
    gone = table[table["statistic"] == ex.gone_name]
    base = levels[levels["statistic"] == ex.gone_name].set_index("source")
    written.append(
        save_figure(
            out / "waterfall.png",
            waterfall_figure(
                gone,
                {s: (base.loc[s, "all_off"], base.loc[s, "scenario"]) for s in ex.sources},
                ex.gone_label,
                f"{ex.world.title}: from every cause off to the scenario, {ex.month}",
            ),
        )
    )
    curve = table[table["statistic"].str.startswith("retention_")].copy()
    curve["month"] = curve["statistic"].str.removeprefix("retention_").str.replace("_", "-")
    written.append(
        save_figure(
            out / "by_month.png",
            attribution_by_month_figure(
                curve,
                ex.world.focal_lab,
                f"{ex.world.title}: each cause's contribution to the share at {ex.world.focal_lab}",
            ),
        )
    )
    written.append(write_text(out / "report.md", report(ex, table, people)))
    scenario = ex.scenario
    manifest = {
        "command": "explain",
        "scenario": None if scenario is None else scenario.name,
        "files_read": [] if scenario is None else list(scenario.chain),
        "groups_source": ex.causes.source,
        "groups": [
            {
                "name": g.name,
                "events": list(g.events),
                "labs_founded": list(g.labs),
                "peer": list(g.peer),
                "how": g.how,
                "simulated": active,
            }
            for g, active in zip(ex.causes.groups, ex.active, strict=True)
        ],
        "unattributed_events": [e.id for e in ex.causes.unattributed],
        "checkpoint": ex.month,
        "replicates": ex.replicates,
        "seed": ex.seed,
        "sources": list(ex.sources),
        "parameter_source": ex.parameter_source,
        "method": ex.method,
        "permutations": ex.orders,
        "coalitions_simulated": ex.coalitions,
        "simulation_seconds": round(ex.seconds, 2),
        "common_random_numbers": (
            "every coalition uses the same replicate seeds and the same parameter draws (the "
            "scenario's for 'posterior', seeded prior draws for 'prior'), the same in every "
            "coalition; a part of the peer pull that is off is switched off in the world"
        ),
        **provenance(),
        "files": [p.name for p in written],
    }
    written.append(write_json(out / "manifest.json", manifest))
    return written


def _fmt(mean: float, low: float, high: float, digits: int = 2, signed: bool = True) -> str:
    sign = "+" if signed else ""
    if np.isnan(low) or np.isnan(high):  # too few replicates for an interval
        return f"{mean:{sign}.{digits}f} (interval n/a)"
    return f"{mean:{sign}.{digits}f} ({low:{sign}.{digits}f} to {high:{sign}.{digits}f})"


def _event_line(event: Event) -> str:
    what = (
        f"{event.lab} merges into {event.into}"
        if event.kind == "merge"
        else f"{event.kind} {event.lab} {event.attribute} {event.value:+g}"
        if event.kind == "shift"
        else f"set {event.lab} {event.attribute} = {event.value:g}"
    )
    text = f"`{event.id}` ({event.month}, {what})"
    return text


def report(
    ex: Explanation, table: pd.DataFrame | None = None, people: pd.DataFrame | None = None
) -> str:
    """The Markdown report: the causes, the attribution table, prior vs posterior, figures."""
    table = ex.to_df() if table is None else table
    people = ex.per_researcher_df() if people is None else people
    world = ex.world
    focal = world.focal_lab
    by_id = {e.id: e for e in world.events}
    name = ex.scenario.name if ex.scenario is not None else world.name
    n = len(world.researchers)
    n_active = sum(ex.active)
    method = (
        f"exactly, over all 2^{n_active} = {2**n_active} coalitions"
        if ex.method == "exact"
        else f"by permutation sampling (Castro et al. 2009), {ex.orders} random orders"
    )
    lines = [
        f"# Why they left: {world.title}, attributed to its causes",
        "",
        f"Scenario **{name}**, {ex.replicates} replicates per parameter source, seed {ex.seed}. "
        f"The statistic is the number of the {n} researchers **not at {focal} in {ex.month}** "
        f"(the checkpoint), with the share at {focal} month by month up to then and each "
        "researcher's probability of having left by then. Each cause's share is its Shapley "
        "value: its marginal effect averaged over every order in which the causes could have "
        "been switched on, from every cause off to the scenario. The values add up: they sum to "
        "the scenario minus every cause off (the *total*). Every coalition uses the same "
        "replicate seeds and the same parameter draws (common random numbers), so the values are "
        f"computed replicate by replicate; here {method} ({ex.coalitions} simulated "
        "coalitions; the time taken is in manifest.json).",
        "",
    ]
    if ex.scenario is not None and ex.scenario.spec.provisional:
        lines += [
            "> **Provisional parameters.** The scenario's parameters are not calibrated yet "
            "(`provisional = true`).",
            "",
        ]
    if ex.parameter_source and ex.parameter_source != "posterior":
        lines += [
            f"> **No posterior.** This scenario's parameters are `params.from = "
            f'"{ex.parameter_source}"`: the *posterior* column below is the attribution under '
            "them, not under calibrated draws.",
            "",
        ]
    skipped = [g.name for g, a in zip(ex.causes.groups, ex.active, strict=True) if not a]
    if skipped:
        lines += [
            f"Not simulated (exact dummies: nothing of theirs happens by {ex.month}, or the peer "
            f"pull is already 0): {', '.join(skipped)}; their values are exactly 0.",
            "",
        ]
    lines += ["## The causes", ""]
    source = (
        "the world's data (the default grouping)"
        if ex.causes.source == "default"
        else (f"the groups file `{ex.causes.source}`")
    )
    lines += [f"The groups come from {source}.", ""]
    potential = set(potential_in(world))
    for group, active in zip(ex.causes.groups, ex.active, strict=True):
        parts = []
        for lab in group.labs:
            if lab in potential:  # founding chosen: a founder's choice, in any month
                parts.append(f"the founding of {lab} by its founders' choice (observed "
                             f"{world.founded[world.labs.index(lab)]})")  # fmt: skip
            else:
                parts.append(f"the founding of {lab} in {world.founded[world.labs.index(lab)]}")
        if group.events:
            parts.append("events " + ", ".join(_event_line(by_id[e]) for e in group.events))
        if "contagion" in group.peer:
            parts.append(
                "the colleagues' contagion: peer shares that follow their moves (off: colleagues "
                "counted where they would be had none moved)"
            )
        if "glue" in group.peer:
            parts.append(
                "the colleagues' glue: those at one's own lab holding one there (off: staying "
                "loses b_peer times their share)"
            )
        note = "" if active else f" All of it comes after {ex.month}: exactly 0, not simulated."
        lines.append(f"- **{group.name}**: {'; '.join(parts)}.{note}")
    lines += [
        "",
        f"*Every cause off* is the counterfactual world in which {focal} keeps its starting "
        "attributes (its events removed), no lab is founded within the window (those labs never "
        "exist), their events go (a merge goes when either of its labs is gone) and, with both "
        "parts of the peer pull off, nobody's move pulls anyone and no colleague holds anyone.",
        "",
    ]
    stray = ex.causes.unattributed
    foundings = ex.causes.unattributed_foundings
    if stray or foundings:
        parts = [_event_line(e) for e in stray] + [f"the founding of {x}" for x in foundings]
        lines += [
            f"**Not attributed** (on in every coalition, *every cause off* included, so "
            f"none of their effect is in the table): {', '.join(parts)}.",
            "",
        ]
    else:
        lines += ["Every event belongs to a group: nothing stays on unattributed.", ""]
    cell = {(r.source, r.group): r for r in table[table["statistic"] == ex.gone_name].itertuples()}
    levels = {s: ex.summary(s) for s in ex.sources}
    lines += [
        f"## How many left {focal} by {ex.month}, cause by cause",
        "",
        f"Researchers not at {focal} in {ex.month}: mean (90% Monte Carlo interval of the mean). "
        "*posterior*: the scenario's own parameters "
        f'(`params.from = "{ex.parameter_source or "given"}"`); *prior*: draws from the prior, '
        "the same attribution before the data.",
        "",
        "| | posterior | prior |",
        "|---|---|---|",
    ]
    row = ["every cause off"] + [
        _fmt(*(a[0] for a in levels[s]["all_off"]), signed=False) for s in ex.sources
    ]
    lines.append("| " + " | ".join(row) + " |")
    for group in (*ex.causes.names, TOTAL):
        label = f"**{group}**" if group == TOTAL else group
        row = [label] + [
            _fmt(cell[s, group].mean, cell[s, group].low, cell[s, group].high) for s in ex.sources
        ]
        lines.append("| " + " | ".join(row) + " |")
    row = ["the scenario"] + [
        _fmt(*(a[0] for a in levels[s]["scenario"]), signed=False) for s in ex.sources
    ]
    lines.append("| " + " | ".join(row) + " |")
    post = (
        {g: cell["posterior", g].mean for g in ex.causes.names} if "posterior" in ex.sources else {}
    )
    prior = {g: cell["prior", g].mean for g in ex.causes.names} if "prior" in ex.sources else {}
    lines += [""]
    if post:
        top = max(post, key=lambda g: abs(post[g]))
        lines.append(
            f"Under the posterior the largest share is **{top}** ({post[top]:+.2f} researchers "
            f"of the total {cell['posterior', TOTAL].mean:+.2f})."
        )
        background = levels["posterior"]["all_off"][0][0]
        lines.append(
            f"With every cause off, {background:.2f} of the {n} are already gone by {ex.month}: "
            f"departures no cause here holds ({focal}'s starting attributes against the labs "
            "that exist from the start, and the researchers' own restlessness)."
        )
    if post and prior:
        moved = max(post, key=lambda g: abs(post[g] - prior[g]))
        lines.append(
            f"What the data taught: the share that moved most from prior to posterior is "
            f"**{moved}** ({prior[moved]:+.2f} -> {post[moved]:+.2f})."
        )
    lines += [
        "",
        "A positive value is a cause that pushed researchers out; a negative one kept them. The "
        "intervals are for the mean over the replicates (and so over the parameter draws), not "
        "the spread of single histories"
        + (
            "; with permutation sampling they include the sampled orders' error."
            if ex.method == "permutation"
            else "."
        ),
        "",
        "## Figures",
        "",
        "![From every cause off to the scenario](waterfall.png)",
        "",
        f"*waterfall.png*: the number not at {focal} in {ex.month}, from every cause off (left) "
        "to the scenario (right), one bar per cause (its Shapley value, with its 90% interval); "
        "posterior and prior side by side.",
        "",
        "![Contributions by month](by_month.png)",
        "",
        f"*by_month.png*: each cause's contribution to the share of the cohort at {focal}, month "
        "by month up to the checkpoint (stacked; below zero: it took researchers away); the line "
        "is the total, the scenario minus every cause off.",
        "",
        f"## Each researcher: who left {focal} by {ex.month}, and why",
        "",
        f"Probability of having left {focal} (been away from it at some month) by {ex.month}, "
        "with every cause off, each cause's share of the change and in the scenario (posterior; "
        "the prior's is in per_researcher.csv).",
        "",
    ]
    names = list(ex.causes.names)
    lines.append("| researcher | all off | " + " | ".join(names) + " | scenario |")
    lines.append("|---" * (len(names) + 3) + "|")
    part = people[people["source"] == ex.sources[0]]
    for person in world.researchers:
        rows = part[part["researcher"] == person].set_index("group")
        cells = [f"{rows['p_all_off'].iloc[0]:.2f}"]
        cells += [f"{rows.loc[g, 'mean']:+.2f}" for g in names]
        cells += [f"{rows['p_scenario'].iloc[0]:.2f}"]
        lines.append(f"| {person} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Files",
        "",
        "`attribution.csv` (source, group, statistic, mean, low, high: the number gone at the "
        "checkpoint and the retention curve month by month, each cause and the total), "
        "`per_researcher.csv` (each researcher's probability of having left, attributed), "
        "`levels.csv` (every statistic with every cause off and in the scenario), "
        "`waterfall.png`, `by_month.png`, `manifest.json` (groups, seeds, code version).",
        "",
    ]
    return "\n".join(lines)
