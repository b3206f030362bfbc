"""Counterfactual scenarios and ``sim compare``: exact tests under fixed seeds.

Common random numbers make a scenario compared with itself give a paired difference of exactly
zero; the shipped scenarios load, extend the baseline and run; each kind of malformed scenario
ends ``sim run`` with status 2, one message and no traceback, and never costs earlier outputs.
"""

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from sim.analysis.compare import all_scenarios, compare, table_statistics
from sim.cli import main
from sim.config.params import prior_means
from sim.config.scenario import fixed_parameters, load_scenario
from sim.engines.run import run_scenario
from sim.errors import InputError
from sim.kernel.behavior import PARAMETER_NAMES
from sim.results import destination_herfindahl, difference_curve, largest_group
from tests.conftest import MOBILE, REPO, cli

SCENARIOS = REPO / "scenarios"
COUNTERFACTUALS = sorted(p.stem for p in SCENARIOS.glob("*.toml") if p.stem != "baseline")
REQUIRED = {
    "culture-kept", "llama-fully-open", "mistral-never-founded", "meta-matches-equity",
    "llama4-lands-well", "pineau-stays", "no-peer-contagion",
    "no-peer-glue",
}  # fmt: skip


def write_scenario(folder, name, body, extends="baseline", **params):
    """A scenario file extending ``extends``; ``params`` are written as explicit values."""
    text = f'extends = "{extends}"\ndescription = "test scenario {name}"\n{body}\n'
    if params:
        text += "[params]\n" + "".join(f"{k} = {v!r}\n" for k, v in params.items())
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def mobile(folder, name="mobile"):
    """A scenario with every parameter given (moves frequent), whatever the baseline's source."""
    return load_scenario(write_scenario(folder, name, "", **{**prior_means(), **MOBILE}))


# --------------------------------------------------------------------------- common random numbers
def test_a_scenario_compared_with_itself_differs_by_exactly_zero(tmp_path):
    ref = mobile(tmp_path)
    same = load_scenario(write_scenario(tmp_path, "no-change", "", extends=ref.path))
    comparison = compare([ref, ref, same], replicates=64, seed=11)
    assert comparison.labels == ("mobile", "mobile (2)", "no-change")
    moved = comparison.reference.at_focal()[:, -1] < 14
    assert moved.mean() > 0.5  # not trivially zero: most replicates have exits
    for traj in comparison.trajectories[1:]:
        np.testing.assert_array_equal(traj.labs, comparison.reference.labs)
        curve = difference_curve(traj, comparison.reference).drop(columns="month")
        assert (curve == 0.0).all().all()
    table = comparison.to_df()
    statistics = comparison.statistics
    paired = table[table["statistic"].isin([s.name for s in statistics if s.paired])]
    assert len(paired) == 3 * sum(s.paired for s in statistics)
    assert (paired[["diff_mean", "diff_low", "diff_high"]] == 0.0).all().all()


def test_every_scenario_gets_the_reference_seeds_and_parameter_draws(tmp_path):
    # a posterior of 5 distinct draws, so that the draw behind each replicate is visible
    rng = np.random.default_rng(0)
    means = prior_means()
    draws = pd.DataFrame({n: np.full(5, means[n]) for n in PARAMETER_NAMES})
    draws["k0"] = rng.uniform(1.0, 3.0, 5)
    draws.to_parquet(tmp_path / "posterior.parquet")
    post = f'posterior_file = "{tmp_path / "posterior.parquet"}"'
    ref = load_scenario(write_scenario(tmp_path, "ref", post + '\n[params]\nfrom = "posterior"'))
    no_peer = load_scenario(write_scenario(tmp_path, "no-peer", "", extends=ref.path, b_peer=0.0))
    # a scenario whose own source differs: the reference's draws are used all the same
    prior = load_scenario(write_scenario(tmp_path, "prior", "", b_home=0.5))
    comparison = compare([ref, no_peer, prior], replicates=40, seed=5)
    theta, draw = ref.parameters(40, 5)
    base, nop, pri = comparison.trajectories
    for traj in comparison.trajectories:
        np.testing.assert_array_equal(traj.seeds, ref.seeds(40, 5))
        np.testing.assert_array_equal(traj.draw, draw)
    np.testing.assert_array_equal(base.theta, theta)
    peer, home = PARAMETER_NAMES.index("b_peer"), PARAMETER_NAMES.index("b_home")
    assert (nop.theta[:, peer] == 0.0).all()
    same = np.testing.assert_array_equal
    same(np.delete(nop.theta, peer, axis=1), np.delete(theta, peer, axis=1))
    assert (pri.theta[:, home] == 0.5).all()
    same(np.delete(pri.theta, home, axis=1), np.delete(theta, home, axis=1))
    assert len(np.unique(base.theta[:, PARAMETER_NAMES.index("k0")])) > 1


def test_compare_uses_the_earliest_horizon_and_reports_what_it_simulated(tmp_path):
    ref = mobile(tmp_path)
    short = load_scenario(write_scenario(tmp_path, "short", 'horizon = "2025-12"'))
    comparison = compare([ref, short], replicates=8, seed=1)
    assert comparison.horizon == "2025-12"
    assert {t.shape[1] for t in comparison.trajectories} == {35}
    early = load_scenario(write_scenario(tmp_path, "early", 'horizon = "2024-06"'))
    comparison = compare([ref, early], replicates=8, seed=1)
    names = set(comparison.to_df()["statistic"])
    assert "remaining_2024_06" in names and "remaining_2025_05" not in names  # not simulated
    assert "p_at_focal_at_least_7" in names
    with pytest.raises(InputError, match="at least one scenario"):
        compare([], replicates=8, seed=1)


def test_clustering_statistics_on_a_known_history(tmp_path):
    traj = compare([mobile(tmp_path)], replicates=4, seed=3).reference
    t = 27  # 2025-05
    labs = traj.labs.copy()
    meta, mistral, kyutai = (traj.lab_code(x) for x in ("Meta", "Mistral", "Kyutai"))
    labs[0, t] = [mistral] * 6 + [kyutai] * 2 + [meta] * 6  # 8 leavers: 6 and 2
    labs[1, t] = meta  # nobody left
    labs[2, t] = [mistral] * 14
    traj = dataclasses.replace(traj, labs=labs)
    np.testing.assert_array_equal(largest_group(traj, "2025-05")[:3], [6, 0, 14])
    hhi = destination_herfindahl(traj, "2025-05")
    assert hhi[0] == pytest.approx((6 / 8) ** 2 + (2 / 8) ** 2)
    assert np.isnan(hhi[1]) and hhi[2] == 1.0


# --------------------------------------------------------------------------- shipped scenarios
def test_the_required_counterfactuals_are_shipped_and_found_by_all():
    assert REQUIRED <= set(COUNTERFACTUALS)
    found = all_scenarios()
    assert found[0].name == "baseline"
    assert {s.name for s in found[1:]} == set(COUNTERFACTUALS)


@pytest.mark.parametrize("name", COUNTERFACTUALS)
def test_each_counterfactual_extends_the_baseline_changes_something_and_runs(name):
    scenario, baseline = load_scenario(name), load_scenario("baseline")
    assert scenario.chain[1:] == baseline.chain  # extends the baseline (directly)
    assert scenario.spec.description.strip().split(".")[0].startswith("What if")
    edited, base = scenario.compile(), baseline.compile()
    world_changed = (
        scenario.world.labs != baseline.world.labs
        or not np.array_equal(edited.timeline.attributes, base.timeline.attributes)
        or (scenario.world.peer_glue, scenario.world.peer_contagion)
        != (baseline.world.peer_glue, baseline.world.peer_contagion)
        or not np.array_equal(edited.climate, base.climate)  # founding: the funding climate
        or not np.array_equal(edited.barred, base.barred)  # and non-competes
    )
    assert world_changed or fixed_parameters(scenario) != fixed_parameters(baseline)
    traj = run_scenario(scenario, replicates=6, seed=2)
    assert traj.shape == (6, 47, 14)
    comparison = compare([baseline, scenario], replicates=6, seed=2)
    np.testing.assert_array_equal(comparison.trajectories[1].labs, traj.labs)


def test_mistral_never_founded_removes_the_lab_and_its_events():
    scenario = load_scenario("mistral-never-founded")
    mistral = scenario.world.labs.index("Mistral")  # keeps its place, never exists
    assert not scenario.compile().timeline.exists[:, mistral].any()
    assert not [e for e in scenario.world.events if e.lab == "Mistral"]


def test_the_peer_scenarios_switch_one_part_each_and_keep_the_parameters():
    for name, glue, contagion in (
        ("no-peer-glue", False, True),
        ("no-peer-contagion", True, False),
    ):
        peerless = load_scenario(name)
        assert (peerless.world.peer_glue, peerless.world.peer_contagion) == (glue, contagion)
        assert fixed_parameters(peerless) == fixed_parameters(load_scenario("baseline"))
        assert (peerless.compile().glue, peerless.compile().contagion) == (float(glue), contagion)
    base = load_scenario("baseline").world
    assert base.peer_glue and base.peer_contagion


def test_provisional_is_inherited_and_parameter_errors_name_their_key(tmp_path):
    (tmp_path / "parent.toml").write_text(
        'description = "a provisional parent"\nprovisional = true\n[params]\nfrom = "prior-mean"\n'
        '[world]\nname = "llama"\n'
    )
    assert load_scenario(write_scenario(tmp_path, "child", "", extends="parent")).spec.provisional
    undone = write_scenario(tmp_path, "undone", "provisional = false", extends="parent")
    assert not load_scenario(undone).spec.provisional
    for name, value, text in (("b_peeer", 0.0, "did you mean 'b_peer'"),
                              ("b_peer", "high", "expected a number")):  # fmt: skip
        scenario = load_scenario(
            write_scenario(tmp_path, "bad", "", extends="parent", **{name: value})
        )
        with pytest.raises(InputError, match=text) as info:
            scenario.parameters(2, seed=1)
        assert info.value.key == f"params.{name}"
        assert info.value.source == str(scenario.path)


# --------------------------------------------------------------------------- the command line
BAD_SCENARIOS = {
    "unknown top-level key": (
        'horizn = "2026-12"', r"at horizn: unknown key \(did you mean 'horizon'\?\)"),
    "unknown lab in remove_labs": (
        '[world]\nremove_labs = ["Mistrall"]',
        r"at world.remove_labs\[0\]: unknown lab 'Mistrall'"),
    "the focal lab removed": (
        '[world]\nremove_labs = ["Meta"]', r"at world.remove_labs\[0\]: lab 'Meta' cannot be removed"),
    "an added event without a value": (
        '[world]\nadd_events = [{ id = "x", month = "2024-01", kind = "shift", lab = "Meta", '
        'attribute = "pay" }]',
        r"at world.add_events\[0\].value: a shift event needs a value"),
    "an added event at an unknown lab": (
        '[world]\nadd_events = [{ id = "x", month = "2024-01", kind = "shift", lab = "Metta", '
        'attribute = "pay", value = 0.1 }]',
        r"at world.add_events\[0\].lab: lab 'Metta' is not in labs.csv"),
    "a boolean parameter": ("[params]\nb_peer = true", r"params.b_peer: expected a number"),
    "unknown event id": (
        '[world]\nremove_events = ["llama4_flopp"]',
        r"remove_events\[0\]: no event with id 'llama4_flopp' \(did you mean 'llama4_flop'\?\)"),
    "horizon outside the calendar": (
        'horizon = "2022-01"', r"at horizon: month 2022-01 is outside this world's calendar"),
    "attribute outside [0, 1]": (
        "[world]\nattributes = { Meta = { culture = 1.5 } }",
        r"world.attributes.Meta.culture: value 1.5 is outside \[0, 1\]"),
    "unknown parameter": (
        "[params]\nb_peeer = 0.0", r"unknown parameter 'b_peeer' \(did you mean 'b_peer'\?\)"),
    "unknown part of the peer pull": (
        "[world.peer]\ncontagon = false", r"world.peer.contagon: unknown key.*'contagion'"),
    "a peer part that is not a boolean": (
        '[world.peer]\nglue = "no"', r"world.peer.glue"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_SCENARIOS))
def test_a_malformed_scenario_exits_2_with_one_message(tmp_path, case):
    body, expected = BAD_SCENARIOS[case]
    path = write_scenario(tmp_path, "bad", body)
    done = cli("run", path, "--replicates", 3, "--out", tmp_path / "out")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert str(path) in done.stderr
    assert re.search(expected, done.stderr), done.stderr
    assert not (tmp_path / "out").exists()


def test_cyclic_extends_exits_2(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b"\ndescription = "a"\n')
    (tmp_path / "b.toml").write_text('extends = "a"\ndescription = "b"\n')
    done = cli("run", tmp_path / "a.toml", "--replicates", 3, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "cyclic extends" in done.stderr and "a.toml -> " in done.stderr


def test_a_failed_run_or_comparison_keeps_the_files_already_in_the_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    kept = {"report.md": "earlier report\n", "comparison.csv": "a,b\n1,2\n", "notes.txt": "x\n"}
    for name, text in kept.items():
        (out / name).write_text(text)
    bad = write_scenario(tmp_path, "bad", "[params]\nb_peer = 99.0")  # outside [0, 20]
    for args in (("run", bad), ("compare", "baseline", bad), ("compare", "baseline", "nonesuch")):
        done = cli(*args, "--replicates", 3, "--out", out)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert {p.name: p.read_text() for p in out.iterdir()} == kept


def test_sim_compare_writes_every_output(tmp_path, capsys):
    out = tmp_path / "cmp"
    ref = write_scenario(tmp_path, "mobile", "", **{**prior_means(), **MOBILE})
    assert main(["compare", str(ref), "mistral-never-founded", "no-peer-glue",
                 "--replicates", "30", "--seed", "4", "--out", str(out)]) == 0  # fmt: skip
    names = {p.name for p in out.iterdir()}
    assert names == {
        "comparison.csv", "replicates.csv", "retention.csv", "difference.csv", "destinations.csv",
        "retention.png", "difference.png", "destinations.png", "report.md", "manifest.json",
    }  # fmt: skip
    table = pd.read_csv(out / "comparison.csv")
    assert list(table["scenario"].unique()) == ["mobile", "mistral-never-founded", "no-peer-glue"]
    assert len(table) == 3 * len(table_statistics(load_scenario("baseline").world, 47))
    mistral = table[
        (table.scenario == "mistral-never-founded") & (table.statistic == "at_mistral_2025_05")
    ]
    assert mistral[["estimate", "low", "high"]].to_numpy().tolist() == [[0.0, 0.0, 0.0]]
    report = (out / "report.md").read_text()
    for name in ("retention.png", "difference.png", "destinations.png", "What if Mistral"):
        assert name in report
    assert "files in" in capsys.readouterr().out


def test_sim_compare_all_and_its_input_errors(tmp_path, capsys):
    out = tmp_path / "all"
    assert main(["compare", "--all", "--replicates", "4", "--out", str(out)]) == 0
    table = pd.read_csv(out / "comparison.csv")
    assert list(table["scenario"].unique()) == ["baseline", *COUNTERFACTUALS]
    assert main(["compare", "--out", str(tmp_path / "none")]) == 2
    assert "give the scenarios to compare" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:  # argparse's own usage error
        main(["compare", "baseline", "--replicates", "0"])
    assert stop.value.code == 2
    assert not (tmp_path / "none").exists()


def test_a_scenario_can_add_a_lab_and_researchers_can_move_there(tmp_path):
    path = tmp_path / "spinoff.toml"
    path.write_text(
        'description = "A second spin-out in Paris, founded by Touvron in 2023-06."\n'
        'extends = "baseline"\n'
        "[world]\n"
        'add_labs = [{ name = "Paris spin-off", cities = ["Paris"], founded = "2023-06", '
        'founders = ["Hugo Touvron"], attributes = { openness = 0.9, culture = 0.9, pace = 0.5, pay = 0.7 } }]\n'
    )
    from sim.engines.run import run_scenario

    # founding chosen (the shipped world's): a lab an author founds is potential, open at once
    assert load_scenario(path).compile().potential[-1]
    # as data, it exists from its founding month
    path.write_text(path.read_text() + 'founding = "given"\n')
    scenario = load_scenario(path)
    assert scenario.world.labs[-1] == "Paris spin-off"
    traj = run_scenario(scenario, 300)
    code = traj.lab_code("Paris spin-off")
    assert (traj.labs[:, :4, :] != code).all()  # not before its founding month (index 4)
    assert (traj.labs[:, -1, :] == code).any()  # its founder's pull is felt
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'description = "a lab with a missing attribute"\nextends = "baseline"\n[world]\n'
        'add_labs = [{ name = "X", attributes = { openness = 0.9 } }]\n'
    )
    done = cli("run", bad, "--replicates", 2, "--out", tmp_path / "o")
    assert (
        done.returncode == 2
        and "world.add_labs[0].attributes" in done.stderr
        and "Traceback" not in done.stderr
    )


def test_the_report_headline_is_the_latest_count_at_the_focal_lab():
    """Not the first statistic read at the checkpoint month (the co-founders' is a spread)."""
    from sim.reports.compare import report

    folder = REPO / "scenarios" / "openai-founders"
    comparison = compare(
        [load_scenario(folder / "baseline.toml"), load_scenario(folder / "no-board-crisis.toml")],
        replicates=20, seed=3,
    )  # fmt: skip
    text = report(comparison)
    assert "**baseline** (the reference): at OpenAI in 2024-12:" in text
