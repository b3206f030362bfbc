"""Joint calibration across cohorts (sim.joint, sim calibrate --worlds): the parameter layout
and the bad input that must exit 2 with a clear message."""

import numpy as np
import pandas as pd

from sim.config.params import PARAMETER_SPACE
from sim.config.scenario import cohort_view
from sim.inference.posterior import Cohort, LogPosterior
from sim.kernel.behavior import PARAMETER_NAMES
from tests.conftest import cli


def _cohorts():
    from sim.inference.joint import baseline_of
    from sim.likelihood import observed_panel

    out = []
    for name in ("llama", "openai-founders"):
        w = baseline_of(name).world
        out.append(Cohort(name, w.compile(w.calendar.observed_until), observed_panel(w)))
    return out


def test_per_cohort_parameters_get_a_column_per_world_and_the_rest_are_shared():
    target = LogPosterior(_cohorts(), PARAMETER_SPACE, 4, 1)
    assert target.names.count("k0[llama]") == 1 and "k0[openai-founders]" in target.names
    assert "k0" not in target.names and len(target.names) == len(PARAMETER_NAMES) + 1
    x = np.arange(len(target.names), dtype=float)
    for c in range(2):
        theta = target.cohort_theta(x, c)
        assert theta.shape == (len(PARAMETER_NAMES),)
        k0 = PARAMETER_NAMES.index("k0")
        assert target.names[int(theta[k0])] == f"k0[{('llama', 'openai-founders')[c]}]"
        shared = [k for k in range(len(PARAMETER_NAMES)) if k != k0]
        assert all(target.names[int(theta[k])] == PARAMETER_NAMES[k] for k in shared)


def test_the_joint_likelihood_is_the_sum_of_the_worlds_at_their_own_parameters():
    cohorts = _cohorts()
    joint = LogPosterior(cohorts, PARAMETER_SPACE, 4, 2)
    x = np.array([p.mean for p in joint.column_priors])
    x[joint.names.index("k0[openai-founders]")] = 6.0
    single = [LogPosterior([c], PARAMETER_SPACE, 4, 2) for c in cohorts]
    thetas = [joint.cohort_theta(x, c) for c in range(2)]
    assert thetas[1][PARAMETER_NAMES.index("k0")] == 6.0
    expected = sum(s.log_likelihood(t) for s, t in zip(single, thetas, strict=True))
    assert np.isclose(joint.log_likelihood(x), expected, rtol=1e-12)


def test_a_scenario_reads_its_worlds_columns_of_a_joint_posterior():
    frame = pd.DataFrame(
        {
            **{n: [1.0] for n in PARAMETER_NAMES if n != "k0"},
            "k0[llama]": [4.0],
            "k0[openai-founders]": [6.0],
            "weight": [1.0],
        }
    )
    view = cohort_view(frame, "openai-founders")
    assert view["k0"].tolist() == [6.0] and "k0[llama]" not in view


def test_a_single_world_is_not_a_joint_calibration(tmp_path):
    done = cli("calibrate", "--method", "likelihood", "--worlds", "llama", "--out", tmp_path / "j")
    assert done.returncode == 2 and "at least two different worlds" in done.stderr, done.stderr


def test_an_unknown_world_is_named(tmp_path):
    done = cli(
        "calibrate", "--method", "likelihood", "--worlds", "llama,nowhere", "--out", tmp_path / "j"
    )
    assert done.returncode == 2 and "'nowhere'" in done.stderr and "Traceback" not in done.stderr


def test_joint_abc_is_refused(tmp_path):
    done = cli("calibrate", "--worlds", "llama,openai-founders", "--out", tmp_path / "j")
    assert done.returncode == 2 and "--method likelihood" in done.stderr, done.stderr


def test_a_per_cohort_prior_naming_an_unknown_cohort_is_refused(tmp_path):
    priors = tmp_path / "p.toml"
    priors.write_text('["k0[antropic]"]\nmean = 5.0\nsd = 1.0\n')
    done = cli(
        "calibrate",
        "--method",
        "likelihood",
        "--worlds",
        "llama,openai-founders",
        "--priors",
        priors,
        "--out",
        tmp_path / "j",
    )
    assert done.returncode == 2, done.stderr
    assert "unknown cohort 'antropic'" in done.stderr and "k0[antropic]" in done.stderr
    assert str(priors) in done.stderr and not (tmp_path / "j").exists()


def test_a_per_cohort_prior_outside_a_joint_calibration_is_refused(tmp_path):
    priors = tmp_path / "p.toml"
    priors.write_text('["k0[llama]"]\nmean = 5.0\nsd = 1.0\n')
    done = cli("calibrate", "--method", "likelihood", "--priors", priors, "--out", tmp_path / "j")
    assert done.returncode == 2 and "only to a joint calibration" in done.stderr, done.stderr


def test_an_unknown_per_cohort_parameter_is_refused(tmp_path):
    done = cli(
        "calibrate",
        "--method",
        "likelihood",
        "--worlds",
        "llama,openai-founders",
        "--per-cohort",
        "k9",
        "--out",
        tmp_path / "j",
    )
    assert done.returncode == 2 and "unknown parameter 'k9'" in done.stderr, done.stderr


def test_worlds_whose_parameter_spaces_disagree_are_refused(tmp_path):
    from tests.conftest import REPO

    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(
        f'description = "a"\nextends = "{REPO / "scenarios" / "baseline.toml"}"\n[params]\nlam = 0.6\n'
    )
    b.write_text(
        f'description = "b"\nextends = "{REPO / "scenarios" / "openai-founders" / "baseline.toml"}"\n[params]\nlam = 0.8\n'
    )
    done = cli(
        "calibrate", "--method", "likelihood", "--worlds", f"{a},{b}", "--out", tmp_path / "j"
    )
    assert done.returncode == 2 and "parameter spaces disagree" in done.stderr, done.stderr
    assert "params.lam" in done.stderr
