"""The colours of every chart, defined once.

They serve the page (:mod:`sim.app.charts`), the figures (:mod:`sim.reports.plot`) and so the
docs' gallery and screenshots.

* Scenarios: the reference (the one every other is compared with) is grey; the others take
  :data:`SCENARIO_PALETTE` in order (:func:`scenario_colours`). On the page the reference is grey
  and the edited scenario the first colour.
* Causes (the attribution, ``sim explain``): each cause group takes :data:`CAUSE_PALETTE` in the
  order of the world's groups (:func:`cause_colours`), the same cause the same colour in the
  waterfall and in the month-by-month figure, on the page and in the files. The palette holds
  neither the scenarios' grey and blue nor a red or a green that could read as "bad" or "good":
  whether a cause pushed researchers out or kept them is said by the bar's direction and sign.
* The observed history is :data:`OBSERVED`; the last observed month's line :data:`LAST_OBSERVED`.

Colours are hex strings, which matplotlib and Vega-Lite both read.
"""

from __future__ import annotations

from collections.abc import Iterable

#: The reference scenario (every comparison's baseline or unedited scenario).
REFERENCE_COLOUR = "#737373"
#: The other scenarios, in order (matplotlib's tab10 without its grey).
SCENARIO_PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
    "#17becf", "#aec7e8", "#ffbb78", "#98df8a",
)  # fmt: skip
#: Cause groups, in the world's order (ColorBrewer Dark2 and Paired, without greys, blues, reds
#: or greens that the scenarios or a good/bad reading would claim).
CAUSE_PALETTE = (
    "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1b9e77", "#6a3d9a",
    "#b15928", "#cab2d6", "#fdbf6f", "#fb9a99",
)  # fmt: skip
#: "every cause off", the waterfall's first bar.
ALL_OFF_COLOUR = "#bdbdbd"
#: The observed history at the focal lab.
OBSERVED = "#000000"
#: The dotted line at the last observed month.
LAST_OBSERVED = "#595959"
#: The bands drawn around a mean, by their name in every legend: (lower, upper quantile, opacity).
BANDS = {
    "90% of replicates": ("q05", "q95", 0.18),
    "middle 50% of replicates": ("q25", "q75", 0.35),
}


def scenario_colours(labels: Iterable[str]) -> dict[str, str]:
    """One colour per scenario: the first (the reference) grey, the others the palette in order."""
    labels = list(labels)
    if not labels:
        return {}
    return {labels[0]: REFERENCE_COLOUR} | {
        label: SCENARIO_PALETTE[k % len(SCENARIO_PALETTE)] for k, label in enumerate(labels[1:])
    }


def cause_colours(groups: Iterable[str]) -> dict[str, str]:
    """One colour per cause group, in the order given (the world's groups); ``total`` excluded."""
    names = [g for g in dict.fromkeys(groups) if g != "total"]
    return {g: CAUSE_PALETTE[k % len(CAUSE_PALETTE)] for k, g in enumerate(names)}


def last_observed_label(month: str) -> str:
    """The words beside the dotted line of the last observed month."""
    return f"last observed month ({month})"
