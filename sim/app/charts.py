"""The page's charts as Vega-Lite specifications, built with Altair from the numbers.

Each function returns a Vega-Lite spec (a dict) that :func:`sim.app.vega.VegaChart` draws in the
browser: the data travel with it as named data sets (``datasets``), so a chart's values can be
read back (the browser tests do, through ``window.simCharts[name].view.data(...)``), and hovering
a month or a bar shows its values. Every chart names the reference it compares with in its
``usermeta`` (``reference``), the same :class:`~sim.app.compute.Against` for all.

Colours come from :mod:`sim.reports.palette`, as in the figures ``sim run``, ``sim compare`` and
``sim explain`` write: the reference grey, the edited scenario the first scenario colour, one
colour per cause.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from sim.app.compute import Against, Attribution
from sim.reports.palette import (
    ALL_OFF_COLOUR,
    BANDS,
    LAST_OBSERVED,
    OBSERVED,
    cause_colours,
    last_observed_label,
    scenario_colours,
)

#: The Vega-Lite version that draws the charts (solara-assets' copy, see :mod:`sim.app.vega`).
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.2.0.json"
HEIGHT = 300
#: Month labels on the x axis: Januaries and Julys (every month has a tick and a tooltip).
MONTH_LABELS = "(slice(datum.value, 5) == '01' || slice(datum.value, 5) == '07') ? datum.value : ''"
OBSERVED_LATEST = "observed (latest reading of each move)"
OBSERVED_EARLIEST = "observed (earliest reading)"
#: Every chart's legend: below the data, never over it.
_LEGEND = alt.Legend(orient="bottom", title=None, direction="horizontal", columns=2)


def _spec(chart, datasets: dict[str, pd.DataFrame | list], meta: dict, height=HEIGHT) -> dict:
    """The chart as a dict for the page: sized to its container, with its data and metadata."""
    spec = chart.properties(width="container", height=height).to_dict(validate=False)
    spec["$schema"] = SCHEMA
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    spec["datasets"] = {
        name: _records(data) if isinstance(data, pd.DataFrame) else data
        for name, data in datasets.items()
    }
    spec["usermeta"] = meta
    spec.setdefault("config", {}).update(
        {
            "axis": {"labelFontSize": 12, "titleFontSize": 13},
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "labelLimit": 360},
            "title": {"fontSize": 14, "anchor": "start", "subtitleFontSize": 12},
        }
    )
    return spec


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts, numbers rounded to 4 decimals (what a tooltip can show)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(4)
    return out.to_dict("records")


def _month_axis(title: str | None = None) -> alt.X:
    return alt.X(
        "month:O",
        title=title,
        scale=alt.Scale(type="point"),
        axis=alt.Axis(labelExpr=MONTH_LABELS, labelAngle=-45, labelOverlap=False, ticks=True),
    )


def _last_observed(calendar, months: list[str]) -> tuple[list, list]:
    """The last observed month's dotted rule and its label (empty where none is simulated)."""
    until = calendar.observed_until
    if until is None or until not in months:
        return [], []
    rows = [{"month": until, "label": last_observed_label(until)}]
    base = alt.Chart(alt.NamedData("last_observed")).encode(x="month:O")
    rule = base.mark_rule(color=LAST_OBSERVED, strokeDash=[3, 3], strokeWidth=1.2)
    text = base.mark_text(
        align="left", baseline="top", dx=4, dy=2, color=LAST_OBSERVED, fontSize=11
    ).encode(y=alt.value(0), text="label:N")
    return [rule, text], rows


def _bands(base, colour_scale, what: str) -> list:
    """The 90% and middle-50% bands of each curve, named in the tooltip."""
    layers = []
    for name, (low, high, opacity) in BANDS.items():
        layers.append(
            base.mark_area(opacity=opacity, interpolate="step-after").encode(
                y=alt.Y(f"{low}:Q", title=what),
                y2=f"{high}:Q",
                color=alt.Color("scenario:N", scale=colour_scale, legend=_LEGEND),
                tooltip=[
                    alt.Tooltip("scenario:N"),
                    alt.Tooltip("month:O"),
                    alt.Tooltip(f"{low}:Q", title=f"{name}: from", format=".2f"),
                    alt.Tooltip(f"{high}:Q", title=f"{name}: to", format=".2f"),
                ],
            )
        )
    return layers


def _hover(months: list[str], columns: dict[str, np.ndarray]) -> tuple[alt.Chart, pd.DataFrame]:
    """An invisible rule per month whose tooltip lists every value of that month."""
    frame = pd.DataFrame({"month": months, **columns})
    chart = (
        alt.Chart(alt.NamedData("hover"))
        .mark_rule(strokeWidth=14, opacity=0.001, color="black")
        .encode(
            x="month:O",
            tooltip=[alt.Tooltip("month:O")]
            + [alt.Tooltip(f"{c}:Q", format=".3f") for c in columns],
        )
    )
    return chart, frame


# --------------------------------------------------------------------------- retention
def retention_chart(against: Against) -> dict:
    """Number still at the focal lab by month: reference and edited, bands, observed history."""
    world = against.edited.world
    n = against.cohort_size
    curves = []
    for label, curve in against.retention().items():
        scaled = curve[["mean", "q05", "q25", "q75", "q95"]] * n
        curves.append(scaled.assign(month=curve["month"], scenario=label))
    data = pd.concat(curves, ignore_index=True)
    months = list(curves[0]["month"])
    colours = scenario_colours([against.label, against.edited_label])
    domain = [against.label, against.edited_label, OBSERVED_LATEST, OBSERVED_EARLIEST]
    scale = alt.Scale(domain=domain, range=[*colours.values(), OBSERVED, OBSERVED])
    base = alt.Chart(alt.NamedData("retention")).encode(x=_month_axis())
    what = f"still at {world.focal_lab} (of {n})"
    layers = _bands(base, scale, what)
    layers.append(
        base.mark_line(strokeWidth=2.5).encode(
            y=alt.Y("mean:Q", title=what, scale=alt.Scale(domain=[0, n])),
            color=alt.Color("scenario:N", scale=scale, legend=_LEGEND),
        )
    )
    datasets: dict = {"retention": data}
    observed = _observed(world, months)
    if observed is not None:
        datasets["observed"] = observed
        layers.append(
            alt.Chart(alt.NamedData("observed"))
            .mark_line(interpolate="step-after", strokeWidth=1.6)
            .encode(
                x="month:O",
                y="count:Q",
                color=alt.Color("reading:N", scale=scale, legend=_LEGEND),
                strokeDash=alt.StrokeDash(
                    "reading:N",
                    scale=alt.Scale(
                        domain=[OBSERVED_LATEST, OBSERVED_EARLIEST], range=[[1, 0], [5, 3]]
                    ),  # fmt: skip
                    legend=None,
                ),
            )
        )
    rules, rows = _last_observed(world.calendar, months)
    if rows:
        datasets["last_observed"] = rows
    layers += rules
    by = {lab: frame.set_index("scenario") for lab, frame in data.groupby("month", sort=False)}
    hover, frame = _hover(
        months,
        {
            f"mean, {label}": np.array([by[m].loc[label, "mean"] for m in months])
            for label in (against.label, against.edited_label)
        },
    )
    datasets["hover"] = frame
    layers.append(hover)
    chart = alt.layer(*layers).properties(
        title=alt.Title(
            f"Still at {world.focal_lab}: {against.edited_label} and {against.label}",
            subtitle="mean line; bands: 90% and middle 50% of replicates; black: observed",
        )
    )
    return _spec(chart, datasets, _meta(against, "retention"))


def _observed(world, months: list[str]) -> pd.DataFrame | None:
    """The observed history at the focal lab (both readings), in researchers, by month."""
    if world.observed is None:
        return None
    end = min(world.observed.n_months, len(months))
    low, high = world.observed.focal_bounds(world)
    return pd.concat(
        [
            pd.DataFrame({"month": months[:end], "count": high[:end], "reading": OBSERVED_LATEST}),
            pd.DataFrame({"month": months[:end], "count": low[:end], "reading": OBSERVED_EARLIEST}),
        ],
        ignore_index=True,
    ).astype({"count": float})


def _meta(against: Against, chart: str) -> dict:
    return {
        "chart": chart,
        "reference": against.label,
        "edited": against.edited_label,
        "checkpoint": against.checkpoint,
    }


# --------------------------------------------------------------------------- difference
def difference_chart(against: Against) -> dict | None:
    """The paired difference (edited minus reference) by month, or None where it is all zero."""
    if against.zero:
        return None
    world = against.edited.world
    curve = against.difference_curve()
    months = list(curve["month"])
    colour = scenario_colours([against.label, against.edited_label])[against.edited_label]
    data = curve.assign(scenario=against.edited_label)
    scale = alt.Scale(domain=[against.edited_label], range=[colour])
    base = alt.Chart(alt.NamedData("difference")).encode(x=_month_axis())
    what = f"more at {world.focal_lab} (researchers)"
    layers = _bands(base, scale, what)
    layers.append(
        base.mark_line(strokeWidth=2.5).encode(
            y=alt.Y("mean:Q", title=what),
            color=alt.Color("scenario:N", scale=scale, legend=_LEGEND),
        )
    )
    layers.append(
        alt.Chart(alt.Data(values=[{"zero": 0}])).mark_rule(color="black").encode(y="zero:Q")
    )
    datasets: dict = {"difference": data}
    rules, rows = _last_observed(world.calendar, months)
    if rows:
        datasets["last_observed"] = rows
    layers += rules
    hover, frame = _hover(
        months,
        {
            "mean difference": curve["mean"].to_numpy(),
            "5% quantile": curve["q05"].to_numpy(),
            "95% quantile": curve["q95"].to_numpy(),
        },
    )
    datasets["hover"] = frame
    layers.append(hover)
    chart = alt.layer(*layers).properties(
        title=alt.Title(
            f"{against.edited_label} minus {against.label}, replicate by replicate",
            subtitle="same seeds and parameter draws; mean, 90% and middle 50% of replicates",
        )
    )
    return _spec(chart, datasets, _meta(against, "difference"))


# --------------------------------------------------------------------------- destinations
def destinations_chart(against: Against) -> dict:
    """Mean number of the cohort at each lab at the checkpoint: reference and edited bars."""
    table = against.destinations_table()
    order = list(table["lab"])
    data = table.melt(id_vars="lab", var_name="scenario", value_name="mean")
    colours = scenario_colours([against.label, against.edited_label])
    scale = alt.Scale(domain=list(colours), range=list(colours.values()))
    chart = (
        alt.Chart(alt.NamedData("destinations"))
        .mark_bar()
        .encode(
            y=alt.Y("lab:N", sort=order, title=None),
            yOffset=alt.YOffset("scenario:N", sort=list(colours)),
            x=alt.X("mean:Q", title=f"mean number of the cohort there in {against.checkpoint}"),
            color=alt.Color(
                "scenario:N", scale=scale, legend=alt.Legend(orient="bottom", title=None)
            ),
            tooltip=[
                alt.Tooltip("lab:N"),
                alt.Tooltip("scenario:N"),
                alt.Tooltip("mean:Q", format=".3f"),
            ],
        )
        .properties(title=f"Where the cohort is in {against.checkpoint}")
    )
    return _spec(
        chart, {"destinations": data}, _meta(against, "destinations"), height=44 * len(order) + 20
    )


# --------------------------------------------------------------------------- attribution
def waterfall_chart(attribution: Attribution, source: str, order: list[str]) -> dict:
    """From every cause off to the scenario: each cause's Shapley value stacked, for one source.

    ``order`` is the world's cause groups (their colours, :func:`cause_colours`).
    """
    rows = attribution.frame[
        (attribution.frame["source"] == source) & (attribution.frame["group"] != "total")
    ]
    start, end = attribution.levels[source]
    colours = cause_colours([*order, *rows["group"]])
    steps, running = [], start
    steps.append(_step("every cause off", 0.0, start, start, start, start, "level"))
    for row in rows.itertuples(index=False):
        top = running + row.mean
        steps.append(
            _step(
                row.group,
                running,
                top,
                row.mean,
                running + row.low,
                running + row.high,
                "pushed out" if row.mean > 0 else "kept",
            )  # fmt: skip
        )
        running = top
    steps.append(_step("scenario", 0.0, end, end, end, end, "level"))
    data = pd.DataFrame(steps)
    names = list(data["step"])
    scale = alt.Scale(
        domain=names,
        range=[ALL_OFF_COLOUR, *(colours[g] for g in rows["group"]), _scenario_colour()],
    )
    base = alt.Chart(alt.NamedData("waterfall")).encode(
        x=alt.X("step:N", sort=names, title=None, axis=alt.Axis(labelAngle=-40, labelLimit=200))
    )
    tooltip = [
        alt.Tooltip("step:N", title="cause"),
        alt.Tooltip("value:Q", title=f"pushed out by {attribution.month}", format="+.2f"),
        alt.Tooltip("low:Q", title="90% interval: from", format=".2f"),
        alt.Tooltip("high:Q", title="to", format=".2f"),
        alt.Tooltip("effect:N"),
    ]
    bars = base.mark_bar().encode(
        y=alt.Y("start:Q", title=attribution.label),
        y2="end:Q",
        color=alt.Color("step:N", scale=scale, legend=None),
        tooltip=tooltip,
    )
    whiskers = base.mark_rule(color="black").encode(y="low:Q", y2="high:Q")
    chart = alt.layer(bars, whiskers).properties(
        title=alt.Title(
            f"{source}: from every cause off to the scenario",
            subtitle="up: the cause pushed researchers out; down: it kept them",
        )
    )
    meta = {"chart": f"attribution-{source}", "source": source, "month": attribution.month}
    return _spec(chart, {"waterfall": data}, meta, height=340)


def _step(step, start, end, value, low, high, effect) -> dict:
    return {"step": step, "start": start, "end": end, "value": value, "low": low, "high": high,
            "effect": effect}  # fmt: skip


def _scenario_colour() -> str:
    return scenario_colours(["reference", "scenario"])["scenario"]


# --------------------------------------------------------------------------- one replicate
def replicate_chart(months: list[str], counts: list[int], focal: str, cohort: int) -> dict:
    """The number at the focal lab month by month in the replicate being played, so far."""
    data = pd.DataFrame({"month": months, "count": counts})
    chart = (
        alt.Chart(alt.NamedData("replicate"))
        .mark_line(point=True, interpolate="step-after", color=_scenario_colour())
        .encode(
            x=_month_axis(),
            y=alt.Y("count:Q", title=f"at {focal}", scale=alt.Scale(domain=[0, cohort])),
            tooltip=[alt.Tooltip("month:O"), alt.Tooltip("count:Q", title=f"at {focal}")],
        )
        .properties(title=f"This replicate: the number at {focal}, month by month")
    )
    return _spec(chart, {"replicate": data}, {"chart": "replicate"}, height=180)
