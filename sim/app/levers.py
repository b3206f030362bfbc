"""The page's sidebar controls: the levers and the download (Solara components).

* :func:`Levers`: replicates and seed, labs present or removed, events on or off, offsets to lab
  attributes, where the parameters come from and any fixed (Mesa's ``Slider`` user parameters
  drawn by its ``UserInputs``), and a reset;
* :func:`Download`: the settings as a scenario file that ``sim run`` accepts unchanged.

Each calls ``set_settings`` with new :class:`~sim.app.settings.Settings`; the page recomputes.
"""

from __future__ import annotations

import dataclasses

import solara
from mesa.visualization import Slider
from mesa.visualization.solara_viz import UserInputs

from sim.app.reference import Reference, error_text
from sim.app.scenario_file import scenario_name, scenario_toml
from sim.app.settings import (
    PARAMETER_SOURCES,
    Settings,
    describe_edits,
    initial_settings,
    parameter_levers,
)
from sim.app.widgets import text
from sim.errors import InputError
from sim.kernel.behavior import ATTRIBUTE_NAMES
from sim.world import NEVER

FROM_REFERENCE = "as the scenario says"


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
        text(
            "Edits: " + ("; ".join(edits) if edits else "none"),
            "sim-edits",
            style="font-size:13px;margin-top:6px",
        )


def _replace(settings, **changes):
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
            text(
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
    for lever in parameter_levers(reference.scenario.world.founding_chosen):
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
        toml = scenario_toml(settings, reference)
    except InputError as exc:
        solara.Text(f"fix the levers first: {error_text(exc)}")
        return
    solara.FileDownload(
        toml,
        filename=f"{name}.toml",
        label="Download scenario (.toml)",
        mime_type="application/toml",
    )
    with solara.Details("The file"):
        text(toml, "sim-toml", tag="pre", style="font-size:11px;white-space:pre-wrap")
