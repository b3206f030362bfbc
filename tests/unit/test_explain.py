"""sim explain: Shapley attribution of the exodus to its causes, under common random numbers.

Small synthetic worlds built here: efficiency, dummy, symmetry (exact, in integers), exact and
permutation-sampled values within Monte Carlo error, the coalition worlds (merges, foundings),
the groups file and its errors, the command line, and the default causes of the shipped worlds.
"""

import contextlib
import io
import shutil

import numpy as np
import pandas as pd
import pytest

from sim.analysis.compare import compare
from sim.analysis.explain import (
    Causes,
    Group,
    attribute,
    default_causes,
    explain,
    load_causes,
    shapley_exact,
    shapley_permutations,
)
from sim.cli import main
from sim.config.scenario import load_scenario
from sim.errors import InputError
from sim.kernel.behavior import B_PEER
from sim.kernel.streams import replicate_seeds
from sim.world import NEVER, Calendar, Event, load_world
from sim.world.founding import as_given
from tests.conftest import MOBILE, REPO, make_world, merge_world, run_sim, theta_of

R = 300
MONTH = "2023-12"  # the checkpoint of the synthetic worlds (month 10)


def small_world(events=()):
    """Home (focal), Rival, Spin (founded 2023-05); 6 researchers; observed to 2023-12."""
    world = make_world(
        n_people=6,
        labs=("Home", "Rival", "Spin"),
        founded=("", "", "2023-05"),
        founders=((), (), ("p0",)),
        events=(
            Event("cut", "2023-04", "shift", "Home", "culture", -0.3),
            Event("raise", "2023-06", "shift", "Home", "pay", 0.2),
            Event("rival_round", "2023-03", "shift", "Rival", "pay", 0.2),
            Event("late", "2024-03", "shift", "Home", "pace", -0.3),  # after the checkpoint
            *events,
        ),
        seed=11,
    )
    return world.replace(calendar=Calendar("2023-02", MONTH, "2024-06"))


def thetas(r=R):
    theta = np.broadcast_to(theta_of(**MOBILE), (r, len(theta_of()))).copy()
    rng = np.random.default_rng(5)
    theta[:, B_PEER] = rng.uniform(0.0, 6.0, r)  # parameter draws that differ by replicate
    return {"posterior": theta}


def run(causes, **kwargs):
    return attribute(causes, MONTH, thetas(), replicate_seeds(17, R), **kwargs)


@pytest.fixture(scope="module")
def exact():
    return run(default_causes(small_world()))


# --------------------------------------------------------------------------- the axioms
def test_efficiency_the_groups_add_up_to_the_total_replicate_by_replicate(exact):
    np.testing.assert_allclose(exact.phi.sum(axis=0), exact.all_on - exact.all_off,
                               rtol=0, atol=1e-12)  # fmt: skip
    table = exact.to_df()
    groups = table[table.group != "total"].groupby("statistic", sort=False)["mean"].sum()
    total = table[table.group == "total"].set_index("statistic")["mean"]
    assert list(groups.index) == list(total.index)
    assert list(total.index)[0] == "gone_2023_12" and list(total.index)[-1] == "retention_2023_12"
    assert len(total) == 1 + 11  # the checkpoint statistic and the curve 2023-02 .. 2023-12
    np.testing.assert_allclose(groups.to_numpy(), total.to_numpy(), rtol=0, atol=1e-12)
    assert abs(total.iloc[0]) > 0.03  # something to attribute (seen: 0.053)
    people = exact.per_researcher_df()
    summed = people[people.group != "total"].groupby("researcher")["mean"].sum()
    tot = people[people.group == "total"].set_index("researcher")["mean"]
    np.testing.assert_allclose(summed[tot.index], tot, rtol=0, atol=1e-12)
    np.testing.assert_allclose(tot, people[people.group == "total"].eval("p_scenario - p_all_off"),
                               rtol=0, atol=1e-12)  # fmt: skip


def test_the_scenario_and_every_cause_off_are_what_they_say(exact):
    world = small_world()
    theta = thetas()["posterior"]
    from sim.engines.simulate import simulate

    seeds = replicate_seeds(17, R)
    on = simulate(world.compile(MONTH), theta, seeds)
    np.testing.assert_array_equal(exact.all_on[:, 0], 6 - on.at_focal()[:, -1])
    off_world = world.replace(
        founded=("", "", NEVER),
        events=(world.events[-1],),  # only the late event stays
        peer_glue=False,
        peer_contagion=False,
    )
    off = simulate(off_world.compile(MONTH), theta, seeds)
    np.testing.assert_array_equal(exact.all_off[:, 0], 6 - off.at_focal()[:, -1])
    np.testing.assert_array_equal(exact.all_off[:, 1:12], off.at_focal() / 6)


def test_a_group_that_changes_nothing_gets_exactly_zero():
    world = small_world((Event("nothing", "2023-04", "shift", "Home", "pace", 0.0),))
    base = default_causes(world)
    groups = [
        Group(g.name, tuple(e for e in g.events if e != "nothing"), g.labs, g.peer)
        for g in base.groups
    ]
    causes = Causes(world, (*groups, Group("nothing", events=("nothing",))))
    ex = run(causes)
    assert ex.active[-1]  # simulated, not skipped
    k = causes.names.index("nothing")
    assert (ex.phi[k] == 0.0).all()
    rows = ex.to_df().query("group == 'nothing'")
    assert (rows[["mean", "low", "high"]] == 0.0).all().all()
    # and the events after the checkpoint are exact dummies: not simulated, 0
    late = causes.names.index("Home pace")
    assert not ex.active[late] and (ex.phi[late] == 0.0).all()
    assert ex.coalitions == 2 ** (len(causes.groups) - 1)


def test_two_identical_causes_get_the_same_value():
    twin = (Event("cut_a", "2023-04", "shift", "Home", "culture", -0.2),
            Event("cut_b", "2023-04", "shift", "Home", "culture", -0.2))  # fmt: skip
    world = small_world(twin)
    causes = Causes(world, (
        Group("a", events=("cut_a",)), Group("b", events=("cut_b",)),
        Group("spin", labs=("Spin",)), Group("peers", peer=("contagion", "glue")),
    ))  # fmt: skip
    ex = run(causes)
    a, b = ex.phi[0], ex.phi[1]
    np.testing.assert_array_equal(a, b)
    assert abs(a[:, 0].mean()) > 0.01


def test_exact_and_permutation_sampling_agree_within_their_monte_carlo_error(exact):
    sampled = run(default_causes(small_world()), method="permutation", orders=40, seed=3)
    assert sampled.method == "permutation" and exact.method == "exact"
    np.testing.assert_allclose(sampled.phi.sum(axis=0), sampled.all_on - sampled.all_off,
                               rtol=0, atol=1e-12)  # fmt: skip
    e = exact.to_df().query("statistic == 'gone_2023_12' and group != 'total'")
    p = sampled.to_df().query("statistic == 'gone_2023_12' and group != 'total'")
    se = (p["high"].to_numpy() - p["low"].to_numpy()) / (2 * 1.6448536269514722)
    diff = np.abs(p["mean"].to_numpy() - e["mean"].to_numpy())
    assert (diff <= 3 * se + 1e-12).all(), (diff, se)
    assert (se > 0)[np.asarray(exact.active)].all()  # the orders' error is in the interval
    # the total is exact either way
    assert p["mean"].sum() == pytest.approx(e["mean"].sum(), abs=1e-12)


def test_the_shapley_functions_on_a_known_game():
    # v(S) = |S|^2 on three players: each gets 9 / 3 = 3; a weighted game checks the weights
    weights = np.array([1, 2, 4])

    def value(mask):
        members = [(mask >> i) & 1 for i in range(3)]
        size = int(np.dot(members, weights))
        return np.array([[size**2, size]])

    numerators, divisor = shapley_exact(3, value)
    phi = numerators[:, 0, :] / divisor
    np.testing.assert_allclose(phi[:, 1], weights)  # additive part: its own weight
    np.testing.assert_allclose(phi[:, 0].sum(), 49)
    # phi_i of (sum w)^2 = w_i^2 + w_i * sum_{j != i} w_j
    np.testing.assert_allclose(phi[:, 0], weights**2 + weights * (7 - weights))
    sums, k, _ = shapley_permutations(3, value, 200, np.random.default_rng(0))
    assert (sums[:, 0, 1] / k == weights).all()
    assert sums[:, 0, 0].sum() / k == 49


# --------------------------------------------------------------------------- coalition worlds
def test_default_causes_and_coalition_worlds_with_a_merge():
    world = merge_world().replace(calendar=Calendar("2023-02", "2023-12"))
    causes = default_causes(world)
    assert causes.names == (
        "Home culture", "Home pay", "Spin", "New", "peer contagion", "peer glue",
    )  # fmt: skip
    by = {g.name: g for g in causes.groups}
    assert by["Home pay"].events == ("boom",)  # a * event on pay
    assert by["New"] == Group("New", ("merge",), ("New",), how=by["New"].how)
    assert by["Spin"].labs == ("Spin",) and not by["Spin"].events
    assert not causes.unattributed
    off = causes.world_for([True, True, True, False, True, True])
    assert off.founded[world.labs.index("New")] == NEVER
    assert [e.id for e in off.events] == ["cut", "boom"]  # the merge needs New
    assert off.peer_glue and off.peer_contagion
    none = causes.world_for([False] * 6)
    assert none.events == () and none.founded == ("", NEVER, "", NEVER, "")
    assert not none.peer_glue and not none.peer_contagion
    glue_only = causes.world_for([True] * 4 + [False, True])
    assert glue_only.peer_glue and not glue_only.peer_contagion
    # a part the scenario's world already switches off gets no group
    assert default_causes(world.replace(peer_glue=False)).names[-1] == "peer contagion"


def test_a_groups_file_resolves_labs_attributes_events_and_leaves_the_rest_on(tmp_path):
    world = merge_world().replace(calendar=Calendar("2023-02", "2023-12"))
    path = tmp_path / "groups.toml"
    path.write_text(
        '[[group]]\nname = "pay"\nfocal_attributes = ["pay"]\n'
        '[[group]]\nname = "labs"\nlabs = ["Spin", "Old"]\n'
        '[[group]]\nname = "everyone"\npeer = true\n'
    )
    causes = load_causes(path, world)
    assert causes.names == ("pay", "labs", "everyone")
    assert causes.groups[2].peer == ("contagion", "glue")
    assert causes.groups[0].events == ("boom",)
    assert causes.groups[1].events == ("merge",) and causes.groups[1].labs == ("Spin",)
    assert [e.id for e in causes.unattributed] == ["cut"]
    assert causes.unattributed_foundings == ("New",)
    assert causes.source == str(path)


BAD_GROUPS = {
    "an unknown event": ('[[group]]\nname = "a"\nevents = ["cutt"]\n', r"group\[0\]\.events\[0\].*unknown event 'cutt' \(did you mean 'cut'\?\)"),
    "an unknown lab": ('[[group]]\nname = "a"\nlabs = ["Nowhere"]\n', r"group\[0\]\.labs\[0\].*unknown lab 'Nowhere'"),
    "an unknown attribute": ('[[group]]\nname = "a"\nfocal_attributes = ["culturr"]\n', r"group\[0\]\.focal_attributes\[0\].*unknown attribute"),
    "an event in two groups": ('[[group]]\nname = "a"\nevents = ["cut"]\n[[group]]\nname = "b"\nevents = ["cut"]\n', r"group\[1\]\.events\[0\].*event 'cut' is in two groups"),
    "an event in a group and through an attribute": ('[[group]]\nname = "a"\nevents = ["boom"]\n[[group]]\nname = "b"\nfocal_attributes = ["pay"]\n', r"event 'boom' is in two groups: 'a' .* and 'b'"),
    "an unknown key": ('[[group]]\nname = "a"\nevent = ["cut"]\n', r"group\[0\]\.event.*unknown key \(did you mean 'events'\?\)"),
    "a group of nothing": ('[[group]]\nname = "a"\nlabs = ["Far"]\n', r"group\[0\].*holds nothing"),
    "no groups": ('title = "x"\n', r"at title: unknown key"),
    "an empty file": ("", r"at group: no \[\[group\]\] tables"),
    "a group without a name": ('[[group]]\npeer = true\n', r"group\[0\]\.name: missing key"),
    "a peer part in two groups": ('[[group]]\nname = "a"\npeer = true\n[[group]]\nname = "b"\npeer = ["glue"]\n', r"group\[1\]\.peer.*the peer glue is in two groups"),
    "an unknown peer part": ('[[group]]\nname = "a"\npeer = ["glu"]\n', r"group\[0\]\.peer"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_GROUPS))
def test_bad_groups_files_name_the_file_and_the_key(tmp_path, case):
    text, message = BAD_GROUPS[case]
    path = tmp_path / "groups.toml"
    path.write_text(text)
    world = merge_world().replace(calendar=Calendar("2023-02", "2023-12"))
    with pytest.raises(InputError, match=rf"groups.toml.*{message}"):
        load_causes(path, world)


def test_the_default_causes_of_the_shipped_llama_world():
    # founding chosen (the shipped world's): the potential labs' existence is the founding cause;
    # Mistral keeps its events as a cause of its own, Kyutai (no events) has none
    chosen = default_causes(load_world("llama"))
    assert chosen.names == (
        "Meta openness", "Meta culture", "Meta pace", "Meta pay",
        "Mistral", "Microsoft AI", "Thinking Machines Lab", "founding", "peer contagion",
        "peer glue",
    )  # fmt: skip
    by = {g.name: g for g in chosen.groups}
    assert by["founding"].labs == ("Mistral", "Kyutai") and by["Mistral"].labs == ()
    assert len(by["Mistral"].events) == 7
    assert not chosen.unattributed and not chosen.unattributed_foundings
    # founding given: each lab founded after the start is a cause with its events
    causes = default_causes(as_given(load_world("llama")))
    assert causes.names == (
        "Meta openness", "Meta culture", "Meta pace", "Meta pay",
        "Mistral", "Microsoft AI", "Kyutai", "Thinking Machines Lab", "peer contagion",
        "peer glue",
    )  # fmt: skip
    by = {g.name: g for g in causes.groups}
    assert by["Meta culture"].events == (
        "meta_year_of_efficiency", "meta_low_performer_cuts", "pineau_leaves")  # fmt: skip
    assert by["Meta openness"].events == ("llama2_release", "llama31_release")
    assert by["Meta pace"].events == ("code_llama_release", "llama3_release",
                                      "deepseek_r1_shock", "llama4_flop", "behemoth_delayed")  # fmt: skip
    assert by["Meta pay"].events == ("meta_offer_rules_loosened", "meta_superintelligence_labs")
    assert by["Mistral"].labs == ("Mistral",) and len(by["Mistral"].events) == 7
    # Inflection's staff absorbed into Microsoft AI: the merge goes with the new lab's founding
    assert by["Microsoft AI"].events == ("inflection_to_microsoft",)
    assert by["Microsoft AI"].labs == ("Microsoft AI",)
    assert by["Kyutai"].events == () and by["Kyutai"].labs == ("Kyutai",)
    assert by["Thinking Machines Lab"].labs == ("Thinking Machines Lab",)
    assert by["peer contagion"].peer == ("contagion",) and by["peer glue"].peer == ("glue",)
    assert not causes.unattributed and not causes.unattributed_foundings


def test_the_default_causes_of_the_openai_founders_world():
    chosen = default_causes(load_world("openai-founders"))
    assert chosen.names == (
        "OpenAI openness", "OpenAI culture", "OpenAI pace", "OpenAI pay", "Google",
        "Anthropic", "Safe Superintelligence", "Thinking Machines Lab", "founding",
        "peer contagion", "peer glue",
    )  # fmt: skip
    by = {g.name: g for g in chosen.groups}
    assert by["founding"].labs == ("Safe Superintelligence",)
    assert by["Safe Superintelligence"].labs == () and by["Safe Superintelligence"].events
    causes = default_causes(as_given(load_world("openai-founders")))
    assert causes.names == (
        "OpenAI openness", "OpenAI culture", "OpenAI pace", "OpenAI pay", "Google",
        "Anthropic", "Safe Superintelligence", "Thinking Machines Lab", "peer contagion",
        "peer glue",
    )  # fmt: skip
    assert causes.groups[4].labs == ()  # Google exists at the start: its events only
    assert not causes.unattributed


# --------------------------------------------------------------------------- the command line
def write_acme(tmp_path, body=""):
    shutil.copytree(REPO / "examples" / "acme" / "world", tmp_path / "acme")
    path = tmp_path / "base.toml"
    path.write_text('description = "Acme at prior means"\nreplicates = 60\nseed = 7\n'
                    f'[world]\nname = "acme"\n[params]\nfrom = "prior-mean"\n{body}')  # fmt: skip
    return path


def sim(*args):
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main([str(a) for a in args])
        except SystemExit as stop:
            code = stop.code
    return code, out.getvalue(), err.getvalue()


def test_the_command_writes_every_file(tmp_path):
    scenario = write_acme(tmp_path)
    out = tmp_path / "out"
    code, stdout, stderr = sim("explain", scenario, "--out", out, "--replicates", 60)
    assert code == 0, stderr
    names = {"attribution.csv", "per_researcher.csv", "levels.csv", "waterfall.png",
             "by_month.png", "report.md", "manifest.json"}  # fmt: skip
    assert {p.name for p in out.iterdir()} == names
    table = pd.read_csv(out / "attribution.csv")
    assert list(table.columns) == ["source", "group", "statistic", "mean", "low", "high"]
    assert set(table.source) == {"posterior", "prior"}
    assert list(dict.fromkeys(table.group)) == [
        "Acme culture", "Spinout", "peer contagion", "peer glue", "total",
    ]  # fmt: skip
    for _, part in table.groupby("source"):
        part = part[part.statistic == "gone_2011_12"]
        assert part[part.group != "total"]["mean"].sum() == pytest.approx(
            part[part.group == "total"]["mean"].item(), abs=1e-9)  # fmt: skip
    people = pd.read_csv(out / "per_researcher.csv")
    assert set(people.researcher) == {"Ada", "Ben", "Cyd", "Dee", "Eve"}
    report = (out / "report.md").read_text()
    assert "waterfall.png" in report and "by_month.png" in report and "| prior |" in report
    assert "`acme_cuts` (2009-06" in report and "Every event belongs to a group" in report
    assert "gone by 2011-12" in stdout
    # again, with a groups file that leaves an event unattributed, and permutation sampling
    groups = tmp_path / "groups.toml"
    groups.write_text('[[group]]\nname = "the spin-out"\nlabs = ["Spinout"]\n'
                      '[[group]]\nname = "colleagues"\npeer = true\n')  # fmt: skip
    code, _, stderr = sim("explain", scenario, "--out", out, "--replicates", 30, "--groups",
                          groups, "--method", "permutation", "--permutations", 5,
                          "--month", "2010-06")  # fmt: skip
    assert code == 0, stderr
    report = (out / "report.md").read_text()
    assert "**Not attributed**" in report and "`acme_cuts`" in report
    table = pd.read_csv(out / "attribution.csv")
    assert set(table.statistic) >= {"gone_2010_06", "retention_2010_06"}
    assert "permutation" in report


def test_every_cause_off_is_the_scenario_that_removes_every_cause(tmp_path):
    """The same counterfactual written as a scenario and run by sim compare: same histories."""
    scenario = write_acme(tmp_path)
    off = tmp_path / "off.toml"
    off.write_text('description = "every cause off"\nextends = "base.toml"\n'
                   '[world]\nremove_labs = ["Spinout"]\nremove_events = ["acme_cuts"]\n'
                   '[world.peer]\nglue = false\ncontagion = false\n')  # fmt: skip
    base = load_scenario(scenario)
    ex = explain(base, 60, 7)
    comparison = compare([base, load_scenario(off)], 60, 7)
    rows = ex.rows("posterior")
    t = base.world.calendar.index("2011-12")
    np.testing.assert_array_equal(
        ex.all_off[rows, 0], 5 - comparison.trajectories[1].at_focal()[:, t]
    )
    np.testing.assert_array_equal(
        ex.all_on[rows, 0], 5 - comparison.trajectories[0].at_focal()[:, t]
    )


@pytest.mark.parametrize("args, message", [
    (("--month", "2030-01"), r"at --month: month 2030-01 is after the scenario's horizon 2013-12"),
    (("--month", "2001-01"), r"at --month: month 2001-01 is outside this world's calendar"),
    (("--month", "June"), r"at --month: expected a month as YYYY-MM"),
    (("--groups", "GROUPS"), r"groups.toml, at group\[1\]\.events\[0\]: event 'acme_cuts' is in two groups"),
    (("--groups", "MISSING"), r"nowhere.toml: no such file"),
])  # fmt: skip
def test_bad_input_exits_2_with_one_paragraph(tmp_path, args, message):
    scenario = write_acme(tmp_path)
    groups = tmp_path / "groups.toml"
    groups.write_text('[[group]]\nname = "a"\nfocal_attributes = ["culture"]\n'
                      '[[group]]\nname = "b"\nevents = ["acme_cuts"]\n')  # fmt: skip
    args = [{"GROUPS": groups, "MISSING": tmp_path / "nowhere.toml"}.get(a, a) for a in args]
    code, _, stderr = sim("explain", scenario, "--out", tmp_path / "out", *args)
    assert code == 2
    assert stderr.startswith("sim explain: error: ") and "Traceback" not in stderr
    assert __import__("re").search(message, stderr), stderr
    assert not (tmp_path / "out").exists()


def test_bad_input_from_the_installed_command_leaves_no_traceback(tmp_path):
    scenario = write_acme(tmp_path)
    groups = tmp_path / "groups.toml"
    groups.write_text('[[group]]\nname = "a"\nlabs = ["Nowhere"]\n')
    done = run_sim("explain", scenario, "--groups", groups, "--out", tmp_path / "out")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "groups.toml, at group[0].labs[0]: unknown lab 'Nowhere'" in done.stderr
