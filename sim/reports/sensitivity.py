"""The files of a sensitivity analysis: the index table, a figure and a Markdown summary.

:func:`write_sensitivity` writes a :class:`~sim.analysis.sensitivity.Sensitivity` (SALib's Sobol'
or Morris indices, Sobol' 2001, Saltelli et al. 2010, Morris 1991; Herman & Usher 2017) as
``noise.parquet`` (the points re-run for the seed-noise floor), ``sensitivity.csv`` (the tidy
table), ``sensitivity.png`` (:func:`sensitivity_figure`) and ``sensitivity.md`` (:func:`report`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.sensitivity import NOISE, Sensitivity
from sim.analysis.sweep import Sweep
from sim.analysis.sweep_store import sign_store
from sim.results import provenance, save_figure, write_frame, write_text


def write_sensitivity(result: Sensitivity, out: str | Path) -> list[Path]:
    """Write noise.parquet, sensitivity.csv, sensitivity.png and sensitivity.md into ``out``.

    ``out`` is the sweep's folder; the files are written beside its store, each atomically.
    """
    sweep, table, out = result.sweep, result.table, Path(out)
    written = [
        write_frame(out / "noise.parquet", result.noise_points),
        write_frame(out / "sensitivity.csv", table),
        save_figure(out / "sensitivity.png", sensitivity_figure(sweep, table)),
        write_text(out / "sensitivity.md", report(sweep, result.results, table)),
    ]
    sign_store(out, tuple(p.name for p in written))  # the store's signature lists them too
    return written


def sensitivity_figure(sweep: Sweep, table: pd.DataFrame):
    """Bars with error bars, one panel per output; the seed-noise floor as a dashed line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outputs = list(sweep.spec.outputs)
    names = sweep.names
    fig, axes = plt.subplots(
        1, len(outputs), figsize=(4.2 * len(outputs), 0.45 * len(names) + 1.8), squeeze=False,
        sharey=True,
    )  # fmt: skip
    sobol = sweep.spec.design == "sobol"
    shown = ("S1", "ST") if sobol else ("mu_star",)
    floor_index = "noise_var_ratio" if sobol else "mu_star_noise"
    ypos = np.arange(len(names))
    height = 0.8 / len(shown)
    for ax, output in zip(axes[0], outputs, strict=True):
        rows = table[table["output"] == output]
        for k, index in enumerate(shown):
            part = rows[rows["index"] == index].set_index("parameter").reindex(names)
            ax.barh(
                ypos + (k - (len(shown) - 1) / 2) * height, part["value"], height,
                xerr=part["conf"].fillna(0).to_numpy(), capsize=2, label=index,
            )  # fmt: skip
        floor = rows[(rows["parameter"] == NOISE) & (rows["index"] == floor_index)]["value"]
        if len(floor) and np.isfinite(floor.iloc[0]):
            ax.axvline(floor.iloc[0], color="k", ls="--", lw=1, label="seed-noise floor")
        ax.set_title(output)
        ax.set_xlabel("index (share of variance)" if sobol else "mu* (output units per range)")
        ax.axvline(0, color="grey", lw=0.5)
    axes[0][0].set_yticks(ypos, names)
    axes[0][0].invert_yaxis()
    axes[0][-1].legend(loc="lower right", fontsize="small")
    fig.suptitle(f"{sweep.name}: {sweep.spec.design} sensitivity ({sweep.spec.replicates} "
                 "replicates a point)")  # fmt: skip
    fig.tight_layout()
    return fig


def report(sweep: Sweep, results: pd.DataFrame, table: pd.DataFrame) -> str:
    """A short Markdown summary: design, noise floor and the leading parameters per output."""
    spec = sweep.spec
    sobol = spec.design == "sobol"
    key = "ST" if sobol else "mu_star"
    floor_index = "noise_var_ratio" if sobol else "mu_star_noise"
    prov = provenance()
    lines = [
        f"# Sensitivity: {sweep.name}",
        "",
        f"Scenario `{sweep.scenario.name}`; {spec.design} design over {', '.join(sweep.names)}; "
        f"{len(results)} points x {spec.replicates} replicates (seed {sweep.seed}, common random "
        f"numbers); other parameters at the {sweep.base_from}. "
        f"Version {prov['version']}, commit {prov['git_commit']}.",
        "",
        "The seed-noise floor is the share of the output variance across the design that is "
        "noise in a replicate mean (points re-run with independent seeds; formula in "
        "`sim.sensitivity.noise_floor`). An index below it cannot be told from luck.",
        "",
    ]
    for output in spec.outputs:
        rows = table[table["output"] == output]
        main = rows[rows["index"] == key].sort_values("value", ascending=False)
        noise = rows[(rows["parameter"] == NOISE) & (rows["index"] == "noise_var_ratio")]["value"]
        floor = rows[(rows["parameter"] == NOISE) & (rows["index"] == floor_index)]["value"]
        lines += [
            f"## {output}",
            "",
            f"Mean over points {results[f'{output}_mean'].mean():.3g}, sd across points "
            f"{results[f'{output}_mean'].std():.3g}; seed-noise share of variance "
            f"{noise.iloc[0]:.3g}.",
            "",
            f"| parameter | {key} | conf |" + (" S1 | S1 conf |" if sobol else " sigma |"),
            "|---|---|---|" + ("---|---|" if sobol else "---|"),
        ]
        for _, row in main.iterrows():
            extra = rows[(rows["parameter"] == row["parameter"])].set_index("index")
            tail = (
                f" {extra.loc['S1', 'value']:.3f} | {extra.loc['S1', 'conf']:.3f} |"
                if sobol
                else f" {extra.loc['sigma', 'value']:.3g} |"
            )
            below = " (below noise)" if len(floor) and row["value"] < floor.iloc[0] else ""
            lines.append(
                f"| {row['parameter']}{below} | {row['value']:.3g} | {row['conf']:.2g} |{tail}"
            )
        lines.append("")
    return "\n".join(lines)
