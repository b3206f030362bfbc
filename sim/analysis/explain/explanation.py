"""The result of an attribution: per-replicate Shapley values and their summaries.

Statistics: the number gone from the focal lab at the checkpoint month (N minus the count
there), the retention curve (share at the focal lab, each month through the checkpoint) and each
researcher's probability of having left by the checkpoint. The reported value is the mean over
replicates (and so over posterior draws) with a 90% Monte Carlo interval, mean +- 1.645 * sd /
sqrt(R); with permutation sampling (Castro et al. 2009) it adds the sampled orders' error (a
crossed design: var = s_r^2 / R + s_k^2 / K, slightly conservative).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.analysis.explain.causes import TOTAL, Causes
from sim.config.scenario import Scenario
from sim.world import World

#: Replicates below which the normal-approximation interval is not given (shown as n/a).
MIN_INTERVAL_REPLICATES = 20
_Z90 = 1.6448536269514722  # standard normal 95% quantile: two-sided 90% interval


@dataclass(frozen=True)
class Explanation:
    """The attribution of a scenario's exodus to its causes (see :mod:`sim.analysis.explain`).

    Statistics are columns of the value arrays: column 0 the number gone from the focal lab at
    the checkpoint; columns 1 .. T the share at the focal lab at the end of months 0 .. T-1 (T-1
    the checkpoint); the next N columns each researcher's probability of having left by then.

    Attributes:
        causes: the groups.
        month: the checkpoint month.
        sources: parameter sources, in row-block order (``posterior``, ``prior``).
        replicates: R, replicates per source.
        seed: the seed of the replicate seeds, the parameter draws and the sampled orders.
        method: ``exact`` or ``permutation`` (as run).
        orders: the sampled orders (permutation sampling; 0 when exact).
        active: per group, whether it was simulated (False: an exact dummy, 0 by construction).
        phi: per-replicate Shapley values, float [G, S*R, K] (rows: source by source).
        all_off: per-replicate values with every cause off, float [S*R, K].
        all_on: per-replicate values of the scenario, float [S*R, K].
        order_means: per source, float [G, orders, K], the mean marginal effects of each sampled
            order (permutation sampling only).
        coalitions: the number of coalitions simulated.
        scenario: the scenario (None where the world was given directly).
        parameter_source: where the ``posterior`` block's parameters come from.
        seconds: wall time of the simulations.
    """

    causes: Causes
    month: str
    sources: tuple[str, ...]
    replicates: int
    seed: int
    method: str
    orders: int
    active: tuple[bool, ...]
    phi: np.ndarray = field(repr=False)
    all_off: np.ndarray = field(repr=False)
    all_on: np.ndarray = field(repr=False)
    order_means: tuple[np.ndarray, ...] = field(default=(), repr=False)
    coalitions: int = 0
    scenario: Scenario | None = None
    parameter_source: str = ""
    seconds: float = 0.0

    @property
    def world(self) -> World:
        """The scenario's world (all causes on)."""
        return self.causes.world

    @property
    def n_months(self) -> int:
        """T, the months simulated (start through the checkpoint)."""
        return self.world.calendar.index(self.month) + 1

    @property
    def months(self) -> list[str]:
        """The simulated months, ``YYYY-MM``."""
        return self.world.calendar.labels(self.n_months)

    @property
    def gone_name(self) -> str:
        """The name of the checkpoint statistic, ``gone_YYYY_MM``."""
        return f"gone_{self.month.replace('-', '_')}"

    @property
    def gone_label(self) -> str:
        """The checkpoint statistic in words."""
        return f"not at {self.world.focal_lab} in {self.month} (researchers)"

    @property
    def left_name(self) -> str:
        """The name of the per-researcher statistic, ``p_left_by_YYYY_MM``."""
        return f"p_left_by_{self.month.replace('-', '_')}"

    def statistic_names(self) -> list[str]:
        """The cohort statistics, in column order: gone, then the curve ``retention_YYYY_MM``."""
        return [self.gone_name] + [f"retention_{m.replace('-', '_')}" for m in self.months]

    def rows(self, source: str) -> slice:
        """The rows of a source's replicates."""
        k = self.sources.index(source)
        return slice(k * self.replicates, (k + 1) * self.replicates)

    def _interval(self, values: np.ndarray, extra_var: np.ndarray | None = None, level=False):
        """Mean and 90% interval over replicates; NaN (not available) for too few replicates.

        Below :data:`MIN_INTERVAL_REPLICATES` the normal approximation does not hold. ``level``:
        a count (first column) and shares of the cohort (the rest), whose interval stays within
        what they can take (>= 0; shares <= 1).
        """
        mean = values.mean(axis=0)
        n = values.shape[0]
        if n < MIN_INTERVAL_REPLICATES:
            nan = np.full_like(mean, np.nan, dtype=np.float64)
            return mean, nan, nan.copy()
        var = values.var(axis=0, ddof=1) / n
        if extra_var is not None:
            var = var + extra_var
        half = _Z90 * np.sqrt(var)
        low, high = mean - half, mean + half
        if level:
            low = np.maximum(low, 0.0)
            high = np.concatenate([high[:1], np.minimum(high[1:], 1.0)])
        return mean, low, high

    def summary(self, source: str) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Group name (and ``total``, ``all_off``, ``scenario``) -> (mean, low, high), each [K].

        The 90% Monte Carlo interval of the mean over replicates: mean +- 1.645 * sd / sqrt(R)
        (with permutation sampling, plus the sampled orders' error); NaN (not available) with
        fewer than :data:`MIN_INTERVAL_REPLICATES` replicates, where the normal approximation
        does not hold.
        """
        rows = self.rows(source)
        out = {}
        p = self.sources.index(source)
        for g, group in enumerate(self.causes.groups):
            extra = None
            if self.order_means and self.active[g]:
                index = sum(self.active[:g])
                means = self.order_means[p][index]
                extra = means.var(axis=0, ddof=1) / self.orders if self.orders > 1 else None
            out[group.name] = self._interval(self.phi[g, rows], extra)
        out[TOTAL] = self._interval(self.all_on[rows] - self.all_off[rows])
        out["all_off"] = self._interval(self.all_off[rows], level=True)
        out["scenario"] = self._interval(self.all_on[rows], level=True)
        return out

    def to_df(self) -> pd.DataFrame:
        """``attribution.csv``: source, group, statistic, mean, low, high (groups, then total).

        Statistics: the number gone at the checkpoint, then the retention curve month by month.
        The ``total`` rows are the scenario minus every cause off, the sum of the groups' rows.
        """
        names = self.statistic_names()
        k = len(names)
        frames = []
        for source in self.sources:
            summary = self.summary(source)
            for group in (*self.causes.names, TOTAL):
                mean, low, high = (a[:k] for a in summary[group])
                frames.append(
                    pd.DataFrame(
                        {
                            "source": source,
                            "group": group,
                            "statistic": names,
                            "mean": mean,
                            "low": low,
                            "high": high,
                        }
                    )
                )
        return pd.concat(frames, ignore_index=True)

    def levels_df(self) -> pd.DataFrame:
        """``levels.csv``: every statistic with every cause off and in the scenario, per source."""
        names = self.statistic_names() + [self.left_name] * len(self.world.researchers)
        researchers = [""] * (len(names) - len(self.world.researchers)) + list(
            self.world.researchers
        )
        frames = []
        for source in self.sources:
            summary = self.summary(source)
            frame = pd.DataFrame({"source": source, "statistic": names, "researcher": researchers})
            for level in ("all_off", "scenario"):
                mean, low, high = summary[level]
                frame[level], frame[f"{level}_low"], frame[f"{level}_high"] = mean, low, high
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def per_researcher_df(self) -> pd.DataFrame:
        """``per_researcher.csv``: each researcher's probability of having left, attributed.

        Columns: source, researcher, group, statistic, mean, low, high, p_all_off, p_scenario;
        one row per source, researcher and group, then the ``total`` (the scenario minus every
        cause off).
        """
        start = 1 + self.n_months
        people = list(self.world.researchers)
        frames = []
        for source in self.sources:
            summary = self.summary(source)
            off = summary["all_off"][0][start:]
            on = summary["scenario"][0][start:]
            for group in (*self.causes.names, TOTAL):
                mean, low, high = (a[start:] for a in summary[group])
                frames.append(
                    pd.DataFrame(
                        {
                            "source": source,
                            "researcher": people,
                            "group": group,
                            "statistic": self.left_name,
                            "mean": mean,
                            "low": low,
                            "high": high,
                            "p_all_off": off,
                            "p_scenario": on,
                        }
                    )
                )
        return pd.concat(frames, ignore_index=True)
