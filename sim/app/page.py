"""The page of ``sim app``: Solara components around the page's logic (:mod:`sim.app`).

Laid out as Mesa's SolaraViz lays out a model (an app bar with the title and the theme toggle,
a sidebar of cards with the controls, the views in the main area) and built from its parts where
they fit: the parameter sliders are Mesa ``Slider`` user parameters drawn by its ``UserInputs``,
the replicate is played by its ``ModelController`` (Reset, play/pause, Step) and its
``make_plot_component`` draws the count at the focal lab from the model's DataCollector.

* Sidebar: the world, the scenario (or any scenario file), the levers, the download.
* Main area: the number still at the focal lab at the checkpoint (mean; the browser tests read
  the element of class ``sim-headline``), the retention band against the baseline's with the
  observed history, the paired difference from the unedited scenario (common random numbers),
  the destinations at the checkpoint month, one replicate played month by month by the Mesa
  model, and the attribution where ``sim.explain`` is installed.

Every recompute runs in a thread (:func:`solara.lab.use_task`); a bar shows progress while it
runs. Bad input shows the one-paragraph message of :class:`~sim.errors.InputError`, never a
stack trace.
"""

from __future__ import annotations

import html
import os
import sys
import traceback
from pathlib import Path

import solara
import solara.lab
from mesa.visualization import Slider
from mesa.visualization.components.matplotlib_components import PlotMatplotlib
from mesa.visualization.solara_viz import ModelController, UserInputs
from mesa.visualization.utils import update_counter

from sim.app.compute import (
    ATTRIBUTION_REPLICATES,
    Result,
    attribution,
    expected_seconds,
    explain_module,
)
from sim.app.figures import moves_png
from sim.app.reference import Reference, catalog, default_entry, error_text, load_reference
from sim.app.replay import PlayedModel, model_month, previous_labs, replicate_parameters
from sim.app.scenario_file import scenario_name, scenario_toml
from sim.app.server import SCENARIO_ENV
from sim.app.settings import (
    DEFAULT_REPLICATES,
    PARAMETER_SOURCES,
    Settings,
    describe_edits,
    initial_settings,
    parameter_levers,
)
from sim.app.view import View, recompute
from sim.config.scenario import find_scenario
from sim.errors import InputError
from sim.kernel.behavior import ATTRIBUTE_NAMES
from sim.world import NEVER

FROM_REFERENCE = "as the scenario says"


def _initial_path() -> str:
    where = os.environ.get(SCENARIO_ENV, "baseline")
    try:
        return str(find_scenario(where))
    except InputError:
        return where


def _world_of_path(path: str, entries) -> str:
    for world, items in entries.items():
        if any(str(e.path) == path for e in items):
            return world
    return next(iter(entries), "")


def _text(text: str, cls: str, tag: str = "div", style: str = "") -> solara.Element:
    """Plain text in an element with a CSS class (the browser tests find it by the class)."""
    return solara.HTML(tag=tag, unsafe_innerHTML=html.escape(text), classes=[cls], style=style)


# --------------------------------------------------------------------------- the page
@solara.component
def Page():
    """The whole page: sidebar of controls, main area of views."""
    entries = solara.use_memo(catalog, [])
    path, set_path = solara.use_state(_initial_path())
    world, set_world = solara.use_state(_world_of_path(path, entries))
    settings, set_settings = solara.use_state(None)

    def load():
        try:
            return load_reference(path), None
        except InputError as exc:
            return None, error_text(exc)

    reference, load_error = solara.use_memo(load, [path])
    current = None
    if reference is not None:
        current = settings
        if current is None or current.scenario != str(reference.path):
            replicates = settings.replicates if settings else DEFAULT_REPLICATES
            current = initial_settings(reference, replicates)

    def run():
        if current is None:
            return None
        return recompute(current, reference)

    task = solara.lab.use_task(run, dependencies=[current], raise_error=False)

    with solara.AppBar():
        solara.AppBarTitle("sim app: explore scenarios")
        solara.lab.ThemeToggle()

    with solara.Sidebar(), solara.Column(style={"max-width": "380px"}):
        with solara.Card("Scenario"):
            ScenarioChooser(entries, world, path, set_world, set_path)
            if reference is not None:
                with solara.Details("What it asks"):
                    _text(
                        " ".join(reference.scenario.spec.description.split()),
                        "sim-description",
                        style="font-size:13px",
                    )
        if reference is not None and current is not None:
            Levers(reference, current, set_settings)
            with solara.Card("Download"):
                Download(reference, current, set_settings)

    with solara.Column(style={"padding": "8px"}):
        Status(task, load_error, current, reference)
        view = task.latest if task.latest is not None else None
        if load_error is None and view is not None:
            Views(view)


@solara.component
def ScenarioChooser(entries, world, path, set_world, set_path):
    """The world, its scenarios, and any scenario file by path."""
    worlds = list(entries)
    items = entries.get(world, [])
    labels = [e.label for e in items]
    by_label = {e.label: str(e.path) for e in items}
    current = next((e.label for e in items if str(e.path) == path), f"{Path(path).name} (opened)")
    if current not in labels:
        labels = [*labels, current]
        by_label[current] = path

    def choose_world(name):
        set_world(name)
        set_path(str(default_entry(name, entries).path))

    solara.Select("World", values=worlds, value=world, on_value=choose_world)
    solara.Select(
        "Scenario",
        values=labels,
        value=current,
        on_value=lambda label: set_path(by_label.get(label, label)),
    )
    solara.InputText(
        "or open a scenario file (path, Enter)",
        value="",
        on_value=lambda text: (
            set_path(str(Path(text.strip()).expanduser())) if text and text.strip() else None
        ),
    )


@solara.component
def Status(task, load_error, settings, reference):
    """Ready / computing / error, the progress bar, and an error's one paragraph."""
    if load_error is not None:
        _text("error", "sim-status", style="display:none")
        solara.Error(label=load_error, classes=["sim-error"])
        return
    if task.pending:
        last = task.latest
        rate = last.result.researcher_months / last.seconds if last is not None else None
        expected = expected_seconds(settings, reference, rate) if settings else 0.0
        _text("computing", "sim-status", style="font-size:12px;color:grey")
        solara.ProgressLinear(True)
        if expected > 0.7:
            _text(
                f"computing {settings.replicates:,} replicates of each scenario "
                f"(about {expected:.0f} s)...",
                "sim-progress",
            )
    elif task.error:
        _text("error", "sim-status", style="display:none")
        exc = task.exception
        if isinstance(exc, InputError):
            solara.Error(label=error_text(exc), classes=["sim-error"])
            if task.latest is not None:
                solara.Text("Below: the last valid settings' results.")
        else:
            traceback.print_exception(exc, file=sys.stderr)
            solara.Error(
                label=f"unexpected error ({type(exc).__name__}): {exc}", classes=["sim-error"]
            )
    else:
        _text("ready", "sim-status", style="font-size:12px;color:grey")


# --------------------------------------------------------------------------- levers
@solara.component
def Levers(reference: Reference, settings: Settings, set_settings):
    """Replicates and seed, labs, events, offsets, parameters; and a reset."""
    with solara.Card("Levers"):
        solara.InputInt(
            "Replicates",
            value=settings.replicates,
            on_value=lambda v: set_settings(_replace(settings, replicates=v)),
        )
        solara.InputInt(
            "Seed",
            value=settings.seed if settings.seed is not None else 0,
            on_value=lambda v: set_settings(_replace(settings, seed=v)),
        )
        solara.Button(
            "Reset levers",
            outlined=True,
            on_click=lambda: set_settings(initial_settings(reference, settings.replicates)),
        )
        with solara.Details("Labs (present or removed)"):
            LabLevers(reference, settings, set_settings)
        with solara.Details("Events (on or off)"):
            EventLevers(reference, settings, set_settings)
        with solara.Details("Offsets to lab attributes"):
            OffsetLevers(reference, settings, set_settings)
        with solara.Details("Parameters"):
            ParameterLevers(reference, settings, set_settings)
        edits = describe_edits(settings, reference)
        _text(
            "Edits: " + ("; ".join(edits) if edits else "none"),
            "sim-edits",
            style="font-size:13px;margin-top:6px",
        )


def _replace(settings, **changes):
    import dataclasses

    return dataclasses.replace(settings, **changes)


@solara.component
def LabLevers(reference, settings, set_settings):
    """One checkbox per lab: present (ticked) or removed."""
    for lab in reference.labs:
        note = "" if not lab.founded or lab.founded == NEVER else f" (founded {lab.founded})"
        if lab.removed_by_reference:
            note = " (removed by the scenario)"
        elif not lab.removable:
            note += " (start or focal lab)"
        solara.Checkbox(
            label=f"{lab.name}{note}",
            value=lab.name not in settings.labs_removed and not lab.removed_by_reference,
            on_value=lambda v, name=lab.name: set_settings(settings.with_lab(name, v)),
            disabled=not lab.removable,
        )


@solara.component
def EventLevers(reference, settings, set_settings):
    """One checkbox per event of the scenario's world: on (ticked) or off."""
    for event in reference.events:
        gone = event.lab in settings.labs_removed or event.into in settings.labs_removed
        note = (
            " (added by the scenario)" if event.locked else " (its lab is removed)" if gone else ""
        )
        solara.Checkbox(
            label=f"{event.summary()}{note}",
            value=event.id not in settings.events_off and not gone,
            on_value=lambda v, e=event.id: set_settings(settings.with_event(e, v)),
            disabled=event.locked or gone,
        )


@solara.component
def OffsetLevers(reference, settings, set_settings):
    """A lab, a month, and one offset slider per attribute (each becomes a shift event)."""
    labs = [lab.name for lab in reference.labs if not lab.removed_by_reference]
    lab, set_lab = solara.use_state(reference.world.focal_lab)
    lab = lab if lab in labs else labs[0]
    existing = [settings.offset(lab, a) for a in ATTRIBUTE_NAMES]
    months = list(reference.months)
    default_month = next(
        (o.month for o in existing if o is not None), months[min(1, len(months) - 1)]
    )
    month, set_month = solara.use_state(default_month)
    month = next((o.month for o in existing if o is not None), month)

    def move_month(new):
        set_month(new)
        updated = settings
        for o in existing:
            if o is not None:
                updated = updated.with_offset(o.lab, o.attribute, new, o.value)
        set_settings(updated)

    solara.Select("Lab", values=labs, value=lab, on_value=set_lab)
    solara.Select("From month", values=months, value=month, on_value=move_month)
    for attribute, offset in zip(ATTRIBUTE_NAMES, existing, strict=True):
        solara.SliderFloat(
            f"{attribute} offset",
            value=offset.value if offset else 0.0,
            min=-1.0,
            max=1.0,
            step=0.05,
            on_value=lambda v, a=attribute: set_settings(
                settings.with_offset(lab, a, month, round(float(v), 4))
            ),
        )
    if settings.offsets:
        for o in settings.offsets:
            _text(
                f"{o.lab} {o.attribute} {o.value:+g} from {o.month}",
                "sim-offset",
                style="font-size:13px",
            )
        solara.Button(
            "Clear offsets",
            text=True,
            on_click=lambda: set_settings(_replace(settings, offsets=())),
        )


@solara.component
def ParameterLevers(reference, settings, set_settings):
    """Where the parameters come from, and any of them fixed (a slider within its bounds)."""
    own = reference.scenario.params_from
    choices = [FROM_REFERENCE, *PARAMETER_SOURCES]
    value = settings.params_from or FROM_REFERENCE
    solara.Select(
        f"Parameters from (the scenario: {own})",
        values=choices,
        value=value,
        on_value=lambda v: set_settings(
            _replace(settings, params_from="" if v == FROM_REFERENCE else v)
        ),
    )
    if own == "posterior" and not reference.posterior_available:
        solara.Warning(
            f"No posterior yet for this world ({reference.scenario.posterior_path().name} "
            "missing: run sim calibrate); the prior means are used."
        )
    for lever in parameter_levers():
        name = lever["name"]
        fixed = settings.param(name)
        solara.Checkbox(
            label=f"fix {name} (else drawn)" if fixed is None else f"fix {name}",
            value=fixed is not None,
            on_value=lambda v, n=name, m=lever["mean"]: set_settings(
                settings.with_param(n, m if v else None)
            ),
        )
        if fixed is None:
            continue
        # Mesa's user parameter and inputs: a slider within the declared bounds ...
        UserInputs(
            {
                name: Slider(
                    f"{name} [{lever['low']:g}, {lever['high']:g}]",
                    value=fixed,
                    min=lever["low"],
                    max=lever["high"],
                    step=lever["step"],
                    dtype=float,
                )
            },
            on_change=lambda n, v: set_settings(settings.with_param(n, float(v))),
        )
        # ... and the exact value, typed (a value out of bounds is refused with a message)
        solara.InputFloat(
            f"{name} exact value",
            value=fixed,
            on_value=lambda v, n=name: set_settings(settings.with_param(n, v)),
        )


@solara.component
def Download(reference, settings, set_settings):
    """The settings as a scenario file that ``sim run`` accepts unchanged."""
    name = scenario_name(settings, reference)
    solara.InputText(
        "Scenario name (Enter)",
        value=name,
        on_value=lambda v: set_settings(_replace(settings, name=(v or "").strip())),
    )
    try:
        text = scenario_toml(settings, reference)
    except InputError as exc:
        solara.Text(f"fix the levers first: {error_text(exc)}")
        return
    solara.FileDownload(
        text,
        filename=f"{name}.toml",
        label="Download scenario (.toml)",
        mime_type="application/toml",
    )
    with solara.Details("The file"):
        _text(text, "sim-toml", tag="pre", style="font-size:11px;white-space:pre-wrap")


# --------------------------------------------------------------------------- views
@solara.component
def Views(view: View):
    """The headline, the figures, the replicate and the attribution."""
    result = view.result
    world = result.world
    low, high = result.difference_interval
    _text(result.headline(), "sim-headline", style="font-size:22px;font-weight:600;margin:4px 0")
    _text(
        f"Unedited {result.labels[0]}: {result.reference_at_focal:.3f}; baseline: "
        f"{result.baseline_at_focal:.3f}. Paired difference from {result.labels[0]} (same seeds "
        f"and parameter draws): {result.difference:+.3f} (90% of replicates: {low:+g} to "
        f"{high:+g}).",
        "sim-difference",
    )
    rate = result.researcher_months / result.seconds if result.seconds else float("nan")
    _text(
        f"Recomputed in {view.seconds:.2f} s: simulation {result.seconds:.2f} s for "
        f"{result.researcher_months:,} researcher-months ({rate:.2g}/s), figures "
        f"{view.seconds - sum(result.timings.values()):.2f} s; seed {result.comparison.seed}.",
        "sim-timing",
        style="font-size:12px;color:grey",
    )
    for note in result.notes:
        solara.Info(note)
    with solara.Columns([1, 1]):
        with solara.Card(f"Share still at {world.focal_lab}: edited vs baseline"):
            solara.Image(view.retention, width="100%", classes=["sim-retention"])
        with solara.Card(f"Paired difference from {result.labels[0]} (common random numbers)"):
            solara.Image(view.difference, width="100%", classes=["sim-difference-figure"])
    with solara.Columns([1, 1]):
        with solara.Card(f"Where the cohort is in {result.checkpoint}"):
            solara.Image(view.destinations, width="100%", classes=["sim-destinations"])
            table = solara.use_memo(result.destinations_table, [result])
            solara.DataFrame(table, items_per_page=20)
        with solara.Card("One replicate, month by month (the Mesa model)"):
            Replicate(result)
    if explain_module() is not None:
        with solara.Card("Attribution (sim.explain)"):
            Attribution(result)


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
    play_interval = solara.use_reactive(400)
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
    """Who is at which lab this month (movers in red), and the count at the focal lab so far."""
    update_counter.get()
    world = model.world
    steps = f"month {model.month} of {world.n_months}: {model_month(model)}"
    _text(steps, "sim-replicate-month", style="font-size:13px")
    picture = solara.use_memo(lambda: moves_png(model, previous_labs(model)), [model, model.month])
    solara.Image(picture, width="100%", classes=["sim-replicate"])
    if model.month > 0:
        focal = world.world.focal_lab

        def labels(ax):
            ax.set_ylabel(f"at {focal}")
            ax.set_ylim(0, world.n_researchers + 0.5)

        # Mesa's plot of a DataCollector measure, redrawn only when the model has stepped
        PlotMatplotlib(
            model, {"at_focal_lab": "C0"}, dependencies=[model, model.month], post_process=labels
        )


@solara.component
def Attribution(result):
    """The edited scenario's exodus attributed to its causes by ``sim.explain``, on demand."""
    asked, set_asked = solara.use_state(False)

    def run():
        if not asked:
            return None
        return attribution(result)

    task = solara.lab.use_task(run, dependencies=[asked, result], raise_error=False)
    if not asked:
        solara.Text(
            "Shapley values of the world's causes for the edited scenario (every coalition is "
            f"simulated: {ATTRIBUTION_REPLICATES} replicates per source, some seconds)."
        )
        solara.Button("Attribute", on_click=lambda: set_asked(True), outlined=True)
        return
    if task.pending:
        solara.Text("attributing...")
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
        solara.DataFrame(task.value, items_per_page=20)
