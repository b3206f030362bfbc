"""``sim calibrate --worlds`` with a user's world folders, and the posteriors "alone" the joint
report compares with: given explicitly (``--alone``), never derived from the output folder."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from sim.config.params import sample_prior
from sim.kernel.behavior import PARAMETER_NAMES
from tests.conftest import REPO, cli

ACME = REPO / "examples" / "acme" / "world"


def _world(tmp_path, name: str):
    folder = tmp_path / name
    shutil.copytree(ACME, folder)
    toml = folder / "world.toml"
    text = toml.read_text().replace('title = "The Acme five"', f'title = "Acme as {name}"')
    toml.write_text(f'name = "{name}"\n' + text)
    return folder


def test_worlds_take_shipped_names_world_folders_and_scenario_files(tmp_path):
    from sim.inference.joint import parse_worlds

    beta = _world(tmp_path, "beta")
    scenarios = parse_worlds(f"llama,{beta},{REPO / 'scenarios/openai-founders/baseline.toml'}")
    assert [s.world.name for s in scenarios] == ["llama", "beta", "openai-founders"]
    assert scenarios[0].path == REPO / "scenarios" / "baseline.toml"
    assert scenarios[1].path is None and scenarios[1].world.folder == str(beta.resolve())


def test_a_folder_named_like_a_shipped_world_is_not_its_baseline(tmp_path):
    """A world folder is its own world, whatever the folder is called."""
    from sim.inference.joint import parse_worlds

    folder = tmp_path / "openai-founders"
    shutil.copytree(ACME, folder)
    scenarios = parse_worlds(f"llama,{folder}")
    world = scenarios[1].world
    assert scenarios[1].path is None and world.name == "openai-founders"
    assert len(world.researchers) == 5 and not world.name_declared


def test_calibrate_help_says_what_worlds_and_alone_take():
    done = cli("calibrate", "--help")
    text = " ".join(done.stdout.split())
    assert "a shipped world's name" in text and "a world folder" in text
    assert "a scenario file (.toml)" in text and "--alone WORLD=FOLDER" in text


@pytest.mark.parametrize(
    "alone, expected",
    [
        ("nobody=x", "'nobody' is not one of the worlds calibrated (llama, beta)"),
        ("beta", "expected WORLD=FOLDER, got 'beta'"),
        ("beta=/nowhere", "no posterior for beta: expected a folder holding posterior.parquet"),
    ],
)
def test_a_bad_alone_option_is_named(tmp_path, alone, expected):
    beta = _world(tmp_path, "beta")
    done = cli("calibrate", "--method", "likelihood", "--worlds", f"llama,{beta}",
               "--alone", alone, "--out", tmp_path / "j")  # fmt: skip
    assert done.returncode == 2 and "--alone" in done.stderr and expected in done.stderr, (
        done.stderr
    )
    assert not (tmp_path / "j").exists()


def test_alone_without_worlds_is_refused(tmp_path):
    done = cli("calibrate", "--method", "likelihood", "--alone", "llama=x", "--out", tmp_path)
    assert done.returncode == 2 and "--alone applies to a joint calibration only" in done.stderr


def test_the_default_posteriors_alone_are_read_only_for_the_default_run(tmp_path):
    from types import SimpleNamespace

    from sim.cli.calibrate import _alone
    from sim.inference.joint import default_alone

    names = ["llama", "openai-founders"]
    shipped = {n: default_alone(n) for n in names if default_alone(n).is_file()}
    assert _alone(SimpleNamespace(alone=None, out=None, priors=None), names) == shipped
    # another output folder (even one called joint-wide or joint3): nothing is guessed
    for out in ("joint3", "joint-wide"):
        args = SimpleNamespace(alone=None, out=REPO / "calibration" / out, priors=None)
        assert _alone(args, names) == {}
    wide = SimpleNamespace(alone=None, out=None, priors="calibration/priors-wide.toml")
    assert _alone(wide, names) == {}
    given = SimpleNamespace(alone=[f"llama={tmp_path}"], out=tmp_path / "j", priors=None)
    (tmp_path / "posterior.parquet").write_bytes(b"")
    assert _alone(given, names) == {"llama": tmp_path / "posterior.parquet"}


def _tiny_joint(folders):
    """The worlds' scenarios, their cohorts and sampler settings small enough for a unit test."""
    from sim.inference.joint import parse_worlds
    from sim.inference.posterior import Cohort, LikelihoodSettings
    from sim.likelihood import observed_panel

    scenarios = parse_worlds(",".join(map(str, folders)))
    cohorts = [
        Cohort(s.world.name, s.world.compile(s.world.calendar.observed_until),
               observed_panel(s.world))
        for s in scenarios
    ]  # fmt: skip
    settings = LikelihoodSettings(
        walkers=28, steps=10, burn=2, thin=2, quadrature=4, fit_points=1, final_quadrature=4,
        final_fit_points=1, seed=3, max_integration_sd=1e9,
    )  # fmt: skip
    return scenarios, cohorts, settings


def test_a_three_world_joint_report_with_user_folders_is_complete(tmp_path):
    """Three world folders, one posterior alone given: every section is filled where it can
    be, and the leave-one-cohort-out pairs without a posterior alone are named."""
    from sim.inference.abc.targets import load_targets
    from sim.inference.joint import joint_checks
    from sim.inference.posterior import sample_posterior
    from sim.reports.joint import write_joint

    folders = [_world(tmp_path, n) for n in ("alpha", "beta", "gamma")]
    scenarios, cohorts, settings = _tiny_joint(folders)
    result = sample_posterior(cohorts, settings)
    assert [n for n in result.names if "[" in n] == ["k0[alpha]", "k0[beta]", "k0[gamma]"]
    alone = tmp_path / "beta-alone.parquet"
    frame = pd.DataFrame(sample_prior(40, np.random.default_rng(1)), columns=PARAMETER_NAMES)
    frame.to_parquet(alone)
    targets = {s.world.name: load_targets(s.world) for s in scenarios}
    checks = joint_checks(result, scenarios, targets, 3, 30, {"beta": alone})
    assert sorted((s.world.name, f) for s, f, _ in checks.loo) == [
        ("alpha", "beta"),
        ("gamma", "beta"),
    ]
    out = tmp_path / "joint3"
    write_joint(result, checks, scenarios, targets, out)
    report = (out / "report.md").read_text()
    assert f"--worlds {','.join(map(str, folders))}` (seed" in report  # as --worlds gave them
    assert f"- beta alone: `{alone}`" in report
    assert "- alpha alone: none given (`--alone WORLD=FOLDER`)" in report
    assert "| b_peer |  | " in report  # alpha alone: blank; beta alone: a number
    assert "### Acme as alpha, from the posterior of beta" in report
    assert "### Acme as gamma, from the posterior of beta" in report
    assert ("Not computed for alpha from gamma; beta from alpha; beta from gamma; gamma from "
            "alpha: no posterior of alpha, gamma fitted alone was given") in report  # fmt: skip
    assert report.count("| remaining@2010-06 | ") == 3 + 2  # each world, each prediction
    assert (out / "loo-alpha-from-beta.png").exists()
    assert all((out / n / "report.md").exists() for n in ("alpha", "beta", "gamma"))
    assert json.loads((out / "manifest.json").read_text())["alone"] == {"beta": str(alone)}
    assert ("## Simpler models to beat\n\nNot computed: it needs every world's posterior "
            "fitted alone") in report  # fmt: skip
    assert not (out / "baselines.csv").exists()


def test_the_posteriors_alone_a_run_computes_complete_the_report(tmp_path):
    """--compute-alone: each world without a posterior alone gets one, sampled with the joint
    run's settings; the report's 'alone' columns and every leave-one-cohort-out pair are filled,
    and the files are written inside the joint output folder."""
    from sim.analysis.baselines import compare_baselines
    from sim.inference.abc.targets import load_targets
    from sim.inference.joint import joint_checks, posteriors_alone
    from sim.inference.posterior import sample_posterior
    from sim.reports.joint import ALONE_FOLDER, write_joint

    folders = [_world(tmp_path, n) for n in ("alpha", "beta")]
    scenarios, cohorts, settings = _tiny_joint(folders)
    result = sample_posterior(cohorts, settings)
    out = tmp_path / "joint"
    computed = posteriors_alone(cohorts, settings, out / ALONE_FOLDER)
    assert sorted(computed) == ["alpha", "beta"]
    # the same as sampling the world alone with the same settings
    alone_alpha = sample_posterior(cohorts[:1], settings).to_df()
    pd.testing.assert_frame_equal(computed["alpha"][1], alone_alpha)
    targets = {s.world.name: load_targets(s.world) for s in scenarios}
    checks = joint_checks(result, scenarios, targets, 3, 30, {}, computed)
    assert sorted((s.world.name, f) for s, f, _ in checks.loo) == [
        ("alpha", "beta"),
        ("beta", "alpha"),
    ]
    # what `sim calibrate --worlds` adds when every world has a posterior alone
    checks.baselines = compare_baselines(
        [s.world for s in scenarios], checks.alone_draws, 50, 3, settings.priors
    )
    assert checks.baselines.posteriors == {"alpha": "computed by this run",
                                           "beta": "computed by this run"}  # fmt: skip
    write_joint(result, checks, scenarios, targets, out)
    report = (out / "report.md").read_text()
    assert "- alpha alone: computed by this run (`alone/alpha/posterior.parquet`" in report
    assert "Not computed" not in report
    section = report.split("## Simpler models to beat")[1]
    assert (
        "**alpha**, predicted from beta" in section and "**beta**, predicted from alpha" in section
    )
    for model in ("constant hazard", "Kaplan-Meier", "agent-based model"):
        assert f"| {model} | " in section
    assert "The agent-based model beats the best baseline on" in section
    scores = pd.read_csv(out / "baselines.csv")
    expected = checks.baselines.scores
    assert scores.model.tolist() == expected.model.tolist()
    np.testing.assert_allclose(scores.value, expected.value, rtol=1e-12)
    written = pd.read_parquet(out / ALONE_FOLDER / "beta" / "posterior.parquet")
    pd.testing.assert_frame_equal(written, computed["beta"][1])
