"""Figures (matplotlib, Agg backend): retention bands, paired differences, destinations, checks.

Retention bands with the observed history drawn over them (runs and comparisons), a comparison's
paired differences and destinations, and the calibration's checks. Functions return a Figure and
never show it; :func:`sim.results.store.save_figure` writes it.

Every figure takes its colours from :mod:`sim.reports.palette` (the page's too), puts its legend
outside the data (below the panels), gives every panel its date labels, names its bands and marks
the last observed month with a labelled dotted line.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never opens a window  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from sim.reports.palette import (  # noqa: E402
    ALL_OFF_COLOUR,
    BANDS,
    LAST_OBSERVED,
    OBSERVED,
    REFERENCE_COLOUR,
    SCENARIO_PALETTE,
    cause_colours,
    last_observed_label,
    scenario_colours,
)
from sim.world import World

__all__ = ["REFERENCE_COLOUR", "scenario_colours"]  # kept importable from here


def _month_ticks(ax, months: list[str]) -> None:
    """Month ticks at Januaries (every second one past eight years).

    The start month gets a tick too, unless a January follows within three months.
    """
    step = 2 if len(months) > 96 else 1
    januaries = [k for k, m in enumerate(months) if m.endswith("-01")]
    ticks = januaries[::step]
    if not januaries or januaries[0] > 3:
        ticks = [0, *ticks]
    ax.set_xticks(ticks)
    ax.set_xticklabels([months[k] for k in ticks], rotation=45, ha="right")
    ax.tick_params(labelbottom=True)  # on every panel, shared axis or not


def _last_observed(ax, world: World, n_months: int) -> None:
    """The dotted line at the world's last observed month, named in the legend."""
    until = world.calendar.observed_until
    if until is None or world.calendar.index(until) >= n_months:
        return
    ax.axvline(world.calendar.index(until), color=LAST_OBSERVED, lw=1.0, ls=":",
               label=last_observed_label(until))  # fmt: skip


def _observed_band(ax, world: World, n_months: int, label: str = "observed") -> None:
    """The world's observed history at the focal lab, as a share, between its two readings."""
    _last_observed(ax, world, n_months)
    if world.observed is None:
        return
    end = min(world.observed.n_months, n_months)
    low, high = world.observed.focal_bounds(world)
    x = np.arange(end)
    n = len(world.researchers)
    ax.step(x, high[:end] / n, where="post", color=OBSERVED, lw=1.5,
            label=f"{label} (latest reading of each move)")  # fmt: skip
    ax.step(x, low[:end] / n, where="post", color=OBSERVED, lw=1.5, ls="--",
            label=f"{label} (earliest reading)")  # fmt: skip


def _band(ax, x, curve, colour, label, faint: float = 1.0) -> None:
    """A curve's bands (:data:`~sim.reports.palette.BANDS`) and its mean line."""
    for low, high, alpha in BANDS.values():
        ax.fill_between(x, curve[low], curve[high], color=colour, alpha=alpha * faint,
                        linewidth=0)  # fmt: skip
    ax.plot(x, curve["mean"], color=colour, lw=1.8, label=f"{label} (mean)")


def _band_handles() -> list:
    """The bands' legend entries, in a neutral grey (every scenario's bands are drawn alike)."""
    return [
        Patch(color=REFERENCE_COLOUR, alpha=alpha, lw=0, label=f"band: {name}")
        for name, (_, _, alpha) in BANDS.items()
    ]


def _legend_below(fig, axes, extra=(), ncol: int = 3) -> None:
    """One legend for the figure, below its panels: every panel's entries once, then ``extra``."""
    handles, seen = [], set()
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in seen and not label.startswith("_"):
                seen.add(label)
                handles.append(handle)
    handles += list(extra)
    fig.legend(handles=handles, loc="outside lower center", fontsize=8,
               ncol=min(ncol, max(len(handles), 1)), frameon=False)  # fmt: skip


def _panels(n: int, width: float = 12.0):
    """A grid of ``n`` panels with shared axes, two or three to a row; unused cells hidden."""
    cols = 1 if n == 1 else 2 if n <= 4 else 3
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width if cols > 1 else 9, 3.4 * rows + 1.6),
                             sharex=True, sharey=True, squeeze=False,
                             layout="constrained")  # fmt: skip
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def retention_figure(curves: dict[str, pd.DataFrame], world: World, title: str | None = None):
    """Retention bands (50% and 90%) and means, with the observed history on top.

    One curve: a single panel. Several: small multiples, one panel per scenario against the
    first (the reference), shared axes, each scenario in its own colour (:func:`scenario_colours`).

    Args:
        curves: label -> :func:`sim.results.retention_curve` table; the first is the reference.
        world: the world (its focal lab, cohort size, calendar and observed history).
        title: figure title (default: names the world and its focal lab).
    """
    labels = list(curves)
    colours = scenario_colours(labels)
    reference = labels[0]
    others = labels[1:] or labels
    fig, axes = _panels(len(others))
    for ax, label in zip(axes, others, strict=True):
        months = list(curves[label]["month"])
        x = np.arange(len(months))
        if label != reference:
            _band(ax, x, curves[reference], colours[reference], reference, faint=0.7)
        _band(ax, x, curves[label], colours[label], label)
        _observed_band(ax, world, len(months))
        ax.set_ylim(0, 1.02)
        ax.set_title(label if label == reference else f"{label} vs {reference}", fontsize=11)
        _month_ticks(ax, months)
        ax.tick_params(labelsize=9)
    for ax in axes[:: 1 if len(axes) == 1 else (2 if len(axes) <= 4 else 3)]:
        ax.set_ylabel(f"share at {world.focal_lab}", fontsize=10)
    _legend_below(fig, axes, _band_handles())
    fig.suptitle(title or f"{world.title}: share still at {world.focal_lab}", fontsize=13)
    return fig


def difference_figure(curves: dict[str, pd.DataFrame], world: World, reference: str):
    """Paired difference of each scenario's retention curve from the reference's.

    Small multiples, one panel per scenario with shared axes, in the scenario's colour: the
    mean line with the 50% and 90% bands of the per-replicate difference, in researchers.
    """
    cohort_size = len(world.researchers)
    labels = list(curves)
    colours = scenario_colours([reference, *labels])
    fig, axes = _panels(max(len(labels), 1))
    for ax, label in zip(axes, labels, strict=False):
        curve = curves[label]
        months = list(curve["month"])
        x = np.arange(len(months))
        scaled = curve[["mean", "q05", "q25", "q75", "q95"]] * cohort_size
        _band(ax, x, scaled, colours[label], label)
        ax.axhline(0.0, color="black", lw=0.8)
        _last_observed(ax, world, len(months))
        ax.set_title(label, fontsize=11)
        _month_ticks(ax, months)
        ax.tick_params(labelsize=9)
    for ax in axes[:: 1 if len(axes) == 1 else (2 if len(axes) <= 4 else 3)]:
        ax.set_ylabel(f"more at {world.focal_lab}\n(researchers)", fontsize=10)
    _legend_below(fig, axes, _band_handles())
    fig.suptitle(
        f"Paired difference from {reference}: mean, 50% and 90% bands across replicates",
        fontsize=13,
    )
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
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.6), gridspec_kw={"width_ratios": ratios},
                             layout="constrained")  # fmt: skip
    width = 0.8 / len(scenarios)
    colours = scenario_colours(scenarios)
    for ax, part in zip(axes, (wide.loc[home], other), strict=True):
        x = np.arange(len(part))
        for k, label in enumerate(scenarios):
            ax.bar(x + (k - (len(scenarios) - 1) / 2) * width, part[label], width,
                   color=colours[label], label=label)  # fmt: skip
        ax.set_xticks(x)
        ax.set_xticklabels(part.index, rotation=30, ha="right")
    axes[0].set_ylabel(f"mean number of the cohort there in {month}")
    axes[0].set_title("start lab" if len(home) < 2 else "start labs")
    axes[1].set_title("the other labs")
    _legend_below(fig, axes[:1], ncol=4)
    fig.suptitle(f"Where the cohort is in {month}, by scenario")
    return fig


def ppc_figure(stats, prior_stats, curve, world: World, anchor, yardstick=None):
    """Posterior predictive check: the anchor statistic (posterior vs prior), and bands.

    Args:
        stats: per-replicate summaries of the posterior predictive.
        prior_stats: the same of the prior predictive.
        curve: the posterior predictive retention curve.
        world: the world (labels, observed history).
        anchor: ``(statistic, observed value)``: the declared statistic drawn on the left, or None.
        yardstick: a probability per count 0..N (the two-stage binomial predictive of
            :mod:`sim.inference.reference`), drawn as points over the histograms, or None.
    """
    cohort_size = len(world.researchers)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.4), layout="constrained")
    if anchor is not None:
        stat, observed_value = anchor
        bins = np.arange(cohort_size + 2) - 0.5
        left.hist(prior_stats[stat.name], bins=bins, density=True, color="grey", alpha=0.4,
                  label="prior predictive")  # fmt: skip
        left.hist(stats[stat.name], bins=bins, density=True, color=SCENARIO_PALETTE[0], alpha=0.7,
                  label="posterior predictive")  # fmt: skip
        if yardstick is not None:
            left.plot(np.arange(cohort_size + 1), yardstick, "o", color="C3", ms=4,
                      label="yardstick: two-stage binomial, uniform prior")  # fmt: skip
        left.axvline(observed_value, color=OBSERVED, lw=2, label=f"observed: {observed_value}")
        left.set_xlabel(stat.describe(world.focal_lab))
        left.set_ylabel("probability")
    else:
        left.axis("off")
    months = list(curve["month"])
    x = np.arange(len(months))
    colour = SCENARIO_PALETTE[0]
    for name, (low, high, alpha) in BANDS.items():
        right.fill_between(x, curve[low], curve[high], color=colour, alpha=alpha, linewidth=0,
                           label=f"posterior predictive: {name}")  # fmt: skip
    right.plot(x, curve["mean"], color=colour, label="posterior predictive: mean")
    _observed_band(right, world, len(months))
    _month_ticks(right, months)
    right.set_ylim(0, 1.02)
    right.set_ylabel(f"share at {world.focal_lab}")
    _legend_below(fig, [left, right])
    fig.suptitle(f"Posterior predictive check: {world.title}")
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


# --- attribution (sim explain)
def waterfall_figure(
    frame: pd.DataFrame, levels: dict[str, tuple[float, float]], label: str, title: str
):
    """Waterfalls from every cause off to the scenario: one panel per parameter source.

    Args:
        frame: one statistic's rows of ``attribution.csv`` (source, group, mean, low, high), the
            ``total`` row included (it is not drawn: the last bar is the scenario).
        levels: source -> (value with every cause off, value in the scenario).
        label: the statistic, for the y axis.
        title: the figure's title.
    """
    sources = list(levels)
    colours = cause_colours(frame["group"])
    fig, axes = plt.subplots(1, len(sources), figsize=(6 + 3 * len(sources), 5.5), sharey=True,
                             squeeze=False, layout="constrained")  # fmt: skip
    for ax, source in zip(axes[0], sources, strict=True):
        rows = frame[(frame["source"] == source) & (frame["group"] != "total")]
        start, end = levels[source]
        names = ["every cause off", *rows["group"], "scenario"]
        x = np.arange(len(names))
        ax.bar(x[0], start, color=ALL_OFF_COLOUR, width=0.7)
        running = start
        for k, row in enumerate(rows.itertuples(index=False), start=1):
            ax.bar(x[k], row.mean, bottom=running, color=colours[row.group], width=0.7)
            top = running + row.mean
            ax.errorbar(x[k], top, yerr=[[row.mean - row.low], [row.high - row.mean]],
                        color="black", capsize=3, lw=1)  # fmt: skip
            ax.plot([x[k - 1] - 0.35, x[k] + 0.35], [running, running], color="black", lw=0.5)
            running = top
        ax.plot([x[-2] - 0.35, x[-1] + 0.35], [running, running], color="black", lw=0.5)
        ax.bar(x[-1], end, color=SCENARIO_PALETTE[0], width=0.7)
        ax.set_xticks(x)
        ax.set_xticklabels(names, rotation=40, ha="right", fontsize=8)
        ax.set_title(source)
        ax.axhline(0.0, color="black", lw=0.8)
    axes[0][0].set_ylabel(label)
    fig.suptitle(f"{title}\n(a bar going up: the cause pushed researchers out; going down: it "
                 "kept them; one colour per cause, as on the page; 90% Monte Carlo intervals)",
                 fontsize=10)  # fmt: skip
    return fig


def attribution_by_month_figure(frame: pd.DataFrame, focal_lab: str, title: str):
    """Stacked contributions of each cause to the retention curve, month by month.

    Args:
        frame: the curve's rows of ``attribution.csv`` with a ``month`` column (``YYYY-MM``):
            source, group, month, mean; the ``total`` rows are drawn as a line.
        focal_lab: the focal lab, for the axis.
        title: the figure's title.
    """
    sources = list(dict.fromkeys(frame["source"]))
    groups = [g for g in dict.fromkeys(frame["group"]) if g != "total"]
    fig, axes = plt.subplots(len(sources), 1, figsize=(10, 3.6 * len(sources) + 1.2),
                             sharex=True, squeeze=False, layout="constrained")  # fmt: skip
    colours = cause_colours(groups)
    months: list[str] = []
    for ax, source in zip(axes[:, 0], sources, strict=True):
        part = frame[frame["source"] == source]
        wide = part.pivot(index="month", columns="group", values="mean")
        months = list(wide.index)
        x = np.arange(len(months))
        up = np.zeros(len(months))
        down = np.zeros(len(months))
        for _k, group in enumerate(groups):
            values = wide[group].to_numpy()
            positive = np.clip(values, 0, None)
            negative = np.clip(values, None, 0)
            colour = colours[group]
            ax.bar(x, positive, bottom=up, color=colour, width=0.9, label=group)
            ax.bar(x, negative, bottom=down, color=colour, width=0.9)
            up += positive
            down += negative
        ax.plot(x, wide["total"].to_numpy(), color="black", lw=1.5,
                label="total (scenario - every cause off)")  # fmt: skip
        ax.axhline(0.0, color="black", lw=0.8)
        ax.set_ylabel(f"share at {focal_lab}")
        ax.set_title(source, fontsize=10)
        if months:
            _month_ticks(ax, months)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", fontsize=8, ncol=4)
    fig.suptitle(title, fontsize=10)
    return fig
