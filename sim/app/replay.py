"""One replicate of the edited scenario as the Mesa model, played month by month.

:func:`replicate_model`: one replicate of the edited scenario as the Mesa model
(:class:`sim.engines.mesa_model.ExodusModel`), stepped month by month; :func:`who_is_where`,
:func:`moves_of_month` (the month's moves in words) and :func:`focal_counts` read it.
"""

from __future__ import annotations

from sim.app.compute import Result
from sim.engines.mesa_model import ExodusModel
from sim.errors import InputError


# --------------------------------------------------------------------------- one replicate
class PlayedModel(ExodusModel):
    """The Mesa model of one replicate, stopping at its horizon (``running`` turns False).

    Built from keyword arguments (``world``, ``theta``, ``replicate_seed``), as Mesa's
    ModelController rebuilds a model on Reset.
    """

    def __init__(self, world=None, theta=None, replicate_seed=0):
        super().__init__(world, theta, replicate_seed)
        self.running = self.world.n_months > 0

    def step(self) -> None:
        """One month (:meth:`sim.engines.mesa_model.ExodusModel.step`); past the horizon, none."""
        if self.month >= self.world.n_months:
            self.running = False
            return
        super().step()
        self.running = self.month < self.world.n_months


def replicate_parameters(result: Result, replicate: int) -> dict:
    """Keyword arguments of the Mesa model of one replicate of the edited scenario."""
    traj = result.edited
    if not 0 <= replicate < traj.shape[0]:
        raise InputError(
            f"expected a replicate from 0 to {traj.shape[0] - 1}, got {replicate}", key="replicate"
        )
    world = result.scenario.world.compile(result.comparison.horizon)
    return {
        "world": world,
        "theta": traj.theta[replicate].copy(),
        "replicate_seed": int(traj.seeds[replicate]),
    }


def replicate_model(result: Result, replicate: int = 0):
    """Replicate ``replicate`` of the edited scenario as the Mesa model, at month 0 (not run).

    Stepped through every month it gives exactly that replicate's history in ``result``.
    """
    return PlayedModel(**replicate_parameters(result, replicate))


def who_is_where(model) -> dict[str, list[str]]:
    """Lab -> researchers there now, for every lab that exists this month or has someone."""
    world = model.world
    names = world.world.labs
    month = max(model.month - 1, 0)
    exists = world.timeline.exists[month] if model.month else world.timeline.exists[0]
    out: dict[str, list[str]] = {}
    for j, lab in enumerate(names):
        here = [r.name for r in sorted(model.researchers, key=lambda r: r.index) if r.lab == j]
        if here or exists[j]:
            out[lab] = here
    return out


def model_month(model) -> str:
    """The month the model has just simulated ("start" before its first step)."""
    if model.month == 0:
        return f"start ({model.world.world.calendar.start})"
    return model.world.world.calendar.label(model.month - 1)


def previous_labs(model) -> dict[int, int]:
    """Each researcher's lab code before the model's last step (index -> code)."""
    if model.month <= 1:
        return {i: int(code) for i, code in enumerate(model.world.start_labs)}
    before = model.trajectory()[-2]
    return {i: int(code) for i, code in enumerate(before)}


def moves_of_month(model) -> list[str]:
    """The moves of the month the model has just simulated, in words ("Name: from -> to")."""
    if model.month == 0:
        return []
    labs = model.world.world.labs
    before = previous_labs(model)
    return [
        f"{r.name}: {labs[before[r.index]]} \u2192 {labs[r.lab]}"
        for r in sorted(model.researchers, key=lambda r: r.index)
        if before.get(r.index) != r.lab
    ]


def focal_counts(model) -> tuple[list[str], list[int]]:
    """Months simulated so far and the number at the focal lab at the end of each.

    Read from Mesa's DataCollector (``at_focal_lab``).
    """
    if model.month == 0:
        return [], []
    frame = model.datacollector.get_model_vars_dataframe()
    calendar = model.world.world.calendar
    months = [calendar.label(t) for t in range(model.month)]
    return months, [int(v) for v in frame["at_focal_lab"].to_list()[: model.month]]
