"""Which answers survive the calibration choices: every counterfactual under every posterior.

``sim robustness`` runs every shipped counterfactual of every world (``sim compare --all`` from
each world's baseline, common random numbers) once per calibration setting and prior set, and
tabulates the paired effect on the count still at the focal lab at the world's anchor month (the
latest declared count at the focal lab; mean and 90% interval of the per-replicate difference).

**Calibration settings**, read from ``calibration/`` (``--calibrations``):

- *WORLD alone*: ``WORLD/likelihood{SUFFIX}/posterior.parquet``, the full-information posterior
  of that world's history;
- *OTHER alone*: a world predicted from the posterior fitted to another world, its per-cohort
  parameters (:attr:`sim.config.params.Parameter.per_cohort`) drawn from the prior set, as in the
  leave-one-cohort-out check (:mod:`sim.inference.joint`);
- *joint*: ``joint{SUFFIX}/posterior.parquet``, the world's columns of the joint posterior.

**Prior sets**: the declared priors (no suffix), ``calibration/priors-wide.toml`` (``-wide``)
and ``calibration/priors-literature.toml`` (``-literature``). A missing posterior is reported as
missing, not filled in. A conclusion *survives* when every available setting gives the effect the
same sign (:mod:`sim.reports.robustness` writes the table and says which).

**Founding as data.** These posteriors are calibrated with founding given (``scenarios/given/``,
``make calibrate-likelihood``: every lab from its ``labs.csv`` month), so every scenario runs here
on its world as given (:func:`sim.world.founding.as_given`), the world they were fitted to: the
table asks how the answers move with the priors and the cohorts learned from, with founding held
as data. Scenarios that edit founding alone (:func:`founding_only`) are left out: with founding
given they change nothing. The shipped baselines, where founding is a choice, read
``calibration/joint-founding/``.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.compare import all_scenarios, compare
from sim.config.params import sample_prior
from sim.config.scenario import Scenario, load_posterior
from sim.errors import InputError
from sim.inference.abc.targets import anchor_target, load_targets
from sim.inference.joint import baseline_of
from sim.inference.priors import load_priors
from sim.kernel.behavior import PARAMETER_NAMES
from sim.results import write_frame
from sim.world.founding import as_given, is_founding_event

PRIOR_SETS = {"declared": ("", None), "wide": ("-wide", "priors-wide.toml"),
              "literature": ("-literature", "priors-literature.toml")}  # fmt: skip
WORLDS = ("llama", "openai-founders")


def posterior_for(
    calibrations: Path, world: str, setting: str, prior_set: str, seed: int
) -> pd.DataFrame | None:
    """The posterior draws a setting gives a world's parameter vectors, or None if missing."""
    suffix, priors_file = PRIOR_SETS[prior_set]
    if setting == "joint":
        path = calibrations / f"joint{suffix}" / "posterior.parquet"
        return load_posterior(path, world) if path.exists() else None
    source = setting.removesuffix(" alone")
    path = calibrations / source / f"likelihood{suffix}" / "posterior.parquet"
    if not path.exists():
        return None
    frame = load_posterior(path, source)
    if source == world:
        return frame
    priors = load_priors(None if priors_file is None else calibrations / priors_file)
    draws = sample_prior(len(frame), np.random.default_rng([seed, 5]), priors)
    frame = frame.copy()
    for k, p in enumerate(priors):
        if p.per_cohort:
            frame[p.name] = draws[:, k]
    return frame


def robustness_table(
    calibrations: Path, replicates: int, seed: int, worlds=WORLDS, scratch: Path | None = None
) -> pd.DataFrame:
    """One row per world, counterfactual, setting and prior set: the anchor effect."""
    rows = []
    settings = [f"{w} alone" for w in worlds] + ["joint"]
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        for world in worlds:
            reference = baseline_of(world)
            scenarios = all_scenarios(str(reference.path))
            anchor = anchor_target(load_targets(reference.world), reference.world)
            if anchor is None:
                raise InputError(f"world {world!r} declares no count at its focal lab to read")
            stat = anchor[0].name
            for setting in settings:
                for prior_set in PRIOR_SETS:
                    frame = posterior_for(calibrations, world, setting, prior_set, seed)
                    if frame is None:
                        rows.append(dict(world=world, setting=setting, priors=prior_set,
                                         scenario=None, statistic=stat))  # fmt: skip
                        continue
                    path = Path(tmp) / f"{world}-{setting}-{prior_set}.parquet".replace(" ", "_")
                    write_frame(path, frame[[*PARAMETER_NAMES, "weight"]] if "weight" in frame
                                else frame[list(PARAMETER_NAMES)])  # fmt: skip
                    run = [
                        _founding_given(s)
                        for s in (_with_posterior(scenarios[0], path), *scenarios[1:])
                        if not founding_only(s)
                    ]
                    table = compare(run, replicates, seed).to_df()
                    for r in table[table.statistic == stat].itertuples():
                        if r.scenario == run[0].name:
                            continue
                        rows.append(dict(
                            world=world, setting=setting, priors=prior_set, scenario=r.scenario,
                            statistic=stat, effect=r.diff_mean, low=r.diff_low, high=r.diff_high,
                        ))  # fmt: skip
    return pd.DataFrame(rows)


#: the world edits that act on founding alone (with ``add_events`` of founding kinds)
FOUNDING_EDITS = frozenset({"name", "founding", "funding_climate", "own_startup", "add_events"})


def founding_only(scenario: Scenario) -> bool:
    """Whether a scenario edits its world's founding and nothing else.

    A cooler funding climate, a non-compete for founders (``bar_founding`` events), own startups:
    with founding given these change no history, so the table leaves such scenarios out rather
    than report an effect of exactly zero as an answer.
    """
    spec = scenario.spec.world
    edits = spec.model_fields_set - {"name"}
    return (
        bool(edits)
        and edits <= FOUNDING_EDITS
        and all(is_founding_event(e) for e in spec.add_events)
    )


def _founding_given(scenario: Scenario) -> Scenario:
    return dataclasses.replace(scenario, world=as_given(scenario.world))


def _with_posterior(scenario: Scenario, path: Path) -> Scenario:
    spec = scenario.spec.model_copy(
        update={"posterior_file": str(path), "params": {**scenario.spec.params,
                                                          "from": "posterior"}}
    )  # fmt: skip
    return dataclasses.replace(scenario, spec=spec)
