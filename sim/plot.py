"""Figures (matplotlib, Agg backend): retention bands, paired differences, destinations, checks.

Retention bands with the observed history drawn over them (runs and comparisons), a comparison's
paired differences and destinations, and the calibration's checks. Functions return a Figure and
never show it; :func:`sim.store.save_figure` writes it.
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


def difference_figure(curves: dict[str, pd.DataFrame], cohort_size: int, reference: str):
    """Paired difference of each scenario's retention curve from the reference's.

    One colour per scenario: the mean line with the 50% and 90% bands of the per-replicate
    difference; a right-hand axis reads the difference in researchers.
    """
    fig, ax = plt.subplots(figsize=(9, 6), layout="constrained")
    months: list[str] = []
    for k, (label, curve) in enumerate(curves.items()):
        months = list(curve["month"])
        x = np.arange(len(months))
        colour = f"C{k + 1}"  # C0 is the reference's colour in the retention figure
        ax.fill_between(x, curve["q05"], curve["q95"], color=colour, alpha=0.08, linewidth=0)
        ax.fill_between(x, curve["q25"], curve["q75"], color=colour, alpha=0.18, linewidth=0)
        ax.plot(x, curve["mean"], color=colour, label=label)
    ax.axhline(0.0, color="black", lw=0.8)
    if months:
        ax.axvline(parse_month(OBSERVED_END), color="grey", lw=0.8, ls=":")
        _month_ticks(ax, months)
    ax.set_ylabel(f"share still at start lab: scenario - {reference}")
    right = ax.secondary_yaxis(
        "right", functions=(lambda s: s * cohort_size, lambda n: n / cohort_size)
    )
    right.set_ylabel("researchers")
    ax.set_title(f"Paired difference from {reference} (mean, 50% and 90% bands across replicates)")
    if curves:  # below the axes: the bands can fill any part of the plot
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4, fontsize=8)
    return fig


def destinations_figure(frame: pd.DataFrame, start_labs: tuple[str, ...], month: str):
    """Grouped bars: mean number of the cohort at each lab at ``month``, one bar per scenario.

    The start lab(s) get their own panel and scale, so the other labs' bars stay readable; labs
    where no scenario has as much as 0.01 researchers on average are left out.
    """
    scenarios = list(dict.fromkeys(frame["scenario"]))
    wide = frame.pivot(index="lab", columns="scenario", values="mean")[scenarios]
    wide = wide[wide.max(axis=1) >= 0.01]
    home = [lab for lab in wide.index if lab in start_labs]
    other = wide.drop(index=home)
    other = other.loc[other.max(axis=1).sort_values(ascending=False, kind="stable").index]
    ratios = [max(len(home), 1), max(len(other), 1) + 1]
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), gridspec_kw={"width_ratios": ratios})
    width = 0.8 / len(scenarios)
    for ax, part in zip(axes, (wide.loc[home], other), strict=True):
        x = np.arange(len(part))
        for k, label in enumerate(scenarios):
            ax.bar(x + (k - (len(scenarios) - 1) / 2) * width, part[label], width,
                   color=f"C{k}", label=label)  # fmt: skip
        ax.set_xticks(x)
        ax.set_xticklabels(part.index, rotation=30, ha="right")
    axes[0].set_ylabel(f"mean number of the cohort there in {month}")
    axes[0].set_title("start lab")
    axes[1].set_title("the other labs")
    axes[1].legend(fontsize=8)
    fig.suptitle(f"Where the cohort is in {month}, by scenario")
    fig.tight_layout()
    return fig


def ppc_figure(stats, prior_stats, curve, observed, cohort_size, targets, yardstick=None):
    """Posterior predictive check: left at Meta in 2025-05 (posterior vs prior), and bands.

    ``yardstick``, if given, is a probability per count 0..cohort_size (the two-stage binomial
    predictive of :mod:`sim.reference`), drawn as points over the histograms.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
    bins = np.arange(cohort_size + 2) - 0.5
    left.hist(prior_stats["remaining_2025_05"], bins=bins, density=True, color="grey", alpha=0.4,
              label="prior predictive")  # fmt: skip
    left.hist(stats["remaining_2025_05"], bins=bins, density=True, color="C0", alpha=0.7,
              label="posterior predictive")  # fmt: skip
    if yardstick is not None:
        left.plot(np.arange(cohort_size + 1), yardstick, "o", color="C3", ms=4,
                  label="yardstick: two-stage binomial, uniform prior")  # fmt: skip
    anchor = next((t.observed for t in targets if t.summary == "remaining_2025_05"), 3)
    if anchor is not None:
        left.axvline(anchor, color="black", lw=2, label=f"observed: {anchor}")
    left.set_xlabel("authors still at Meta in 2025-05")
    left.set_ylabel("probability")
    left.legend(fontsize=8)
    months = list(curve["month"])
    x = np.arange(len(months))
    right.fill_between(x, curve["q05"], curve["q95"], color="C0", alpha=0.15, linewidth=0,
                       label="90% band")  # fmt: skip
    right.fill_between(x, curve["q25"], curve["q75"], color="C0", alpha=0.3, linewidth=0,
                       label="50% band")  # fmt: skip
    right.plot(x, curve["mean"], color="C0", label="mean")
    if observed is not None:
        end = min(parse_month(OBSERVED_END) + 1, len(months))
        low, high = observed.remaining_bounds(end)
        right.step(np.arange(end), high / cohort_size, where="post", color="black",
                   label="observed (latest reading)")  # fmt: skip
        right.step(np.arange(end), low / cohort_size, where="post", color="black", ls="--",
                   label="observed (earliest reading)")  # fmt: skip
    _month_ticks(right, months)
    right.set_ylim(0, 1.02)
    right.set_ylabel("share still at Meta")
    right.legend(fontsize=8)
    fig.suptitle("Posterior predictive check")
    fig.tight_layout()
    return fig


def pairs_figure(posterior: pd.DataFrame, max_points: int = 1500):
    """Pairs plot of the weighted posterior (points resampled by weight; diagonal: histograms)."""
    names = [c for c in posterior.columns if c != "weight"]
    weights = posterior["weight"].to_numpy() if "weight" in posterior else None
    rng = np.random.default_rng(0)
    p = None if weights is None else weights / weights.sum()
    rows = rng.choice(len(posterior), size=min(max_points, len(posterior)), p=p)
    sample = posterior[names].to_numpy()[rows]
    k = len(names)
    fig, axes = plt.subplots(k, k, figsize=(1.6 * k, 1.6 * k))
    for i in range(k):
        for j in range(k):
            ax = axes[i, j]
            if i == j:
                ax.hist(sample[:, i], bins=30, color="C0")
            elif i > j:
                ax.scatter(sample[:, j], sample[:, i], s=1, alpha=0.3, color="C0")
            else:
                ax.axis("off")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == k - 1:
                ax.set_xlabel(names[j], fontsize=7)
            if j == 0:
                ax.set_ylabel(names[i], fontsize=7)
    fig.suptitle("Posterior pairs (points resampled by weight)")
    fig.tight_layout()
    return fig
