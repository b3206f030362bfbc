"""The page's settings as a scenario file, and that file loaded back.

:func:`scenario_toml` writes the settings as a scenario file that ``extends`` the reference by
its absolute path and adds the edits, which ``sim run`` accepts unchanged;
:func:`load_settings_scenario` loads such a text as :func:`sim.config.scenario.load_scenario`
loads a file.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from pathlib import Path

from sim.app.reference import Reference
from sim.app.settings import (
    Offset,
    Settings,
    check_settings,
    describe_edits,
    removed_events,
    removed_labs,
    written_offsets,
)
from sim.config.scenario import Scenario, load_scenario

#: Prefix of the ids of the shift events the page writes.
EVENT_PREFIX = "app_offset"


# --------------------------------------------------------------------------- the scenario file
def scenario_name(settings: Settings, reference: Reference) -> str:
    """The edited scenario's name: the settings' name, else the reference's + ``-explored``."""
    return settings.name or f"{reference.scenario.name}-explored"


def _event_id(offset: Offset, taken: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", offset.lab.lower()).strip("_")
    base = f"{EVENT_PREFIX}_{slug}_{offset.attribute}"
    out, k = base, 2
    while out in taken:
        out, k = f"{base}_{k}", k + 1
    taken.add(out)
    return out


def scenario_toml(settings: Settings, reference: Reference) -> str:
    """The settings as a scenario file: ``extends`` the reference (absolute path) plus the edits.

    ``sim run FILE`` runs it unchanged, with the page's replicates and seed as its defaults,
    and reproduces the page's numbers for the edited scenario.

    Raises:
        InputError: a lever value out of range (:func:`check_settings`).
    """
    check_settings(settings, reference)
    ref = reference.scenario
    name = scenario_name(settings, reference)
    edits = describe_edits(settings, reference)
    description = (
        f"Explored with `sim app` from {ref.name} ({reference.path.name}): "
        + ("; ".join(edits) if edits else "no edits")
        + "."
    )
    lines = [
        "# Written by `sim app`: the reference scenario (extends) plus the edits made on the",
        "# page. Run it with `sim run THIS_FILE`; it reproduces the page's numbers at this seed",
        "# and number of replicates.",
        f"name = {_string(name)}",
        f"description = {_string(description)}",
        f"extends = {_string(str(reference.path))}",
        f"replicates = {int(settings.replicates)}",
        f"seed = {int(ref.spec.seed if settings.seed is None else settings.seed)}",
    ]
    world = []
    removed = removed_labs(settings, reference)
    if removed:
        world.append(f"remove_labs = {_list(removed)}")
    off = removed_events(settings, reference)
    if off:
        world.append(f"remove_events = {_list(off)}")
    offsets = written_offsets(settings, reference)
    if offsets:
        taken = {e.id for e in reference.world.events}
        world.append("add_events = [")
        for o in offsets:
            fields = {
                "id": _event_id(o, taken),
                "month": o.month,
                "kind": "shift",
                "lab": o.lab,
                "attribute": o.attribute,
                "value": float(o.value),
                "description": f"sim app: {o.lab} {o.attribute} {o.value:+g} from {o.month}",
            }
            world.append(f"    {_inline(fields)},")
        world.append("]")
    if world:
        lines += ["", "[world]", *world]
    params = []
    if settings.params_from:
        params.append(f"from = {_string(settings.params_from)}")
    params += [f"{n} = {_number(v)}" for n, v in settings.params]
    if params:
        lines += ["", "[params]", *params]
    return "\n".join(lines) + "\n"


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _number(value: float) -> str:
    text = repr(float(value))
    return text if any(c in text for c in ".en") else f"{text}.0"


def _list(values) -> str:
    return "[" + ", ".join(_string(v) for v in values) + "]"


def _inline(fields: dict) -> str:
    parts = [
        f"{k} = {_number(v) if isinstance(v, float) else _string(str(v))}"
        for k, v in fields.items()
    ]
    return "{ " + ", ".join(parts) + " }"


def load_settings_scenario(text: str, name: str = "explored") -> Scenario:
    """Load a scenario from the text of a file (written to a temporary file, then loaded)."""
    with tempfile.TemporaryDirectory(prefix="sim-app-") as folder:
        path = Path(folder) / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        return load_scenario(path)


def with_parameter_source(scenario: Scenario, source: str) -> Scenario:
    """The scenario with another ``params.from`` ("" leaves it as it is)."""
    if not source or scenario.params_from == source:
        return scenario
    params = {**scenario.spec.params, "from": source}
    return dataclasses.replace(scenario, spec=scenario.spec.model_copy(update={"params": params}))
