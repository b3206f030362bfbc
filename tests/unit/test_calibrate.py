"""Calibration: targets, priors and observed data are checked; the sampler is reproducible."""

import shutil

import numpy as np
import pytest

from sim.config.params import prior_means
from sim.errors import InputError
from sim.inference.abc.smc import CalibrationSettings, abc_smc, calibration_world
from sim.inference.abc.targets import (
    Target,
    check_observed_against_targets,
    distances,
    load_targets,
)
from sim.inference.priors import load_priors
from sim.kernel.behavior import FOUNDING_NAMES, PARAMETER_NAMES
from sim.results import Trajectories
from sim.world import load_world
from tests.conftest import REPO, bare_world, cli, llama_variant

LLAMA = REPO / "sim" / "data" / "llama"


def _traj(labs_at_2025_05):
    """A one-month-per-row history whose month index 27 (2025-05) holds the given labs."""
    labs = np.zeros((len(labs_at_2025_05), 28, 3), dtype=np.int8)
    labs[:, 27, :] = labs_at_2025_05
    world = bare_world(
        ("Meta", "Mistral", "Other"), "abc",
        [("remaining_2025_05", "at_focal", "2025-05", {}),
         ("at_mistral_2025_05", "at_lab", "2025-05", {"lab": "Mistral"})],
    )  # fmt: skip
    return Trajectories(
        labs, np.arange(len(labs), dtype=np.uint64), np.zeros((len(labs), 12)), world
    )


def test_target_miss_counts_the_distance_outside_the_accepted_set():
    traj = _traj([[0, 0, 0], [0, 1, 2], [1, 1, 2]])  # 3, 1 and 0 left at Meta
    exact = Target(summary="remaining_2025_05", observed=1, why="a test target, exact")
    near = Target(summary="remaining_2025_05", observed=1, tolerance=1, why="a test target, near")
    least = Target(
        summary="at_mistral_2025_05", observed=2, direction="at_least", why="at least two"
    )
    np.testing.assert_array_equal(exact.miss(traj), [2, 0, 1])
    np.testing.assert_array_equal(near.miss(traj), [1, 0, 0])
    np.testing.assert_array_equal(least.miss(traj), [2, 1, 0])
    np.testing.assert_array_equal(distances(traj, [exact, least]), [4, 1, 1])


def test_shipped_targets_agree_with_the_observed_history(llama):
    targets = load_targets(llama)
    check_observed_against_targets(llama, targets, "targets.toml")
    curve = next(t for t in targets if not isinstance(t, Target))
    # the band the intervals allow; a move to a lab founded inside its interval counts from the
    # founding (Grave cannot be gone before Kyutai's 2023-11, Goyal before TML's 2025-02)
    assert curve.low == [6, 5, 5, 4] and curve.high == [10, 7, 7, 6]
    assert {t.summary for t in targets if isinstance(t, Target)} == {
        "remaining_2025_05",
        "at_mistral_2025_05",
        "gone_by_2023_09",
        "other_labs_2025_05",
    }


BAD_TARGETS = [
    (
        '[[target]]\nsummary = "remaning_2025_05"\nobserved = 3\nwhy = "typo in the summary"\n',
        r"targets.toml, at target\[0\].summary: unknown summary 'remaning_2025_05' \(did you mean 'remaining_2025_05'\?\)",
    ),
    (
        '[[target]]\nsummary = "remaining_2025_05"\nobserved = 3\ntolerance = -1\nwhy = "negative tolerance"\n',
        r"target\[0\].tolerance",
    ),
    ('[[target]]\nsummary = "remaining_2025_05"\nobserved = 3\n', r"target\[0\].why"),
    (
        '[[curve]]\nmonths = ["2026-01"]\nwhy = "a month outside the observed window"\n',
        r"curve\[0\].months: month 2026-01 is after the observed history, which ends 2025-05",
    ),
    (
        '[[targets]]\nsummary = "remaining_2025_05"\n',
        r"expected only \[\[target\]\] and \[\[curve\]\]",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_TARGETS)
def test_bad_targets_files_name_the_file_and_key(tmp_path, llama, text, message):
    path = tmp_path / "targets.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_targets(llama, path)


BAD_PRIORS = [
    (
        "[b_peer]\nlow = 5.0\nhigh = 2.0\n",
        r"priors.toml, at b_peer: inverted bounds: low 5 must be below high 2",
    ),
    ("[b_peer]\nhigh = 50.0\n", r"exceed the declared range \[0, 20\]"),
    ("[b_pear]\nsd = 1.0\n", r"unknown parameter 'b_pear' \(did you mean 'b_peer'\?\)"),
    ("[k0]\nsd = 0.0\n", r"at k0.sd: sd must be > 0"),
    ('[k0]\nmean = "high"\n', r"at k0.mean: expected a number"),
]


@pytest.mark.parametrize(("text", "message"), BAD_PRIORS)
def test_bad_priors_are_clear_errors(tmp_path, text, message):
    path = tmp_path / "priors.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_priors(path)


def test_the_wide_prior_set_loads():
    wide = load_priors(REPO / "calibration" / "priors-wide.toml")
    assert {p.name for p in wide if np.isinf(p.sd)} >= {"b_open", "b_peer", "sigma_u"}


def test_a_world_with_bad_observed_data_exits_2_without_writing(tmp_path):
    scenario = llama_variant(
        tmp_path, lambda text: text.replace(",Meta,Anthropic,", ",Meta,Antropic,")
    )
    out = tmp_path / "cal"
    done = cli("calibrate", "--scenario", scenario, "--out", out)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "observed.csv" in done.stderr and "'Antropic' is not in labs.csv" in done.stderr
    assert not out.exists()


def test_a_world_without_observed_history_cannot_be_calibrated(tmp_path):
    scenario = llama_variant(tmp_path, None)
    done = cli("calibrate", "--scenario", scenario, "--out", tmp_path / "cal")
    assert done.returncode == 2 and "no observed history" in done.stderr, done.stderr


def test_same_seed_same_posterior_and_every_particle_meets_the_targets(llama):
    world = calibration_world()
    targets = load_targets(llama)
    settings = CalibrationSettings(population=100, batch=20_000, seed=11, max_refinements=0)
    a = abc_smc(world, targets, settings)
    b = abc_smc(world, targets, settings)
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.generations[-1].tolerance == 0
    assert a.theta.shape == (100, len(PARAMETER_NAMES))
    # founding is given in this world: its parameters are held at their prior means, not drawn
    means = prior_means()
    for name in FOUNDING_NAMES:
        assert (a.theta[:, PARAMETER_NAMES.index(name)] == means[name]).all(), name
    assert abs(a.weights.sum() - 1) < 1e-12


def test_calibrate_writes_the_posterior_report_and_figures(tmp_path):
    # loose targets so that rejection from the prior is enough; the outputs are what is tested
    targets = tmp_path / "targets.toml"
    targets.write_text(
        '[[target]]\nsummary = "remaining_2025_05"\nobserved = 3\ntolerance = 2\nwhy = "loose, for speed"\n'
        '[[target]]\nsummary = "gone_by_2023_09"\nobserved = 8\ndirection = "at_least"\n'
        'tolerance = 2\nwhy = "loose, for speed"\n'
    )
    out = tmp_path / "cal"
    done = cli(
        "calibrate", "--targets", targets, "--out", out, "--population", 200, "--batch", 5000,
        "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = {p.name for p in out.iterdir()}
    assert written >= {"posterior.parquet", "report.md", "ppc.png", "pairs.png"}
    report = (out / "report.md").read_text()
    assert "## What 14 histories allow" in report
    # the yardstick's numbers are those of sim.reference for 6 of 14 then 3 of 6
    assert "| P(2 to 4 at Meta in 2025-05) |" in report and "| 0.532 | 0.521 |" in report
    assert "| remaining_2025_05 | 3 |" in report  # predictive p-values


@pytest.mark.parametrize("option", ["--population", "--predictive-replicates"])
def test_a_non_positive_count_exits_2(tmp_path, option):
    done = cli("calibrate", option, 0, "--out", tmp_path / "c")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{option} must be a positive number" in done.stderr
    assert not (tmp_path / "c").exists()


def test_observed_spread_counts_each_researcher_at_a_pooled_lab(tmp_path):
    # three of the six non-Mistral leavers moved to the catch-all Other: 3 named labs + 3 at Other
    folder = tmp_path / "world"
    shutil.copytree(LLAMA, folder)
    text = (folder / "observed.csv").read_text()
    for lab in ("Cohere", "Anthropic", "Inflection"):
        text = text.replace(f",Meta,{lab},", ",Meta,Other,")
    (folder / "observed.csv").write_text(text)
    world = load_world(folder)
    targets = load_targets(world)
    check_observed_against_targets(world, targets, "targets.toml")
    (folder / "labs.csv").write_text((folder / "labs.csv").read_text().replace(",*,", ",Nowhere,"))
    world = load_world(folder)  # Other no longer pooled: three researchers there are one lab
    with pytest.raises(InputError, match=r"other_labs_2025_05 = 6 .* disagrees .* \(4 in the"):
        check_observed_against_targets(world, targets, "targets.toml")
