"""Partial pooling of per-cohort parameters (issue 25): the non-centred population prior of
``LogPosterior(pooled=...)``, the population predictive of a pooled posterior on a world it has
not seen (``params.per_cohort = "population"``, and the default), and the bad input of
``sim calibrate --pool``."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr, ndtri

from sim.config.params import PARAMETER_SPACE
from sim.config.posterior_file import draw_population
from sim.config.scenario import load_scenario
from sim.errors import InputError
from sim.inference.posterior import LogPosterior
from sim.kernel.behavior import PARAMETER_NAMES
from tests.conftest import REPO, cli
from tests.unit.test_joint import _cohorts

K0 = PARAMETER_NAMES.index("k0")
K0_PRIOR = PARAMETER_SPACE[K0]
ACME = REPO / "examples" / "acme" / "world"


# ------------------------------------------------------------------- the population prior, exact
def test_a_pooled_parameter_adds_its_population_and_standardises_the_cohorts():
    target = LogPosterior(_cohorts(), PARAMETER_SPACE, 4, 1, pooled=("k0",))
    names = target.names
    assert names[-2:] == ["k0.population_mean", "k0.population_sd"]
    own = [names.index("k0[llama]"), names.index("k0[openai-founders]")]
    free = list(target.free)
    # the sampler's coordinates: a standard normal per cohort, the population's two priors
    for k in own:
        prior = target.priors[free.index(k)]
        assert (prior.mean, prior.sd) == (0.0, 1.0)
    sd_prior = target.priors[free.index(len(names) - 1)]
    assert (sd_prior.low, sd_prior.mean, sd_prior.sd) == (0.0, 0.0, K0_PRIOR.population_scale)
    assert target.priors[free.index(len(names) - 2)].sd == K0_PRIOR.sd
    # as reported: the cohorts' marginal prior, widened by the population's spread
    reported = target.reported_priors[free.index(own[0])]
    assert reported.sd == pytest.approx(math.hypot(K0_PRIOR.sd, K0_PRIOR.population_scale))
    # theta: each cohort's value is the population mean plus sd times its standardised effect
    y = np.random.default_rng(3).normal(size=len(free))
    x = target.theta(y)
    q = 1.0 / (1.0 + np.exp(-y))
    eta = [target.priors[free.index(k)].from_unit(q[free.index(k)]) for k in own]
    for k, e in zip(own, eta, strict=True):
        assert x[k] == pytest.approx(x[-2] + x[-1] * e, abs=1e-12)
    # every cohort's vector takes its own column, never the population's
    for c in range(2):
        assert target.cohort_theta(x, c)[K0] == x[own[c]]


def test_a_pooled_value_outside_the_bounds_has_density_zero():
    target = LogPosterior(_cohorts(), PARAMETER_SPACE, 4, 1, pooled=("k0",))
    free = list(target.free)
    y = np.zeros(len(free))
    y[free.index(len(target.names) - 1)] = 8.0  # a population sd near its upper bound (5)
    y[free.index(target.names.index("k0[llama]"))] = 8.0  # eta far out: k0 > 10
    x = target.theta(y)
    assert x[target.names.index("k0[llama]")] > K0_PRIOR.high
    assert target.outside(x) and target(y) == -math.inf


# ---------------------------------------------------------- the population prior, statistical
def test_the_population_is_the_normal_truncated_to_the_bounds():
    """With the population mean and sd held, the cohort coordinates drawn from their priors
    (logistic y) give k0[c] from the normal restricted to [0, 10]; the normaliser divides by its
    mass inside, so the weighted share of draws inside, E[1_inside * exp(normaliser)], is 1:
    the population's own prior is not tilted by the cut. Held at mean 1, sd 1.5 (about a quarter
    of the normal below 0). 40,000 draws: within 0.02 (about 4 standard errors)."""
    target = LogPosterior(_cohorts(), PARAMETER_SPACE, 4, 1, pooled=("k0",))
    free = list(target.free)
    names = target.names
    rng = np.random.default_rng(11)
    y = rng.logistic(size=(40_000, len(free)))
    mean_prior = target.priors[free.index(len(names) - 2)]
    sd_prior = target.priors[free.index(len(names) - 1)]

    def logit_of(prior, value):
        lo, hi = prior.prior_cdf_bounds()
        q = (ndtr((value - prior.mean) / prior.sd) - lo) / (hi - lo)
        return math.log(q / (1 - q))

    y[:, free.index(len(names) - 2)] = logit_of(mean_prior, 1.0)
    y[:, free.index(len(names) - 1)] = logit_of(sd_prior, 1.5)
    x = np.array([target.theta(row) for row in y])
    assert x[0, -2] == pytest.approx(1.0) and x[0, -1] == pytest.approx(1.5)
    inside = ~np.array([target.outside(row) for row in x])
    weights = inside * np.exp([target.population_log_normaliser(row) for row in x])
    assert inside.mean() < 0.6  # both cohorts inside: well under 1 here
    assert abs(weights.mean() - 1.0) < 0.02
    # and k0[llama] among the weighted draws has the truncated normal's mean
    values = x[:, names.index("k0[llama]")]
    a, b = (0.0 - 1.0) / 1.5, (10.0 - 1.0) / 1.5
    from scipy.stats import truncnorm

    expected = truncnorm.mean(a, b, loc=1.0, scale=1.5)
    assert abs((weights @ values) / weights.sum() - expected) < 0.03


# -------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pooled": ("b_open",)}, "only a per-cohort parameter can be pooled"),
        ({"pooled": ("k0",), "fixed": (("k0", 4.0),)}, "held fixed"),
    ],
)
def test_pooling_what_cannot_be_pooled_is_refused(kwargs, message):
    with pytest.raises(InputError, match=message):
        LogPosterior(_cohorts(), PARAMETER_SPACE, 4, 1, **kwargs)


def test_pooling_needs_two_cohorts():
    with pytest.raises(InputError, match="two or more worlds"):
        LogPosterior(_cohorts()[:1], PARAMETER_SPACE, 4, 1, per_cohort=("k0",), pooled=("k0",))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--pool", "k0"), "--pool applies to a joint calibration only"),
        (("--worlds", "llama,openai-founders", "--pool", "k9"), "unknown parameter 'k9'"),
        (("--worlds", "llama,openai-founders", "--pool", "lam"), "only a per-cohort"),
    ],
)
def test_calibrate_pool_bad_input_exits_2(tmp_path, args, message):
    done = cli("calibrate", "--method", "likelihood", *args, "--out", tmp_path / "j",
                   "--steps", 40, "--burn", 8, "--walkers", 32)  # fmt: skip
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "j").exists()


# ----------------------------------------------------------- the population predictive
def _pooled_file(tmp_path, rows=40, mean=5.0, sd=0.5) -> str:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({n: [p.mean] * rows for n, p in zip(PARAMETER_NAMES, PARAMETER_SPACE,
                                                             strict=True)})  # fmt: skip
    frame = frame.drop(columns=["k0"])
    frame["k0[llama]"] = rng.normal(5.5, 0.2, rows)
    frame["k0[openai-founders]"] = rng.normal(4.8, 0.2, rows)
    frame["k0.population_mean"] = rng.normal(mean, 0.1, rows)
    frame["k0.population_sd"] = np.full(rows, sd)
    frame["weight"] = 1.0
    path = tmp_path / "pooled.parquet"
    frame.to_parquet(path)
    return str(path)


def _scenario(tmp_path, posterior, params=""):
    path = tmp_path / "predict.toml"
    path.write_text(
        f'description = "a new world from a pooled posterior"\nposterior_file = "{posterior}"\n'
        f'seed = 5\n[world]\nname = "{ACME}"\n[params]\nfrom = "posterior"\n{params}\n'
    )
    return str(path)


def test_draw_population_is_the_inverse_cdf_of_the_truncated_normal():
    frame = pd.DataFrame({"k0.population_mean": [4.0, 9.8], "k0.population_sd": [1.0, 0.5]})
    index = np.array([0, 1, 1, 0])
    values = draw_population(frame, "k0", index, np.random.default_rng(4))
    u = np.random.default_rng(4).random(4)
    mean, sd = np.array([4.0, 9.8, 9.8, 4.0]), np.array([1.0, 0.5, 0.5, 1.0])
    a, b = ndtr((0.0 - mean) / sd), ndtr((10.0 - mean) / sd)
    np.testing.assert_allclose(values, mean + sd * ndtri(a + u * (b - a)), atol=1e-12)
    assert (values <= 10.0).all()


@pytest.mark.parametrize("params", ['per_cohort = "population"', ""])
def test_a_new_world_draws_its_k0_from_the_population(tmp_path, params):
    """Explicitly, and by default when the file holds a population and no column of this world.
    Statistical: 4,000 replicates from populations centred at 5 +- 0.1 with sd 0.5; the mean of
    the draws within 0.05 of 5 (about 6 standard errors) and their sd within 0.05 of 0.51."""
    scenario = load_scenario(_scenario(tmp_path, _pooled_file(tmp_path), params))
    posterior = scenario.posterior()
    assert posterior.from_population == ("k0",) and posterior.from_prior == ()
    theta, _ = scenario.parameters(4000, 5)
    assert abs(theta[:, K0].mean() - 5.0) < 0.05
    assert abs(theta[:, K0].std() - math.hypot(0.5, 0.1)) < 0.05
    assert posterior.means()["k0"] == pytest.approx(
        pd.read_parquet(posterior.path)["k0.population_mean"].mean()
    )


def test_the_run_manifest_names_what_came_from_the_population(tmp_path):
    out = tmp_path / "out"
    done = cli("run", _scenario(tmp_path, _pooled_file(tmp_path)), "--replicates", 8,
               "--out", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["drawn_from_population"] == ["k0"] and manifest["drawn_from_prior"] == []


def test_population_from_an_unpooled_posterior_names_the_file_and_key(tmp_path):
    joint = REPO / "calibration" / "joint" / "posterior.parquet"
    done = cli("run", _scenario(tmp_path, joint, 'per_cohort = "population"'), "--replicates", 4,
               "--out", tmp_path / "out")  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "params.per_cohort" in done.stderr and "--pool" in done.stderr
    assert str(joint) in done.stderr


def test_every_evaluation_of_a_pooled_target_carries_the_population_terms():
    """The augmented walkers evaluate the target themselves (with their months): the prior terms
    (the coordinates' prior and the population's truncation) are the same as the target's, and
    a pooled value outside the bounds has density zero there too."""
    from sim.inference.posterior import log_jacobian
    from sim.inference.walker import AugmentedWalker
    from sim.likelihood import LatentMonths

    cohorts = _cohorts()
    target = LogPosterior(cohorts, PARAMETER_SPACE, 4, 1, pooled=("k0",))
    latents = [LatentMonths.of(c.world, c.panel) for c in cohorts]
    rng = np.random.default_rng(5)
    walker = AugmentedWalker(target, latents, [lat.draw(rng) for lat in latents], 1)
    free = list(target.free)
    y = np.zeros(len(free))
    y[free.index(len(target.names) - 1)] = 1.0
    x = target.theta(y)
    value = walker.log_prob(y)
    likelihood = sum(walker.pending)
    assert target.population_log_normaliser(x) > 0.0  # the bounds cut something
    assert value == pytest.approx(likelihood + log_jacobian(y)
                                  + target.population_log_normaliser(x), abs=1e-9)  # fmt: skip
    y[free.index(len(target.names) - 1)] = 8.0
    y[free.index(target.names.index("k0[llama]"))] = 8.0
    assert walker.log_prob(y) == -math.inf
    assert walker.update(y, rng)[0] == -math.inf
