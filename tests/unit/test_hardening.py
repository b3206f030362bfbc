"""Bad input: exit 2 with one paragraph, never a traceback, and earlier results never damaged.

The fixed cases are the defects a round of probes found; the property tests feed random
mutations of valid scenario and world files to the command line (in this process, for speed).
"""

import json
import shutil
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.kernel.behavior import move_probabilities
from sim.results import replace_folder
from sim.world import load_world
from tests.conftest import REPO, cli, run_sim

LLAMA = REPO / "sim" / "data" / "llama"
PRIOR = '[params]\nfrom = "prior-mean"\n'


def sim(*args) -> tuple[int, str]:
    """Run ``sim ARGS`` in this process: exit status and standard error."""
    result = cli(*args)
    return result.returncode, result.stderr


def scenario_file(folder, body="", name="s.toml", extends="baseline"):
    path = folder / name
    path.write_text(f'description = "a test"\nextends = "{extends}"\n{body}\n{PRIOR}')
    return path


def one_paragraph(stderr: str) -> bool:
    text = stderr.strip()
    return bool(text) and "Traceback" not in text and "\n\n" not in text


def complete_run(out) -> bool:
    manifest = json.loads((out / "manifest.json").read_text())
    return all((out / name).exists() for name in manifest["files"])


# --------------------------------------------------------------------------- earlier results
def test_a_successful_run_replaces_the_folder_whole(tmp_path):
    out = tmp_path / "out"
    path = scenario_file(tmp_path)
    assert sim("run", path, "--replicates", 4, "--out", out)[0] == 0
    assert (out / "trajectories.parquet").exists()
    # a run whose horizon ends before some declared statistics still completes; the folder then
    # holds only the new run (no trajectories left over from the old one)
    short = scenario_file(tmp_path, 'horizon = "2024-01"', name="short.toml")
    assert sim("run", short, "--replicates", 4, "--out", out, "--no-trajectories")[0] == 0
    assert not (out / "trajectories.parquet").exists() and complete_run(out)
    assert json.loads((out / "manifest.json").read_text())["scenario"] == "short"
    summary = pd.read_csv(out / "summary.csv")
    assert "remaining_2025_05" not in set(summary["statistic"])  # after the horizon
    assert "remaining_at_horizon" in set(summary["statistic"])
    assert not list(tmp_path.glob(".out.*"))  # no temporary folders left behind


def test_a_write_that_fails_leaves_the_folder_as_it_was(tmp_path):
    out = tmp_path / "out"
    replace_folder(out, lambda folder: [(folder / "a.csv").write_text("1\n")], kind="test")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def failing(folder):
        (folder / "half.csv").write_text("x\n")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        replace_folder(out, failing, kind="test")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_out_pointing_at_a_file_exits_2_before_simulating(tmp_path, command):
    target = tmp_path / "a-file"
    target.write_text("keep me\n")
    spec = REPO / "sweeps" / "morris-quick.toml" if command == "sweep" else "baseline"
    code, err = sim(command, spec, "--out", target)
    assert code == 2 and one_paragraph(err), err
    assert "is a file" in err and target.read_text() == "keep me\n"


def test_out_in_a_place_that_cannot_be_written_exits_2(tmp_path):
    code, err = sim("run", "baseline", "--replicates", 2, "--out", "/proc/sim-out")
    assert code == 2 and "cannot write in /proc" in err, err


def test_a_folder_of_other_files_is_not_replaced(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("\\section{}\n")
    code, err = sim("run", scenario_file(tmp_path), "--replicates", 2, "--out", out)
    assert code == 2 and "not a result of this library" in err
    assert (out / "thesis.tex").exists()


def test_too_many_replicates_say_what_fits(tmp_path):
    code, err = sim("run", "baseline", "--replicates", 10**12, "--out", tmp_path / "o")
    assert code == 2 and one_paragraph(err), err
    assert "GiB" in err and "fit" in err and not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- tracebacks before
def test_a_file_that_is_not_utf8_exits_2(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(b'description = "caf\xe9"\nextends = "baseline"\n')
    code, err = sim("run", path, "--out", tmp_path / "o")
    assert code == 2 and "not UTF-8" in err and str(path) in err
    sweep = tmp_path / "w.toml"
    sweep.write_bytes((REPO / "sweeps" / "morris-quick.toml").read_bytes() + b"# \xff\n")
    code, err = sim("sweep", sweep, "--out", tmp_path / "w")
    assert code == 2 and "not UTF-8" in err


def test_a_negative_seed_or_replicates_is_a_usage_error(tmp_path):
    code, err = sim("calibrate", "--seed", -1, "--out", tmp_path / "c")
    assert code == 2 and ">= 0" in err
    code, err = sim("run", "baseline", "--replicates", -1)
    assert code == 2 and "expected a whole number >= 1, got '-1'" in err


@pytest.mark.parametrize("weights", [[0.0, 0.0], [np.nan, 1.0], [-1.0, 2.0]])
def test_a_posterior_with_bad_weights_exits_2(tmp_path, weights):
    frame = pd.read_parquet(REPO / "calibration" / "llama" / "posterior.parquet").head(2)
    frame["weight"] = weights
    frame.to_parquet(tmp_path / "p.parquet")
    path = scenario_file(tmp_path, f'posterior_file = "{tmp_path / "p.parquet"}"')
    path.write_text(path.read_text().replace(PRIOR, '[params]\nfrom = "posterior"\n'))
    code, err = sim("run", path, "--replicates", 2, "--out", tmp_path / "o")
    assert code == 2 and "column weight" in err, err


def test_an_empty_posterior_file_is_refused_naming_the_key(tmp_path):
    """posterior_file = "" was read as the scenario's own folder (an error about a directory)."""
    path = tmp_path / "s.toml"
    path.write_text(f'description = "x"\nextends = "{REPO / "scenarios" / "baseline.toml"}"\n'
                    'posterior_file = ""\n')  # fmt: skip
    code, err = sim("run", path, "--replicates", 2, "--out", tmp_path / "o")
    assert code == 2 and "s.toml, at posterior_file" in err and "at least 1 character" in err


def test_a_grid_too_large_is_refused_with_its_size(tmp_path):
    path = tmp_path / "grid.toml"
    params = "".join(f"{p} = [0.0, 1.0]\n" for p in ("b_open", "b_culture", "b_pace", "b_pay",
                                                      "b_home", "k_tenure"))  # fmt: skip
    path.write_text(
        'scenario = "baseline"\ndesign = "grid"\nlevels = 1000\nreplicates = 2\n'
        f'outputs = ["remaining_2025_05"]\n[parameters]\n{params}'
    )
    code, err = sim("sweep", path, "--out", tmp_path / "w")
    assert code == 2 and "1,000,000,000,000,000,000 points" in err, err


# --------------------------------------------------------------------------- nonsense accepted
def test_an_empty_cohort_is_an_error(tmp_path):
    folder = tmp_path / "w"
    shutil.copytree(LLAMA, folder)
    (folder / "cohort.csv").write_text("name,city,start_lab,tenure_years\n")
    (folder / "ties.csv").unlink()
    (folder / "observed.csv").unlink()
    with pytest.raises(InputError, match="cohort.csv.*cohort is empty"):
        load_world(folder)


# --------------------------------------------------------------------------- wrong places
def test_a_missing_extends_target_names_the_extending_file(tmp_path):
    path = scenario_file(tmp_path, extends="basline")
    code, err = sim("run", path, "--out", tmp_path / "o")
    assert code == 2 and str(path) in err and "at extends" in err and "did you mean" in err


def test_a_scenario_without_its_own_description_inherits_one(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('extends = "baseline"\n[world]\nremove_labs = ["Mistral"]\n')
    from sim.config.scenario import load_scenario

    assert load_scenario(path).spec.description == load_scenario("baseline").spec.description


# --------------------------------------------------------------------------- resume
def test_resume_recomputes_a_chunk_whose_outputs_were_edited(tmp_path):
    spec = tmp_path / "quick.toml"
    spec.write_text(
        'scenario = "baseline"\ndesign = "lhs"\nsamples = 8\nreplicates = 4\nchunk_points = 4\n'
        'outputs = ["remaining_2025_05"]\n[parameters]\nk0 = [3.0, 5.0]\n'
    )
    out = tmp_path / "w"
    assert sim("sweep", spec, "--out", out, "--workers", 1)[0] == 0
    first = pd.read_parquet(out / "results.parquet")
    chunk = out / "chunks" / "chunk-00000.parquet"
    edited = pd.read_parquet(chunk)
    edited["remaining_2025_05_mean"] = 99.0
    edited.to_parquet(chunk)
    with pytest.warns(UserWarning, match="checksum"):
        assert sim("sweep", spec, "--out", out, "--workers", 1)[0] == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), first)


# --------------------------------------------------------------------------- missing data
def test_an_unknown_city_changes_no_choice_probability():
    """The same home term at every lab cancels: P is that of b_home = 0, exactly to rounding."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        v = rng.normal(0, 2, 6)
        lam, premium, b_home = rng.uniform(0.2, 1), rng.normal(3, 1), rng.uniform(0, 4)
        plain = move_probabilities(v, 0, np.ones(6, bool), v[0] + premium, lam)
        homed = move_probabilities(v + b_home, 0, np.ones(6, bool), v[0] + b_home + premium, lam)
        np.testing.assert_allclose(homed, plain, rtol=1e-10, atol=1e-13)


# --------------------------------------------------------------------------- properties
def _mutate(text: str, data) -> str:
    lines = text.splitlines()
    kind = data.draw(st.sampled_from(["drop", "duplicate", "char", "value", "junk"]))
    k = data.draw(st.integers(0, max(len(lines) - 1, 0)))
    if kind == "drop" and lines:
        del lines[k]
    elif kind == "duplicate" and lines:
        lines.insert(k, lines[k])
    elif kind == "char" and lines and lines[k]:
        j = data.draw(st.integers(0, len(lines[k]) - 1))
        c = data.draw(st.sampled_from(list(string.printable.strip()) + ["\u00e9", "\x00"]))
        lines[k] = lines[k][:j] + c + lines[k][j + 1 :]
    elif kind == "value":
        value = data.draw(st.sampled_from(["", "-1", "1e9", "nan", "true", '"x"', "2099-13",
                                           "1800-01", "0", "Meta", "1.5"]))  # fmt: skip
        lines[k] = (lines[k].split("=")[0] + "= " + value) if "=" in lines[k] else (
            ",".join([value, *lines[k].split(",")[1:]]))  # fmt: skip
    else:
        lines.insert(k, data.draw(st.text(max_size=20)))
    return "\n".join(lines) + "\n"


SCENARIO = """description = "mutated"
extends = "baseline"
horizon = "2025-12"
replicates = 3
seed = 5
[world]
remove_labs = ["Kyutai"]
remove_events = ["llama4_flop"]
add_events = [{ id = "x", month = "2024-01", kind = "shift", lab = "Meta", attribute = "pay", value = 0.2 }]
attributes = { Meta = { culture = 0.8 } }
founded = { Mistral = "2023-09" }
[params]
from = "prior-mean"
b_peer = 2.0
"""


def _check_cli(args, out, before):
    code, err = sim(*args)
    assert code in (0, 2), (code, err)
    if code == 2:
        assert one_paragraph(err), err
        after = {p.name: p.read_bytes() for p in out.iterdir()} if out.exists() else None
        assert after == before, "a failed run changed the results folder"
    else:
        assert complete_run(out)


def _earlier_run(tmp_path):
    out = tmp_path / "out"
    if not out.exists():
        assert sim("run", scenario_file(tmp_path), "--replicates", 2, "--out", out)[0] == 0
    return out, {p.name: p.read_bytes() for p in out.iterdir()}


@given(data=st.data())
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_mutated_scenarios_exit_0_or_2_and_never_damage_results(tmp_path, data):
    out, before = _earlier_run(tmp_path)
    path = tmp_path / "mutated.toml"
    path.write_text(_mutate(SCENARIO, data), encoding="utf-8", errors="surrogatepass")
    _check_cli(("run", path, "--out", out, "--no-trajectories"), out, before)


@given(data=st.data())
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_mutated_world_files_exit_0_or_2_and_never_damage_results(tmp_path, data):
    out, before = _earlier_run(tmp_path)
    folder = tmp_path / "world"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(LLAMA, folder)
    name = data.draw(st.sampled_from(["cohort.csv", "labs.csv", "attributes.csv", "events.csv",
                                      "ties.csv", "observed.csv", "world.toml"]))  # fmt: skip
    (folder / name).write_text(_mutate((folder / name).read_text(), data))
    path = tmp_path / "w.toml"
    path.write_text(
        f'description = "mutated world"\nreplicates = 3\nhorizon = "2025-06"\n'
        f'[world]\nname = "{folder}"\n{PRIOR}'
    )
    _check_cli(("run", path, "--out", out, "--no-trajectories"), out, before)


def test_the_cli_subprocess_reports_bad_input_without_traceback(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('description = "a test"\nextends = "baseline"\n[params]\nb_peer = true\n')
    done = run_sim("run", path, "--out", tmp_path / "o")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "b_peer: expected a number, got true" in done.stderr, done.stderr


def test_a_world_too_large_for_one_chunk_is_refused_before_simulating(monkeypatch, llama):
    from sim.engines import ensemble
    from sim.engines.simulate import check_fits

    world = llama.compile("2026-12")
    monkeypatch.setattr(ensemble, "DEFAULT_BUDGET", ensemble.replicate_bytes(world) - 1)
    with pytest.raises(InputError, match="more than the engine's chunk budget"):
        check_fits(world, 1)
