"""The files of ``sim baselines``: the agent-based model against simpler models, as tables.

``baselines.md`` gives, per held-out cohort, each model's log predictive density of the
cohort's first exits (months, destination types, both) and the mean CRPS of the counts every
model predicts; then each declared count's CRPS by model; then, in words, where the agent-based
model wins and where it loses against the best baseline. ``scores.csv``, ``researchers.csv`` (each
researcher's log densities) and ``coefficients.csv`` (the covariate model's fit) hold the
numbers; ``manifest.json`` the provenance. :mod:`sim.analysis.baselines` computes them.

:func:`baselines_markdown` returns the comparison table of a seeded run of the shipped cohorts,
for generated documentation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.baselines import (
    LOG_ITEMS,
    MODEL,
    WORLDS,
    Comparison,
    committed_posteriors,
    compare_baselines,
    load_cohorts,
)
from sim.paths import CALIBRATION_DIR
from sim.results import provenance, replace_folder, write_frame, write_json, write_text

#: The seeded run behind :func:`baselines_markdown` (and the command's defaults).
DEFAULT_REPLICATES = 10_000
DEFAULT_SEED = 20230224


def write_baselines(comparison: Comparison, out: Path) -> list[Path]:
    """Write the comparison's files into ``out`` by the output-folder policy."""

    def write(folder: Path) -> list[Path]:
        written = [
            write_text(folder / "baselines.md", comparison_markdown(comparison)),
            write_frame(folder / "scores.csv", comparison.scores),
            write_frame(folder / "researchers.csv", comparison.researchers),
            write_frame(folder / "coefficients.csv", comparison.coefficients),
        ]
        manifest = {
            "command": "sim baselines", "worlds": list(comparison.worlds),
            "replicates": comparison.replicates, "seed": comparison.seed,
            "posteriors": comparison.posteriors, **provenance(),
            "files": [p.name for p in written],
        }  # fmt: skip
        return [*written, write_json(folder / "manifest.json", manifest)]

    return replace_folder(out, write, kind="baselines")


def _is_model(name: str) -> bool:
    return name.startswith(MODEL)


def _cells(values: pd.Series, higher_is_better: bool, digits: int) -> list[str]:
    """Numbers formatted, the best in bold, '-' where missing."""
    present = values.dropna()
    best = (present.max() if higher_is_better else present.min()) if len(present) else None
    out = []
    for v in values:
        if pd.isna(v):
            out.append("-")
        else:
            text = f"{v:.{digits}f}"
            out.append(f"**{text}**" if best is not None and np.isclose(v, best) else text)
    return out


def comparison_markdown(comparison: Comparison) -> str:
    """The comparison as Markdown: per held-out cohort, two tables and a verdict."""
    scores = comparison.scores
    lines = [
        "Leave one cohort out: each cohort is predicted by models fitted on the other cohort(s) "
        "only. *Log density* (higher is better; summed over researchers) of each researcher's "
        "first exit from the focal lab: of the months its interval allows, of its destination "
        "type (a lab founded after the cohort's start, an established lab, the catch-all) given "
        "them, and of both. *CRPS* (lower is better, in counts) of each declared count against "
        "the band between the earliest and latest reading of the observed history. The "
        f"agent-based model's predictive is {comparison.replicates:,} simulated histories from "
        "the other cohort's likelihood posterior, its stay premium k0 drawn from the prior "
        f"(seed {comparison.seed}); the survival baselines model first exits only, so they are "
        "scored on the counts those determine ('-' elsewhere).",
        "",
    ]
    for held, part in scores.groupby("held_out", sort=False):
        models = list(dict.fromkeys(part.model))
        trained = part.trained_on.iloc[0]
        logs = part[part.score == "log density"].pivot(
            index="model", columns="item", values="value"
        )
        crps = part[part.score == "CRPS"]
        table = crps.pivot(index="item", columns="model", values="value")
        common = table.dropna().index
        mean_common = table.loc[common].mean() if len(common) else pd.Series(dtype=float)
        columns = {f"log density: {item}": logs[item].reindex(models) for item in LOG_ITEMS}
        columns[f"mean CRPS of the {len(common)} counts all predict"] = mean_common.reindex(models)
        lines += [
            f"**{held}**, predicted from {trained}",
            "",
            "| model | " + " | ".join(columns) + " |",
            "|---|" + "---:|" * len(columns),
        ]
        formatted = {
            name: _cells(values, not name.startswith("mean CRPS"), 1 if "log" in name else 2)
            for name, values in columns.items()
        }
        for k, model in enumerate(models):
            lines.append(f"| {model} | " + " | ".join(f[k] for f in formatted.values()) + " |")
        lines += ["", "| declared count | observed | " + " | ".join(models) + " |",
                  "|---|---:|" + "---:|" * len(models)]  # fmt: skip
        for item in dict.fromkeys(crps["item"]):
            row = crps[crps["item"] == item].iloc[0]
            cells = _cells(table.loc[item].reindex(models), False, 2)
            lines.append(f"| {row.label} | {row.observed} | " + " | ".join(cells) + " |")
        lines += ["", *_verdict(columns, table, models), ""]
    return "\n".join(lines)


def _verdict(columns: dict[str, pd.Series], table: pd.DataFrame, models: list[str]) -> list[str]:
    """Where each agent-based model row beats the best baseline, and where it does not."""
    baselines = [m for m in models if not _is_model(m)]
    out = []
    for model in (m for m in models if _is_model(m)):
        wins, losses = [], []
        measures = {name: (values, not name.startswith("mean CRPS"))
                    for name, values in columns.items()}  # fmt: skip
        for item in table.index:
            measures[f"CRPS: {item}"] = (table.loc[item], False)
        for name, (values, higher) in measures.items():
            rivals = values.reindex(baselines).dropna()
            if rivals.empty or pd.isna(values.get(model)):
                continue
            rival = rivals.idxmax() if higher else rivals.idxmin()
            better = values[model] > rivals[rival] if higher else values[model] < rivals[rival]
            (wins if better else losses).append(f"{name} (best baseline: {rival})")
        out.append(
            f"The {model} beats the best baseline on {len(wins)} of {len(wins) + len(losses)} "
            f"scores: {'; '.join(wins) or 'none'}. It loses on: {'; '.join(losses) or 'none'}."
        )
    return out


def baselines_markdown() -> str:
    """The comparison table of a seeded run on the shipped cohorts, as Markdown.

    :data:`DEFAULT_REPLICATES` histories per model, seed :data:`DEFAULT_SEED`, the committed
    posteriors in ``calibration/``: the same numbers as ``sim baselines`` with its defaults.
    """
    worlds = load_cohorts(list(WORLDS))
    comparison = compare_baselines(
        worlds, committed_posteriors(CALIBRATION_DIR, worlds), DEFAULT_REPLICATES, DEFAULT_SEED
    )
    return comparison_markdown(comparison)
