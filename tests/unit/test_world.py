"""Loading and validating worlds: the default world, and each kind of bad data file."""

import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.errors import InputError
from sim.world import Calendar, load_world
from sim.world.founding import as_given
from tests.conftest import REPO, run_sim

LLAMA = REPO / "sim" / "data" / "llama"


def test_default_world_is_the_llama_cohort(llama):
    assert len(llama.researchers) == 14
    assert set(llama.start_labs) == {"Meta"}
    assert {"Meta", "Mistral", "Kyutai", "Microsoft AI", "Inflection", "Other"} <= set(llama.labs)
    compiled = llama.compile("2026-12")
    tl = compiled.timeline
    parse_month = llama.calendar.index
    mistral, kyutai = llama.labs.index("Mistral"), llama.labs.index("Kyutai")
    # founding is a choice: the labs the authors found are potential, open from the start
    assert llama.founding_chosen and compiled.potential[[mistral, kyutai]].all()
    assert compiled.potential.sum() == 2 and tl.exists[0, [mistral, kyutai]].all()
    # as data, each exists from its labs.csv month
    given = as_given(llama).compile("2026-12").timeline
    assert (
        not given.exists[parse_month("2023-03"), mistral]
        and given.exists[parse_month("2023-04"), mistral]
    )
    assert not given.exists[parse_month("2023-10"), kyutai]
    assert given.exists[parse_month("2023-11"), kyutai]
    inflection = llama.labs.index("Inflection")
    assert tl.exists[parse_month("2024-02"), inflection]
    assert not tl.exists[parse_month("2024-03") :, inflection].any()
    assert tl.merge_into[parse_month("2024-03"), inflection] == llama.labs.index("Microsoft AI")
    assert np.all((tl.attributes >= 0) & (tl.attributes <= 1))
    # rows of the tie matrix are shares of one's colleagues
    np.testing.assert_allclose(np.add.reduceat(compiled.tie_weights, compiled.tie_indptr[:-1]), 1)


def test_the_catch_all_lab_is_pooled(llama):
    assert llama.pooled_labs == ("Other",)


def test_unknown_tenure_is_the_median_of_the_known(llama):
    cohort = pd.read_csv(LLAMA / "cohort.csv")
    known = cohort["tenure_years"].dropna()
    for name, years in zip(cohort["name"], cohort["tenure_years"], strict=True):
        expected = known.median() if np.isnan(years) else years
        assert llama.tenure_years[llama.researchers.index(name)] == expected


@given(st.integers(0, 1199), st.integers(1900, 2100), st.integers(1, 12))
def test_month_labels_round_trip(index, year, month):
    calendar = Calendar(f"{year}-{month:02d}")
    assert calendar.index(calendar.label(index)) == index


def _corrupt(tmp_path, filename, edit):
    folder = tmp_path / "world"
    shutil.copytree(LLAMA, folder)
    table = pd.read_csv(folder / filename, dtype=str, keep_default_na=False)
    edit(table)
    table.to_csv(folder / filename, index=False)
    return folder


def _set(row, column, value):
    def edit(table):
        table.loc[row, column] = value

    return edit


BAD_FILES = [
    ("events.csv", _set(0, "lab", "Metta"),
     r"events.csv.*row 2.*column lab.*'Metta' is not in labs.csv"),
    ("events.csv", _set(1, "month", "2124-01"),
     r"events.csv.*row 3, column month.*outside this world's calendar"),
    ("events.csv", _set(1, "month", "2022-12"),
     r"events.csv.*row 3, column month.*outside this world's calendar: expected 2023-02 or later"),
    ("events.csv", _set(0, "value", ""), r"events.csv.*row 2.*column value.*expected a number"),
    ("events.csv", _set(1, "month", "June 2023"), r"events.csv.*row 3, column month.*YYYY-MM"),
    ("events.csv", _set(0, "kind", "explode"), r"events.csv.*row 2.*kind 'explode'"),
    ("events.csv", _set(2, "value", "1.5"), r"events.csv.*row 4 .*column value.*outside \[-1, 1\]"),
    ("attributes.csv", _set(0, "value", "1.2"),
     r"attributes.csv.*row 2, column value.*outside \[0, 1\]"),
    ("attributes.csv", _set(0, "value", "high"),
     r"attributes.csv.*row 2, column value.*expected a number"),
    ("labs.csv", _set(1, "founders", "Arthur Mensch"),
     r"labs.csv.*row 3, column founders.*'Arthur Mensch' is not in the cohort"),
    ("labs.csv", _set(2, "name", "Meta"), r"labs.csv.*row 4, column name.*duplicate name 'Meta'"),
    ("cohort.csv", _set(3, "name", "Hugo Touvron"),
     r"cohort.csv.*row 5, column name.*duplicate name"),
    ("cohort.csv", _set(0, "start_lab", "Facebook"),
     r"cohort.csv.*row 2, column start_lab.*'Facebook'"),
    ("ties.csv", _set(0, "a", "Nobody"), r"ties.csv.*row 2, column a.*'Nobody'"),
    ("ties.csv", _set(0, "b", "Hugo Touvron"), r"ties.csv.*row 2.*with themselves"),
    ("ties.csv", _set(1, "b", "Thibaut Lavril"), r"ties.csv.*row 3.*listed twice.*row 2"),
    ("cohort.csv", _set(0, "tenure_years", "-2"), r"cohort.csv.*row 2, column tenure_years.*>= 0"),
    ("cohort.csv", _set(1, "name", " "), r"cohort.csv.*row 3, column name.*blank"),
    ("labs.csv", _set(3, "name", ""), r"labs.csv.*row 5, column name.*blank"),
    ("observed.csv", _set(1, "name", "Nobody"), r"observed.csv.*row 3, column name.*'Nobody'"),
    ("observed.csv", _set(1, "to", "Mistrall"), r"observed.csv.*row 3, column to.*'Mistrall'"),
    ("observed.csv", _set(1, "earliest", "2023-09"), r"observed.csv.*row 3.*earliest 2023-09 is after"),
    ("observed.csv", _set(1, "latest", "2025-09"), r"observed.csv.*row 3, column latest.*after the obs"),
    ("observed.csv", _set(1, "earliest", "2022-09"), r"observed.csv.*row 3, column earliest.*outside"),
    ("observed.csv", _set(1, "from", "Mistral"), r"observed.csv.*row 3, column from.*at 'Meta'"),
    ("observed.csv", _set(1, "to", "Kyutai"), r"observed.csv.*row 3.*'Kyutai' does not exist"),
    ("observed.csv", _set(1, "earliest", ""), r"observed.csv.*row 3.*give earliest, latest"),
]  # fmt: skip


@pytest.mark.parametrize(("filename", "edit", "message"), BAD_FILES)
def test_each_bad_data_file_gives_its_error(tmp_path, filename, edit, message):
    folder = _corrupt(tmp_path, filename, edit)
    with pytest.raises(InputError, match=message):
        load_world(folder)


def test_missing_column_and_missing_file(tmp_path):
    folder = _corrupt(tmp_path, "events.csv", lambda t: t.pop("kind"))
    with pytest.raises(InputError, match=r"events.csv.*missing column.*kind"):
        load_world(folder)
    (folder / "labs.csv").unlink()
    with pytest.raises(InputError, match=r"labs.csv.*missing file"):
        load_world(folder)


def test_a_merge_of_a_lab_into_itself_is_an_error(tmp_path):
    def edit(table):
        table.loc[table["kind"] == "merge", "into"] = table.loc[table["kind"] == "merge", "lab"]

    folder = _corrupt(tmp_path, "events.csv", edit)
    with pytest.raises(InputError, match=r"events.csv.*cannot merge into itself"):
        load_world(folder)


def test_world_toml_errors_name_the_key(tmp_path):
    folder = _corrupt(tmp_path, "events.csv", lambda t: None)
    toml = (folder / "world.toml").read_text()
    (folder / "world.toml").write_text(toml.replace('focal_lab = "Meta"', 'focal_lab = "Metta"'))
    with pytest.raises(InputError, match=r"world.toml.*focal_lab.*'Metta' is not a lab"):
        load_world(folder)
    (folder / "world.toml").write_text(toml.replace('start = "2023-02"', 'start = "Feb 2023"'))
    with pytest.raises(InputError, match=r"world.toml.*start.*YYYY-MM"):
        load_world(folder)
    (folder / "world.toml").write_text(toml.replace("focal_lab", "focal_lb"))
    with pytest.raises(InputError, match=r"world.toml.*focal_lb.*did you mean 'focal_lab'"):
        load_world(folder)
    (folder / "world.toml").write_text(toml.replace('kind = "at_lab"', 'kind = "at_lbs"'))
    with pytest.raises(InputError, match=r"world.toml.*statistic\[2\].kind"):
        load_world(folder)
    (folder / "world.toml").unlink()
    with pytest.raises(InputError, match=r"world.toml.*missing file"):
        load_world(folder)


def test_an_unknown_city_is_neutral(llama):
    """A blank city gets the same home term at every lab: no lab is favoured by the gap."""
    world = llama.replace(cities=("",) + llama.cities[1:])
    home = world.compile("2023-12").home
    assert np.all(home[0] == 1.0)


def test_merge_into_a_lab_before_its_founding_is_an_error(tmp_path):
    def edit(table):
        table.loc[table["kind"] == "merge", "month"] = "2023-06"

    folder = _corrupt(tmp_path, "events.csv", edit)
    with pytest.raises(InputError, match=r"before it is founded"):
        load_world(folder)


def test_a_bad_world_through_the_cli_exits_2_without_traceback(tmp_path):
    folder = _corrupt(tmp_path, "events.csv", _set(0, "lab", "Metta"))
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        f'name = "s"\ndescription = "bad world"\n[world]\nname = "{folder}"\n'
        '[params]\nfrom = "prior-mean"\n'
    )
    out = tmp_path / "out"
    done = run_sim("run", scenario, "--replicates", 3, "--out", out)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "events.csv" in done.stderr and "Metta" in done.stderr
    assert not out.exists()


def test_another_cohort_runs_from_data_files_alone(tmp_path):
    """A different cohort (the 'Attention' authors, made-up labs) needs only CSV files."""
    folder = tmp_path / "attention"
    folder.mkdir()
    people = ["A. Vaswani", "N. Shazeer", "N. Parmar", "J. Uszkoreit"]
    (folder / "world.toml").write_text('title = "Attention"\nstart = "2023-02"\n')
    (folder / "cohort.csv").write_text(
        "name,city,start_lab,tenure_years\n"
        + "".join(f"{p},Mountain View,Google,3\n" for p in people)
    )
    (folder / "labs.csv").write_text(
        "name,cities,founded,founders\nGoogle,Mountain View,,\n"
        "Character,Palo Alto,2023-06,N. Shazeer\n"
        "Essential,San Francisco,2023-09,A. Vaswani;N. Parmar\n"
    )
    (folder / "attributes.csv").write_text(
        "lab,attribute,value\n"
        + "".join(
            f"{lab},{a},0.5\n"
            for lab in ("Google", "Character", "Essential")
            for a in ("openness", "culture", "pace", "pay")
        )
    )
    (folder / "events.csv").write_text(
        "id,month,kind,lab,attribute,value,into\nbrain_merge,2023-04,shift,Google,culture,-0.2,\n"
    )
    world = load_world(folder)
    compiled = world.compile("2024-12")
    assert compiled.n_researchers == 4 and compiled.timeline.attributes.shape == (23, 3, 4)
    assert world.focal_lab == "Google"  # the start lab everyone shares
    assert np.array_equal(np.diff(compiled.tie_indptr), [3, 3, 3, 3])  # no ties.csv: all tied


@pytest.mark.parametrize("name", ["llama", "openai-founders"])
def test_no_shipped_move_detours_through_other_to_a_lab_founded_inside_its_interval(name):
    """The format once forced a move to Other and a second move a month later where the
    destination was founded inside the exit interval (issue 23); such a move is one row now."""
    from sim.world.openings import founding_month

    world = load_world(REPO / "sim" / "data" / name)
    for i, researcher in enumerate(world.researchers):
        moves = world.observed.moves_of(i)
        for first, second in zip(moves, moves[1:], strict=False):
            if first.to != "Other" or second.earliest != first.latest + 1:
                continue
            founded = founding_month(world.founded[world.labs.index(second.to)], world.calendar)
            assert not first.earliest < founded <= first.latest, (researcher, second.to)
