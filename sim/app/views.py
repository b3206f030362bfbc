"""The page's main area: the headline, the charts, one replicate and the attribution.

* :func:`Views`: the headline (class ``sim-headline``), the comparison with the one reference
  the header names (``sim-difference``), the retention, paired-difference and destinations
  charts (:mod:`sim.app.charts`, drawn by :func:`~sim.app.vega.VegaChart`);
* :func:`Replicate`: one replicate played month by month by the Mesa model with Mesa's
  ``ModelController``: who is at which lab (names in full), the month and its moves in words, and
  the count at the focal lab so far;
* :func:`AttributionView`: ``sim explain`` on the edited scenario, on demand, as two waterfalls
  (posterior beside prior) with the table one click away.
"""

from __future__ import annotations

import html

import solara
import solara.lab
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from sim.app.charts import replicate_chart, waterfall_chart
from sim.app.compute import ATTRIBUTION_REPLICATES, Result, attribution, cause_order
from sim.app.reference import error_text
from sim.app.replay import (
    PlayedModel,
    focal_counts,
    model_month,
    moves_of_month,
    previous_labs,
    replicate_parameters,
    who_is_where,
)
from sim.app.vega import VegaChart
from sim.app.view import View
from sim.app.widgets import text
from sim.errors import InputError
from sim.reports.palette import SCENARIO_PALETTE

NO_EDITS = (
    "No edits yet: the edited scenario is {reference}, replicate by replicate, so the paired "
    "difference is exactly 0 every month. Move a lever to see one."
)
NO_CHANGE = (
    "The edits change nothing here: in every replicate and month the edited scenario has as many "
    "at the focal lab as {reference} (a paired difference of exactly 0)."
)


@solara.component
def Views(view: View, compute_seconds: float):
    """The headline, the comparison in words, the charts, the replicate and the attribution."""
    result, against = view.result, view.against
    world = result.world
    text(result.headline(), "sim-headline", style="font-size:22px;font-weight:600;margin:4px 0")
    if against.zero:
        words = (NO_CHANGE if against.edits else NO_EDITS).format(reference=against.label)
    else:
        low, high = against.difference_interval
        words = (
            f"{against.label}: {against.reference_at_focal:.3f}. Paired difference "
            f"({against.edited_label} minus {against.label}, same seeds and parameter draws): "
            f"{against.difference:+.3f} (90% of replicates: {low:+g} to {high:+g})."
        )
    text(words, "sim-difference", style="font-size:15px")
    rate = result.researcher_months / result.seconds if result.seconds else float("nan")
    text(
        f"Recomputed in {compute_seconds + view.seconds:.2f} s: simulation {result.seconds:.2f} s "
        f"for {result.researcher_months:,} researcher-months ({rate:.2g}/s), charts "
        f"{view.seconds:.2f} s; seed {result.comparison.seed}.",
        "sim-timing",
        style="font-size:12px;color:grey",
    )
    for note in result.notes:
        solara.Info(note)
    with solara.ColumnsResponsive(12, large=6):
        with solara.Card(f"Still at {world.focal_lab}"):
            VegaChart(view.retention, "retention")
        with solara.Card("Paired difference"):
            if view.difference is None:
                text(words, "sim-no-difference", style="font-size:15px;padding:24px 8px")
            else:
                VegaChart(view.difference, "difference")
    with solara.ColumnsResponsive(12, large=6):
        with solara.Card(f"Where the cohort is in {result.checkpoint}"):
            VegaChart(view.destinations, "destinations")
            with solara.Details("The numbers"):
                table = solara.use_memo(against.destinations_table, [against])
                _table(table, "sim-destinations-table")
        with solara.Card("One replicate, month by month"):
            Replicate(result)
    with solara.Card("What made them leave: attribution"):
        AttributionView(result)


def _table(frame, cls: str) -> None:
    """A small table as HTML: no index column, no paging."""
    solara.HTML(
        tag="div",
        unsafe_innerHTML=frame.to_html(index=False, float_format=lambda v: f"{v:.3f}", border=0),
        classes=[cls, "sim-table"],
    )


# --------------------------------------------------------------------------- one replicate
@solara.component
def Replicate(result: Result):
    """One replicate of the edited scenario played by the Mesa model with Mesa's controller."""
    replicates = result.edited.shape[0]
    index, set_index = solara.use_state(0)
    index = min(max(index, 0), replicates - 1)
    kwargs = solara.use_memo(lambda: replicate_parameters(result, index), [result, index])
    fresh = solara.use_memo(lambda: PlayedModel(**kwargs), [kwargs])
    model = solara.use_reactive(fresh, equals=lambda a, b: a is b)
    parameters = solara.use_reactive(kwargs, equals=lambda a, b: a is b)
    solara.InputInt(
        f"Replicate (0 to {replicates - 1})",
        value=index,
        on_value=lambda v: set_index(v if v is not None else 0),
    )
    play_interval = solara.use_reactive(600)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    ModelController(
        model,
        model_parameters=parameters,
        play_interval=play_interval,
        render_interval=render_interval,
        use_threads=use_threads,
    )
    WhoIsWhere(model.value)


@solara.component
def WhoIsWhere(model):
    """The month and its moves in words, who is at which lab, and the count at the focal lab."""
    update_counter.get()  # Mesa's signal that the model has stepped
    world = model.world
    focal = world.world.focal_lab
    moves = moves_of_month(model)
    text(
        f"Month {model.month} of {world.n_months}: {model_month(model)}",
        "sim-replicate-month",
        style="font-size:16px;font-weight:600",
    )
    if model.month == 0:
        said = "Everyone starts where the cohort started. Press Step or play."
    elif moves:
        said = "Moves this month: " + "; ".join(moves) + "."
    else:
        said = "No one moves this month."
    text(said, "sim-replicate-moves", style="font-size:14px;margin:4px 0 8px")
    moved = {m.split(":")[0] for m in moves}
    before = previous_labs(model)
    solara.HTML(
        tag="div",
        unsafe_innerHTML=_labs_html(who_is_where(model), focal, moved, before, model),
        classes=["sim-replicate"],
    )
    if model.month > 0:
        months, counts = focal_counts(model)
        spec = solara.use_memo(
            lambda: replicate_chart(months, counts, focal, world.n_researchers),
            [model, model.month],
        )
        VegaChart(spec, "replicate")


def _labs_html(where: dict[str, list[str]], focal: str, moved: set[str], before, model) -> str:
    """One box per lab with the names of the researchers there; this month's movers marked."""
    colour = SCENARIO_PALETTE[0]
    boxes = []
    for lab, names in where.items():
        shade = "#e3eef9" if lab == focal else "#f4f4f4"
        people = "".join(
            f'<li class="{"sim-moved" if name in moved else ""}">'
            f"{html.escape(name)}{' \u2190 new' if name in moved else ''}</li>"
            for name in names
        )
        boxes.append(
            f'<div class="sim-lab" style="background:{shade}">'
            f'<div class="sim-lab-name">{html.escape(lab)} ({len(names)})</div>'
            f"<ul>{people}</ul></div>"
        )
    style = (
        "<style>.sim-replicate{display:flex;flex-wrap:wrap;gap:6px}"
        ".sim-lab{flex:1 1 150px;min-width:140px;border-radius:4px;padding:4px 6px}"
        ".sim-lab-name{font-weight:600;font-size:14px}"
        ".sim-lab ul{list-style:none;padding:0;margin:2px 0;font-size:13px;line-height:1.35}"
        f".sim-moved{{color:{colour};font-weight:600}}</style>"
    )
    return style + "".join(boxes)


# --------------------------------------------------------------------------- attribution
@solara.component
def AttributionView(result: Result):
    """The edited scenario's exodus attributed to its causes by ``sim.explain``, on demand."""
    asked_for, set_asked_for = solara.use_state(None)
    asked = asked_for is result

    def run():
        return attribution(result) if asked else None

    task = solara.lab.use_task(run, dependencies=[asked, result], raise_error=False)
    order = solara.use_memo(lambda: cause_order(result), [result])
    if not asked:
        text(  # plain text: Solara's Markdown would fetch KaTeX, which is not served offline
            "Shapley values of the world's causes for the edited scenario: from 'every cause "
            "off' to the scenario, each cause's share of the number gone from "
            f"{result.world.focal_lab}, under the posterior and under the prior "
            f"({ATTRIBUTION_REPLICATES} replicates per source; every coalition is simulated).",
            "sim-attribution-intro",
            style="font-size:14px;margin-bottom:8px",
        )
        solara.Button("Attribute", on_click=lambda: set_asked_for(result), outlined=True)
        return
    if task.pending:
        text(
            f"attributing: {ATTRIBUTION_REPLICATES} replicates per source, every coalition of "
            "the causes simulated (a few seconds)...",
            "sim-attribution-progress",
        )
        solara.ProgressLinear(True)
    elif task.error:
        exc = task.exception
        if isinstance(exc, InputError):
            solara.Error(error_text(exc))
        else:  # another module's interface: say so, do not break the page
            solara.Warning(
                f"sim.explain could not attribute this scenario ({type(exc).__name__}: {exc})"
            )
    elif task.value is not None:
        found = task.value
        text(
            f"{found.label} at {found.month}: {found.replicates} replicates per source, "
            f"{found.seconds:.1f} s.",
            "sim-attribution-done",
            style="font-size:13px;color:grey",
        )
        with solara.ColumnsResponsive(12, large=6):
            for source in found.sources:
                VegaChart(waterfall_chart(found, source, order), f"attribution-{source}")
        with solara.Details("The table"):
            _table(found.table(), "sim-attribution-table")
