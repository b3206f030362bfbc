"""Forecasts that start from what is known: the observed state at the last observed month.

A forecast replicate does not re-simulate the observed months. It is forced through them
(everyone where the observed history puts them, so tenure at the last observed month follows
from the data) and simulated from the month after ``observed_until`` to the horizon. What the
history says about each person enters through their latent terms: for each replicate's
parameter vector, each researcher's restlessness u_i and fits m_i. are drawn from their posterior
given their own observed history, p(u, m | history_i, theta), proportional to the prior times
the likelihood of the history (:mod:`sim.likelihood`). Three researchers who stayed through
months when colleagues left have shown they are not restless, and the forecast knows it.

**How the draw is made: sampling-importance-resampling** (Rubin 1988). Candidates are drawn,
for each researcher apart, from the prior (restlessness) and from the tilted proposal of
:func:`sim.likelihood.tilted_fits` (fits), every combination is weighted by its likelihood times
the proposal's importance ratio, and one is kept in proportion to its weight. Each draw's
effective sample size is recorded (``latent_ess``; ``forecast_ess.csv`` of ``sim run``) and a
warning names the researchers whose draw rests on fewer than :data:`MIN_LATENT_ESS`. The candidates
and the pick are keyed by the replicate's seed, so two scenarios with the same observed history get
the same draws (common random numbers): a comparison of futures pairs each replicate with itself.

**What is imputed.** A move known only to an interval is placed at the middle of its interval
in the forced months (the reading the likelihood uses for colleagues; :class:`Panel`), and the
latent draw conditions on the researcher's whole interval, summed exactly.
"""

from __future__ import annotations

import numpy as np

from sim.errors import InputError
from sim.likelihood.evaluate import conditional_log_likelihoods, tilted_fits
from sim.likelihood.panel import Panel, observed_panel
from sim.world import CompiledWorld, World

#: Candidates per researcher and replicate: restlessness values x fit vectors (each researcher
#: their own).
RESTLESSNESS_CANDIDATES, FIT_CANDIDATES = 24, 32
#: A researcher's latent draw resting on fewer effective candidates than this is warned about.
MIN_LATENT_ESS = 5.0


def forecast_inputs(
    world: World, compiled: CompiledWorld, theta: np.ndarray, seeds: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], np.ndarray]:
    """The forced months and each replicate's latent terms, for the engines.

    Args:
        world: the scenario's world (its observed history is the one forecast from).
        compiled: the world compiled to the run's horizon.
        theta: each replicate's parameter vector [R, P].
        seeds: the replicate seeds [R].

    Returns:
        ``(prefix, (u, fits), ess)``: everyone's lab after each observed month [T0, N]; the
        standard normals behind each replicate's restlessness [R, N] and fits [R, N, L]; and the
        effective sample size behind each researcher's draw [R, N] (:func:`latent_draw`).

    Raises:
        InputError: the world has no observed history; the horizon ends before its last
            observed month; the history is impossible in this world (a researcher's likelihood
            is 0 at a replicate's parameters).
    """
    panel = observed_panel(world)
    problem = world.calendar.forecast_horizon_problem(world.calendar.label(compiled.n_months - 1))
    if problem:
        raise InputError(problem, key="horizon")
    theta = np.atleast_2d(theta)
    n_labs = compiled.timeline.attributes.shape[1]
    u = np.empty((len(seeds), compiled.n_researchers))
    fits = np.empty((len(seeds), compiled.n_researchers, n_labs))
    ess = np.empty((len(seeds), compiled.n_researchers))
    for r, seed in enumerate(np.asarray(seeds, dtype=np.uint64)):
        u[r], fits[r], ess[r] = latent_draw(compiled, theta[r], panel, int(seed))
    return panel.imputed().astype(np.int64), (u, fits), ess


def latent_draw(
    compiled: CompiledWorld, theta: np.ndarray, panel: Panel, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One draw of everyone's latent normals given their history: u [N], fits [N, L], ESS [N].

    Every researcher gets candidates of their own (restlessness [N, Q] and fit vectors
    [N, M, L]), so no two researchers share a drawn value by construction. The ESS of
    researcher i is 1 / sum(w^2) of their normalised importance weights over the Q x M
    combinations: how many candidates their draw effectively rests on.
    """
    n_people = compiled.n_researchers
    n_labs = compiled.timeline.attributes.shape[1]
    rng = np.random.default_rng([seed, 0x0F0CA57])
    z = rng.standard_normal((n_people, RESTLESSNESS_CANDIDATES))
    proposal = rng.standard_normal((n_people, FIT_CANDIDATES, n_labs))
    candidates, log_ratio = tilted_fits(compiled, theta, panel, proposal)
    log_l = conditional_log_likelihoods(compiled, theta, panel, z, candidates)  # [N, M, Q]
    log_w = log_l + log_ratio[:, :, None]
    u = np.empty(n_people)
    fits = np.empty((n_people, n_labs))
    ess = np.empty(n_people)
    for i in range(n_people):
        flat = log_w[i].ravel()
        peak = flat.max()
        if not np.isfinite(peak):
            raise InputError(
                f"researcher {compiled.world.researchers[i]}'s observed history is impossible "
                "in this world at the scenario's parameters: a forecast from the observed state "
                "needs a world whose months up to observed_until allow the history"
            )
        weights = np.exp(flat - peak)
        weights /= weights.sum()
        ess[i] = 1.0 / float((weights**2).sum())
        pick = rng.choice(flat.size, p=weights)
        m, q = divmod(pick, RESTLESSNESS_CANDIDATES)
        u[i], fits[i] = z[i, q], candidates[i, m]
    return u, fits, ess
