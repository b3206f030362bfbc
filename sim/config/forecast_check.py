"""Whether a scenario can be forecast from its world's observed state, and if not, why.

A forecast (``from_observed = true``, ``--from-observed``) forces every replicate through the
world's observed history, so the scenario's edited world must allow that history: a lab removed
(``world.remove_labs``), founded later (``world.founded``) or merged away (``world.add_events``)
before someone's observed move into it contradicts the data. The history is checked against the
edited world by the loader that checked it against the world's own files
(:func:`sim.world.load_observed`); its error (the ``observed.csv`` row) is reported with the
scenario key whose edit caused it. The horizon must also end after the last observed month.
"""

from __future__ import annotations

from sim.errors import InputError
from sim.world import load_observed


def check_forecast(spec, world, source: str, horizon_source: str | None = None) -> None:
    """Raise where a forecast of this scenario from its world's observed state is impossible.

    Args:
        spec: the scenario's :class:`~sim.config.scenario.ScenarioSpec` (its world edits).
        world: the scenario's edited world.
        source: the scenario file, named in the errors.
        horizon_source: the file that sets the horizon (default ``source``).

    Raises:
        InputError: the world has no observed history; the horizon ends at or before
            ``observed_until``; an edit contradicts the history (naming the scenario key and the
            ``observed.csv`` row).
    """
    calendar = world.calendar
    if world.observed is None:
        raise InputError(
            "the world has no observed history (observed.csv): a forecast from the observed "
            "state needs one", source=source, key="from_observed",
        )  # fmt: skip
    problem = calendar.forecast_horizon_problem(spec.horizon or world.default_horizon)
    if problem:
        raise InputError(problem, source=horizon_source or source, key="horizon")
    try:
        load_observed(world.observed.source, world)
    except InputError as exc:
        lab = _lab_of_row(world.observed, exc.key)
        key = _edit_key(spec.world, lab)
        raise InputError(
            f"this edit contradicts the observed history the forecast starts from: "
            f"{world.observed.source}, {exc.key}: {str(exc).split(': ', 1)[-1]}",
            source=source, key=key,
        ) from None  # fmt: skip


def _lab_of_row(observed, key: str | None) -> str | None:
    """The lab the ``observed.csv`` move named by an error's key (``row N, ...``) goes to."""
    if not key or not key.startswith("row "):
        return None
    row = int(key.split()[1].rstrip(","))
    return next((move.to for move in observed.moves if move.row == row), None)


def _edit_key(edits, lab: str | None) -> str:
    """The scenario key whose edit touches ``lab`` (``world`` where none can be told apart)."""
    if lab in edits.remove_labs:
        return "world.remove_labs"
    if lab in edits.founded:
        return f"world.founded.{lab}"
    for k, event in enumerate(edits.add_events):
        if lab in (event.lab, event.into):
            return f"world.add_events[{k}]"
    for name in ("add_events", "change_events", "remove_events", "add_labs"):
        if getattr(edits, name):
            return f"world.{name}"
    return "world"
