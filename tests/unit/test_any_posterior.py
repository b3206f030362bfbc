"""Any posterior on any world (issue 25): a joint posterior's per-cohort columns mapped onto a
world they were not fitted to, from a scenario file (``params.per_cohort``), with the world's
identity read from its world.toml, never from its folder's name."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from sim.config.params import PARAMETER_SPACE, prior_means, sample_prior
from sim.config.scenario import load_scenario
from sim.kernel.behavior import FOUNDING_NAMES, PARAMETER_NAMES
from tests.conftest import REPO, cli

JOINT = REPO / "calibration" / "joint" / "posterior.parquet"
ACME = REPO / "examples" / "acme" / "world"
K0 = PARAMETER_NAMES.index("k0")


def _scenario(tmp_path, world=ACME, posterior=JOINT, params="", name="predict", edits="") -> str:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'description = "a world predicted from a posterior"\nposterior_file = "{posterior}"\n'
        f'seed = 5\n[world]\nname = "{world}"\n{edits}[params]\nfrom = "posterior"\n{params}\n'
    )
    return str(path)


def _joint() -> pd.DataFrame:
    return pd.read_parquet(JOINT)


# ----------------------------------------------------------------------------- exact behaviour
def test_the_shipped_joint_posterior_runs_on_acme_with_k0_from_its_prior(tmp_path):
    out = tmp_path / "out"
    done = cli("run", _scenario(tmp_path), "--replicates", 12, "--out", out)
    assert done.returncode == 0, done.stderr
    params = pd.read_parquet(out / "parameters.parquet")
    joint = _joint()
    draw = params["posterior_draw"].to_numpy()
    for name in PARAMETER_NAMES:  # the shared parameters: the joint posterior's rows
        if name in FOUNDING_NAMES:  # fitted where founding is given: held at the prior means
            assert (params[name] == prior_means()[name]).all(), name
        elif name != "k0":
            assert np.array_equal(params[name].to_numpy(), joint[name].to_numpy()[draw]), name
    # k0: one prior draw per replicate (sample_prior, the function leave_one_out draws with)
    expected = sample_prior(12, np.random.default_rng([5, 12]))[:, K0]
    assert np.array_equal(params["k0"].to_numpy(), expected)
    assert json.loads((out / "manifest.json").read_text())["drawn_from_prior"] == ["k0"]


def test_a_named_cohort_lends_its_column(tmp_path):
    scenario = load_scenario(_scenario(tmp_path, params='per_cohort = "openai-founders"'))
    theta, draw = scenario.parameters(30, 5)
    assert np.array_equal(theta[:, K0], _joint()["k0[openai-founders]"].to_numpy()[draw])
    assert scenario.posterior().from_prior == ()


def test_a_fixed_value_needs_no_column(tmp_path):
    """Fixed values apply before the missing-column check (k0 alone is not in the file)."""
    scenario = load_scenario(_scenario(tmp_path, params="k0 = 3.25"))
    theta, _ = scenario.parameters(30, 5)
    assert (theta[:, K0] == 3.25).all() and scenario.posterior().from_prior == ()


def test_prior_draws_leave_the_posterior_draws_as_they_were(tmp_path):
    """Adding prior draws for k0 does not move the posterior draw of any replicate."""
    own = load_scenario(REPO / "scenarios" / "given" / "baseline.toml")  # JOINT, founding given
    other = load_scenario(
        _scenario(tmp_path, world="llama", posterior=JOINT, params='per_cohort = "prior"',
                  edits='founding = "given"\n')
    )  # fmt: skip
    theta_own, draw_own = own.parameters(40, 9)
    theta_other, draw_other = other.parameters(40, 9)
    assert np.array_equal(draw_own, draw_other)
    shared = [k for k in range(len(PARAMETER_NAMES)) if k != K0]
    assert np.array_equal(theta_own[:, shared], theta_other[:, shared])
    assert np.array_equal(theta_own[:, K0], _joint()["k0[llama]"].to_numpy()[draw_own])
    assert np.array_equal(
        theta_other[:, K0], sample_prior(40, np.random.default_rng([9, 12]))[:, K0]
    )


def test_prior_applies_to_a_single_world_posterior_too(tmp_path):
    single = tmp_path / "single.parquet"
    frame = _joint().rename(columns={"k0[llama]": "k0"}).drop(columns="k0[openai-founders]")
    frame.to_parquet(single)
    plain = load_scenario(_scenario(tmp_path, posterior=single, name="plain"))
    theta, draw = plain.parameters(20, 5)
    assert np.array_equal(theta[:, K0], frame["k0"].to_numpy()[draw])  # its k0 as it is
    drawn = load_scenario(_scenario(tmp_path, posterior=single, params='per_cohort = "prior"'))
    assert drawn.posterior().from_prior == ("k0",)


def test_a_folder_named_after_a_cohort_takes_its_columns_only_when_world_toml_says_so(tmp_path):
    folder = tmp_path / "llama"
    shutil.copytree(ACME, folder)
    path = _scenario(tmp_path, world=folder)
    done = cli("run", path, "--replicates", 4, "--out", tmp_path / "out")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{path}, at params.per_cohort" in done.stderr
    assert f'add name = "llama" to {folder / "world.toml"}' in done.stderr
    assert 'params.per_cohort = "prior"' in done.stderr, done.stderr
    toml = folder / "world.toml"
    toml.write_text('name = "llama"\n' + toml.read_text())
    scenario = load_scenario(path)
    theta, draw = scenario.parameters(20, 5)
    assert np.array_equal(theta[:, K0], _joint()["k0[llama]"].to_numpy()[draw])


def test_sweep_base_values_take_the_prior_mean_of_a_drawn_parameter(tmp_path):
    from sim.analysis.sweep import base_values

    base, origin = base_values(load_scenario(_scenario(tmp_path)))
    joint = _joint()
    w = joint["weight"].to_numpy()
    assert origin == "posterior means" and base["k0"] == prior_means()["k0"]
    assert np.isclose(base["b_peer"], w @ joint["b_peer"].to_numpy() / w.sum(), rtol=1e-12)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "params, expected",
    [
        ('per_cohort = "lama"', "no cohort 'lama' (did you mean 'llama'?)"),
        ("per_cohort = 3", 'expected "prior", "population" or a cohort\'s name'),
        ('per_cohort = ""', 'expected "prior", "population" or a cohort\'s name'),
    ],
)
def test_a_bad_per_cohort_choice_names_the_file_and_key(tmp_path, params, expected):
    path = _scenario(tmp_path, params=params)
    done = cli("run", path, "--replicates", 4, "--out", tmp_path / "out")
    assert done.returncode == 2 and expected in done.stderr, done.stderr
    assert f"{path}, at params.per_cohort" in done.stderr


def test_per_cohort_without_a_posterior_is_refused(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        f'description = "d"\n[world]\nname = "{ACME}"\n[params]\nfrom = "prior-mean"\n'
        'per_cohort = "prior"\n'
    )
    done = cli("run", path, "--replicates", 4, "--out", tmp_path / "out")
    assert done.returncode == 2 and f"{path}, at params.per_cohort" in done.stderr
    assert 'applies only with from = "posterior"' in done.stderr, done.stderr


def test_a_missing_shared_column_still_names_the_file(tmp_path):
    broken = tmp_path / "broken.parquet"
    _joint().drop(columns="b_peer").to_parquet(broken)
    done = cli("run", _scenario(tmp_path, posterior=broken), "--replicates", 4,
               "--out", tmp_path / "out")  # fmt: skip
    assert done.returncode == 2 and f"{broken}: expected a column" in done.stderr
    assert "missing ['b_peer']" in done.stderr, done.stderr


def test_the_per_cohort_parameters_are_those_declared():
    assert [p.name for p in PARAMETER_SPACE if p.per_cohort] == ["k0"]
