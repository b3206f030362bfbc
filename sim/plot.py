"""Figures (matplotlib, Agg backend): retention bands with the observed history drawn over them.

Functions return a Figure and never show it; :func:`sim.store.save_figure` writes it.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never opens a window  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.observed import Observed  # noqa: E402
from sim.timeline import OBSERVED_END, parse_month  # noqa: E402


def _month_ticks(ax, months: list[str]) -> None:
    ticks = [k for k, m in enumerate(months) if m.endswith("-01") or k == 0]
    ax.set_xticks(ticks)
    ax.set_xticklabels([months[k] for k in ticks], rotation=45, ha="right")


def retention_figure(
    curves: dict[str, pd.DataFrame],
    cohort_size: int,
    observed: Observed | None = None,
    title: str = "Share of the cohort still at the start lab",
):
    """Retention bands (50% and 90%) and means, one colour per curve, observed history on top.

    Args:
        curves: label -> :func:`sim.results.retention_curve` table.
        cohort_size: N, to draw the observed counts as shares.
        observed: the observed history; drawn as a step band (earliest/latest reading).
        title: figure title.
    """
    fig, ax = plt.subplots(figsize=(9, 5))
    months = None
    for k, (label, curve) in enumerate(curves.items()):
        months = list(curve["month"])
        x = np.arange(len(months))
        colour = f"C{k}"
        ax.fill_between(x, curve["q05"], curve["q95"], color=colour, alpha=0.15, linewidth=0)
        ax.fill_between(x, curve["q25"], curve["q75"], color=colour, alpha=0.3, linewidth=0)
        ax.plot(x, curve["mean"], color=colour, label=f"{label} (mean, 50% and 90% bands)")
    if observed is not None and months is not None:
        end = min(parse_month(OBSERVED_END) + 1, len(months))
        low, high = observed.remaining_bounds(end)
        x = np.arange(end)
        ax.step(x, high / cohort_size, where="post", color="black", lw=1.5,
                label="observed (latest reading of each exit)")  # fmt: skip
        ax.step(x, low / cohort_size, where="post", color="black", lw=1.5, ls="--",
                label="observed (earliest reading)")  # fmt: skip
    ax.axvline(parse_month(OBSERVED_END), color="grey", lw=0.8, ls=":")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("share at start lab")
    ax.set_title(title)
    if months:
        _month_ticks(ax, months)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig
