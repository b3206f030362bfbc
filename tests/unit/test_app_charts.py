"""The page's charts (Vega-Lite specs), its one reference, and edits carried across a switch."""

import re

import pytest

from sim.app.charts import difference_chart, retention_chart, waterfall_chart
from sim.app.compute import COMPARE_WITH, attribution, compute
from sim.app.reference import load_reference
from sim.app.settings import DEFAULT_REPLICATES, carry_over, describe_edits, initial_settings
from sim.app.vega import VEGA_FILES
from sim.app.view import charts
from sim.errors import InputError
from sim.reports import palette, plot
from tests.conftest import REPO

BASELINE = REPO / "scenarios" / "baseline.toml"


@pytest.fixture(scope="module")
def kept():
    reference = load_reference(REPO / "scenarios" / "culture-kept.toml")
    return reference, compute(initial_settings(reference, 60), reference)


def test_the_chart_scripts_are_served_by_the_installed_packages():
    settings = pytest.importorskip("solara.server.settings")
    cdn = settings.assets.proxy_cache_dir
    for name, file in VEGA_FILES.items():
        assert (cdn / file).is_file(), f"{name}: {file} is not in {cdn} (solara-assets)"


def test_every_chart_names_the_one_reference(kept):
    reference, result = kept
    for which, label in zip(COMPARE_WITH, ("baseline", "culture-kept"), strict=True):
        view = charts(result, which)
        assert view.against.label == label
        assert view.against.description.startswith(label)
        for spec in (view.retention, view.destinations, view.difference):
            if spec is not None:
                assert spec["usermeta"]["reference"] == label
        rows = view.retention["datasets"]["retention"]
        assert {r["scenario"] for r in rows} == {label, "culture-kept-explored"}
    with pytest.raises(InputError, match="compare with"):
        result.against("nothing")


def test_a_difference_of_exactly_zero_is_no_chart(kept):
    _, result = kept
    against = result.against("scenario")  # no edits: the same histories
    assert against.zero and against.difference == 0.0 and not against.edits
    assert difference_chart(against) is None
    assert not result.against("baseline").zero  # the scenario itself differs from the baseline


def test_the_chart_s_checkpoint_value_is_the_headline(kept):
    _, result = kept
    spec = retention_chart(result.against("baseline"))
    row = next(
        r
        for r in spec["datasets"]["retention"]
        if r["month"] == result.checkpoint and r["scenario"] == result.labels[1]
    )
    assert row["mean"] == pytest.approx(result.at_focal, abs=1e-4)
    assert spec["datasets"]["last_observed"][0]["label"] == "last observed month (2025-05)"


def test_edits_are_carried_to_another_scenario_and_the_rest_named():
    baseline = load_reference(BASELINE)
    settings = (
        initial_settings(baseline, 300)
        .with_lab("Kyutai", False)
        .with_offset("Meta", "pay", "2024-01", 0.2)
        .with_param("b_peer", 2.0)
    )
    kept, dropped = carry_over(settings, load_reference(REPO / "scenarios" / "culture-kept.toml"))
    assert kept.replicates == 300 and dropped == []
    assert describe_edits(kept, load_reference(REPO / "scenarios" / "culture-kept.toml")) == [
        "Kyutai never exists",
        "Meta pay shifted by +0.2 from 2024-01",
        "b_peer fixed at 2",
    ]
    openai = load_reference(REPO / "scenarios" / "openai-founders" / "baseline.toml")
    moved, dropped = carry_over(settings, openai)
    assert moved.params == (("b_peer", 2.0),)
    assert "Kyutai never exists" in dropped and not moved.labs_removed


def test_the_waterfall_and_the_figures_share_the_cause_colours(kept):
    pytest.importorskip("sim.analysis.explain")
    _, result = kept
    found = attribution(result, replicates=10)
    order = found.groups
    spec = waterfall_chart(found, "posterior", order)
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    colours = palette.cause_colours(order)
    for step, colour in zip(scale["domain"], scale["range"], strict=True):
        if step in colours:
            assert colour == colours[step]
    assert plot.scenario_colours is palette.scenario_colours  # one definition


def test_the_how_to_states_the_page_s_defaults():
    text = (REPO / "docs" / "how-to" / "app.md").read_text()
    assert f"({DEFAULT_REPLICATES:,} to start with" in text
    assert "sim.app.compute.ATTRIBUTION_REPLICATES" in text
    # no replicate count for the attribution typed by hand
    assert not re.search(r"\d[\d,]* replicates per (parameter )?source", text)
