"""Forecasts from the observed state (sim.forecast, sim run --from-observed).

Exact: every replicate is the observed history (its interval middles) through the last observed
month; the same seeds give the same forecast; scenarios that differ only after the last observed
month get the same latent draws (common random numbers). Statistical: the researchers who stayed
at the focal lab through the whole history get lower restlessness than the prior gives
(tolerance: 4 standard errors of a mean of standard normals). Bad input exits 2.
"""

import numpy as np
import pytest

from sim.config.scenario import load_scenario
from sim.engines.run import run_scenario
from sim.engines.simulate import simulate
from sim.likelihood import observed_panel
from tests.conftest import cli, llama_variant


@pytest.fixture(scope="module")
def forecast():
    scenario = load_scenario("baseline").from_observed()
    return scenario, run_scenario(scenario, replicates=400, seed=5)


def test_every_replicate_is_the_observed_history_through_the_last_observed_month(forecast):
    scenario, traj = forecast
    observed = observed_panel(scenario.world).imputed()
    t0 = observed.shape[0]
    assert traj.labs.shape[1] > t0
    assert np.array_equal(
        traj.labs[:, :t0], np.broadcast_to(observed, (traj.shape[0], *observed.shape))
    )
    assert np.any(traj.labs[:, t0:] != traj.labs[:, t0 - 1 : t0])  # the future is simulated


def test_the_same_seed_gives_the_same_forecast(forecast):
    scenario, traj = forecast
    again = run_scenario(scenario, replicates=400, seed=5)
    assert np.array_equal(again.labs, traj.labs)


def test_the_stayers_draw_low_restlessness():
    from sim.likelihood import forecast_inputs

    scenario = load_scenario("baseline")
    world = scenario.world
    compiled = scenario.compile()
    theta, _ = scenario.parameters(2000, 3)
    _, (u, _), _ = forecast_inputs(world, compiled, theta, scenario.seeds(2000, 3))
    panel = observed_panel(world)
    stayers = [i for i in range(len(world.researchers)) if panel.chain[i] == panel.chain[i + 1]]
    assert len(stayers) == 3
    mean = u[:, stayers].mean()
    assert mean < -4 * np.sqrt(1 / u[:, stayers].size), mean


def test_futures_that_differ_after_the_history_share_the_latent_draws(tmp_path):
    from sim.likelihood import forecast_inputs

    scenario = load_scenario("baseline")
    world = scenario.world
    compiled = scenario.compile()
    theta, _ = scenario.parameters(50, 9)
    seeds = scenario.seeds(50, 9)
    prefix, (u, fits), ess = forecast_inputs(world, compiled, theta, seeds)
    again = forecast_inputs(world, world.compile("2027-12"), theta, seeds)
    assert np.array_equal(prefix, again[0])
    assert np.array_equal(u, again[1][0]) and np.array_equal(fits, again[1][1])
    assert np.array_equal(ess, again[2])


def test_the_two_engines_agree_on_a_forecast():
    scenario = load_scenario("baseline")
    compiled = scenario.world.compile("2025-09")
    theta, _ = scenario.parameters(3, 2)
    seeds = scenario.seeds(3, 2)
    a = simulate(compiled, theta, seeds, from_observed=True).labs
    b = simulate(compiled, theta, seeds, engine="mesa", from_observed=True).labs
    assert np.array_equal(a, b)


def test_a_forecast_needs_an_observed_history(tmp_path):
    scenario = llama_variant(tmp_path, None, '[params]\nfrom = "prior-mean"\n')
    out = tmp_path / "run"
    done = cli("run", scenario, "--from-observed", "--replicates", "5", "--out", out)
    assert done.returncode == 2 and "no observed history" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
    done = cli(
        "calibrate", "--method", "likelihood", "--scenario", scenario, "--out", tmp_path / "c"
    )
    assert done.returncode == 2 and "no observed history" in done.stderr, done.stderr


def test_a_forecast_horizon_must_pass_the_last_observed_month(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        'description = "short"\nextends = "baseline"\nhorizon = "2025-05"\nfrom_observed = true\n'
    )
    done = cli("run", scenario, "--replicates", "5", "--out", tmp_path / "run")
    assert done.returncode == 2 and "must end after the last observed month" in done.stderr, (
        done.stderr
    )


@pytest.mark.parametrize(
    "command", [("calibrate", "--method", "likelihood", "--scenario"), ("run",)]
)
def test_a_history_the_world_makes_impossible_names_the_row(tmp_path, command):
    """Lavrill's move to Mistral read two months earlier: before Mistral is founded (2023-04)."""
    scenario = llama_variant(
        tmp_path,
        lambda text: text.replace(
            "Thibaut Lavril,2023-05,2023-07", "Thibaut Lavril,2023-02,2023-03"
        ),
        'from_observed = true\n[params]\nfrom = "prior-mean"\n',
    )
    out = tmp_path / "out"
    done = cli(*command, scenario, "--out", out)
    assert done.returncode == 2, done.stderr
    assert (
        "observed.csv" in done.stderr
        and "row 3" in done.stderr
        and "'Mistral' does not exist" in done.stderr
    )
    assert "Traceback" not in done.stderr and not out.exists()


def test_every_researcher_draws_from_candidates_of_their_own():
    """All researchers shared the same 24 restlessness and 32 fit candidates, so stayers could
    draw identical values (issue 23 counted 4% of stayer pairs; not re-measured here)."""
    from sim.likelihood import forecast_inputs
    from sim.likelihood.forecast import FIT_CANDIDATES, RESTLESSNESS_CANDIDATES

    scenario = load_scenario("baseline")
    world = scenario.world
    theta, _ = scenario.parameters(400, 5)
    _, (u, fits), ess = forecast_inputs(world, scenario.compile(), theta, scenario.seeds(400, 5))
    panel = observed_panel(world)
    stayers = [i for i in range(len(world.researchers)) if panel.chain[i] == panel.chain[i + 1]]
    same = [np.mean(u[:, a] == u[:, b]) for a in stayers for b in stayers if a < b]
    assert max(same) == 0.0, same
    assert (fits[:, 0, :] != fits[:, 1, :]).any(axis=1).all()
    # the effective sample size of each draw lies between 1 and the number of combinations
    assert ess.shape == u.shape and (ess >= 1 - 1e-9).all()
    assert (ess <= RESTLESSNESS_CANDIDATES * FIT_CANDIDATES + 1e-9).all()


def test_a_forecast_run_records_each_researchers_effective_sample_size(tmp_path):
    import pandas as pd

    out = tmp_path / "forecast"
    done = cli("run", "forecast/baseline", "--replicates", "40", "--out", out)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out / "forecast_ess.csv")
    world = load_scenario("forecast/baseline").world
    assert list(table["researcher"]) == list(world.researchers)
    assert (table["ess_min"] <= table["ess_median"]).all() and (table["ess_min"] >= 1).all()


def test_a_forecast_comparison_reads_as_a_forecast():
    """Its report asked 'what would have kept ...' and showed the forced months as results."""
    from sim.analysis.compare import compare
    from sim.reports.compare import forecast_table, report

    scenarios = [load_scenario("forecast/baseline"), load_scenario("forecast/culture-restored")]
    comparison = compare(scenarios, replicates=40)
    text = report(comparison)
    assert text.startswith("# Forecast from 2025-05: the 14 LLaMA-1 authors at Meta to 2026-12")
    assert "| still at Meta in 2025-05 | 3 (observed) | 3 (observed) |" in text
    assert "+0.00 (0 to 0)" not in text
    table = forecast_table(comparison)
    world = scenarios[0].world
    assert set(table["who"]) == {*world.researchers, "all", "none"}
    for label, part in table.groupby("scenario"):
        p = dict(zip(part["who"], part["probability"], strict=True))
        stayers = ("Hugo Touvron", "Xavier Martinet", "Faisal Azhar")
        assert p["all"] <= min(p[s] for s in stayers), label
        assert p["none"] <= min(1 - p[s] for s in stayers), label
