"""Founding months known only to an interval (sim.world.openings), drawn in runs, summed over in
the likelihood.

Statistical tier: the engines' draws are uniform over the interval (24,000 replicates, each
month's share within 4.5 binomial standard errors); the likelihood summed over the interval
equals the simulated frequency of the most common complete histories (200,000 replicates; 4
binomial standard errors plus 3% for the quasi-Monte Carlo fits, as in test_founding.py); the
sampler's Gibbs step draws the combination in proportion to its likelihood (2,000 draws, within
4.5 standard errors). Exact tier: each combination's world is the world whose ``labs.csv`` gives
that month; the marginal is their mean; bad intervals are refused naming the file and cell.
"""

import shutil

import numpy as np
import pytest

from sim.engines.simulate import simulate
from sim.errors import InputError
from sim.kernel.streams import opening_months_into, replicate_seeds
from sim.likelihood import Integration, complete_panel, log_likelihood
from sim.world import load_world
from sim.world.openings import MAX_VARIANTS, opening_variants
from tests.conftest import MOBILE, REPO, cli, make_world, theta_of

REPLICATES = 200_000


def interval_world(founded_c="2023-03..2023-05", horizon="2023-07"):
    """Three researchers at A; B exists; C opens in a month of its interval (founding given)."""
    return make_world(
        n_people=3, labs=("A", "B", "C"), founded=("", "", founded_c), seed=6
    ).compile(horizon)


def test_a_run_draws_the_founding_month_uniformly_over_its_interval():
    world = interval_world("2023-02..2023-07")
    drawn = np.empty(3, dtype=np.int64)
    months = []
    for seed in replicate_seeds(4, 24_000):
        assert opening_months_into(seed, world.lab_keys, world.opening, drawn)
        assert drawn[0] == drawn[1] == -1  # known months: nothing drawn
        months.append(drawn[2])
    first, last = (world.world.calendar.index(m) for m in ("2023-02", "2023-07"))
    counts = np.bincount(months, minlength=last + 1)
    assert counts.sum() == counts[first : last + 1].sum() == 24_000
    share = counts[first : last + 1] / 24_000
    assert np.all(np.abs(share - 1 / 6) < 4.5 * np.sqrt((1 / 6) * (5 / 6) / 24_000)), share


def test_each_combination_is_the_world_that_gives_its_month():
    world = interval_world()
    theta = theta_of(**{**MOBILE, "sigma_u": 0.8, "sigma_match": 0.6})
    variants = opening_variants(world)
    assert len(variants) == 3
    assert np.allclose([lp for lp, _ in variants], np.log(1 / 3))
    history = simulate(world, theta, replicate_seeds(1, 1)).labs[0]
    panel = complete_panel(world, history)
    for (_, variant), month in zip(variants, ("2023-03", "2023-04", "2023-05"), strict=True):
        exact = interval_world(month)
        np.testing.assert_array_equal(variant.timeline.exists, exact.timeline.exists)
        assert (variant.opening == -1).all()
        np.testing.assert_array_equal(
            log_likelihood(variant, theta, panel), log_likelihood(exact, theta, panel)
        )


def test_the_likelihood_summed_over_the_interval_is_the_simulated_frequency():
    world = interval_world()
    theta = theta_of(**{**MOBILE, "sigma_u": 0.8, "sigma_match": 0.6})
    traj = simulate(world, theta, replicate_seeds(29, REPLICATES))
    histories, counts = np.unique(traj.labs.reshape(REPLICATES, -1), axis=0, return_counts=True)
    histories = histories.reshape(-1, *traj.labs.shape[1:])
    order = list(np.argsort(counts)[::-1])
    at_c = [j for j in order if (histories[j] == 2).any()]
    # the most common histories, and the most common with a move to C in each possible month
    first_at_c = {int(np.argmax((histories[j] == 2).any(axis=1))): j for j in reversed(at_c)}
    opens = [world.world.calendar.index(m) for m in ("2023-03", "2023-04", "2023-05")]
    assert sorted(first_at_c)[:3] == opens  # C reached first in each month of its interval
    chosen = order[:6] + [first_at_c[m] for m in opens]
    integration = Integration.build(3, 20, 1024)
    variants = opening_variants(world)
    for j in chosen:
        frequency = counts[j] / REPLICATES
        panel = complete_panel(world, histories[j])
        likelihood = sum(
            np.exp(lp + log_likelihood(w, theta, panel, integration).sum()) for lp, w in variants
        )
        error = 4 * np.sqrt(frequency * (1 - frequency) / REPLICATES) + 0.03 * frequency
        assert abs(likelihood - frequency) < error, (histories[j].tolist(), likelihood, frequency)


def _target(world):
    from sim.config.params import DEFAULT_PRIORS
    from sim.inference.posterior import Cohort, LogPosterior

    theta = theta_of(**{**MOBILE, "sigma_u": 0.8, "sigma_match": 0.6})
    history = simulate(world, theta, replicate_seeds(7, 1)).labs[0]
    panel = complete_panel(world, history)
    target = LogPosterior([Cohort("w", world, panel)], DEFAULT_PRIORS, 8, 64)
    return target, theta, panel


def test_the_posterior_sums_over_the_combinations_and_holds_one_when_asked():
    world = interval_world()
    target, theta, panel = _target(world)
    per_variant = [target.cohort_log_likelihood(theta, 0, panel, k) for k in range(3)]
    integration = target.integrations[0]
    for k, (_, w) in enumerate(opening_variants(world)):
        assert per_variant[k] == pytest.approx(log_likelihood(w, theta, panel, integration).sum())
    marginal = target.cohort_log_likelihood(theta, 0, panel)
    assert marginal == pytest.approx(np.log(np.mean(np.exp(per_variant))), abs=1e-12)
    assert target.log_likelihood(theta, [panel], (1,)) == pytest.approx(per_variant[1])


def test_the_gibbs_step_draws_each_combination_in_proportion_to_its_likelihood():
    from sim.inference.walker import AugmentedWalker
    from sim.likelihood import LatentMonths

    world = interval_world()
    target, theta, panel = _target(world)
    latent = LatentMonths.of(world, panel)
    walker = AugmentedWalker(target, [latent], [latent.draw(np.random.default_rng(0))], 1)
    x = theta  # one cohort, nothing per cohort: the columns are the parameter vector
    values = np.array([target.cohort_log_likelihood(x, 0, walker.states[0].complete, k)
                       for k in range(3)])  # fmt: skip
    expected = np.exp(values - values.max())
    expected /= expected.sum()
    assert expected.min() > 0.02  # every combination possible: the test can tell them apart
    rng = np.random.default_rng(1)
    draws = [walker._draw_variant(x, 0, walker.states[0], rng) for _ in range(2_000)]
    counts = np.bincount([k for k, _ in draws], minlength=3) / 2_000
    assert np.all(np.abs(counts - expected) < 4.5 * np.sqrt(expected * (1 - expected) / 2_000))
    assert all(value == pytest.approx(values[k]) for k, value in draws[:50])


@pytest.mark.parametrize(
    ("founded", "expected"),
    [
        ("2023-05..2023-03", "ends before it starts"),
        ("2023-03..", "expected YYYY-MM or an interval YYYY-MM..YYYY-MM"),
        ("..2023-03", "expected YYYY-MM or an interval YYYY-MM..YYYY-MM"),
        ("2023-03..2023-13", "2023-13"),
    ],
)
def test_a_bad_interval_is_refused_naming_the_cell(tmp_path, founded, expected):
    folder = _llama_with_kyutai_founded(tmp_path, founded)
    with pytest.raises(InputError, match=expected) as err:
        load_world(str(folder))
    assert err.value.source.endswith("labs.csv") and err.value.key == "row 9, column founded"
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'description = "bad"\nextends = "baseline"\n[world]\nname = "{folder}"\n')
    result = cli("run", scenario, "--replicates", 10, "--out", tmp_path / "o")
    assert (
        result.returncode == 2
        and "labs.csv" in result.stderr
        and "Traceback" not in (result.stderr)
    )


def test_a_shipped_world_with_an_interval_loads_runs_and_draws_it(tmp_path):
    folder = _llama_with_kyutai_founded(tmp_path, "2023-09..2023-12")
    compiled = load_world(str(folder)).compile("2025-05")
    kyutai = compiled.world.labs.index("Kyutai")
    assert compiled.opening[kyutai].tolist() == [7, 10]  # 2023-09 .. 2023-12, from 2023-02
    assert len(opening_variants(compiled)) == 4
    labs = simulate(compiled, theta_of(**MOBILE), replicate_seeds(3, 2000)).labs
    there = (labs == kyutai).any(axis=2)
    first = np.where(there.any(axis=1), np.argmax(there, axis=1), 99)
    assert set(first[first < 99]) >= {7, 8, 9, 10}  # first reached in each month of the interval


def _llama_with_kyutai_founded(tmp_path, founded: str):
    """The LLaMA world with founding given (an interval is an input's) and Kyutai's month."""
    folder = tmp_path / "world"
    shutil.copytree(REPO / "sim" / "data" / "llama", folder)
    toml = folder / "world.toml"
    assert 'founding = "chosen"\n' in toml.read_text()
    toml.write_text(toml.read_text().replace('founding = "chosen"\n', 'founding = "given"\n'))
    labs = folder / "labs.csv"
    text = labs.read_text()
    assert text.count("Kyutai,Paris,2023-11,") == 1
    labs.write_text(text.replace("Kyutai,Paris,2023-11,", f"Kyutai,Paris,{founded},"))
    return folder


def test_too_many_combinations_are_refused_naming_the_labs():
    world = make_world(
        n_people=3, labs=("A", "B", "C"), founded=("", "2023-03..2025-02", "2023-03..2025-02"),
        seed=6,
    ).compile("2025-06")  # fmt: skip
    assert 24 * 24 > MAX_VARIANTS
    with pytest.raises(InputError, match="B, C"):
        opening_variants(world)
