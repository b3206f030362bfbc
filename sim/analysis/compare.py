"""Counterfactual comparisons: several scenarios under common random numbers, paired differences.

A counterfactual is a scenario that ``extends`` the baseline and changes a few facts (DESIGN.md,
"Counterfactuals"). :func:`compare` runs a list of scenarios, the first being the *reference*,
with common random numbers (CRN; Law 2015, *Simulation Modeling and Analysis*, 5th ed., sec. 11.2;
Glasserman & Yao 1992, "Some guidelines and guarantees for common random numbers"), so that each
scenario's difference from the reference is measured replicate by replicate rather than read off
two noisy curves.

The common-random-numbers rule:

1. **Seeds.** Every scenario uses the reference's replicate seeds
   (``reference.seeds(replicates, seed)``): replicate r draws the same restlessness and the same
   monthly uniforms in every scenario.
2. **Parameters.** Replicate r uses the reference's parameter vector, ``theta, draw =
   reference.parameters(replicates, seed)`` (a posterior draw d[r] where the reference has
   ``from = "posterior"``, the prior means or fixed values otherwise). On top of it each scenario
   applies its own *fixed* values: its ``[params]`` table without ``from`` (e.g.
   ``b_peer = 0``). A scenario's own ``from`` is not used: the reference
   decides where the parameters come from, so all scenarios share the same draws; a parameter a
   scenario does not fix takes the reference's value in each replicate.
3. **Months.** All scenarios are simulated to the earliest of their horizons.

So a scenario that changes nothing has exactly the reference's histories and a paired difference
of exactly zero. A paired difference is, per replicate r, ``stat(scenario, r) - stat(reference,
r)``; it is reported by its mean and the 5% and 95% quantiles across replicates (a 90% interval
of the replicate-level effect, not a confidence interval for the mean). Count statistics use
quantiles of the observed values (``method="inverted_cdf"``), so the intervals are whole numbers.
Probabilities get a Monte Carlo 90% interval instead (Wilson 1927 for a probability, a normal
interval for a paired difference of probabilities), since quantiles of a 0/1 indicator say
nothing.

The comparison is a :class:`Comparison` (its table is :meth:`Comparison.to_df`); its files
(``comparison.csv``, ``replicates.csv``, the curves, figures, ``report.md`` and
``manifest.json``) are written by :func:`sim.reports.compare.write_comparison`, and ``sim
compare`` is :mod:`sim.cli.compare`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from sim.config.forecast_check import check_forecast
from sim.config.params import with_fixed
from sim.config.scenario import Scenario, fixed_parameters, load_scenario
from sim.engines.simulate import check_fits, simulate
from sim.errors import InputError
from sim.results import (
    Trajectories,
    checkpoint_month,
    destination_counts,
    difference_curve,
    half_gone_month,
    retention_curve,
    statistic_values,
)
from sim.world import simulated

#: The counterfactual everything is compared with when ``--all`` is given.
BASELINE = "baseline"
_Z90 = 1.6448536269514722  # standard normal 95% quantile: two-sided 90% interval


@dataclass(frozen=True)
class TableStatistic:
    """A per-replicate statistic of the comparison table.

    Attributes:
        name: column-style name: a declared statistic's name, or a built-in one.
        label: what it is, in words, for the report.
        kind: ``"count"`` (mean, replicate quantiles), ``"probability"`` (a 0/1 indicator:
            its mean, Monte Carlo interval) or ``"month"`` (median month index; +inf = not
            within the horizon).
        paired: whether the table gives the paired difference from the reference.
        compute: trajectories -> values per replicate [R].
    """

    name: str
    label: str
    kind: str
    paired: bool
    compute: Callable[[Trajectories], np.ndarray]


def table_statistics(world, n_months: int) -> tuple[TableStatistic, ...]:
    """The statistics of ``comparison.csv`` for a world simulated for ``n_months``, in order.

    The world's declared statistics whose month is simulated, the count at the focal lab at the
    horizon, P(at least half the cohort at the focal lab) at the checkpoint (the last observed
    month where simulated) and the month by which half had gone.
    """
    focal = world.focal_lab
    checkpoint = world.calendar.checkpoint(n_months)
    half = math.ceil(len(world.researchers) / 2)
    t_check = world.calendar.index(checkpoint)
    out = [
        TableStatistic(s.name, s.describe(focal), "count", True, partial(statistic_values, s))
        for s in simulated(world, n_months)
    ]
    out += [
        TableStatistic("remaining_at_horizon", f"at {focal} at the horizon", "count", True,
                       lambda tr: tr.at_focal()[:, -1]),
        TableStatistic(f"p_at_focal_at_least_{half}",
                       f"P(at least {half} at {focal} in {checkpoint})", "probability", True,
                       lambda tr: (tr.at_focal()[:, t_check] >= half).astype(np.float64)),
        TableStatistic("half_gone_month", "month by which half had gone (median)", "month",
                       False, lambda tr: half_gone_month(tr, never=np.inf)),
    ]  # fmt: skip
    return tuple(out)


# --------------------------------------------------------------------------- running
@dataclass(frozen=True)
class Comparison:
    """Scenarios simulated under common random numbers; the first is the reference.

    Attributes:
        labels: one unique label per scenario (its name), reference first.
        scenarios: the scenarios, reference first.
        trajectories: their histories, same replicate seeds and same parameter draws.
        overrides: each scenario's fixed parameter values applied on top of the reference's.
        seed: the seed behind the replicate seeds and the posterior draws.
        horizon: the last month simulated (the earliest of the scenarios' horizons).
        parameter_source: the reference's ``params.from`` (``posterior``, ``prior-mean``, ...).
    """

    labels: tuple[str, ...]
    scenarios: tuple[Scenario, ...]
    trajectories: tuple[Trajectories, ...]
    overrides: tuple[dict[str, float], ...]
    seed: int
    horizon: str
    parameter_source: str

    @property
    def reference(self) -> Trajectories:
        """The reference scenario's histories."""
        return self.trajectories[0]

    @property
    def replicates(self) -> int:
        """Replicates per scenario."""
        return self.reference.shape[0]

    @property
    def cohort_size(self) -> int:
        """N, researchers in the cohort."""
        return self.reference.shape[2]

    @property
    def world(self):
        """The reference's world (names, calendar, focal lab, observed history)."""
        return self.scenarios[0].world

    @property
    def statistics(self) -> tuple[TableStatistic, ...]:
        """The table's statistics (:func:`table_statistics`)."""
        return table_statistics(self.world, self.reference.shape[1])

    def replicate_table(self) -> pd.DataFrame:
        """One row per scenario and replicate: seed, posterior draw and each statistic."""
        frames = []
        for label, traj in zip(self.labels, self.trajectories, strict=True):
            frame = pd.DataFrame({s.name: s.compute(traj) for s in self.statistics})
            frame.insert(0, "posterior_draw", -1 if traj.draw is None else traj.draw)
            frame.insert(0, "seed", traj.seeds)
            frame.insert(0, "replicate", np.arange(traj.shape[0]))
            frame.insert(0, "scenario", label)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def to_df(self) -> pd.DataFrame:
        """The comparison table: one row per scenario and statistic (``comparison.csv``).

        Columns: scenario, statistic, label, kind, estimate (mean; probability; median month
        index from the world's start, inf = not within the horizon), low and high (the 90%
        interval),
        interval (how it was formed), and diff_mean, diff_low, diff_high (the paired
        difference from the reference, where the statistic has one).
        """
        rows = []
        statistics = self.statistics
        base = {s.name: s.compute(self.reference) for s in statistics}
        for label, traj in zip(self.labels, self.trajectories, strict=True):
            for stat in statistics:
                values = stat.compute(traj)
                row = {"scenario": label, "statistic": stat.name, "label": stat.label,
                       "kind": stat.kind}  # fmt: skip
                row.update(_estimate(values, stat.kind))
                if stat.paired:
                    row.update(_paired(values, base[stat.name], stat.kind))
                else:
                    row.update(diff_mean=np.nan, diff_low=np.nan, diff_high=np.nan)
                rows.append(row)
        return pd.DataFrame(rows)

    def retention(self) -> dict[str, pd.DataFrame]:
        """Label -> :func:`sim.results.retention_curve`."""
        return {k: retention_curve(t) for k, t in zip(self.labels, self.trajectories, strict=True)}

    def differences(self) -> dict[str, pd.DataFrame]:
        """Label -> :func:`sim.results.difference_curve` from the reference, for the others."""
        return {
            k: difference_curve(t, self.reference)
            for k, t in zip(self.labels[1:], self.trajectories[1:], strict=True)
        }

    def destinations(self, month: str | None = None) -> pd.DataFrame:
        """Mean number of the cohort at each lab at ``month``, per scenario (long format).

        ``month`` defaults to the checkpoint month (:func:`sim.results.checkpoint_month`).
        Every scenario has a row for every lab; ``in_world`` is False for a lab that does not
        exist in a scenario's world at any month (``remove_labs``: it keeps its place, with 0).
        """
        month = month or checkpoint_month(self.reference)
        labs: list[str] = []
        for traj in self.trajectories:
            labs += [lab for lab in traj.lab_names if lab not in labs]
        frames = []
        for label, traj, scenario in zip(
            self.labels, self.trajectories, self.scenarios, strict=True
        ):
            counts = destination_counts(traj, month).set_index("lab")
            frame = counts.reindex(labs, fill_value=0.0).rename_axis("lab").reset_index()
            frame.insert(0, "scenario", label)
            frame["in_world"] = frame["lab"].isin(scenario.world.existing_labs)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


def compare(
    scenarios: list[Scenario],
    replicates: int | None = None,
    seed: int | None = None,
    progress: bool | None = False,
) -> Comparison:
    """Simulate scenarios with common random numbers; the first one is the reference.

    Every scenario gets the reference's replicate seeds and the reference's parameter draws,
    with its own fixed ``[params]`` values (those other than ``from``) applied on top (see the
    module docstring for the rule and why). Where the reference starts from the observed state
    (``from_observed``), every scenario does, each forced through its world's observed months
    with latent terms drawn given the history (:mod:`sim.likelihood.forecast`): scenarios that
    differ only after the last observed month get the same draws, replicate by replicate.

    Args:
        scenarios: the reference first, then the counterfactuals.
        replicates: replicates per scenario (default: the reference's ``replicates``).
        seed: the seed of the replicate seeds and the posterior draws (default: the reference's).
        progress: show progress bars (None: only on a terminal).

    Raises:
        InputError: no scenario; scenarios with different cohorts or calendars; an unknown or
            out-of-bounds fixed parameter.
    """
    if not scenarios:
        raise InputError("nothing to compare: give at least one scenario")
    ref = scenarios[0]
    replicates = ref.spec.replicates if replicates is None else int(replicates)
    seed = ref.spec.seed if seed is None else int(seed)
    if replicates < 1:
        raise InputError(f"expected at least 1 replicate, got {replicates}")
    _check_same_cohort(scenarios)
    horizon = min((s.horizon for s in scenarios), key=ref.world.calendar.index)
    world = ref.world.compile(horizon)
    check_fits(world, replicates * len(scenarios))
    overrides = [fixed_parameters(s) for s in scenarios]  # check them all before simulating
    for s in scenarios[1:]:
        if s.params_from != ref.params_from:
            warnings.warn(
                f"{s.source}: params.from = {s.params_from!r} is not used: every scenario of a "
                f"comparison draws the reference's parameters ({ref.params_from!r}, paired "
                "replicate by replicate), its own fixed [params] values on top",
                stacklevel=2,
            )
        if ref.spec.from_observed:  # the forecast applies to every scenario: check each
            check_forecast(s.spec, s.world, s.source)
    theta, draw = ref.parameters(replicates, seed)
    seeds = ref.seeds(replicates, seed)
    thetas = [
        with_fixed(theta, fixed, source=scenario.source)
        for scenario, fixed in zip(scenarios, overrides, strict=True)
    ]
    trajectories = tuple(
        simulate(
            s.world.compile(horizon),
            own,
            seeds,
            draw=draw,
            progress=progress,
            from_observed=ref.spec.from_observed,
        )  # fmt: skip
        for s, own in zip(scenarios, thetas, strict=True)
    )
    return Comparison(
        labels=_unique_labels([s.name for s in scenarios]),
        scenarios=tuple(scenarios),
        trajectories=trajectories,
        overrides=tuple(overrides),
        seed=seed,
        horizon=horizon,
        parameter_source=ref.params_from,
    )


def all_scenarios(reference: str = BASELINE) -> list[Scenario]:
    """The reference scenario, then every scenario beside it that ``extends`` it, by file name.

    Scenarios that extend it through another (a chain) count too.
    """
    ref = load_scenario(reference)
    found = [ref]
    for path in sorted(ref.path.parent.glob("*.toml")):
        if path.resolve() == ref.path:
            continue
        scenario = load_scenario(path)
        if str(ref.path) in scenario.chain[1:]:
            found.append(scenario)
    return found


def _check_same_cohort(scenarios: list[Scenario]) -> None:
    first = scenarios[0].world
    for scenario in scenarios[1:]:
        w = scenario.world
        if (
            w.researchers != first.researchers
            or w.start_labs != first.start_labs
            or w.calendar.start != first.calendar.start
            or w.focal_lab != first.focal_lab
        ):
            raise InputError(
                f"scenario {scenario.name!r} has another cohort than {scenarios[0].name!r}: paired "
                "differences need the same researchers with the same start labs, start month "
                "and focal lab",
                source=scenario.source,
                key="world",
            )


def _unique_labels(names: list[str]) -> tuple[str, ...]:
    labels: list[str] = []
    for name in names:
        label, k = name, 2
        while label in labels:
            label, k = f"{name} ({k})", k + 1
        labels.append(label)
    return tuple(labels)


# --------------------------------------------------------------------------- statistics
def _quantiles(values: np.ndarray) -> tuple[float, float]:
    return tuple(float(q) for q in np.quantile(values, (0.05, 0.95), method="inverted_cdf"))


def _estimate(values: np.ndarray, kind: str) -> dict:
    """Point estimate and 90% interval of one scenario's statistic."""
    if kind == "probability":
        low, high = _wilson(float(values.mean()), len(values))
        return dict(estimate=float(values.mean()), low=low, high=high,
                    interval="Monte Carlo 90% (Wilson)")  # fmt: skip
    low, high = _quantiles(values)
    centre = (
        float(np.quantile(values, 0.5, method="inverted_cdf"))
        if kind == "month"
        else float(values.mean())
    )
    return dict(estimate=centre, low=low, high=high, interval="replicate quantiles 5%-95%")


def _paired(values: np.ndarray, reference: np.ndarray, kind: str) -> dict:
    """Mean and 90% interval of the per-replicate difference from the reference."""
    diff = values.astype(np.float64) - reference.astype(np.float64)
    mean = float(diff.mean())
    if kind == "probability":
        half = _Z90 * float(diff.std(ddof=1)) / math.sqrt(len(diff)) if len(diff) > 1 else 0.0
        return dict(diff_mean=mean, diff_low=mean - half, diff_high=mean + half)
    low, high = _quantiles(diff)
    return dict(diff_mean=mean, diff_low=low, diff_high=high)


def _wilson(p: float, n: int) -> tuple[float, float]:
    """Wilson score 90% interval for a proportion p out of n (Wilson 1927)."""
    z2 = _Z90**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = _Z90 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)
