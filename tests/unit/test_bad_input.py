"""Bad input found by probing as a careless user would: each gets exit 2 and names the place.

Each test here failed before its fix (the defect named in its docstring).
"""

import re

import pytest

from sim.errors import InputError
from sim.world import Event
from tests.conftest import cli, make_world, run_sim


def _merge(id_, month, lab, into):
    return Event(id=id_, month=month, kind="merge", lab=lab, into=into)


@pytest.mark.parametrize(
    ("events", "message"),
    [
        # B merges into C in 2023-06; A merging into B afterwards would put people at a lab gone
        ((_merge("b_to_c", "2023-06", "B", "C"), _merge("a_to_b", "2023-09", "A", "B")),
         r"row 3 \(id 'a_to_b'\).*'B' itself merges into 'C' in 2023-06 \(event 'b_to_c'\)"),
        # two labs merging into each other in the same month
        ((_merge("b_to_c", "2023-06", "B", "C"), _merge("c_to_b", "2023-06", "C", "B")),
         r"merge of 'B' into 'C' in 2023-06, but 'C' itself merges into 'B'"),
        # a lab that merges away twice
        ((_merge("b_to_c", "2023-06", "B", "C"), _merge("b_to_a", "2023-09", "B", "A")),
         r"row 3 \(id 'b_to_a'\).*'B' already merges into 'C' in 2023-06"),
    ],
)  # fmt: skip
def test_a_merge_into_a_lab_that_is_gone_is_refused_naming_the_event(events, message):
    """Was accepted: researchers then sat at labs that no longer existed."""
    with pytest.raises(InputError, match=message):
        make_world(labs=("A", "B", "C"), events=events)


def test_a_merge_into_a_lab_that_merges_later_is_accepted():
    world = make_world(
        labs=("A", "B", "C"),
        events=(_merge("a_to_b", "2023-04", "A", "B"), _merge("b_to_c", "2023-06", "B", "C")),
    )
    merge_into = world.compile("2023-12").timeline.merge_into
    assert merge_into[2, 0] == 1 and merge_into[4, 1] == 2


def test_a_scenarios_merge_into_a_merged_lab_exits_2_naming_its_key(tmp_path):
    scenario = tmp_path / "bad-merge.toml"
    scenario.write_text(
        'extends = "baseline"\n[world]\nadd_events = [{ id = "x", month = "2024-06", '
        'kind = "merge", lab = "Meta", into = "Inflection" }]\n'
    )
    result = cli("run", scenario, "--replicates", "2", "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(
        r"bad-merge\.toml, at world\.add_events\[0\].*'Inflection' itself merges into "
        r"'Microsoft AI' in 2024-03",
        result.stderr,
    ), result.stderr
    assert not (tmp_path / "out").exists()


def test_run_summary_quantiles_are_values_a_replicate_took():
    """Were interpolated: a count's 5% quantile came out as 0.05000000000000071."""
    import numpy as np

    import sim

    traj = sim.run_scenario(sim.load_scenario("baseline"), replicates=37, seed=5)
    table = sim.summary_table(traj).set_index("statistic")
    stats = sim.replicate_summaries(traj)
    for name in ("remaining_2025_05", "remaining_at_horizon", "gone_by_2023_09"):
        for q in ("q05", "q95"):
            assert table.loc[name, q] in set(stats[name].to_numpy().tolist()), (name, q)
            assert float(table.loc[name, q]).is_integer()
    assert np.isfinite(table.loc["remaining_at_horizon", "q05"])


def _llama_copy(tmp_path):
    import shutil

    from tests.conftest import REPO

    folder = tmp_path / "world"
    shutil.copytree(REPO / "sim" / "data" / "llama", folder)
    return folder


def _edit(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("filename", "old", "new", "message"),
    [
        # was accepted, and reported "left Rival by 2010-06: 5.0"
        ("world.toml", 'focal_lab = "Meta"', 'focal_lab = "Google DeepMind"',
         r"world\.toml, at focal_lab: nobody in cohort\.csv starts at focal_lab 'Google DeepMind'"),
        # was accepted, and the observed months' statistics silently left summary.csv
        ("world.toml", 'horizon = "2026-12"', 'horizon = "2024-12"',
         r"world\.toml, at horizon: horizon 2024-12 is before observed_until 2025-05"),
        # was accepted: the 'stayed' row and a move row for one person
        ("observed.csv", "Hugo Touvron,,,,,BI-2025",
         "Hugo Touvron,2024-01,2024-02,Meta,Mistral,x,I,\nHugo Touvron,,,,,BI-2025",
         r"observed\.csv, at row 3: Hugo Touvron has other rows: a row with every move column "
         r"blank says they stayed"),
        # was accepted, and the first 'to' column won
        ("observed.csv", "name,earliest,latest,from,to,", "name,earliest,latest,from,to,to,",
         r"observed\.csv, at header: column\(s\) \['to'\] appear more than once"),
    ],
)  # fmt: skip
def test_a_world_file_that_contradicts_itself_is_refused(tmp_path, filename, old, new, message):
    from sim.world import load_world

    folder = _llama_copy(tmp_path)
    _edit(folder / filename, old, new)
    with pytest.raises(InputError, match=message):
        load_world(folder)


@pytest.mark.parametrize("delay", [0.2, 0.5, 1.5])
def test_ctrl_c_at_any_moment_ends_with_one_line_and_status_130(tmp_path, delay):
    """Ctrl-C in the first second printed a KeyboardInterrupt traceback from the numba import."""
    import signal
    import subprocess
    import time

    from tests.conftest import REPO, SIM, SIM_ENV

    process = subprocess.Popen(
        [*SIM, "run", "baseline", "--replicates", "20000", "--out", str(tmp_path / "out")],
        cwd=REPO, env=SIM_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr, stderr
    assert process.returncode == 130, (process.returncode, stderr)
    assert stderr.strip().endswith("interrupted; finished files are kept."), stderr


def test_a_posterior_value_out_of_bounds_names_the_posterior_file(tmp_path):
    """Blamed the scenario that read the file."""
    import pandas as pd

    from tests.conftest import REPO

    frame = pd.read_parquet(REPO / "calibration" / "llama" / "posterior.parquet")
    frame.loc[3, "b_peer"] = 99.0
    frame.to_parquet(tmp_path / "damaged.parquet")
    scenario = tmp_path / "s.toml"
    scenario.write_text('extends = "baseline"\nposterior_file = "damaged.parquet"\n')
    result = cli("run", scenario, "--replicates", "50", "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr
    assert re.search(
        r"damaged\.parquet, at b_peer: parameter b_peer = 99 is outside its bounds \[0, 20\]",
        result.stderr,
    ), result.stderr


def test_a_run_whose_horizon_ends_before_a_statistic_says_so(tmp_path):
    """The statistic silently dropped from summary.csv."""
    import pandas as pd

    scenario = tmp_path / "short.toml"
    scenario.write_text('extends = "baseline"\nhorizon = "2024-12"\n')
    result = cli("run", scenario, "--replicates", "20", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"note: summary\.csv leaves out the statistics read after the horizon \(2024-12\): "
        r"remaining_2025_05, at_mistral_2025_05, other_labs_2025_05, largest_group_2025_05",
        result.stdout,
    ), result.stdout
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert "remaining_2025_05" not in set(summary["statistic"])
    assert "remaining_2024_06" in set(summary["statistic"])


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_an_interrupted_run_leaves_no_staging_files_and_keeps_the_earlier_result(tmp_path, sig):
    """SIGTERM left hidden .prev.*.parquet and .tmp files of 5-16 MB that nothing removed."""
    import signal
    import subprocess
    import time

    from sim.results import earlier_result
    from tests.conftest import REPO, SIM, SIM_ENV

    out = tmp_path / "out"
    assert run_sim("run", "baseline", "--replicates", "20", "--out", out).returncode == 0
    (out / "notes.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    process = subprocess.Popen(
        [*SIM, "run", "baseline", "--replicates", "400000", "--out", str(out)],
        cwd=REPO, env=SIM_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.05)  # until the run stages its files
    time.sleep(0.5)
    process.send_signal(getattr(signal, sig))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert earlier_result(out) is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # wrote a posterior whose R-hat, ESS and autocorrelation were all nan, without a warning
        (["--steps", "3", "--burn", "1"],
         r"at --steps: --steps 3 with --burn 1 keeps 1 draw\(s\) per walker .* at least 4: "
         r"give --steps at least 77"),
        # crashed with a ZeroDivisionError traceback
        (["--steps", "2", "--burn", "0", "--walkers", "40"], r"keeps 1 draw\(s\) per walker"),
        # was silently ignored
        (["--per-cohort", "k0"], r"at --per-cohort: --per-cohort applies to a joint calibration"),
    ],
)  # fmt: skip
def test_a_likelihood_run_too_short_to_diagnose_is_refused(tmp_path, args, message):
    result = cli("calibrate", "--method", "likelihood", *args, "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr[-1500:]
    assert "Traceback" not in result.stderr
    assert re.search(message, result.stderr), result.stderr
    assert not (tmp_path / "out").exists()


def test_a_prior_mean_that_is_not_a_number_names_the_priors_file_and_key(tmp_path):
    """mean = "nan" was accepted, and the error then blamed observed.csv."""
    priors = tmp_path / "my-priors.toml"
    priors.write_text('[b_open]\nmean = "nan"\n')
    result = cli("calibrate", "--priors", priors, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert re.search(
        r"my-priors\.toml, at b_open\.mean: expected a finite number, got 'nan'", result.stderr
    ), result.stderr


@pytest.mark.parametrize(
    ("edit", "key", "row"),
    [
        ('[world]\nremove_labs = ["Kyutai"]\n', "world.remove_labs", "row"),
        ('[world]\nfounded = { Mistral = "2024-01" }\n', "world.founded.Mistral", "row"),
    ],
)  # fmt: skip
def test_a_forecast_whose_edits_contradict_the_history_names_the_key_and_the_row(
    tmp_path, edit, key, row
):
    """Blamed 'the scenario's parameters', with a doubled apostrophe ("Lavril''s")."""
    scenario = tmp_path / "edited-forecast.toml"
    scenario.write_text('extends = "forecast/baseline"\n' + edit)
    result = cli("run", scenario, "--replicates", "5", "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr[-1500:]
    assert re.search(
        rf"edited-forecast\.toml, at {re.escape(key)}: this edit contradicts the observed history "
        rf".*observed\.csv, {row} \d+",
        result.stderr,
    ), result.stderr
    assert "''" not in result.stderr


def test_a_forecast_horizon_at_the_last_observed_month_names_the_file(tmp_path):
    scenario = tmp_path / "too-short.toml"
    scenario.write_text('extends = "forecast/baseline"\nhorizon = "2025-05"\n')
    result = cli("run", scenario, "--replicates", "5", "--out", tmp_path / "out")
    assert result.returncode == 2
    assert re.search(r"too-short\.toml, at horizon: the horizon \(2025-05\) must end after",
                     result.stderr), result.stderr  # fmt: skip


def test_explain_refuses_a_forecast_scenario_and_says_why(tmp_path):
    """Silently simulated from the world's start."""
    result = cli("explain", "forecast/baseline", "--replicates", "5", "--out", tmp_path / "o")
    assert result.returncode == 2
    assert re.search(r"at from_observed: sim explain attributes the whole history", result.stderr)


def test_explain_with_too_few_replicates_gives_no_interval_and_levels_stay_in_range(tmp_path):
    """--replicates 1 showed a zero-width '90% interval'; with 5, count intervals went below 0."""
    import pandas as pd

    from sim.analysis.explain import explain
    from sim.analysis.explain.explanation import MIN_INTERVAL_REPLICATES

    one = explain("baseline", replicates=1)
    table = one.to_df()
    assert table[["low", "high"]].isna().all().all()
    from sim.reports.explain import report

    assert "(interval n/a)" in report(one)
    many = explain("baseline", replicates=MIN_INTERVAL_REPLICATES)
    levels = many.summary("posterior")
    for name in ("all_off", "scenario"):
        _, low, high = levels[name]
        assert (low >= 0).all() and (high[1:] <= 1).all(), name
    assert pd.notna(many.to_df()[["low", "high"]]).all().all()


def test_compare_warns_that_a_later_scenarios_own_parameter_source_is_not_used(tmp_path):
    """A later scenario's [params] from was silently ignored."""
    other = tmp_path / "prior-mean.toml"
    other.write_text('extends = "culture-kept"\n[params]\nfrom = "prior-mean"\n')
    result = run_sim("compare", "baseline", other, "--replicates", "5", "--out", tmp_path / "o")
    assert result.returncode == 0, result.stderr[-1500:]
    assert re.search(
        r"sim: warning: .*prior-mean\.toml: params\.from = 'prior-mean' is not used: every "
        r"scenario of a comparison draws the reference's parameters",
        result.stderr,
    ), result.stderr


def test_two_worlds_with_the_same_folder_name_can_be_calibrated_jointly_once_named(tmp_path):
    """Two different worlds whose folders were both called 'world' were 'the same world'."""
    import shutil

    from sim.inference.joint import parse_worlds
    from tests.conftest import REPO

    scenarios = []
    for study, world in (("study1", "llama"), ("study2", "openai-founders")):
        folder = tmp_path / study / "world"
        shutil.copytree(REPO / "sim" / "data" / world, folder)
        path = tmp_path / study / "baseline.toml"
        path.write_text(
            'description = "x"\n[world]\nname = "world"\n[params]\nfrom = "prior-mean"\n'
        )
        scenarios.append(path)
    with pytest.raises(InputError, match=r"two different worlds are named 'world' .*world\.toml"):
        parse_worlds(f"{scenarios[0]},{scenarios[1]}")
    for study, name in (("study1", "first"), ("study2", "second")):
        toml = tmp_path / study / "world" / "world.toml"
        toml.write_text(f'name = "{name}"\n' + toml.read_text())
    assert [s.world.name for s in parse_worlds(f"{scenarios[0]},{scenarios[1]}")] == [
        "first",
        "second",
    ]


LOOSE_TARGETS = (
    '[[target]]\nsummary = "remaining_2025_05"\nobserved = 3\ntolerance = 2\n'
    'why = "loose, for speed"\n'
    '[[target]]\nsummary = "gone_by_2023_09"\nobserved = 8\ndirection = "at_least"\n'
    'tolerance = 2\nwhy = "loose, for speed"\n'
)


@pytest.mark.parametrize("command", ["explain", "calibrate"])
def test_the_same_seed_gives_the_same_bytes_in_every_file_but_the_manifest(tmp_path, command):
    """report.md embedded the wall time."""
    targets = tmp_path / "targets.toml"
    targets.write_text(LOOSE_TARGETS)
    args = {
        "explain": ["explain", "baseline", "--replicates", "20"],
        "calibrate": ["calibrate", "--targets", targets, "--population", "100", "--batch",
                      "5000", "--predictive-replicates", "200", "--quiet"],
    }[command]  # fmt: skip
    trees = []
    for name in ("a", "b"):
        result = cli(*args, "--out", tmp_path / name)
        assert result.returncode == 0, result.stderr[-1500:]
        folder = tmp_path / name
        trees.append({
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"
        })  # fmt: skip
    assert trees[0].keys() == trees[1].keys() and len(trees[0]) >= 5
    different = [name for name in trees[0] if trees[0][name] != trees[1][name]]
    assert not different, different
    manifest = __import__("json").loads((tmp_path / "a" / "manifest.json").read_text())
    assert "timing" in manifest or "simulation_seconds" in manifest


@pytest.mark.parametrize("command", ["run", "compare", "explain", "calibrate", "robustness"])
@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_out_is_a_usage_error(tmp_path, command, blank):
    """--out "" silently wrote to the default folder and replaced the earlier run there."""
    args = {"run": ["run", "baseline"], "compare": ["compare", "--all"],
            "explain": ["explain", "baseline"], "calibrate": ["calibrate"],
            "robustness": ["robustness"]}[command]  # fmt: skip
    result = cli(*args, "--out", blank)
    assert result.returncode == 2
    assert "argument --out: expected a folder name, got an empty one" in result.stderr


@pytest.mark.parametrize(
    ("title", "focal", "phrase"),
    [("The 14 LLaMA-1 authors at Meta", "Meta", "the 14 LLaMA-1 authors at Meta"),
     ("The Acme five", "Acme", "the Acme five at Acme"),
     ("OpenAI's co-founders", "OpenAI", "OpenAI's co-founders at OpenAI")],
)  # fmt: skip
def test_a_report_names_the_cohort_and_its_lab_once(title, focal, phrase):
    """'what would have kept The 14 LLaMA-1 authors at Meta at Meta?'"""
    from sim.reports.compare import cohort_phrase

    assert cohort_phrase(title, focal) == phrase


def test_summary_means_carry_no_float_noise():
    """summary.csv showed 1.9500000000000028."""
    import sim

    # 37 replicates: means k / 37 have long expansions, which must be cut to 12 digits
    table = sim.summary_table(
        sim.run_scenario(sim.load_scenario("baseline"), replicates=37, seed=1)
    )
    for value in table["mean"].dropna():
        assert len(repr(float(value))) <= 15, value


def test_a_move_to_a_lab_founded_inside_its_interval_is_one_row_read_from_the_founding(tmp_path):
    """The format forced a move to another lab and a second move a month later (issue 23)."""
    import shutil

    from sim.world import load_world
    from tests.conftest import REPO

    folder = tmp_path / "acme"
    shutil.copytree(REPO / "examples" / "acme" / "world", folder)
    _edit(folder / "observed.csv", "Ada,2010-03,2010-05", "Ada,2010-01,2010-05")
    world = load_world(folder)
    (move,) = world.observed.moves_of(world.researchers.index("Ada"))
    assert (move.earliest, move.latest) == (world.calendar.index("2010-03"),
                                             world.calendar.index("2010-05"))  # fmt: skip


def test_ctrl_c_inside_a_clean_up_ends_the_command_with_one_line_and_status_130():
    """Ctrl-C 0.2 s in once printed 'Exception ignored in: <function _get_module_lock...>' and a
    traceback from an import's clean-up on a loaded machine (the interrupt was then lost)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import sim.cli.command\n"
        "sys.unraisablehook = sim.cli.command._unraisable\n"
        "class Cleanup:\n"
        "    def __del__(self):\n"
        "        raise KeyboardInterrupt\n"
        "c = Cleanup()\n"
        "del c\n"
        "print('not reached')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 130 and done.stdout == "", (done.returncode, done.stdout)
    assert done.stderr == "sim: interrupted; finished files are kept.\n", done.stderr
