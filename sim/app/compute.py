"""The page's numbers for one set of settings, and the attribution of the edited exodus.

:func:`compute`: the edited scenario, loaded from the file that
:func:`sim.app.scenario_file.scenario_toml` writes, against the unedited reference under common
random numbers (:func:`sim.analysis.compare.compare`: same replicate seeds and parameter draws)
and the baseline (same seed); the headline number is the mean number of the cohort still at the
focal lab at the checkpoint month, as ``sim run`` would report it for the downloaded file at the
same seed and replicates. :meth:`Result.against` is the edited scenario against one reference
(:data:`COMPARE_WITH`: the baseline or the unedited scenario), the one object every panel reads.
:func:`attribution` reads :mod:`sim.analysis.explain` on the edited scenario where it is
installed.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from sim.analysis.compare import compare
from sim.app.reference import Reference, load_reference
from sim.app.scenario_file import (
    load_settings_scenario,
    scenario_name,
    scenario_toml,
    with_parameter_source,
)
from sim.app.settings import Settings
from sim.config.scenario import Scenario
from sim.engines.run import run_scenario
from sim.errors import InputError
from sim.results import checkpoint_month, destination_counts, retention_curve
from sim.results.measures import curve_table


# --------------------------------------------------------------------------- the numbers
@dataclass(frozen=True)
class Result:
    """What the page shows for one set of settings."""

    settings: Settings
    toml: str
    scenario: Scenario  # the edited scenario, loaded from ``toml``
    comparison: object  # sim.compare.Comparison: [reference, edited], same seeds and draws
    baseline: object  # sim.results.Trajectories of the world's baseline, same seed
    baseline_label: str
    checkpoint: str
    at_focal: float  # mean number still at the focal lab at the checkpoint, edited scenario
    reference_at_focal: float
    baseline_at_focal: float
    difference: float  # mean paired difference (edited - reference) at the checkpoint
    difference_interval: tuple[float, float]  # its 5% and 95% quantiles across replicates
    seconds: float  # simulation time (every scenario)
    researcher_months: int  # simulated, all scenarios together
    notes: tuple[str, ...] = ()
    timings: dict = field(default_factory=dict)

    @property
    def edited(self):
        """The edited scenario's histories."""
        return self.comparison.trajectories[1]

    @property
    def reference(self):
        """The unedited reference's histories (same seeds and parameter draws)."""
        return self.comparison.trajectories[0]

    @property
    def labels(self) -> tuple[str, str]:
        """(reference label, edited label)."""
        return self.comparison.labels[0], self.comparison.labels[1]

    @property
    def world(self):
        """The reference's world."""
        return self.comparison.world

    def headline(self) -> str:
        """The number the page reports, in words (the browser tests read it)."""
        world = self.world
        return (
            f"Still at {world.focal_lab} in {self.checkpoint}: {self.at_focal:.3f} of "
            f"{len(world.researchers)} (mean of {self.edited.shape[0]:,} replicates)"
        )

    def against(self, which: str) -> Against:
        """The edited scenario against one reference: ``baseline`` or ``scenario`` (unedited).

        Raises:
            InputError: ``which`` is neither.
        """
        if which not in COMPARE_WITH:
            raise InputError(
                f"expected one of {', '.join(COMPARE_WITH)}, got {which!r}", key="compare with"
            )
        if which == "baseline":
            label, traj = self.baseline_label, self.baseline
        else:
            label, traj = self.labels[0], self.reference
        same = self.baseline is self.reference
        return Against(
            which=which,
            label=label,
            description=_reference_words(which, label, self.labels[0], same),
            edited_label=self.labels[1],
            reference=traj,
            edited=self.edited,
            checkpoint=self.checkpoint,
            edits=self.settings.edits(),
        )


#: What the page can compare the edited scenario with: the world's baseline, or the scenario as
#: it was opened (unedited). The page opens on the baseline.
COMPARE_WITH = ("baseline", "scenario")


def _reference_words(which: str, label: str, scenario: str, same: bool) -> str:
    if same:
        return f"{label} (the scenario as opened, unedited; it is the world's baseline)"
    if which == "baseline":
        return f"{label} (the world's baseline)"
    return f"{label} (the scenario as opened, unedited)"


@dataclass(frozen=True)
class Against:
    """The edited scenario against one reference, under common random numbers.

    Every panel of the page reads this one object, so they all compare with the same reference
    (:attr:`label`). Both have the same replicate seeds (and the same parameter draws where they
    draw from the same source), so differences are paired replicate by replicate.
    """

    which: str  # "baseline" or "scenario"
    label: str  # the reference's name, as the charts' legends show it
    description: str  # the reference in words, for the page's header
    edited_label: str
    reference: object  # sim.results.Trajectories
    edited: object
    checkpoint: str
    edits: bool  # whether the page has edited the scenario at all

    @property
    def cohort_size(self) -> int:
        """Researchers in the cohort."""
        return self.edited.shape[2]

    @cached_property
    def paired(self) -> np.ndarray:
        """Per replicate and month: number at the focal lab, edited minus reference [R, T]."""
        return self.edited.at_focal().astype(np.int64) - self.reference.at_focal()

    @property
    def month_index(self) -> int:
        """The checkpoint's index in the simulated months."""
        return self.edited.world.calendar.index(self.checkpoint)

    @property
    def reference_at_focal(self) -> float:
        """Mean number of the cohort still at the focal lab at the checkpoint, reference."""
        return float(self.reference.at_focal()[:, self.month_index].mean())

    @property
    def difference(self) -> float:
        """Mean paired difference (edited minus reference) at the checkpoint, in researchers."""
        return float(self.paired[:, self.month_index].mean())

    @property
    def difference_interval(self) -> tuple[float, float]:
        """5% and 95% quantiles of the paired difference at the checkpoint across replicates."""
        low, high = np.quantile(
            self.paired[:, self.month_index], [0.05, 0.95], method="inverted_cdf"
        )
        return float(low), float(high)

    @property
    def zero(self) -> bool:
        """Whether the two are the same in every replicate and month (nothing to show)."""
        return not self.paired.any()

    def difference_curve(self) -> pd.DataFrame:
        """The paired difference month by month, in researchers: mean and quantiles."""
        return curve_table(self.paired, self.edited.month_labels())

    def retention(self) -> dict[str, pd.DataFrame]:
        """Reference's curve, then the edited scenario's: shares (:func:`retention_curve`)."""
        return {
            self.label: retention_curve(self.reference),
            self.edited_label: retention_curve(self.edited),
        }

    def destinations(self) -> pd.DataFrame:
        """Mean number of the cohort at each lab at the checkpoint: scenario, lab, mean."""
        labs: list[str] = []
        for traj in (self.reference, self.edited):
            labs += [lab for lab in traj.lab_names if lab not in labs]
        frames = []
        for label, traj in ((self.label, self.reference), (self.edited_label, self.edited)):
            counts = destination_counts(traj, self.checkpoint).set_index("lab")
            frame = counts.reindex(labs, fill_value=0.0).rename_axis("lab").reset_index()
            frame.insert(0, "scenario", label)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def destinations_table(self) -> pd.DataFrame:
        """Destinations, one row per lab with a column per scenario (labs with anyone)."""
        frame = self.destinations()
        order = [self.label, self.edited_label]
        wide = frame.pivot(index="lab", columns="scenario", values="mean")[order]
        wide = wide[wide.max(axis=1) >= 0.005]
        return wide.sort_values(order[1], ascending=False).round(3).reset_index()


def compute(settings: Settings, reference: Reference | None = None) -> Result:
    """Run the settings: the edited scenario against the reference and the baseline.

    The edited scenario is loaded from :func:`scenario_toml`'s text, so the numbers are those of
    the file the page offers for download. Reference and edited run under common random numbers
    (:func:`sim.analysis.compare.compare`); the baseline runs with the same seed (same replicate
    seeds, same posterior draws where both draw from the same posterior). Where the page takes the
    parameters from elsewhere than the reference does (``params_from``), reference and baseline
    take them from there too, so the paired difference isolates the edits.

    Raises:
        InputError: a lever out of range, or a scenario that cannot be run (as on the command
            line).
    """
    timings = {}
    start = time.perf_counter()
    reference = reference or load_reference(settings.scenario)
    text = scenario_toml(settings, reference)
    edited = load_settings_scenario(text, scenario_name(settings, reference))
    ref = with_parameter_source(reference.scenario, settings.params_from)
    base = with_parameter_source(reference.baseline, settings.params_from)
    seed = ref.spec.seed if settings.seed is None else settings.seed
    timings["load"] = time.perf_counter() - start
    t0 = time.perf_counter()
    comparison = compare([ref, edited], settings.replicates, seed)
    if reference.baseline.path == reference.scenario.path:
        baseline = comparison.reference
    else:
        baseline = run_scenario(base, settings.replicates, seed)
    seconds = time.perf_counter() - t0
    timings["simulate"] = seconds
    t1 = time.perf_counter()
    edited_traj, ref_traj = comparison.trajectories[1], comparison.trajectories[0]
    checkpoint = checkpoint_month(edited_traj)
    t = edited_traj.world.calendar.index(checkpoint)
    at_edit = edited_traj.at_focal()[:, t].astype(np.float64)
    at_ref = ref_traj.at_focal()[:, t].astype(np.float64)
    diff = at_edit - at_ref
    low, high = np.quantile(diff, [0.05, 0.95], method="inverted_cdf")
    n_months = edited_traj.shape[1]
    researcher_months = sum(
        tr.shape[0] * tr.shape[2] * n_months
        for tr in (*comparison.trajectories, *(() if baseline is ref_traj else (baseline,)))
    )
    notes = []
    if settings.params_from == "prior-mean" and reference.scenario.params_from == "posterior":
        if not reference.posterior_available:
            notes.append(
                f"No posterior for this world yet ({reference.scenario.posterior_path()} is "
                "missing: run `sim calibrate`): the parameters are the prior means."
            )
    dropped = [o for o in settings.offsets if o.lab in settings.labs_removed]
    if dropped:
        notes.append(
            "Offsets on removed labs are left out: "
            + ", ".join(f"{o.lab} {o.attribute}" for o in dropped)
            + "."
        )
    timings["summaries"] = time.perf_counter() - t1
    return Result(
        settings=settings,
        toml=text,
        scenario=edited,
        comparison=comparison,
        baseline=baseline,
        baseline_label=_baseline_label(reference, comparison),
        checkpoint=checkpoint,
        at_focal=float(at_edit.mean()),
        reference_at_focal=float(at_ref.mean()),
        baseline_at_focal=float(baseline.at_focal()[:, t].mean()),
        difference=float(diff.mean()),
        difference_interval=(float(low), float(high)),
        seconds=seconds,
        researcher_months=int(researcher_months),
        notes=tuple(notes),
        timings=timings,
    )


def _baseline_label(reference: Reference, comparison) -> str:
    if reference.baseline.path == reference.scenario.path:
        return comparison.labels[0]
    name = reference.baseline.name
    return name if name not in comparison.labels else f"{name} (baseline)"


def expected_seconds(settings: Settings, reference: Reference, rate: float | None = None) -> float:
    """A rough duration of :func:`recompute` at ``rate`` researcher-months a second.

    ``rate`` is best the last recompute's (simulated researcher-months over its whole time);
    the default is what a posterior-drawn LLaMA run with its figures does on 2 cores.
    """
    rate = rate or 2.0e6
    n = len(reference.world.researchers) * len(reference.months)
    runs = 2 if reference.baseline.path == reference.scenario.path else 3
    return runs * settings.replicates * n / rate


# --------------------------------------------------------------------------- attribution
def explain_module():
    """``sim.explain`` where it is installed, else None (the page then skips the view)."""
    try:
        return importlib.import_module("sim.analysis.explain")
    except ModuleNotFoundError as exc:
        if exc.name in ("sim.analysis.explain", "sim.analysis", "sim"):
            return None
        raise


#: Replicates per parameter source for the page's attribution (it simulates every coalition).
ATTRIBUTION_REPLICATES = 100


@dataclass(frozen=True)
class Attribution:
    """The edited scenario's exodus attributed to its causes: the page's waterfall and table.

    Attributes:
        frame: one row per (source, cause group): the mean number of the cohort the cause pushed
            out of the focal lab by :attr:`month` (negative: kept there), with its 90% interval
            (``low``, ``high``); the ``total`` rows last.
        levels: source -> (number gone with every cause off, number gone in the scenario).
        month: the checkpoint month.
        label: the statistic in words.
        replicates: replicates per source.
        seconds: how long it took.
    """

    frame: pd.DataFrame
    levels: dict[str, tuple[float, float]]
    month: str
    label: str
    replicates: int
    seconds: float

    @property
    def sources(self) -> list[str]:
        """The parameter sources, posterior first."""
        return list(self.levels)

    @property
    def groups(self) -> list[str]:
        """The cause groups in the world's order (``total`` excluded)."""
        return [g for g in dict.fromkeys(self.frame["group"]) if g != "total"]

    def table(self) -> pd.DataFrame:
        """One row per cause group, a column per source: "mean (low to high)"."""
        frame = self.frame.assign(
            value=[
                f"{m:+.2f} ({lo:+.2f} to {hi:+.2f})"
                for m, lo, hi in zip(
                    self.frame["mean"], self.frame["low"], self.frame["high"], strict=True
                )
            ]
        )
        wide = frame.pivot(index="group", columns="source", values="value")
        order = list(dict.fromkeys(frame["group"]))
        wide = wide.loc[order, self.sources]
        wide.columns = [f"pushed out by {self.month}, {s}" for s in wide.columns]
        return wide.reset_index().rename(columns={"group": "cause"})


def attribution(result: Result, replicates: int = ATTRIBUTION_REPLICATES) -> Attribution | None:
    """The edited scenario's exodus attributed to its causes by ``sim.explain``, or None.

    ``sim.explain.explain`` (Shapley values of the world's default cause groups, under the
    scenario's parameters and under the prior) on the edited scenario, with the page's seed and
    at most ``replicates`` replicates. None where ``sim.explain`` is absent.
    """
    module = explain_module()
    if module is None:
        return None
    start = time.perf_counter()
    n = min(int(replicates), result.edited.shape[0])
    explanation = module.explain(result.scenario, n, result.comparison.seed)
    table = explanation.to_df()
    frame = table[table["statistic"] == explanation.gone_name]
    frame = frame[["source", "group", "mean", "low", "high"]].reset_index(drop=True)
    levels = explanation.levels_df()
    base = levels[levels["statistic"] == explanation.gone_name].set_index("source")
    return Attribution(
        frame=frame,
        levels={
            s: (float(base.loc[s, "all_off"]), float(base.loc[s, "scenario"]))
            for s in explanation.sources
        },
        month=explanation.month,
        label=explanation.gone_label,
        replicates=n,
        seconds=time.perf_counter() - start,
    )


def cause_order(result: Result) -> list[str]:
    """The cause groups of the world's baseline, in order (the page's cause colours follow it).

    So a cause keeps its colour whichever scenario of the world is attributed.
    """
    module = explain_module()
    if module is None:
        return []
    return list(module.default_causes(result.baseline.world).names)
