"""Declared statistics read off histories: the bunching kind against a direct count."""

import numpy as np
import pytest

from sim.errors import InputError
from sim.results import Trajectories, exit_counts, statistic_values
from sim.world import Statistic, check_statistics
from tests.conftest import make_world


def _trajectories(world, labs):
    n = labs.shape[0]
    return Trajectories(labs=labs, seeds=np.arange(n, dtype=np.uint64),
                        theta=np.zeros((n, 0)), world=world)  # fmt: skip


@pytest.mark.parametrize("window", [1, 2, 3, 7, 40])
def test_bunching_is_the_most_exits_in_any_window_counted_directly(window):
    world = make_world(n_people=5, labs=("A", "B", "C"))
    rng = np.random.default_rng(window)
    labs = rng.choice(3, size=(60, 30, 5), p=[0.8, 0.1, 0.1]).astype(np.int8)
    traj = _trajectories(world, labs)
    month = world.calendar.label(24)
    stat = Statistic(name="bunched", kind="bunching", month=month, window=window)
    exits = exit_counts(traj)[:, :25]
    expected = [
        max(int(row[max(0, t - window + 1) : t + 1].sum()) for t in range(25)) for row in exits
    ]
    assert statistic_values(stat, traj).tolist() == expected


def test_a_bunching_statistic_needs_its_window_and_no_other_kind_takes_one():
    world = make_world()
    with pytest.raises(InputError, match=r"statistic\[0\]\.window: a bunching statistic needs"):
        check_statistics([("w.toml", 0, {"name": "b", "kind": "bunching", "month": "2023-06"})],
                         world)  # fmt: skip
    with pytest.raises(InputError, match=r"statistic\[0\]\.window"):
        check_statistics([("w.toml", 0, {"name": "b", "kind": "at_focal", "month": "2023-06",
                                         "window": 3})], world)  # fmt: skip
