"""The misfit checks' static counts (scripts/misfit_checks.py), read off the shipped worlds' data."""

import sys

from sim.results import observed_readings
from sim.world import find_statistic, load_world
from tests.conftest import REPO

sys.path.insert(0, str(REPO))


def test_the_openai_spread_needs_the_catch_all_the_lab_list_lumps():
    from scripts.misfit_checks import _at_pooled, _available

    world = load_world("openai-founders")
    statistic = find_statistic(world, "destinations_2025_12")
    # Blackwell, Cheung, Karpathy and Vagata are at Other in 2025-12 (observed.csv), both readings
    assert _at_pooled(world, observed_readings(world), statistic.month).tolist() == [4, 4]
    # Google, Tesla, Anthropic, Safe Superintelligence, Thinking Machines Lab (labs.csv)
    assert _available(world, statistic) == 5


def test_excluded_labs_are_not_available():
    from scripts.misfit_checks import _available

    world = load_world("llama")
    statistic = find_statistic(world, "other_labs_2025_05")
    assert "Mistral" in statistic.exclude
    every = statistic.model_copy(update={"exclude": []})
    assert _available(world, every) == _available(world, statistic) + 1
