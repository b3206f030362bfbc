"""Relocations (sim.world.relocations): a city changing at a dated month, read and simulated alike.

Exact tier: the file's errors name the file, the row and the column; the compiled arrays; both
engines move for move with relocations; the likelihood of a history against its frequency among
200,000 simulated replicates with a relocation inside the window (4 binomial standard errors,
no fits to integrate).
"""

import shutil

import numpy as np
import pytest

from sim.engines.simulate import simulate
from sim.errors import InputError
from sim.kernel.streams import replicate_seeds
from sim.likelihood import Integration, complete_panel, log_likelihood
from sim.world import Relocation, load_world
from tests.conftest import MOBILE, REPO, make_world, theta_of

#: lab cities in make_world: odd labs ("X",), even labs ("Y", "X"); researchers: even Y, odd X
MOVES = (
    Relocation("p1", "2023-04", "Y"),  # home at the even labs only, from month 2
    Relocation("p0", "2023-03", "Z"),  # home nowhere from month 1 ...
    Relocation("p0", "2023-07", "X"),  # ... and everywhere from month 5
)
HOMEBODY = {**MOBILE, "b_home": 3.0}


def _world(**kwargs):
    return make_world(n_people=5, labs=("A", "B", "C", "D"), seed=3, **kwargs)


def test_the_compiled_arrays_are_the_home_rows_in_month_order():
    compiled = _world().replace(relocations=MOVES).compile("2024-06")
    np.testing.assert_array_equal(compiled.relocation_month, [1, 2, 5])
    np.testing.assert_array_equal(compiled.relocation_researcher, [0, 1, 0])
    np.testing.assert_array_equal(
        compiled.relocation_home, [[0, 0, 0, 0], [1, 0, 1, 0], [1, 1, 1, 1]]
    )
    # beyond the horizon: not compiled
    assert len(_world().replace(relocations=MOVES).compile("2023-05").relocation_month) == 2


def test_both_engines_agree_move_for_move_with_relocations():
    world = _world()
    moved = world.replace(relocations=MOVES).compile("2024-06")
    theta = theta_of(**HOMEBODY)
    seeds = replicate_seeds(4, 150)
    ens = simulate(moved, theta, seeds, engine="ensemble")
    mesa = simulate(moved, theta, seeds, engine="mesa")
    np.testing.assert_array_equal(ens.labs, mesa.labs)
    # and the relocations change the histories (b_home = 3)
    assert not np.array_equal(ens.labs, simulate(world.compile("2024-06"), theta, seeds).labs)
    # up to the first relocation month, nothing differs: month 0 is decided before it
    np.testing.assert_array_equal(
        ens.labs[:, 0], simulate(world.compile("2024-06"), theta, seeds).labs[:, 0]
    )


def test_the_likelihood_is_the_simulated_frequency_with_a_relocation():
    from tests.statistical.test_likelihood import REPLICATES, _most_common_histories

    base = make_world(n_people=3, labs=("A", "B", "C"), seed=4)
    world = base.replace(relocations=(Relocation("p0", "2023-04", "Z"),)).compile("2023-06")
    theta = theta_of(**{**HOMEBODY, "sigma_u": 0.8, "sigma_match": 0.0})
    integration = Integration.build(3, 20, 1024)
    histories = _most_common_histories(world, theta, 5)
    for labs, frequency in histories:
        likelihood = np.exp(log_likelihood(world, theta, complete_panel(world, labs),
                                           integration).sum())  # fmt: skip
        error = 4 * np.sqrt(frequency * (1 - frequency) / REPLICATES)
        assert abs(likelihood - frequency) < error, (labs.tolist(), likelihood, frequency)
    labs = histories[0][0]
    without = base.compile("2023-06")
    off = log_likelihood(without, theta, complete_panel(without, labs), integration).sum()
    on = log_likelihood(world, theta, complete_panel(world, labs), integration).sum()
    assert abs(on - off) > 0.01  # the relocation matters to this history


def _acme_with(tmp_path, rows: str):
    folder = tmp_path / "acme"
    shutil.copytree(REPO / "examples" / "acme" / "world", folder)
    (folder / "relocations.csv").write_text("name,month,city,source,certainty,notes\n" + rows)
    return folder


def test_a_world_folder_reads_its_relocations(tmp_path):
    world = load_world(_acme_with(tmp_path, "Ada,2009-03,Oslo,press,S,\nBen,2010-01,Paris,,U,\n"))
    assert world.relocations == (
        Relocation("Ada", "2009-03", "Oslo"), Relocation("Ben", "2010-01", "Paris"),
    )  # fmt: skip
    compiled = world.compile()
    # Paris: no lab there but the catch-all Elsewhere (cities *)
    np.testing.assert_array_equal(compiled.relocation_home[1], [0, 0, 0, 1])


BAD = {
    "an unknown researcher": ("Adda,2009-03,Oslo,,,\n", r"row 2, column name: 'Adda' is not in the cohort"),
    "the start month": ("Ada,{start},Oslo,,,\n", r"row 2, column month: a relocation in the start month"),
    "a month outside the calendar": ("Ada,1999-01,Oslo,,,\n", r"row 2, column month: month 1999-01 is outside"),
    "a blank city": ("Ada,2009-03, ,,,\n", r"row 2, column city: expected the new city"),
    "twice in a month": ("Ada,2009-03,Oslo,,,\nAda,2009-03,Lyon,,,\n", r"row 3: 'Ada' relocates twice in 2009-03"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_relocations_file_names_the_file_the_row_and_the_column(tmp_path, case):
    rows, message = BAD[case]
    start = load_world(REPO / "examples" / "acme" / "world").calendar.start
    folder = _acme_with(tmp_path, rows.format(start=start))
    with pytest.raises(InputError, match=rf"relocations\.csv, at {message}"):
        load_world(folder)
