"""Simpler models to beat (sim baselines): the scoring rules, the survival baselines on hand-made
histories with known answers, and the command end to end, bad input included."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.baselines import (
    DESTINATION_TYPES,
    FOCAL_KINDS,
    MODEL,
    ConstantHazard,
    ExitHistory,
    HazardRegression,
    KaplanMeier,
    Predictive,
    crps_energy,
    crps_interval,
    exit_history,
    first_exits,
    interval_log_likelihood,
    lab_types,
    sample_histories,
)
from sim.analysis.baselines.survival import self_consistent_hazards
from sim.results import Trajectories
from tests.conftest import bare_world, cli

K = len(DESTINATION_TYPES)


def history(earliest, latest, kind, n_months, covariates=None) -> ExitHistory:
    """A hand-made cohort: stayers have kind -1 and earliest = latest = n_months."""
    n = len(kind)
    return ExitHistory(
        world="hand", researchers=tuple(f"p{i}" for i in range(n)), columns=np.arange(n),
        earliest=np.array(earliest), latest=np.array(latest), kind=np.array(kind),
        n_months=n_months,
        covariates=np.zeros((n, 2)) if covariates is None else np.array(covariates, float),
    )  # fmt: skip


# --------------------------------------------------------------------------- scoring rules
@pytest.mark.parametrize(("x", "y"), [(4, 7), (7, 4), (3, 3), (0, 11)])
def test_the_crps_of_a_point_mass_is_the_distance(x, y):
    assert crps_interval(np.full(5, x), y, y) == pytest.approx(abs(x - y), abs=1e-12)


def test_the_crps_of_a_fair_coin_at_zero_is_a_quarter():
    # F = 1/2 on [0, 1): integral of (1/2 - 1)^2 over it
    assert crps_interval(np.array([0, 1]), 0, 0) == pytest.approx(0.25, abs=1e-12)


def test_the_step_sum_agrees_with_the_expectation_form():
    samples = np.array([0, 1, 1, 2, 5, 5, 9])
    for y in range(-1, 11):
        assert crps_interval(samples, y, y) == pytest.approx(crps_energy(samples, y), abs=1e-12)


def test_the_interval_crps_charges_only_outside_the_band_and_never_more_than_any_value_in_it():
    assert crps_interval(np.full(3, 4), 2, 6) == 0.0
    assert crps_interval(np.full(3, 8), 2, 6) == pytest.approx(2.0, abs=1e-12)
    samples = np.array([0, 3, 3, 4, 7, 8])
    band = crps_interval(samples, 3, 6)
    assert all(band <= crps_interval(samples, y, y) + 1e-12 for y in range(3, 7))


def test_the_log_score_of_a_constant_hazard_sums_each_interval_over_its_months():
    h, shares = 0.2, np.array([0.5, 0.3, 0.2])
    pred = Predictive.from_hazards(np.broadcast_to(h * shares, (2, 3, K)).copy())
    obs = history([1, 3], [2, 3], [1, -1], n_months=3)
    logs = interval_log_likelihood(pred, obs)
    # p0 left in month 1 or 2 for type 1; p1 stayed through months 0 .. 2
    assert logs[0, 0] == pytest.approx(math.log((1 - h) * h + (1 - h) ** 2 * h), abs=1e-12)
    assert logs[0, 1] == pytest.approx(math.log(0.3), abs=1e-12)
    assert logs[1].tolist() == pytest.approx([3 * math.log(1 - h), 0.0], abs=1e-12)


def test_a_pooled_stayer_is_scored_at_their_own_last_month():
    pred = Predictive.from_hazards(np.full((1, 5, K), 0.1 / K))
    early = history([3], [3], [-1], n_months=5)  # censored after month 2 in a 5-month panel
    assert interval_log_likelihood(pred, early)[0, 0] == pytest.approx(3 * math.log(0.9))


def test_simulated_first_exits_get_half_a_count_per_outcome():
    month = np.array([[0, -1], [1, -1]])  # two replicates, two researchers
    kind = np.array([[2, -1], [2, -1]])
    pred = Predictive.from_samples(month, kind, n_months=2)
    total = 2 + 0.5 * (2 * K + 1)
    assert pred.cells[0, 0, 2] == pytest.approx(1.5 / total)
    assert pred.cells[0, 1, 0] == pytest.approx(0.5 / total)
    assert pred.stay.tolist() == pytest.approx([0.5 / total, 2.5 / total])
    assert pred.cells.sum(axis=(1, 2)) + pred.stay == pytest.approx(np.ones(2))


# --------------------------------------------------------------------------- survival baselines
def test_the_constant_hazard_with_exact_months_is_exits_over_exposure():
    # exits in months 0 and 2 (1 and 3 months at risk), a stayer through months 0 .. 3 (4)
    fit = ConstantHazard().fit([history([0, 2, 4], [0, 2, 4], [0, 0, -1], n_months=4)])
    assert fit.hazard == pytest.approx(2 / 8, abs=1e-7)
    assert fit.shares.tolist() == pytest.approx([2.5 / 3.5, 0.5 / 3.5, 0.5 / 3.5])


def test_the_interval_censored_constant_hazard_is_its_own_em_fixed_point():
    obs = history([0, 2, 5, 9], [3, 6, 5, 9], [0, 1, 2, -1], n_months=9)
    h = ConstantHazard().fit([obs]).hazard
    exposure = 9.0  # the stayer
    for first, last in [(0, 3), (2, 6), (5, 5)]:
        months = np.arange(first, last + 1)
        q = (1 - h) ** months
        exposure += float((q / q.sum()) @ (months + 1))  # expected months at risk
    assert h == pytest.approx(3 / exposure, rel=1e-6)


def test_kaplan_meier_with_exact_months_is_the_life_table():
    obs = history([0, 1, 1, 3], [0, 1, 1, 3], [0, 1, 1, -1], n_months=3)
    exits, at_risk = self_consistent_hazards(obs)
    assert exits.tolist() == pytest.approx([1, 2, 0])
    assert at_risk.tolist() == pytest.approx([4, 3, 1])
    km = KaplanMeier(pseudo=0.0).fit([obs])
    hazard = km.all_cause(5)
    assert hazard[:3].tolist() == pytest.approx([1 / 4, 2 / 3, 0.0])
    assert hazard[3:].tolist() == pytest.approx([km.constant.hazard] * 2)  # past the training
    smoothed = KaplanMeier(pseudo=1.0).fit([obs]).all_cause(3)
    c = km.constant.hazard
    assert smoothed.tolist() == pytest.approx([(1 + c) / 5, (2 + c) / 4, c / 2])


def test_kaplan_meier_puts_interval_mass_where_exact_exits_show_it():
    # one exit known to months 0..1, one exactly in month 0: the NPMLE puts both in month 0
    exits, at_risk = self_consistent_hazards(history([0, 0], [1, 0], [0, 0], n_months=2))
    assert exits[0] / at_risk[0] == pytest.approx(1.0, abs=1e-6)


def test_kaplan_meier_agrees_with_lifelines_on_exact_months():
    lifelines = pytest.importorskip("lifelines", reason="lifelines (the crosscheck extra)")
    rng = np.random.default_rng(4)
    month = rng.integers(0, 12, 40)
    stays = rng.random(40) < 0.3
    obs = history(np.where(stays, 12, month), np.where(stays, 12, month),
                  np.where(stays, -1, 0), n_months=12)  # fmt: skip
    exits, at_risk = self_consistent_hazards(obs)
    ours = np.cumprod(1 - exits / at_risk)
    km = lifelines.KaplanMeierFitter().fit(np.where(stays, 12, month + 1), ~stays)
    theirs = km.survival_function_at_times(np.arange(1, 13)).to_numpy()
    assert ours == pytest.approx(theirs, abs=1e-9)


def test_the_hazard_regression_by_maximum_likelihood_is_each_groups_exits_over_exposure():
    # founders (x = 1) and the rest, one exit to each type in each group, exact months
    kinds = [0, 1, 2, -1, 0, 1, 2]
    when = [0, 1, 2, 4, 0, 1, 1]
    x = [[0, 0]] * 4 + [[1, 0]] * 3
    obs = history(when, when, kinds, n_months=4, covariates=x)
    fit = HazardRegression(prior_scale=None, time_term=False).fit([obs])
    h = fit.predict(obs, 1).cells[:, 0, :]  # month 0: the hazards themselves
    assert h[0] == pytest.approx(np.full(3, 1 / (1 + 2 + 3 + 4)), abs=1e-4)
    assert h[4] == pytest.approx(np.full(3, 1 / (1 + 2 + 2)), abs=1e-4)


def test_the_hazard_regression_is_centred_on_the_constant_hazard():
    obs = history([0, 2, 5, 9], [3, 6, 5, 9], [0, 1, 2, -1], n_months=9)
    fit = HazardRegression(prior_scale=1e-6).fit([obs])  # the prior alone
    constant = ConstantHazard().fit([obs])
    h = fit.predict(obs, 9).cells[0, 0]
    assert h == pytest.approx(constant.hazard * constant.shares, rel=1e-4)


# --------------------------------------------------------------------------- worlds and histories
def test_destination_types_come_from_the_labs_founding_months_and_cities(llama):
    types = dict(zip(llama.labs, lab_types(llama), strict=True))
    for lab, founded in zip(llama.labs, llama.founded, strict=True):
        expected = 2 if lab in llama.pooled_labs else (0 if founded else 1)
        assert types[lab] == expected, lab


def test_the_exit_history_is_each_researchers_first_move(llama):
    obs = exit_history(llama)
    for n, column in enumerate(obs.columns):
        moves = llama.observed.moves_of(int(column))
        if not moves:
            assert obs.kind[n] == -1 and obs.earliest[n] == llama.calendar.observed_months
            continue
        assert (obs.earliest[n], obs.latest[n]) == (moves[0].earliest, moves[0].latest)
        assert obs.kind[n] == lab_types(llama)[llama.labs.index(moves[0].to)]
        founder = any(llama.researchers[column] in f for f in llama.founders)
        assert obs.covariates[n, 0] == float(founder)


def test_first_exits_are_read_off_simulated_histories():
    world = bare_world(("A", "B", "C"), ("p0", "p1", "p2"),
                       lab_cities=[("X",), ("X",), ("*",)])  # fmt: skip
    labs = np.array([[[0, 0, 0], [1, 0, 2], [1, 0, 0]]], dtype=np.int8)  # [R=1, T=3, N=3]
    traj = Trajectories(labs, np.zeros(1, np.uint64), np.zeros((1, 0)), world)
    obs = history([3] * 3, [3] * 3, [-1] * 3, n_months=3)
    month, kind = first_exits(traj, obs)
    assert month.tolist() == [[1, -1, 1]] and kind.tolist() == [[1, -1, 2]]


def test_histories_drawn_from_a_certain_predictive_leave_when_it_says(llama):
    obs = exit_history(llama)
    n, t = len(obs.kind), obs.n_months
    cells = np.zeros((n, t, K))
    cells[:, 4, 0] = 1.0
    traj = sample_histories(Predictive(cells, np.zeros(n)), obs, llama, 7, np.random.default_rng(0))
    at_focal = traj.at_focal()
    assert (at_focal[:, :4] == n).all() and (at_focal[:, 4:] == 0).all()


# --------------------------------------------------------------------------- the command
def test_sim_baselines_writes_its_comparison(tmp_path):
    out = tmp_path / "baselines"
    done = cli("baselines", "--replicates", 150, "--seed", 3, "--out", out)
    assert done.returncode == 0, done.stderr
    scores = pd.read_csv(out / "scores.csv")
    assert set(scores.held_out) == {"llama", "openai-founders"}
    assert set(scores.model) == {"constant hazard", "Kaplan-Meier",
                                 "competing risks with covariates", MODEL}  # fmt: skip
    logs = scores[scores.score == "log density"]
    assert np.isfinite(logs.value).all() and (logs.value <= 0).all()
    both = logs[logs["item"] == "both"].set_index(["held_out", "model"]).value
    parts = logs[logs["item"] != "both"].groupby(["held_out", "model"]).value.sum()
    assert both.sort_index().to_numpy() == pytest.approx(parts.sort_index().to_numpy())
    crps = scores[scores.score == "CRPS"]
    assert (crps.value >= 0).all()
    baseline_items = set(crps[crps.model != MODEL]["item"])
    from sim.world import load_world

    for name in ("llama", "openai-founders"):
        world = load_world(name)
        focal = {s.name for s in world.statistics if s.kind in FOCAL_KINDS}
        assert focal <= baseline_items
        assert not ({s.name for s in world.statistics} - focal) & baseline_items
    text = (out / "baselines.md").read_text()
    assert "**llama**, predicted from openai-founders" in text and "beats the best" in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replicates"] == 150 and manifest["output"]["kind"] == "baselines"
    again = cli("baselines", "--replicates", 150, "--seed", 3, "--out", out)
    assert again.returncode == 0, again.stderr  # its own earlier result is replaced
    assert pd.read_csv(out / "scores.csv").equals(scores)  # same seed, same numbers


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--worlds", "llama,no-such-world"], "no world 'no-such-world'"),
        (["--worlds", "llama"], "expected at least two different worlds"),
        (["--worlds", "llama,llama"], "expected at least two different worlds"),
        (["--calibrations", "no/such/folder"], "not a folder of calibrations"),
    ],
)
def test_bad_input_exits_2_naming_it(tmp_path, args, message):
    done = cli("baselines", *args, "--replicates", 10, "--out", tmp_path / "b")
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "b").exists()


def test_a_missing_posterior_is_named_with_how_to_make_it(tmp_path):
    (tmp_path / "calibration").mkdir()
    done = cli("baselines", "--calibrations", tmp_path / "calibration", "--replicates", 10,
               "--out", tmp_path / "b")  # fmt: skip
    assert done.returncode == 2, done.stderr
    # the shipped worlds choose founding: their posteriors fitted so are in WORLD/founding/
    assert "llama/founding/posterior.parquet" in done.stderr and "sim calibrate" in done.stderr


def test_the_posterior_alone_is_the_one_fitted_under_the_worlds_founding():
    from sim.analysis.baselines import posterior_file
    from sim.world import load_world
    from sim.world.founding import as_given

    llama = load_world("llama")
    assert posterior_file(Path("c"), llama) == Path("c/llama/founding/posterior.parquet")
    assert posterior_file(Path("c"), as_given(llama)) == Path(
        "c/llama/likelihood/posterior.parquet"
    )


def test_a_folder_of_someone_elses_files_is_not_written_over(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "notes.txt").write_text("mine")
    done = cli("baselines", "--replicates", 10, "--out", tmp_path / "b")
    assert done.returncode == 2 and "notes.txt" in done.stderr
    assert (tmp_path / "b" / "notes.txt").read_text() == "mine"


def test_the_documented_run_has_the_commands_defaults():
    from sim.cli import baselines as command
    from sim.reports import baselines as report

    assert command.DEFAULT_REPLICATES == report.DEFAULT_REPLICATES
    assert command.DEFAULT_SEED == report.DEFAULT_SEED


def test_baselines_markdown_is_the_table_of_every_model_for_both_cohorts():
    from sim.reports.baselines import baselines_markdown

    lines = baselines_markdown().splitlines()
    for name in ("constant hazard", "Kaplan-Meier", "competing risks with covariates", MODEL):
        assert sum(line.startswith(f"| {name} |") for line in lines) == 2, name  # one a cohort
    text = "\n".join(lines)
    assert "**openai-founders**, predicted from llama" in text
