"""Posterior predictive p-values for every declared statistic and every curve month (issue 25),
not only for the ``[[target]]`` rows: exact shares on simulated histories of the Acme world."""

import numpy as np
import pytest

from sim.config.scenario import load_scenario
from sim.engines.simulate import simulate
from sim.inference.abc.targets import load_targets
from sim.inference.predictive import curve_column, predictive_p_values, predictive_statistics
from sim.kernel.streams import replicate_seeds
from sim.reports.calibration import p_value_lines
from sim.results import observed_readings, summary_functions
from sim.world import Statistic
from tests.conftest import MOBILE, REPO, theta_of


@pytest.fixture(scope="module")
def acme():
    scenario = load_scenario(REPO / "examples" / "acme" / "scenarios" / "baseline.toml")
    world = scenario.world
    late = Statistic(name="at_acme_2013_06", kind="at_focal", month="2013-06")  # unobserved
    world = world.replace(statistics=(*world.statistics, late))
    traj = simulate(
        world.compile(scenario.horizon), np.tile(theta_of(**MOBILE), (300, 1)),
        replicate_seeds(1, 300),
    )  # fmt: skip
    targets = load_targets(world)
    return world, targets, predictive_statistics(traj, targets), traj


def test_every_observed_statistic_and_curve_month_has_a_row(acme):
    world, targets, stats, _ = acme
    rows = {p.summary: p for p in predictive_p_values(targets, stats, world)}
    assert list(rows) == [
        "at_acme_2011_12",
        "at_spinout_2011_12",
        "left_by_2010_06",
        "destinations_2011_12",
        "remaining@2010-06",
        "remaining@2011-06",
    ]  # fmt: skip  (at_acme_2013_06 is after the observed history: no row)
    assert rows["at_acme_2011_12"].source == "target" and rows["at_acme_2011_12"].observed == "3"
    assert rows["left_by_2010_06"].source == "observed.csv"
    assert rows["remaining@2010-06"].source == "curve band"


def test_the_shares_are_exact_against_the_observed_readings_and_band(acme):
    world, targets, stats, traj = acme
    rows = {p.summary: p for p in predictive_p_values(targets, stats, world)}
    readings = summary_functions(world)["left_by_2010_06"](observed_readings(world))
    low, high = min(readings), max(readings)
    x = stats["left_by_2010_06"].to_numpy()
    p = rows["left_by_2010_06"]
    assert (p.low, p.high) == (low, high)
    assert p.at_most == np.mean(x <= high) and p.at_least == np.mean(x >= low)
    band_low, band_high = world.observed.focal_bounds(world)
    t = world.calendar.index("2010-06")
    counts = traj.at_focal()[:, t]
    assert np.array_equal(stats[curve_column("2010-06")].to_numpy(), counts)
    p = rows["remaining@2010-06"]
    assert (p.low, p.high) == (band_low[t], band_high[t])
    assert p.at_most == np.mean(counts <= band_high[t])
    assert p.at_least == np.mean(counts >= band_low[t])


def test_without_an_observed_history_only_the_targets_are_read(acme):
    world, targets, stats, _ = acme
    rows = predictive_p_values(targets, stats, world.replace(observed=None))
    assert [p.summary for p in rows] == ["at_acme_2011_12"]


def test_the_report_table_has_one_row_per_statistic_and_month(acme):
    world, targets, stats, _ = acme
    lines = p_value_lines(targets, stats, world)
    table = [line for line in lines if line.startswith("| ") and "---" not in line]
    assert table[0].startswith("| statistic | observed | read against |")
    assert len(table) == 1 + 6
    assert any(line.startswith("| left_by_2010_06 | ") and " .. " in line for line in table)
