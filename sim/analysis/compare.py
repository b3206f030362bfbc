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
   applies its own *fixed* values: its ``[params]`` table without ``from`` (for
   ``no-peer-pull``, ``b_peer = 0``). A scenario's own ``from`` is not used: the reference
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

Outputs (:func:`write_comparison`): ``comparison.csv`` (one row per scenario and statistic),
``replicates.csv`` (per-replicate statistics, for paired analyses), ``retention.csv``,
``difference.csv``, ``destinations.csv``, the figures ``retention.png``, ``difference.png``,
``destinations.png``, a ``report.md`` tying them together and a ``manifest.json``; each file is
written atomically (:mod:`sim.store`) and only after every simulation has finished, so a failed
comparison leaves an earlier one's files in place.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from sim.cli.common import non_negative_int, positive_int
from sim.config.params import with_fixed
from sim.config.scenario import Scenario, fixed_parameters, load_scenario
from sim.engines.simulate import simulate
from sim.errors import InputError
from sim.results import (
    Trajectories,
    checkpoint_month,
    destination_counts,
    difference_curve,
    half_gone_month,
    observed_readings,
    retention_curve,
    statistic_values,
)
from sim.world import latest_at_focal, simulated

DEFAULT_OUT = Path("out") / "compare"
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
    with latent terms drawn given the history (:mod:`sim.forecast`): scenarios that differ
    only after the last observed month get the same draws, replicate by replicate.

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
    from sim.engines.simulate import check_fits

    world = ref.world.compile(horizon)
    check_fits(world, replicates * len(scenarios))
    overrides = [fixed_parameters(s) for s in scenarios]  # check them all before simulating
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


def _long(curves: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(
        [c.assign(scenario=label)[["scenario", *c.columns]] for label, c in curves.items()],
        ignore_index=True,
    )


# --------------------------------------------------------------------------- writing
def write_comparison(comparison: Comparison, out: Path) -> list[Path]:
    """Write the comparison's tables, figures, report and manifest into ``out``.

    They go into a fresh folder swapped in for ``out`` whole (:func:`sim.store.replace_folder`).
    """
    from sim.results import replace_folder

    return replace_folder(Path(out), lambda folder: _write_comparison_files(comparison, folder))


def _write_comparison_files(comparison: Comparison, out: Path) -> list[Path]:
    from sim.reports.plot import destinations_figure, difference_figure, retention_figure
    from sim.results import provenance, save_figure, write_frame, write_json, write_text

    ref = comparison.labels[0]
    table = comparison.to_df()
    retention = comparison.retention()
    differences = comparison.differences()
    destinations = comparison.destinations()
    world = comparison.world
    written = [
        write_frame(out / "comparison.csv", table),
        write_frame(out / "replicates.csv", comparison.replicate_table()),
        write_frame(out / "retention.csv", _long(retention)),
        write_frame(
            out / "difference.csv",
            _long(differences)
            if differences
            else pd.DataFrame(columns=["scenario", "month", "mean"]),
        ),  # fmt: skip
        write_frame(out / "destinations.csv", destinations),
    ]
    fig = retention_figure(
        retention, world, title=f"{world.title}: share still at {world.focal_lab}, by scenario"
    )
    written.append(save_figure(out / "retention.png", fig))
    written.append(save_figure(out / "difference.png", difference_figure(differences, world, ref)))
    start = (world.focal_lab, *dict.fromkeys(world.start_labs))
    month = checkpoint_month(comparison.reference)
    written.append(
        save_figure(out / "destinations.png", destinations_figure(destinations, start, month))
    )
    written.append(write_text(out / "report.md", report(comparison, table)))
    manifest = {
        "command": "compare",
        "reference": ref,
        "scenarios": [
            {
                "label": label,
                "name": s.name,
                "files": list(s.chain),
                "fixed_parameters": fixed,
                "provisional_parameters": s.spec.provisional,
                "spec": s.spec.model_dump(mode="json"),
            }
            for label, s, fixed in zip(
                comparison.labels, comparison.scenarios, comparison.overrides, strict=True
            )
        ],
        "replicates": comparison.replicates,
        "seed": comparison.seed,
        "horizon": comparison.horizon,
        "common_random_numbers": (
            "every scenario uses the reference's replicate seeds and parameter draws "
            f"(params.from = {comparison.parameter_source!r} in the reference), with its own "
            "fixed [params] values applied on top"
        ),
        **provenance(),
        "files": [p.name for p in written],
    }
    written.append(write_json(out / "manifest.json", manifest))
    return written


# --------------------------------------------------------------------------- report
def report(comparison: Comparison, table: pd.DataFrame | None = None) -> str:
    """The Markdown report: the question of each scenario, a table, the figures, the answers."""
    table = comparison.to_df() if table is None else table
    world = comparison.world
    focal = world.focal_lab
    ref = comparison.labels[0]
    cell = {(r.scenario, r.statistic): r for r in table.itertuples(index=False)}
    horizon = comparison.horizon
    statistics = comparison.statistics
    month = checkpoint_month(comparison.reference)
    lines = [
        f"# Counterfactuals: what would have kept {world.title} at {focal}?",
        "",
        f"{len(comparison.labels)} scenarios, {comparison.replicates} replicates each, seed "
        f"{comparison.seed}, simulated from {world.calendar.start} to {horizon}. The reference "
        f"is **{ref}**. Common random numbers: every scenario uses the reference's replicate "
        f'seeds and parameter draws (`params.from = "{comparison.parameter_source}"`), with its '
        "own fixed parameter values on top, so each difference below is paired replicate by "
        "replicate. Intervals are 90%: the 5% and 95% quantiles across replicates (for a "
        "probability, a Monte Carlo interval).",
        "",
    ]
    if any(s.spec.provisional for s in comparison.scenarios):
        lines += [
            "> **Provisional parameters.** The reference's parameters are not calibrated yet "
            "(`provisional = true`): the numbers show how the model responds, not estimates of "
            "what would have happened.",
            "",
        ]
    lines += observed_lines(world, comparison.reference.shape[1])
    lines += ["## Summary", "", "| statistic | " + " | ".join(
        f"**{label}**" if label == ref else label for label in comparison.labels) + " |",
        "|" + "---|" * (len(comparison.labels) + 1)]  # fmt: skip
    for stat in statistics:
        row = [stat.label]
        for label in comparison.labels:
            r = cell[label, stat.name]
            value = {"count": _count, "probability": _probability}.get(stat.kind)
            text = value(r) if value else _month(r, horizon, world.calendar)
            if label != ref and stat.paired:
                text += f"; {_diff(r)}" if stat.kind != "probability" else f"; {r.diff_mean:+.2f}"
            row.append(text)
        lines.append("| " + " | ".join(row) + " |")
    headline = latest_at_focal(simulated(world, comparison.reference.shape[1]))
    headline = next(
        s for s in statistics if s.name == (headline.name if headline else "remaining_at_horizon")
    )
    lines += [
        "",
        "Each cell: mean (90% interval); after the semicolon, the paired difference from the "
        "reference: mean (90% interval of the per-replicate difference).",
        "",
        "## Each scenario: its question and the answer",
        "",
    ]
    for label, scenario in zip(comparison.labels, comparison.scenarios, strict=True):
        lines.append(f"- {_sentence(label, scenario, cell, ref, horizon, headline, focal)}")
    lines += [
        "",
        "## Figures",
        "",
        "![Retention by scenario](retention.png)",
        "",
        f"*retention.png*: share of the cohort at {focal}, month by month: mean with 50% and "
        "90% bands per scenario; the black steps are the observed history (latest and earliest "
        "reading of each move).",
        "",
        "![Paired difference from the reference](difference.png)",
        "",
        f"*difference.png*: each scenario's retention minus {ref}'s in the same replicate: mean "
        "with 50% and 90% bands. Above zero: more stay.",
        "",
        "![Destinations](destinations.png)",
        "",
        f"*destinations.png*: mean number of the cohort at each lab in {month}.",
        "",
        "## Files",
        "",
        "`comparison.csv` (this table, one row per scenario and statistic), `replicates.csv` "
        "(each replicate's statistics, for your own paired analyses), `retention.csv`, "
        "`difference.csv`, `destinations.csv`, `manifest.json` (scenario files, seeds, code "
        "version).",
        "",
    ]
    return "\n".join(lines)


def observed_lines(world, n_months: int) -> list[str]:
    """Markdown lines giving the world's declared statistics on its observed history.

    Each is read off the earliest and the latest reading of the observed moves; where the two
    differ the value is a range.
    """
    if world.observed is None:
        return []
    readings = observed_readings(world)
    parts = []
    for stat in world.statistics:
        if world.calendar.index(stat.month) >= min(n_months, world.observed.n_months):
            continue
        low, high = sorted(int(v) for v in statistic_values(stat, readings))
        parts.append(f"{stat.describe(world.focal_lab)}: {low if low == high else f'{low}-{high}'}")
    if not parts:
        return []
    return [f"Observed ({world.observed.source.rsplit('/', 1)[-1]}): " + "; ".join(parts) + ".",
            ""]  # fmt: skip


def _sentence(label, scenario, cell, ref, horizon, headline, focal) -> str:
    main, hor = cell[label, headline.name], cell[label, "remaining_at_horizon"]
    if label == ref:
        return (
            f"**{label}** (the reference): {headline.label}: {main.estimate:.1f} "
            f"(90%: {_range(main.low, main.high)}); at {focal} in {horizon}: {hor.estimate:.1f} "
            f"(90%: {_range(hor.low, hor.high)})."
        )
    return (
        f"**{label}**: {_question(scenario.spec.description)} {headline.label}: "
        f"{main.estimate:.1f} against {cell[ref, headline.name].estimate:.1f}, a paired "
        f"difference of {main.diff_mean:+.2f} (90%: {_range(main.diff_low, main.diff_high, True)}"
        f"); at {focal} in {horizon}: {hor.diff_mean:+.2f} "
        f"(90%: {_range(hor.diff_low, hor.diff_high, True)})."
    )


def _question(description: str) -> str:
    """The first sentence of a scenario's description (its question, by convention)."""
    text = " ".join(description.split())
    match = re.match(r"(.+?[?.])(\s|$)", text)
    return match.group(1) if match else text


def _range(low: float, high: float, signed: bool = False) -> str:
    def number(x: float) -> str:
        return f"{x:+g}" if signed and x != 0 else f"{x:g}"

    return f"{number(low)} to {number(high)}"


def _count(r) -> str:
    return f"{r.estimate:.1f} ({_range(r.low, r.high)})"


def _diff(r) -> str:
    return f"{r.diff_mean:+.2f} ({_range(r.diff_low, r.diff_high, True)})"


def _probability(r) -> str:
    return f"{r.estimate:.2f} ({r.low:.2f}-{r.high:.2f})"


def _month(r, horizon: str, calendar) -> str:
    def label(value: float) -> str:
        return f"after {horizon}" if math.isinf(value) else calendar.label(int(value))

    if r.low == r.high == r.estimate:
        return label(r.estimate)
    return f"{label(r.estimate)} ({label(r.low)} to {label(r.high)})"


# --------------------------------------------------------------------------- command line
def register_cli(subparsers) -> None:
    """Add ``sim compare`` to the ``sim`` command."""
    from sim.cli.common import add_command

    cmd = add_command(
        subparsers, "compare",
        "compare scenarios under common random numbers (the first is the reference)",
        "Runs every scenario with the reference's replicate seeds and parameter draws (its own\n"
        "fixed [params] values on top), so each difference is paired replicate by replicate, and\n"
        "writes comparison.csv, replicates.csv, retention.csv/.png, difference.csv/.png,\n"
        "destinations.csv/.png, report.md and manifest.json into a folder replaced whole. All\n"
        "scenarios run to the earliest of their horizons (months are YYYY-MM).",
        ["sim compare --all",
         "sim compare baseline culture-kept mistral-never-founded --replicates 5000",
         "sim compare --all --reference scenarios/openai-founders/baseline.toml "
         "--out out/openai"],
    )  # fmt: skip
    cmd.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO",
        help="scenario files or names in scenarios/; the first is the reference",
    )  # fmt: skip
    cmd.add_argument("--all", action="store_true",
                     help="the reference (--reference) and every scenario in its folder that "
                          "extends it (followed by any SCENARIO given)")  # fmt: skip
    cmd.add_argument("--reference", default=BASELINE,
                     help=f"the reference scenario of --all (default {BASELINE}; e.g. "
                          "scenarios/openai-founders/baseline.toml)")  # fmt: skip
    cmd.add_argument(
        "--replicates",
        type=positive_int,
        default=None,
        metavar="N",
        help="replicates per scenario (default: the reference's)",
    )
    cmd.add_argument("--seed", type=non_negative_int, default=None, metavar="SEED",
                     help="seed of the replicate seeds and the posterior draws (default: the "
                          "reference's)")  # fmt: skip
    cmd.add_argument(
        "--out",
        default=str(DEFAULT_OUT),
        metavar="FOLDER",
        help=f"output folder, replaced whole (default {DEFAULT_OUT})",
    )
    cmd.add_argument(
        "--from-observed", action="store_true",
        help="forecast every scenario from the observed state at the world's last observed "
             "month (default: the reference's from_observed key, else from the world's start)",
    )  # fmt: skip
    cmd.set_defaults(func=_cmd_compare)


def _cmd_compare(args: argparse.Namespace) -> int:
    if not args.scenarios and not args.all:
        raise InputError("give the scenarios to compare (the first is the reference), or --all")
    scenarios = all_scenarios(args.reference) if args.all else []
    seen = {str(s.path) for s in scenarios}
    for ref in args.scenarios:
        scenario = load_scenario(ref)
        if args.all and str(scenario.path) in seen:
            continue
        seen.add(str(scenario.path))
        scenarios.append(scenario)
    from sim.results import check_out_folder

    out = check_out_folder(Path(args.out))
    if args.from_observed:
        scenarios = [s.from_observed() for s in scenarios]
    comparison = compare(scenarios, args.replicates, args.seed, progress=None)
    written = write_comparison(comparison, out)
    print(
        f"compared {len(scenarios)} scenarios ({', '.join(comparison.labels)}) with "
        f"{comparison.replicates} replicates each: {len(written)} files in {out}/ "
        f"(see {out / 'report.md'})"
    )
    if any(s.spec.provisional for s in scenarios):
        print("note: the parameters are provisional (not calibrated).")
    return 0
