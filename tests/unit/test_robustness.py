"""sim robustness at small size: every counterfactual under every available posterior.

The posteriors here are small sets of prior draws written for the test (the command's mechanics,
not its numbers): a LLaMA-alone posterior and a joint one; the OpenAI-alone ones are missing and
must be reported as missing, not filled in.
"""

import numpy as np
import pandas as pd

from sim.config.params import sample_prior
from sim.kernel.behavior import PARAMETER_NAMES
from tests.conftest import cli


def _posterior(path, columns, rng):
    draws = sample_prior(30, rng)
    frame = pd.DataFrame(draws, columns=list(PARAMETER_NAMES))
    for column in columns:
        frame[column] = frame["k0"]
    if columns:
        frame = frame.drop(columns="k0")
    frame["weight"] = 1.0
    path.parent.mkdir(parents=True)
    frame.to_parquet(path)


def test_every_counterfactual_under_every_available_posterior(tmp_path):
    rng = np.random.default_rng(0)
    calibrations = tmp_path / "calibration"
    _posterior(calibrations / "llama" / "likelihood" / "posterior.parquet", [], rng)
    _posterior(
        calibrations / "joint" / "posterior.parquet", ["k0[llama]", "k0[openai-founders]"], rng
    )
    out = tmp_path / "out"
    done = cli("robustness", "--calibrations", calibrations, "--replicates", "12", "--out", out)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out / "effects.csv")
    done_rows = table.dropna(subset=["scenario"])
    assert set(done_rows.setting) == {"llama alone", "joint"}
    assert set(done_rows.priors) == {"declared"}
    assert {"culture-kept", "mistral-never-founded"} <= set(
        done_rows[done_rows.world == "llama"].scenario
    )
    assert "anthropic-never-founded" in set(
        done_rows[done_rows.world == "openai-founders"].scenario
    )
    # founding as data here: the scenarios that edit founding alone are left out
    assert not {"cooler-climate", "non-compete"} & set(done_rows.scenario)
    missing = table[table.scenario.isna()]
    assert ((missing.setting == "openai-founders alone") | (missing.priors != "declared")).all()
    assert (done_rows.low <= done_rows.effect).all() and (done_rows.effect <= done_rows.high).all()
    again = cli("robustness", "--calibrations", calibrations, "--replicates", "12", "--out", out)
    assert again.returncode == 0, again.stderr  # its own earlier result is replaced
    text = (out / "robustness.md").read_text()
    assert "| culture-kept |" in text and "survives" in text and " - " in text


def test_no_posterior_at_all_exits_2(tmp_path):
    (tmp_path / "calibration").mkdir()
    done = cli(
        "robustness",
        "--calibrations",
        tmp_path / "calibration",
        "--replicates",
        "5",
        "--out",
        tmp_path / "o",
    )
    assert done.returncode == 2 and "no posterior found" in done.stderr, done.stderr
    assert not (tmp_path / "o").exists()


def test_the_verdict_ranks_effects_by_size_and_names_gains_and_losses_apart():
    """Ranked by signed value, a loss of 1.04 lost to a gain of 0.78."""
    import pandas as pd

    from sim.reports.robustness import _rankings

    rows = []
    for k, (gain, loss) in enumerate([(0.78, -1.04), (0.9, -0.5), (0.74, -1.06)]):
        rows += [
            dict(setting=f"s{k}", priors="declared", scenario="founding", effect=gain),
            dict(setting=f"s{k}", priors="declared", scenario="capped", effect=loss),
        ]
    (line,) = _rankings(pd.DataFrame(rows))
    assert line.startswith("Largest effect in size: capped in 2 of 3; founding in 1 of 3 settings")
    assert "Largest gain (more stay): founding in 3 of 3 settings (the ranking survives)." in line
    assert "Largest loss (fewer stay): capped in 3 of 3 settings (the ranking survives)." in line


def test_founding_only_scenarios_are_those_that_edit_nothing_but_founding():
    from sim.analysis.compare import all_scenarios
    from sim.analysis.robustness import founding_only

    shipped = {s.name: founding_only(s) for s in all_scenarios("baseline")}
    assert {name for name, only in shipped.items() if only} == {"cooler-climate", "non-compete"}
    assert not shipped["baseline"]  # edits nothing at all


def test_a_founding_event_beside_another_edit_is_not_founding_only(tmp_path):
    from sim.analysis.robustness import founding_only
    from sim.config.scenario import load_scenario

    path = tmp_path / "s.toml"
    path.write_text(
        'description = "x"\nextends = "baseline"\n[world]\nfunding_climate = 0.2\n'
        'remove_labs = ["Kyutai"]\n'
    )
    assert not founding_only(load_scenario(path))
    path.write_text(
        'description = "x"\nextends = "baseline"\n[[world.add_events]]\nid = "cut"\n'
        'month = "2023-05"\nkind = "shift"\nlab = "Meta"\nattribute = "pay"\nvalue = -0.1\n'
    )
    assert not founding_only(load_scenario(path))  # an added event acting on a lab
