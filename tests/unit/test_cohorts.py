"""Any cohort, any calendar, any focal lab: a synthetic world made here goes through every command.

The world "acme" (``examples/acme``, the README's walk-through) runs from 2009-01, its history is known through 2011-12, its focal lab is Acme,
a spin-out is founded mid-window and one researcher leaves and comes back. Nothing in ``sim/``
may know a shipped cohort: the last test scans the package for their lab names and months.
"""

import re
import shutil
import tomllib

import numpy as np
import pandas as pd
import pytest

from sim.config.scenario import load_scenario
from sim.engines.simulate import simulate
from sim.errors import InputError
from sim.kernel.streams import replicate_seeds
from sim.results import observed_readings, statistic_values
from sim.world import load_world
from tests.conftest import REPO, cli
from tests.unit.test_engines import _check_invariants

EXAMPLE = REPO / "examples" / "acme"
WORLD_TOML = (EXAMPLE / "world" / "world.toml").read_text()
OBSERVED = (EXAMPLE / "world" / "observed.csv").read_text()


def write_acme(folder):
    """Copy the example world (the README's walk-through) into ``folder``; returns it."""
    shutil.copytree(EXAMPLE / "world", folder)
    return folder


def write_scenarios(tmp_path):
    """A baseline at prior means on the acme world, and a counterfactual in another folder."""
    write_acme(tmp_path / "worlds" / "acme")
    (tmp_path / "scen").mkdir()
    (tmp_path / "scen" / "base.toml").write_text(
        'description = "Acme at prior means"\nreplicates = 200\nseed = 7\n'
        '[world]\nname = "../worlds/acme"\n[params]\nfrom = "prior-mean"\n'
    )
    (tmp_path / "other").mkdir()
    counterfactual = tmp_path / "other" / "no-spinout.toml"
    counterfactual.write_text(
        'description = "What if the spin-out had never been founded?"\n'
        'extends = "../scen/base.toml"\n[world]\nremove_labs = ["Spinout"]\n'
    )
    return tmp_path / "scen" / "base.toml", counterfactual


@pytest.fixture
def acme(tmp_path):
    return load_world(write_acme(tmp_path / "acme"))


def test_the_world_declares_its_calendar_focus_and_statistics(acme):
    assert acme.calendar.start == "2009-01" and acme.calendar.observed_until == "2011-12"
    assert acme.focal_lab == "Acme" and acme.default_horizon == "2013-12"
    assert [s.name for s in acme.statistics][:2] == ["at_acme_2011_12", "at_spinout_2011_12"]
    assert acme.tenure_years[1] == 3.0  # unknown: the median of 2, 7, 1, 4


def test_the_observed_history_with_a_return(acme):
    readings = observed_readings(acme)
    acme_code = acme.labs.index("Acme")
    ben = acme.researchers.index("Ben")
    t = acme.calendar.index
    assert readings.labs[0, t("2009-07"), ben] == acme_code
    assert readings.labs[0, t("2009-08"), ben] == acme.labs.index("Rival")
    assert readings.labs[:, t("2011-02"), ben].tolist() == [acme_code, acme_code]
    low, high = acme.observed.focal_bounds(acme)
    # 2010-06: Ada gone (latest 2010-05), Ben away, Cyd maybe; Dee and Eve there
    assert (low[t("2010-06")], high[t("2010-06")]) == (2, 3)
    # 2011-12: Ben back, Dee and Eve: exactly 3
    assert (low[t("2011-12")], high[t("2011-12")]) == (3, 3)
    values = {s.name: statistic_values(s, readings).tolist() for s in acme.statistics}
    assert values["at_spinout_2011_12"] == [1, 1]
    assert values["left_by_2010_06"] == [3, 2]  # Cyd's exit may come after 2010-06
    assert values["destinations_2011_12"] == [2, 2]  # Spinout and Elsewhere


def test_invariants_and_engine_identity_on_another_calendar(acme, mobile_theta):
    world = acme.compile()
    assert world.n_months == 60  # 2009-01 .. 2013-12
    seeds = replicate_seeds(3, 150)
    ens = simulate(world, mobile_theta, seeds)
    _check_invariants(world, ens)
    np.testing.assert_array_equal(
        ens.labs, simulate(world, mobile_theta, seeds, engine="mesa").labs
    )
    spinout = acme.labs.index("Spinout")
    assert (ens.labs[:, : acme.calendar.index("2010-03"), :] != spinout).all()
    assert (ens.labs == spinout).any()
    returns = (ens.labs[:, :-1] != 0) & (ens.labs[:, 1:] == 0)
    assert returns.any()  # researchers do come back to the focal lab in the model too


def test_run_compare_and_calibrate_name_the_worlds_own_lab_and_months(tmp_path):
    base, counterfactual = write_scenarios(tmp_path)
    out = tmp_path / "out"
    done = cli("run", base, "--out", out / "run")
    assert done.returncode == 0, done.stderr
    summary = pd.read_csv(out / "run" / "summary.csv")
    assert "still at Acme" not in " ".join(summary["label"])  # no label of another world
    assert "at Acme in 2011-12" in set(summary["label"])
    assert "P(2 <= at Acme in 2011-12 <= 4)" in set(summary["label"])
    assert pd.read_csv(out / "run" / "retention.csv")["month"].iloc[0] == "2009-01"
    done = cli("compare", base, counterfactual, "--out", out / "cmp")
    assert done.returncode == 0, done.stderr
    report = (out / "cmp" / "report.md").read_text()
    assert "at Acme in 2011-12" in report and "simulated from 2009-01 to 2013-12" in report
    assert "Observed (observed.csv): at Acme in 2011-12: 3" in report
    table = pd.read_csv(out / "cmp" / "comparison.csv")
    spin = table[(table.scenario == "no-spinout") & (table.statistic == "at_spinout_2011_12")]
    assert spin["estimate"].item() == 0.0
    done = cli(
        "calibrate", "--scenario", base, "--out", out / "cal", "--population", 100,
        "--batch", 4000, "--predictive-replicates", 500, "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = (out / "cal" / "report.md").read_text()
    assert report.startswith("# Calibration report: The Acme five")
    assert "2009-01 .. 2011-12 history" in report and "at Acme in 2011-12" in report
    assert {p.name for p in (out / "cal").iterdir()} >= {"posterior.parquet", "ppc.png"}


def test_a_world_folder_named_relative_to_a_parent_scenario_resolves_there(tmp_path):
    base, counterfactual = write_scenarios(tmp_path)
    scenario = load_scenario(counterfactual)
    assert scenario.world.calendar.start == "2009-01"
    assert scenario.world.founded[scenario.world.labs.index("Spinout")] == "never"


BAD_OBSERVED = {
    "a move before the start": ("Ada,2010-03,2010-05", "Ada,2008-03,2010-05",
                                r"row 2, column earliest.*expected 2009-01 or later"),
    "a move to a lab not yet founded": ("Ada,2010-03,2010-05", "Ada,2009-10,2010-02",
                                        r"row 2.*'Spinout' does not exist from its founding"),
    "rows out of order": ("Ben,2011-02,2011-02", "Ben,2009-05,2009-06",
                          r"row 4.*chronological order"),
    "a researcher missing": ("Eve,,,,,stayed\n", "", r"no row for Eve"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_OBSERVED))
def test_bad_observed_histories_name_the_file_and_row(tmp_path, case):
    old, new, message = BAD_OBSERVED[case]
    folder = write_acme(tmp_path / "acme")
    (folder / "observed.csv").write_text(OBSERVED.replace(old, new))
    with pytest.raises(InputError, match=rf"observed.csv.*{message}"):
        load_world(folder)


def test_bad_world_declarations_exit_2_from_the_command_line(tmp_path):
    base, _ = write_scenarios(tmp_path)
    toml = tmp_path / "worlds" / "acme" / "world.toml"
    toml.write_text(WORLD_TOML.replace('month = "2010-06"', 'month = "2008-06"'))
    done = cli("run", base, "--out", tmp_path / "out")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "world.toml" in done.stderr and "statistic[2].month" in done.stderr
    assert not (tmp_path / "out").exists()


def _shipped_world_constants():
    """Every lab name, researcher name and declared month of the shipped worlds."""
    names, months = set(), set()
    for folder in (REPO / "sim" / "data").iterdir():
        declared = tomllib.loads((folder / "world.toml").read_text())
        months |= {declared["start"], declared.get("observed_until", ""), declared["horizon"]}
        months |= {s["month"] for s in declared.get("statistic", [])}
        names |= set(pd.read_csv(folder / "labs.csv")["name"])
        names |= set(pd.read_csv(folder / "cohort.csv")["name"])
    return names - {""}, months - {""}


def test_no_code_in_the_package_knows_a_shipped_cohort():
    names, months = _shipped_world_constants()
    found = []
    for path in (REPO / "sim").rglob("*.py"):
        text = path.read_text()
        for name in names:
            if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
                found.append(f"{path.name}: {name}")
        for month in months:
            if month in text:
                found.append(f"{path.name}: {month}")
    assert not found, f"cohort constants in the package: {found}"
