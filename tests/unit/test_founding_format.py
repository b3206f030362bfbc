"""Founding as a choice: the world format, the held parameters, the predictive's founding months
and the founding cause of ``sim explain`` (the kernel, engines and likelihood are tested in
test_behavior.py, test_engines.py and tests/statistical/test_founding.py; the recovery of the
founding weights in tests/statistical/test_founding_recovery.py)."""

import shutil

import numpy as np
import pytest

from sim.config.params import DEFAULT_PRIORS, PARAMETER_SPACE, prior_means, sample_prior
from sim.errors import InputError
from sim.kernel.behavior import FOUNDING_NAMES, PARAMETER_NAMES
from sim.world import Event, load_world
from sim.world.founding import as_given
from tests.conftest import REPO, cli, make_world


def _world_folder(tmp_path, toml="", events=""):
    """The shipped LLaMA world with founding given (its ``founding`` line dropped: the format's
    default), then ``toml`` on top and ``events`` appended."""
    folder = tmp_path / "world"
    shutil.copytree(REPO / "sim" / "data" / "llama", folder)
    shipped = (folder / "world.toml").read_text()
    assert 'founding = "chosen"\n' in shipped
    shipped = shipped.replace('founding = "chosen"\n', "")
    (folder / "world.toml").write_text(toml + shipped)  # top level
    if events:
        with open(folder / "events.csv", "a") as f:
            f.write(events)
    return folder


# ----------------------------------------------------------------------------- the world format
def test_potential_labs_are_those_the_cohort_founds_after_the_start():
    chosen = load_world("llama")  # the shipped world chooses
    llama = as_given(chosen)
    assert chosen.founding_chosen and not llama.founding_chosen and not llama.compile().founding
    compiled = chosen.compile()
    assert [llama.labs[j] for j in np.flatnonzero(compiled.potential)] == ["Mistral", "Kyutai"]
    # available from the start (the run founds them); labs founded by others keep their month
    assert compiled.timeline.exists[0, compiled.potential].all()
    tml = llama.labs.index("Thinking Machines Lab")
    assert not compiled.timeline.exists[0, tml]
    # a removed potential lab is never founded
    removed = chosen.without_labs(["Mistral"]).compile()
    assert not removed.timeline.exists[:, llama.labs.index("Mistral")].any()
    assert [llama.labs[j] for j in np.flatnonzero(removed.potential)] == ["Kyutai"]


def test_the_climate_and_non_competes_compile_month_by_month():
    events = (
        Event(id="up", month="2023-04", kind="set", lab="*", attribute="funding_climate",
              value=0.9),
        Event(id="down", month="2023-06", kind="shift", lab="*", attribute="funding_climate",
              value=-0.5),
        Event(id="nc", month="2023-03", kind="bar_founding", lab="B", value=2),
    )  # fmt: skip
    world = make_world(labs=("A", "B", "C"), events=events).replace(funding_climate=0.3)
    compiled = world.compile("2023-08")
    np.testing.assert_allclose(compiled.climate, [0.3, 0.3, 0.9, 0.9, 0.4, 0.4, 0.4])
    assert compiled.barred[:, 1].tolist() == [False, True, True, False, False, False, False]
    assert not compiled.barred[:, [0, 2]].any()
    # the labs' own attributes are untouched by the founding events
    np.testing.assert_array_equal(compiled.timeline.attributes[-1], world.attributes)


@pytest.mark.parametrize(
    ("toml", "events", "key"),
    [
        ('founding = "sometimes"\n', "", "founding"),
        ("funding_climate = 1.5\n", "", "funding_climate"),
        ("", "nc,2023-03,bar_founding,Meta,,0.5,,x,press,I\n", "column value"),
        ("", "nc,2023-03,bar_founding,*,,3,,x,press,I\n", "column lab"),
        ("", "hot,2023-03,set,Meta,funding_climate,0.8,,x,press,I\n", "row"),
        ("", "hot,2023-03,shift,*,funding_climate,1.5,,x,press,I\n", "column value"),
    ],
)
def test_bad_founding_declarations_name_the_file_and_the_key(tmp_path, toml, events, key):
    folder = _world_folder(tmp_path, toml, events)
    with pytest.raises(InputError) as err:
        load_world(folder)
    message = str(err.value)
    assert key in message and ("world.toml" in message or "events.csv" in message), message
    assert "statistic" not in message


def test_a_non_founder_reaching_a_potential_lab_first_is_refused(tmp_path):
    """In the observed history only a founder can reach a potential lab before it exists."""
    folder = _world_folder(tmp_path, 'founding = "chosen"\n')
    labs = (folder / "labs.csv").read_text()
    (folder / "labs.csv").write_text(
        labs.replace("Kyutai,Paris,2023-11,Edouard Grave", "Kyutai,Paris,2023-11,Guillaume Lample")
    )
    with pytest.raises(InputError, match="before any founder could have founded it"):
        load_world(folder)


def _baseline_with(tmp_path, world: str, top: str = ""):
    """A scenario file extending the shipped baseline with ``world`` in its [world] table (and
    ``top`` among its top-level keys)."""
    path = tmp_path / "s.toml"
    baseline = REPO / "scenarios" / "baseline.toml"
    path.write_text(f'name = "x"\ndescription = "x"\nextends = "{baseline}"\n{top}'
                    f"[world]\n{world}\n")  # fmt: skip
    return path


def test_a_scenario_chooses_founding_and_bad_values_exit_2(tmp_path):
    path = _baseline_with(tmp_path, "funding_climate = 2.0")
    done = cli("run", path, "--replicates", 4, "--out", tmp_path / "out")
    assert done.returncode == 2 and "funding_climate" in done.stderr and "s.toml" in done.stderr


def test_own_startups_are_one_potential_lab_per_researcher_with_the_foundings_profile(tmp_path):
    folder = _world_folder(tmp_path, 'founding = "chosen"\nown_startup = true\n')
    world = load_world(folder)
    llama = load_world("llama")
    assert world.labs[: len(llama.labs)] == llama.labs  # the world's labs keep their codes
    own = world.labs[len(llama.labs) :]
    assert own == tuple(f"own startup ({r})" for r in llama.researchers)
    compiled = world.compile()
    assert compiled.potential[len(llama.labs) :].all()
    for k in range(len(llama.researchers)):  # founded by them alone, anywhere
        j = len(llama.labs) + k
        assert np.flatnonzero(compiled.founder[:, j]).tolist() == [k]
        assert world.lab_cities[j] == ("*",) and compiled.home[:, j].all()
    named = [llama.labs.index("Mistral"), llama.labs.index("Kyutai")]  # what the cohort founds
    np.testing.assert_allclose(world.attributes[-1], llama.attributes[named].mean(axis=0))
    # a scenario turning founding to data drops them; turning own_startup on adds them
    path = _baseline_with(tmp_path, f'name = "{folder}"\nfounding = "given"')
    from sim.config.scenario import load_scenario

    given = load_scenario(path).world
    assert not given.compile().potential.any()
    assert all(given.founded[j] == "never" for j in range(len(llama.labs), len(world.labs)))
    on = load_scenario(_baseline_with(tmp_path, 'founding = "chosen"\nown_startup = true')).world
    assert on.labs == world.labs


@pytest.mark.parametrize(
    ("toml", "expected"),
    [("own_startup = true\n", 'expected founding = "chosen"'),
     ('founding = "chosen"\nown_startup = "yes"\n', "expected own_startup = true or false")],
)  # fmt: skip
def test_bad_own_startup_declarations_exit_2_naming_the_key(tmp_path, toml, expected):
    folder = _world_folder(tmp_path, toml)
    with pytest.raises(InputError, match=expected) as err:
        load_world(folder)
    assert err.value.key == "own_startup" and err.value.source.endswith("world.toml")
    done = cli("run", _baseline_with(tmp_path, f'name = "{folder}"'), "--replicates", 4,
               "--out", tmp_path / "out")  # fmt: skip
    assert done.returncode == 2 and "own_startup" in done.stderr and "Traceback" not in done.stderr


# ----------------------------------------------------------------------------- held parameters
def test_the_founding_parameters_are_held_where_founding_is_given():
    """The default prior holds them at their prior means and uses no random number for them: the
    other parameters' draws are those of the twelve-parameter space."""
    means = prior_means()
    theta = sample_prior(500, np.random.default_rng(3))
    core = [p for p in PARAMETER_SPACE if p.name not in FOUNDING_NAMES]
    q = np.random.default_rng(3).random((500, len(core)))
    expected = np.column_stack([p.from_unit(q[:, k]) for k, p in enumerate(core)])
    np.testing.assert_array_equal(theta[:, : len(core)], expected)
    for name in FOUNDING_NAMES:
        k = PARAMETER_NAMES.index(name)
        assert DEFAULT_PRIORS[k].held and (theta[:, k] == means[name]).all()
    drawn = sample_prior(500, np.random.default_rng(3), PARAMETER_SPACE)
    assert all(drawn[:, PARAMETER_NAMES.index(n)].std() > 0 for n in FOUNDING_NAMES)


def test_a_posterior_fitted_where_founding_is_given_cannot_run_a_chosen_world(tmp_path):
    given = REPO / "calibration" / "joint" / "posterior.parquet"  # fitted with founding given
    path = _baseline_with(tmp_path, 'founding = "chosen"', f'posterior_file = "{given}"\n')
    done = cli("run", path, "--replicates", 4, "--out", tmp_path / "out")
    assert done.returncode == 2 and "found_base" in done.stderr and "params" in done.stderr
    fixed = path.read_text() + "[params]\n" + "".join(f"{n} = 0.5\n" for n in FOUNDING_NAMES)
    path.write_text(fixed)
    done = cli("run", path, "--replicates", 4, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr


# ----------------------------------------------------------------------------- predictive, explain
def test_the_founding_month_is_the_first_month_anyone_is_at_the_lab():
    from sim.inference.predictive import founding_months
    from sim.results import Trajectories

    world = load_world("llama").replace(founding_chosen=True)
    mistral, kyutai = world.labs.index("Mistral"), world.labs.index("Kyutai")
    labs = np.zeros((3, 6, len(world.researchers)), dtype=np.int8)
    labs[0, 2:, 4] = mistral  # founded in month 2
    labs[0, 4:, 5] = mistral
    labs[1, 5:, 0] = kyutai  # founded in month 5

    def traj(w):
        return Trajectories(labs=labs, seeds=np.arange(3, dtype=np.uint64),
                            theta=np.zeros((3, len(PARAMETER_NAMES))), world=w)  # fmt: skip

    months = founding_months(traj(world))
    assert months["founded@Mistral"].tolist() == [2, -1, -1]
    assert months["founded@Kyutai"].tolist() == [-1, 5, -1]
    given = founding_months(traj(as_given(load_world("llama"))))
    assert given.empty


def test_founding_is_a_cause_of_its_own_where_it_is_chosen():
    from sim.analysis.explain.causes import FOUNDING_GROUP, default_causes

    chosen = load_world("llama").replace(founding_chosen=True)
    causes = default_causes(chosen)
    group = next(g for g in causes.groups if g.name == FOUNDING_GROUP)
    assert group.labs == ("Mistral", "Kyutai") and causes.first_month(group) == 0
    mistral = next(g for g in causes.groups if g.name == "Mistral")
    assert mistral.labs == () and mistral.events  # its events stay its own cause
    off = causes.world_for([g.name != FOUNDING_GROUP for g in causes.groups]).compile()
    assert not off.timeline.exists[:, [chosen.labs.index("Mistral"),
                                       chosen.labs.index("Kyutai")]].any()  # fmt: skip
    assert FOUNDING_GROUP not in default_causes(as_given(load_world("llama"))).names
