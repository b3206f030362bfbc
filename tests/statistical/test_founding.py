"""Founding as a choice (sim.kernel.behavior's founding alternative) against simulated frequencies.

A small world where lab C is potential: two of the cohort found it, so it exists only from the
month after one of them chooses it, and the other then joins it as an ordinary move. The
likelihood of each of the most common complete histories must equal its frequency among the
ensemble engine's replicates, within 4 binomial standard errors plus 3% of the probability for
the quasi-Monte Carlo fits (1,024 points), as in test_likelihood.py; the histories checked
include a founding, a co-founder joining and a non-founder joining after the founding.
"""

import numpy as np

from sim.engines.simulate import simulate
from sim.kernel.streams import replicate_seeds
from sim.likelihood import Integration, complete_panel, log_likelihood
from sim.world import Event
from tests.conftest import MOBILE, make_world, theta_of

REPLICATES = 200_000
#: founding frequent enough to be checked month by month
FOUNDING = dict(found_base=1.0, found_climate=2.0, found_seniority=0.3, found_peer=4.0)


def founding_world(events=(), horizon="2023-06"):
    """Three researchers at A; C (potential) is founded by p0 and p1; the climate warms in month 2."""
    events = (
        Event(id="boom", month="2023-04", kind="shift", lab="*", attribute="funding_climate",
              value=0.3),
        *events,
    )  # fmt: skip
    return make_world(
        n_people=3, labs=("A", "B", "C"), founded=("", "", "2023-05"), events=events,
        founders=((), (), ("p0", "p1")), seed=6,
    ).replace(founding_chosen=True).compile(horizon)  # fmt: skip


def _check(world, theta, k, features=()):
    """The k most common histories, and the most common one with each feature (a predicate)."""
    traj = simulate(world, theta, replicate_seeds(23, REPLICATES))
    histories, counts = np.unique(traj.labs.reshape(REPLICATES, -1), axis=0, return_counts=True)
    histories = histories.reshape(-1, *traj.labs.shape[1:])
    order = list(np.argsort(counts)[::-1])
    chosen = order[:k] + [next(j for j in order if feature(histories[j])) for feature in features]
    integration = Integration.build(world.timeline.attributes.shape[1], 20, 1024)
    for j in chosen:
        frequency = counts[j] / REPLICATES
        panel = complete_panel(world, histories[j])
        likelihood = np.exp(log_likelihood(world, theta, panel, integration).sum())
        error = 4 * np.sqrt(frequency * (1 - frequency) / REPLICATES) + 0.03 * frequency
        assert abs(likelihood - frequency) < error, (histories[j].tolist(), likelihood, frequency)


def test_the_likelihood_with_founding_by_choice_is_the_simulated_frequency():
    world = founding_world()
    theta = theta_of(**{**MOBILE, **FOUNDING, "sigma_u": 0.8, "sigma_match": 0.6})
    _check(world, theta, 8, features=(
        lambda h: (h[:, 0] == 2).any() and not (h[:, 1] == 2).any(),  # one founder founds
        lambda h: (h[:, 0] == 2).any() and (h[:, 1] == 2).any(),  # and the other joins
        lambda h: (h[:, 2] == 2).any(),  # a non-founder joins the founded lab
        lambda h: ((h[:, 0] == 2) & (h[:, 1] != 2)).any() and (h[:, 1] == 1).any(),  # not all
    ))  # fmt: skip


def test_the_likelihood_with_a_non_compete_is_the_simulated_frequency():
    """The founding alternative barred at A and B in months 0-1: nobody founds C until 2."""
    bars = tuple(Event(id=f"nc{lab}", month="2023-02", kind="bar_founding", lab=lab, value=2)
                 for lab in "AB")  # fmt: skip
    world = founding_world(bars)
    theta = theta_of(**{**MOBILE, **FOUNDING, "sigma_u": 0.8, "sigma_match": 0.0})
    traj = simulate(world, theta, replicate_seeds(3, 20_000)).labs
    assert not (traj[:, :2] == 2).any()  # nobody at C after months 0 and 1
    assert (traj[:, 2] == 2).any()
    _check(world, theta, 8, features=(lambda h: (h == 2).any(),))


def test_a_non_founder_never_reaches_an_unfounded_lab():
    world = founding_world()
    theta = theta_of(**{**MOBILE, **FOUNDING})
    labs = simulate(world, theta, replicate_seeds(5, 20_000)).labs
    founded_at = np.where((labs[:, :, :2] == 2).any(axis=2).any(axis=1),
                          np.argmax((labs[:, :, :2] == 2).any(axis=2), axis=1), 99)  # fmt: skip
    p2_at = np.where((labs[:, :, 2] == 2).any(axis=1), np.argmax(labs[:, :, 2] == 2, axis=1), 99)
    reached = p2_at < 99
    assert reached.any()
    assert (p2_at[reached] > founded_at[reached]).all()


def test_the_likelihood_with_own_startups_is_the_simulated_frequency():
    """Each researcher may also found their own startup (sim.world.founding.with_own_startups):
    a founding of one, a colleague joining it, and the named lab's founding beside them."""
    from sim.world import with_own_startups

    world = founding_world().world
    world = with_own_startups(world).compile("2023-06")
    own = [world.world.labs.index(f"own startup (p{i})") for i in range(3)]
    theta = theta_of(**{**MOBILE, **FOUNDING, "found_base": 0.0, "sigma_u": 0.8,
                        "sigma_match": 0.6})  # fmt: skip
    _check(world, theta, 6, features=(
        lambda h: (h[:, 2] == own[2]).any(),  # a non-founder of C founds their own startup
        lambda h: (h[:, 1] == own[0]).any(),  # a colleague joins p0's startup
        lambda h: (h[:, 0] == 2).any() and (h == own[1]).any(),  # C founded, and p1's own
    ))  # fmt: skip
