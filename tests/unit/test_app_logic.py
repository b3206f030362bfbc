"""The page's logic (the modules of sim.app) without a browser, and `sim app`'s own checks."""

import socket
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.app.compute import attribution, compute
from sim.app.reference import catalog, default_entry, error_text, load_reference
from sim.app.replay import (
    focal_counts,
    moves_of_month,
    replicate_model,
    replicate_parameters,
    who_is_where,
)
from sim.app.scenario_file import EVENT_PREFIX, scenario_toml
from sim.app.server import check_port
from sim.app.settings import Settings, check_settings, initial_settings
from sim.app.view import recompute
from sim.config.scenario import load_scenario
from sim.engines.run import run_scenario
from sim.errors import InputError
from sim.results import checkpoint_month
from sim.world import NEVER
from tests.conftest import REPO, run_sim

BASELINE = REPO / "scenarios" / "baseline.toml"
OPENAI = REPO / "scenarios" / "openai-founders" / "baseline.toml"


@pytest.fixture(scope="module")
def reference():
    return load_reference(BASELINE)


def _at_checkpoint(traj) -> float:
    t = traj.world.calendar.index(checkpoint_month(traj))
    return float(traj.at_focal()[:, t].mean())


def _edited(reference, replicates=200):
    """Settings that use every kind of lever."""
    settings = initial_settings(reference, replicates)
    return (
        settings.with_lab("Mistral", False)
        .with_event("pineau_leaves", False)
        .with_offset("Meta", "culture", "2023-06", 0.25)
        .with_offset("Meta", "pay", "2024-01", -0.1)
        .with_param("b_peer", 2.5)
    )


def test_the_catalog_has_both_worlds_with_their_baseline_first():
    entries = catalog()
    assert set(entries) == {"llama", "openai-founders"}
    assert entries["llama"][0].path == BASELINE.resolve()
    assert entries["openai-founders"][0].path == OPENAI.resolve()
    assert "culture-kept" in [e.label for e in entries["llama"]]
    assert "openai-founders/no-board-crisis" in [e.label for e in entries["openai-founders"]]
    assert default_entry("openai-founders", entries).path == OPENAI.resolve()


def test_a_malformed_file_is_offered_with_its_folder_s_world(tmp_path):
    (tmp_path / "baseline.toml").write_text(BASELINE.read_text())
    (tmp_path / "broken.toml").write_text("this is = not [ toml")
    entries = catalog(tmp_path)
    assert [e.label for e in entries["llama"]] == ["baseline", "broken"]


def test_settings_round_trip_through_a_scenario_file(reference, tmp_path):
    settings = _edited(reference)
    text = scenario_toml(settings, reference)
    raw = tomllib.loads(text)
    assert raw["extends"] == str(BASELINE.resolve()) and Path(raw["extends"]).is_absolute()
    assert raw["replicates"] == 200 and raw["seed"] == reference.scenario.spec.seed
    assert raw["world"]["remove_labs"] == ["Mistral"]
    assert raw["world"]["remove_events"] == ["pineau_leaves"]
    added = {(e["lab"], e["attribute"]): e for e in raw["world"]["add_events"]}
    assert (
        added["Meta", "culture"]["month"] == "2023-06" and added["Meta", "culture"]["value"] == 0.25
    )
    assert added["Meta", "pay"]["kind"] == "shift" and added["Meta", "pay"]["value"] == -0.1
    assert raw["params"] == {"b_peer": 2.5}
    path = tmp_path / "explored.toml"
    path.write_text(text)
    loaded = load_scenario(path)  # what `sim run explored.toml` loads
    world = loaded.world
    assert world.founded[world.labs.index("Mistral")] == NEVER
    assert "pineau_leaves" not in {e.id for e in world.events}
    shifts = [e for e in world.events if e.id.startswith(EVENT_PREFIX)]
    assert {(e.lab, e.attribute, e.month, e.value) for e in shifts} == {
        ("Meta", "culture", "2023-06", 0.25),
        ("Meta", "pay", "2024-01", -0.1),
    }
    assert loaded.params_from == "posterior" and loaded.spec.params["b_peer"] == 2.5
    # and back: the same file again from the same settings, and no edits gives a bare file
    assert scenario_toml(settings, reference) == text
    bare = tomllib.loads(scenario_toml(initial_settings(reference), reference))
    assert "world" not in bare and "params" not in bare


def test_the_page_s_numbers_are_sim_run_s(reference, tmp_path):
    settings = _edited(reference, replicates=300)
    result = compute(settings, reference)
    path = tmp_path / "explored.toml"
    path.write_text(result.toml)
    scenario = load_scenario(path)
    traj = run_scenario(scenario, 300, settings.seed)
    assert result.at_focal == _at_checkpoint(traj)
    np.testing.assert_array_equal(result.edited.labs, traj.labs)
    # the command line on the downloaded file, with its own defaults (the page's seed, replicates)
    done = run_sim("run", path, "--out", tmp_path / "run", "--no-trajectories")
    assert done.returncode == 0, done.stderr
    curve = pd.read_csv(tmp_path / "run" / "retention.csv").set_index("month")["mean"]
    assert curve[result.checkpoint] * 14 == pytest.approx(result.at_focal, abs=1e-9)
    # the unedited reference, under the same seeds and draws, is the baseline run as it is
    plain = run_scenario(reference.scenario, 300, settings.seed)
    assert result.reference_at_focal == _at_checkpoint(plain)
    assert result.baseline_at_focal == result.reference_at_focal
    diff = result.edited.at_focal().astype(int) - plain.at_focal()
    t = reference.world.calendar.index(result.checkpoint)
    assert result.difference == pytest.approx(diff[:, t].mean())
    assert result.headline().startswith(f"Still at Meta in {result.checkpoint}: ")


def test_a_counterfactual_reference_is_compared_with_itself_and_the_baseline():
    reference = load_reference(REPO / "scenarios" / "mistral-never-founded.toml")
    assert reference.baseline.path == BASELINE.resolve()
    assert reference.lab("Mistral").removed_by_reference
    settings = initial_settings(reference, 200)
    result = compute(settings, reference)
    assert result.difference == 0.0  # no edits: the same histories
    base = run_scenario(load_scenario(BASELINE), 200, settings.seed)
    assert result.baseline_at_focal == _at_checkpoint(base)
    assert list(result.against("baseline").retention()) == [
        "baseline",
        "mistral-never-founded-explored",
    ]
    assert list(result.against("scenario").retention())[0] == "mistral-never-founded"


def test_parameters_from_the_prior_mean_apply_to_the_reference_too(reference):
    settings = initial_settings(reference, 100)
    settings = Settings(**{**settings.__dict__, "params_from": "prior-mean"})
    result = compute(settings, reference)
    assert result.difference == 0.0
    assert tomllib.loads(result.toml)["params"] == {"from": "prior-mean"}


def test_a_world_without_a_posterior_opens_on_the_prior_means(tmp_path):
    path = tmp_path / "no-posterior.toml"
    path.write_text(
        f'description = "the co-founders without a posterior"\nextends = "{OPENAI}"\n'
        f'posterior_file = "{tmp_path / "missing.parquet"}"\n'
    )
    reference = load_reference(path)
    assert not reference.posterior_available
    settings = initial_settings(reference, 50)
    assert settings.params_from == "prior-mean"
    result = compute(settings, reference)
    assert any("No posterior" in note for note in result.notes)


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (lambda s: s.with_param("b_peer", 25.0), "parameter b_peer", "outside its bounds [0, 20]"),
        (lambda s: s.with_param("lam", 0.1), "parameter lam", "outside its bounds [0.2, 1]"),
        (lambda s: s.with_param("b_pear", 1.0), "parameter b_pear", "did you mean 'b_peer'"),
        (
            lambda s: s.with_offset("Meta", "culture", "2024-01", 1.5),
            "offset Meta.culture",
            "outside [-1, 1]",
        ),
        (
            lambda s: s.with_offset("Meta", "pay", "2031-01", 0.2),
            "offset Meta.pay",
            "outside the simulated months",
        ),
        (
            lambda s: s.with_offset("Meta", "vibes", "2024-01", 0.2),
            "offset Meta.vibes",
            "unknown attribute",
        ),
        (lambda s: s.with_lab("Meta", False), "labs", "cannot be removed"),
        (lambda s: s.with_event("no_such_event", False), "events", "no event"),
        (
            lambda s: Settings(**{**s.__dict__, "replicates": 0}),
            "replicates",
            "from 1 to 100,000",
        ),
        (
            lambda s: Settings(**{**s.__dict__, "replicates": 10**6}),
            "replicates",
            "from 1 to 100,000",
        ),
        (lambda s: Settings(**{**s.__dict__, "seed": -1}), "seed", ">= 0"),
    ],
)
def test_a_lever_out_of_range_is_refused_with_a_message(reference, change, key, words):
    settings = change(initial_settings(reference, 100))
    with pytest.raises(InputError) as caught:
        compute(settings, reference)
    text = error_text(caught.value)
    assert f"at {key}" in text and words in text, text
    assert "\n" not in text and "Traceback" not in text
    with pytest.raises(InputError):  # nor is it offered for download
        scenario_toml(settings, reference)


def test_an_event_the_scenario_adds_cannot_be_switched_off():
    reference = load_reference(REPO / "scenarios" / "llama4-lands-well.toml")
    assert reference.event("llama4_well_received").locked
    settings = initial_settings(reference, 50).with_event("llama4_well_received", False)
    with pytest.raises(InputError, match="added by the scenario itself"):
        check_settings(settings, reference)


def test_a_removed_lab_takes_its_events_and_offsets_with_it(reference):
    settings = (
        initial_settings(reference, 50)
        .with_event("mistral_seed_round", False)
        .with_offset("Mistral", "pay", "2023-06", 0.2)
        .with_lab("Mistral", False)
    )
    raw = tomllib.loads(scenario_toml(settings, reference))
    assert raw["world"] == {"remove_labs": ["Mistral"]}
    result = compute(settings, reference)
    assert any("Offsets on removed labs" in note for note in result.notes)


@pytest.mark.parametrize(
    "content",
    [
        'extends = "baseline"\ndescription = "x"\nreplicats = 5\n',
        'extends = "baseline"\ndescription = "x"\n[world]\nremove_labs = ["Mistrall"]\n',
        'description = "x"\nextends = "baseline"\n[params]\nb_peer = "lots"\n',
        "not = [valid toml\n",
    ],
)
def test_a_malformed_scenario_shows_the_command_line_s_paragraph(tmp_path, content):
    bad = tmp_path / "bad.toml"
    bad.write_text(content)
    try:
        reference = load_reference(bad)
        compute(initial_settings(reference, 20), reference)
    except InputError as exc:
        shown = error_text(exc)
    else:
        pytest.fail("the malformed scenario was accepted")
    done = run_sim("run", bad, "--replicates", 20, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert shown == done.stderr.strip().removeprefix("sim run: error: ")
    assert str(bad) in shown


def test_one_replicate_played_by_the_mesa_model_is_the_ensemble_s(reference):
    result = compute(initial_settings(reference, 20).with_lab("Kyutai", False), reference)
    model = replicate_model(result, 7)
    assert model.month == 0 and model.running
    start = who_is_where(model)
    assert start[reference.world.focal_lab] == list(reference.world.researchers)
    assert "Kyutai" not in start  # never exists
    while model.running:
        model.step()
    np.testing.assert_array_equal(model.trajectory(), result.edited.labs[7])
    model.step()  # past the horizon: nothing happens
    assert model.month == result.edited.shape[1]
    where = who_is_where(model)
    assert sum(len(v) for v in where.values()) == len(reference.world.researchers)
    months, counts = focal_counts(model)
    assert len(months) == model.month and counts[-1] == len(where[reference.world.focal_lab])
    assert all(" \u2192 " in move for move in moves_of_month(model))
    with pytest.raises(InputError, match="replicate from 0 to 19"):
        replicate_parameters(result, 20)


def test_1000_replicates_recompute_with_their_charts(reference):
    """What a lever's move does (benchmarks/app.py times it; no time is asserted here)."""
    settings = initial_settings(reference, 1000)
    view = recompute(settings.with_lab("Mistral", False), reference)
    assert view.result.edited.shape[0] == 1000
    for spec in (view.retention, view.difference, view.destinations):
        assert spec["usermeta"]["reference"] == view.against.label == "baseline"


def test_sim_app_refuses_a_port_in_use():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(InputError, match=f"port {port} on 127.0.0.1 is in use"):
            check_port("127.0.0.1", port)
        done = run_sim("app", "--port", port)
    assert done.returncode == 2
    assert f"port {port}" in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.startswith("sim app: error: ")


def test_sim_app_names_a_malformed_scenario_before_serving(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "baseline"\ndescription = "x"\nreplicats = 5\n')
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    done = run_sim("app", "--port", port, "--scenario", bad)
    assert done.returncode == 2 and "unknown key" in done.stderr


def test_the_attribution_view_reads_sim_explain(reference):
    pytest.importorskip("sim.analysis.explain")
    result = compute(initial_settings(reference, 20).with_lab("Kyutai", False), reference)
    found = attribution(result, replicates=20)
    table = found.table()
    assert found is not None and table["cause"].iloc[-1] == "total"
    assert "Kyutai" not in set(table["cause"])  # the edited world has no Kyutai to blame
    assert any(column.startswith("pushed out by 2025-05") for column in table.columns)
    for source, (off, scenario) in found.levels.items():  # the waterfall adds up
        rows = found.frame[(found.frame["source"] == source) & (found.frame["group"] != "total")]
        assert off + rows["mean"].sum() == pytest.approx(scenario, abs=1e-6)
