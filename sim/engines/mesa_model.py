"""The Mesa model: the reference engine, one replicate at a time, agent by agent.

Researchers and labs are Mesa agents. Each month (one ``step``):

1. the month's events are applied to the labs (attributes, existence; a merge moves everyone at
   the merged lab into its successor), and the month's relocations to the researchers (a new
   city's home term: :mod:`sim.world.relocations`);
2. the month's shared utility terms are formed from the labs
   (:func:`sim.kernel.behavior.month_weights`); then every researcher takes the uniform keyed by
   (replicate, month, researcher) (:func:`sim.kernel.streams.choice_uniform`) and decides with
   :func:`sim.kernel.behavior.decide`, from the state at the start of the month;
3. all moves are applied together; a mover's tenure restarts at 0, a stayer's grows by 1/12 year;
4. the DataCollector records every researcher's lab.

The model is given a replicate's integer seed (also passed to Mesa as ``Model(rng=seed)``); its
random numbers are the keyed ones of :mod:`sim.kernel.streams`, computed by the same compiled
functions as in the ensemble engine, so with the same seed and parameters it gives the same history
as replicate r of :mod:`sim.engines.ensemble`, move for move.

For forecasts from an observed state the model takes a ``prefix`` [T0, N]: in a month t < T0
every researcher ends the month at ``prefix[t, i]`` instead of deciding (step 2 computes no
uniform; steps 1, 3 and 4 run as usual, so tenure at month T0 follows from the forced history);
and it can take the replicate's latent standard normals (``restlessness`` [N], ``fits`` [N, L])
instead of the keyed ones. The ensemble engine takes the same inputs and stays identical.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.engines.ensemble import check_latent, check_prefix
from sim.kernel.availability import open_labs_into
from sim.kernel.behavior import (
    SIGMA_U,
    STALE,
    colleague_positions,
    decide,
    fixed_utilities,
    fixed_utility_row,
    founding_factor,
    month_weights,
    potential_weights_into,
    record_move,
    tie_factors_into,
)
from sim.kernel.streams import choice_uniform, opening_months_into, replicate_normals
from sim.world import CompiledWorld


class Lab(mesa.Agent):
    """A lab: its attributes and whether it exists, as of the current month."""

    def __init__(self, model: ExodusModel, code: int, name: str):
        super().__init__(model)
        self.code = code
        self.name = name
        self.attributes = model.world.timeline.attributes[0, code]
        self.exists = False

    def apply_events(self, month: int) -> None:
        """Take this month's attributes from the compiled timeline, and whether it exists.

        A potential lab exists once a founder has founded it in this run (the model's
        ``open_now``, from :func:`sim.kernel.availability.open_labs_into`).
        """
        timeline = self.model.world.timeline
        self.attributes = timeline.attributes[month, self.code]
        self.exists = bool(self.model.open_now[self.code])


class Researcher(mesa.Agent):
    """A researcher: where they work, for how long, and how restless they are."""

    def __init__(self, model: ExodusModel, index: int, name: str, restlessness: float):
        super().__init__(model)
        self.index = index
        self.key = model.world.researcher_keys[index]
        self.name = name
        self.lab = int(model.world.start_labs[index])
        self.tenure = float(model.world.start_tenure[index])
        self.restlessness = restlessness
        self.next_lab = self.lab

    def decide(self) -> None:
        """Choose next month's lab from the state at the start of this month.

        In a forced month (``month < T0``) the lab is the prefix's, and the kernel is not called.
        """
        m = self.model
        if m.month < m.prefix.shape[0]:
            self.next_lab = int(m.prefix[m.month, self.index])
            return
        w = m.world
        factor = 0.0
        if m.any_unfounded:
            factor = founding_factor(
                m.theta, self.index, self.lab, w.start_tenure[self.index] + m.month / 12.0,
                w.climate[m.month], w.barred[m.month], w.founder[self.index], m.unfounded,
                w.contagion, w.tie_indptr, w.tie_indices, w.tie_weights, m.has_founded,
            )  # fmt: skip
        self.next_lab = decide(
            m.theta, self.index, m.labs_at_start, m.colleague_labs, w.glue, self.tenure,
            self.restlessness, m.base, m.base_weights, m.shift, m.fixed_utility, m.fixed_weight,
            w.tie_indptr, w.tie_indices, w.tie_weights, m.tie_factors,
            choice_uniform(m.seed, m.month, self.key), m.scratch[0], m.scratch[1], m.cached_iv,
            m.cached_peer, m.cached_weights, m.cache_state, w.founder[self.index],
            m.potential_weights, factor,
        )  # fmt: skip

    def advance(self) -> None:
        """Apply the decision: move (tenure restarts) or stay (tenure grows a month).

        A move to a potential lab not yet founded founds it; a move to a lab one founds flags
        the mover as having founded (their colleagues' pull towards founding).
        """
        m, w = self.model, self.model.world
        if self.next_lab != self.lab:
            j = int(self.next_lab)
            record_move(
                self.index, j, w.start_labs[self.index], w.potential, w.founder[self.index],
                m.founded_run, m.has_founded,
            )  # fmt: skip
            self.lab = j
            self.tenure = 0.0
        else:
            self.tenure += 1.0 / 12.0


class ExodusModel(mesa.Model):
    """One replicate of the cohort's monthly choices over a compiled world.

    Args:
        world: the compiled world (cohort, labs, timeline) from :meth:`sim.world.World.compile`.
        theta: the parameter vector, ordered as :data:`sim.kernel.behavior.PARAMETER_NAMES`.
        replicate_seed: the replicate's integer seed (:func:`sim.kernel.streams.replicate_seeds`).
        prefix: int array [T0, N], 0 <= T0 <= T: the lab each researcher ends month t at, for
            t < T0 (None: no forcing).
        restlessness: float array [N], the standard normals behind the restlessness u_i (before
            scaling by sigma_u), instead of the keyed ones; given together with ``fits``.
        fits: float array [N, L], the standard normals behind the fits m_ij (before scaling by
            sigma_match), instead of the keyed ones; given together with ``restlessness``.

    Raises:
        ValueError: ``prefix``, ``restlessness`` or ``fits`` has the wrong shape, or only one of
            the latter two is given.
    """

    def __init__(
        self,
        world: CompiledWorld,
        theta: np.ndarray,
        replicate_seed: int,
        *,
        prefix: np.ndarray | None = None,
        restlessness: np.ndarray | None = None,
        fits: np.ndarray | None = None,
    ):
        if (restlessness is None) != (fits is None):
            raise ValueError("restlessness and fits are given together, or neither")
        super().__init__(rng=int(replicate_seed))
        self.seed = np.uint64(replicate_seed)
        self.world = world
        self.theta = np.ascontiguousarray(theta, dtype=np.float64)
        self.prefix = check_prefix(world, prefix)
        self.month = 0
        n_labs = world.timeline.attributes.shape[1]
        self.scratch = np.empty((2, n_labs))
        # decide()'s cache, cleared every month: this engine recomputes every decision in full
        self.cached_iv, self.cached_peer = np.empty((2, world.n_researchers))
        self.cached_weights = np.empty((world.n_researchers, n_labs))
        self.cache_state = np.zeros(world.n_researchers, dtype=np.int8)
        self.base, self.base_weights, self.shift = np.empty(n_labs), np.empty(n_labs), 0.0
        # The keyed normals of restlessness and fits (sim.streams), unless given; the monthly
        # uniforms are keyed by month and researcher and computed in the steps.
        if restlessness is None:
            normals = np.empty(world.n_researchers)
            match = np.empty((world.n_researchers, n_labs))
            replicate_normals(self.seed, world.researcher_keys, world.lab_keys, normals, match)
        else:
            normals = np.asarray(restlessness, dtype=np.float64)
            match = np.asarray(fits, dtype=np.float64)
            n = world.n_researchers
            if normals.shape != (n,) or match.shape != (n, n_labs):
                raise ValueError(
                    f"restlessness must have shape [N] and fits [N, L] with N = {n} researchers "
                    f"and L = {n_labs} labs; got {list(normals.shape)} and {list(match.shape)}"
                )
        self.fixed_utility = np.empty((world.n_researchers, n_labs))
        self.fixed_weight = np.empty((world.n_researchers, n_labs))
        fixed_utilities(
            self.theta, world.home, world.founder, match, world.start_labs,
            self.fixed_utility, self.fixed_weight,
        )  # fmt: skip
        self.match = match
        self.tie_factors = np.empty(world.tie_weights.shape[0])
        tie_factors_into(self.theta, world.tie_weights, self.tie_factors)
        # founding by choice: the potential labs founded in this run, who has founded one
        self.founded_run = np.zeros(n_labs, dtype=bool)
        self.has_founded = np.zeros(world.n_researchers, dtype=bool)
        self.open_now = np.zeros(n_labs, dtype=bool)
        self.unfounded = np.zeros(n_labs, dtype=bool)
        self.potential_weights = np.zeros(n_labs)
        self.any_unfounded = False
        # founding months known only to an interval: this run's draw of each (-1: none)
        self.opens = np.empty(n_labs, dtype=np.int64)
        opening_months_into(self.seed, world.lab_keys, world.opening, self.opens)
        self.labs = [Lab(self, j, name) for j, name in enumerate(world.world.labs)]
        for i, name in enumerate(world.world.researchers):
            Researcher(self, i, name, self.theta[SIGMA_U] * normals[i])
        self.researchers = self.agents_by_type[Researcher]
        self.datacollector = mesa.DataCollector(
            model_reporters={"at_focal_lab": _count_at_focal},
            agenttype_reporters={Researcher: {"lab": "lab"}},
        )
        self.labs_at_start = world.start_labs.copy()
        self.unmoved = world.unmoved_positions
        self.colleague_labs = self.labs_at_start

    def step(self) -> None:
        """Advance one month (see the module docstring for the order)."""
        t = self.month
        self.any_unfounded = open_labs_into(
            self.world.timeline.exists[t], self.world.potential, self.founded_run, self.opens, t,
            self.open_now, self.unfounded,
        )  # fmt: skip
        for lab in self.labs:
            lab.apply_events(t)
        merge_into = self.world.timeline.merge_into[t]
        for researcher in self.researchers:
            if merge_into[researcher.lab] >= 0:
                researcher.lab = int(merge_into[researcher.lab])
        w = self.world
        for k in np.flatnonzero(w.relocation_month == t):  # a researcher's city changes
            i = w.relocation_researcher[k]
            fixed_utility_row(
                self.theta, w.relocation_home[k], w.founder[i], self.match[i], w.start_labs[i],
                self.fixed_utility[i], self.fixed_weight[i],
            )  # fmt: skip
        self.shift = month_weights(
            self.theta,
            np.array([lab.attributes for lab in self.labs]),
            np.array([lab.exists for lab in self.labs]),
            self.base,
            self.base_weights,
        )
        potential_weights_into(
            self.theta, self.base, self.shift, self.unfounded, self.potential_weights
        )
        self.labs_at_start = np.array([r.lab for r in self.researchers], dtype=np.int64)
        self.colleague_labs = colleague_positions(
            self.labs_at_start, self.unmoved, t, self.world.contagion
        )
        self.cache_state[:] = STALE
        self.researchers.do("decide")
        self.researchers.do("advance")
        self.datacollector.collect(self)
        self.month += 1

    def run(self) -> np.ndarray:
        """Run every month of the compiled horizon; return lab codes int8 [T, N]."""
        while self.month < self.world.n_months:
            self.step()
        return self.trajectory()

    def trajectory(self) -> np.ndarray:
        """Lab codes int8 [months run, N] from the DataCollector's agent records."""
        records = self.datacollector.get_agenttype_vars_dataframe(Researcher)["lab"]
        index = {agent.unique_id: agent.index for agent in self.researchers}
        out = np.empty((self.month, self.world.n_researchers), dtype=np.int8)
        for (step, agent_id), lab in records.items():
            if agent_id in index:
                out[int(step) - 1, index[agent_id]] = lab
        return out


def _count_at_focal(model: ExodusModel) -> int:
    return sum(r.lab == model.world.focal for r in model.researchers)


def simulate_mesa(
    world: CompiledWorld,
    theta: np.ndarray,
    seeds: np.ndarray,
    *,
    prefix: np.ndarray | None = None,
    latent: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Run the Mesa model once per seed; lab codes int8 [R, T, N], as the ensemble engine.

    Args:
        world: the compiled world.
        theta: parameter vectors [R, P], or one [P] shared by all replicates.
        seeds: the replicates' integer seeds, length R.
        prefix: int array [T0, N]: every replicate's first T0 months, forced (None: none); as in
            :func:`sim.engines.ensemble.iter_chunks`.
        latent: a pair (u [R, N], fits [R, N, L]) of standard normals before scaling, aligned
            with ``seeds``, instead of the keyed ones (None: the keyed normals).

    Raises:
        ValueError: ``prefix`` or ``latent`` has the wrong shape.
    """
    theta = np.atleast_2d(theta)
    prefix = check_prefix(world, prefix)
    u, fits = check_latent(world, len(seeds), latent)
    out = np.empty((len(seeds), world.n_months, world.n_researchers), dtype=np.int8)
    for r, seed in enumerate(seeds):
        given = {} if latent is None else {"restlessness": u[r], "fits": fits[r]}
        th = theta[r if theta.shape[0] > 1 else 0]
        out[r] = ExodusModel(world, th, seed, prefix=prefix, **given).run()
    return out
