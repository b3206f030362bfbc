"""The files of ``sim robustness``: the effects table and its Markdown summary.

``robustness.md`` tabulates, per world, each counterfactual's paired effect under every
calibration setting and prior set (:mod:`sim.analysis.robustness` computes them), says which
conclusions keep their sign in every available setting, and whether the ranking of the largest
effect survives; ``effects.csv`` holds the table and ``manifest.json`` its provenance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.robustness import PRIOR_SETS
from sim.results import provenance, replace_folder, write_frame, write_json, write_text


def write_robustness(
    table: pd.DataFrame, out: Path, calibrations: Path, replicates: int, seed: int
) -> list[Path]:
    """Write effects.csv, robustness.md and manifest.json into ``out`` (the output-folder policy).

    Args:
        table: the effects (:func:`sim.analysis.robustness.robustness_table`).
        out: the output folder.
        calibrations: the folder the posteriors were read from, for the manifest.
        replicates: replicates per scenario and setting, for the text and the manifest.
        seed: the seed, for the manifest.
    """

    def write(folder: Path) -> list[Path]:
        written = [
            write_frame(folder / "effects.csv", table),
            write_text(folder / "robustness.md", markdown(table, replicates)),
        ]
        manifest = {
            "command": "sim robustness", "calibrations": str(calibrations),
            "replicates": replicates, "seed": seed, **provenance(),
            "files": [p.name for p in written],
        }  # fmt: skip
        return [*written, write_json(folder / "manifest.json", manifest)]

    return replace_folder(out, write, kind="robustness")


def markdown(table: pd.DataFrame, replicates: int) -> str:
    """The table for the README: effects by setting and prior set, and what survives."""
    lines = [
        f"Effect on the number still at the focal lab at the anchor month: paired mean over "
        f"{replicates:,} replicates and the 90% interval of the per-replicate difference. "
        "Columns: calibration setting / prior set; '-' where that posterior was not computed.",
        "",
    ]
    for world, part in table.groupby("world", sort=False):
        columns = [(s, p) for s in part.setting.unique() for p in PRIOR_SETS]
        done = part.dropna(subset=["scenario"])
        lines += [
            f"**{world}** ({part.statistic.iloc[0]})",
            "",
            "| counterfactual | " + " | ".join(f"{s} / {p}" for s, p in columns)
            + " | survives |",
            "|---|" + "---|" * (len(columns) + 1),
        ]  # fmt: skip
        for scenario in done.scenario.unique():
            cells, signs = [], []
            for s, p in columns:
                hit = done[(done.scenario == scenario) & (done.setting == s) & (done.priors == p)]
                if hit.empty:
                    cells.append("-")
                else:
                    r = hit.iloc[0]
                    cells.append(f"{r.effect:+.2f} ({_whole(r.low)} to {_whole(r.high)})")
                    signs.append(np.sign(round(float(r.effect), 2)))
            survives = "yes" if signs and len(set(signs)) == 1 and signs[0] != 0 else "no"
            lines.append(f"| {scenario} | " + " | ".join(cells) + f" | {survives} |")
        lines += ["", *_rankings(done), ""]
    return "\n".join(lines)


def _whole(x: float) -> str:
    """A whole number with its sign, 0 without one."""
    return "0" if round(x) == 0 else f"{x:+.0f}"


def _rankings(done: pd.DataFrame) -> list[str]:
    """Which counterfactual has the largest effect in each setting: does the ranking survive?

    Ranked by size (the absolute paired effect), so a large loss is not ranked below a small
    gain; then, where both signs occur, the largest gain (more stay) and the largest loss (fewer
    stay) apart.
    """
    per_setting = done.assign(size=done.effect.abs()).groupby(["setting", "priors"], sort=False)
    lines = [_verdict("Largest effect in size", done.loc[per_setting["size"].idxmax()])]
    gains, losses = done[done.effect > 0], done[done.effect < 0]
    if not gains.empty and not losses.empty:
        by = ["setting", "priors"]
        best = gains.loc[gains.groupby(by, sort=False).effect.idxmax()]
        worst = losses.loc[losses.groupby(by, sort=False).effect.idxmin()]
        lines.append(_verdict("Largest gain (more stay)", best))
        lines.append(_verdict("Largest loss (fewer stay)", worst))
    return [" ".join(lines)]


def _verdict(what: str, winners: pd.DataFrame) -> str:
    """One verdict: which counterfactual wins how many settings, and whether that survives."""
    top = winners.groupby("scenario").size().sort_values(ascending=False, kind="stable")
    settings = int(top.sum())
    parts = [f"{name} in {n} of {settings}" for name, n in top.items()]
    verdict = "survives" if len(top) == 1 else "does not survive"
    return f"{what}: {'; '.join(parts)} settings (the ranking {verdict})."
