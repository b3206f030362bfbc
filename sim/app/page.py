"""The page of ``sim app``: Solara components around the page's logic (:mod:`sim.app`).

Laid out as Mesa's SolaraViz lays out a model (an app bar with the title and the theme toggle,
a sidebar of cards with the controls, the views in the main area) and built from its parts where
they fit: the parameter sliders are Mesa ``Slider`` user parameters drawn by its ``UserInputs``
(:mod:`sim.app.levers`), the replicate is played by its ``ModelController``
(:mod:`sim.app.views`).

* Sidebar: the world, the scenario (or any scenario file), the levers, the download.
* Main area: the header naming the one reference every panel compares with, and the choice of
  it (the baseline, or the unedited scenario); the headline number (class ``sim-headline``);
  the charts (:mod:`sim.app.charts`); one replicate; the attribution.

Switching scenario keeps the edits that apply to the new one and names those it cannot keep.
Every recompute runs in a thread (:func:`solara.lab.use_task`); a bar shows progress while it
runs. Bad input shows the one-paragraph message of :class:`~sim.errors.InputError`, never a
stack trace.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path

import solara
import solara.lab

from sim.app.compute import COMPARE_WITH, compute, expected_seconds
from sim.app.levers import Download, Levers
from sim.app.reference import catalog, default_entry, error_text, load_reference
from sim.app.server import SCENARIO_ENV
from sim.app.settings import DEFAULT_REPLICATES, carry_over, initial_settings
from sim.app.view import charts
from sim.app.views import Views
from sim.app.widgets import text
from sim.config.scenario import find_scenario
from sim.errors import InputError

#: The choice of reference, in words, by :data:`~sim.app.compute.COMPARE_WITH`.
COMPARE_WORDS = {"baseline": "the world's baseline", "scenario": "the scenario, unedited"}
#: Card titles wrap between words, never inside one (Vuetify 2 breaks them anywhere).
CSS = """
.v-card__title { word-break: normal !important; overflow-wrap: normal !important;
                 hyphens: none !important; }
.sim-table table { border-collapse: collapse; font-size: 13px; }
.sim-table th, .sim-table td { padding: 2px 10px; text-align: right; }
.sim-table th:first-child, .sim-table td:first-child { text-align: left; }
.sim-table tr:nth-child(even) { background: #f6f6f6; }
"""


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


def _load(path: str):
    try:
        return load_reference(path), None
    except InputError as exc:
        return None, error_text(exc)


# --------------------------------------------------------------------------- the page
@solara.component
def Page():
    """The whole page: sidebar of controls, main area of views."""
    entries = solara.use_memo(catalog, [])
    path, set_path = solara.use_state(_initial_path())
    world, set_world = solara.use_state(_world_of_path(path, entries))
    settings, set_settings = solara.use_state(None)
    dropped, set_dropped = solara.use_state(())
    compare_with, set_compare_with = solara.use_state(COMPARE_WITH[0])

    reference, load_error = solara.use_memo(lambda: _load(path), [path])
    current = None
    if reference is not None:
        current = settings
        if current is None or current.scenario != str(reference.path):
            replicates = settings.replicates if settings else DEFAULT_REPLICATES
            current = initial_settings(reference, replicates)

    def switch(new_path: str) -> None:
        """Open another scenario, carrying the edits over (those that apply)."""
        new_reference, _ = _load(new_path)
        if new_reference is not None and current is not None:
            carried, left = carry_over(current, new_reference)
            set_settings(carried)
            set_dropped(tuple(left))
        else:
            set_dropped(())
        set_path(new_path)

    def edit(new_settings) -> None:
        set_dropped(())
        set_settings(new_settings)

    def run():
        if current is None:
            return None
        start = time.perf_counter()
        return compute(current, reference), time.perf_counter() - start

    task = solara.lab.use_task(run, dependencies=[current], raise_error=False)
    latest = task.latest
    view = solara.use_memo(
        lambda: charts(latest[0], compare_with) if latest is not None else None,
        [latest, compare_with],
    )

    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle("sim app: explore scenarios")
        solara.lab.ThemeToggle()

    with solara.Sidebar(), solara.Column(style={"max-width": "380px"}):
        with solara.Card("Scenario"):
            ScenarioChooser(entries, world, path, set_world, switch)
            if reference is not None:
                with solara.Details("What it asks"):
                    text(
                        " ".join(reference.scenario.spec.description.split()),
                        "sim-description",
                        style="font-size:13px",
                    )
        if reference is not None and current is not None:
            Levers(reference, current, edit)
            with solara.Card("Download"):
                Download(reference, current, edit)

    with solara.Column(style={"padding": "8px 8px 64px 8px"}):
        Status(task, load_error, current, reference)
        if dropped:
            solara.Warning(
                "Switching scenario kept your other edits; these do not apply to it and were "
                "left out: " + "; ".join(dropped) + ".",
                classes=["sim-dropped"],
            )
        if load_error is None and view is not None:
            Header(view, compare_with, set_compare_with)
            Views(view, latest[1])


@solara.component
def Header(view, compare_with: str, set_compare_with):
    """The one reference every panel compares with, named once, and the choice of it."""
    against = view.against
    same = view.result.baseline is view.result.reference
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "12px"}):
        text(
            f"Compared with: {against.description}",
            "sim-reference",
            style="font-size:16px;font-weight:600",
        )
        solara.ToggleButtonsSingle(
            value=compare_with,
            values=list(COMPARE_WITH),
            on_value=set_compare_with,
            dense=True,
            classes=["sim-compare-with"],
        )
    text(
        "Every chart below compares the edited scenario with this reference"
        + (" (here the baseline and the unedited scenario are the same)." if same else ": "
           + "; ".join(f"{k}: {v}" for k, v in COMPARE_WORDS.items()) + "."),
        "sim-reference-note",
        style="font-size:12px;color:grey",
    )  # fmt: skip


@solara.component
def ScenarioChooser(entries, world, path, set_world, switch):
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
        switch(str(default_entry(name, entries).path))

    solara.Select("World", values=worlds, value=world, on_value=choose_world)
    solara.Select(
        "Scenario",
        values=labels,
        value=current,
        on_value=lambda label: switch(by_label.get(label, label)),
    )
    solara.InputText(
        "or open a scenario file (path, Enter)",
        value="",
        on_value=lambda typed: (
            switch(str(Path(typed.strip()).expanduser())) if typed and typed.strip() else None
        ),
    )


@solara.component
def Status(task, load_error, settings, reference):
    """Ready / computing / error, the progress bar, and an error's one paragraph."""
    if load_error is not None:
        text("error", "sim-status", style="display:none")
        solara.Error(label=load_error, classes=["sim-error"])
        return
    if task.pending:
        last = task.latest
        rate = last[0].researcher_months / last[1] if last is not None and last[1] else None
        expected = expected_seconds(settings, reference, rate) if settings else 0.0
        text("computing", "sim-status", style="font-size:12px;color:grey")
        solara.ProgressLinear(True)
        if expected > 0.7:
            text(
                f"computing {settings.replicates:,} replicates of each scenario "
                f"(about {expected:.0f} s)...",
                "sim-progress",
            )
    elif task.error:
        text("error", "sim-status", style="display:none")
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
        text("ready", "sim-status", style="font-size:12px;color:grey")
