"""Why they left: the exodus attributed to its causes by Shapley values (``sim explain``).

A *cause* is a group of facts of the world's data: some dated events, the founding of some labs
within the window, or the pull of colleagues (the ``b_peer`` term). A *coalition* is a set of
causes switched on; the others are off. The world with every cause off is the counterfactual in
which the focal lab keeps its starting attributes, no lab is founded within the window (those
labs never exist: ``founded = "never"``, keeping their places and their random numbers), their
events go and nobody pulls (``b_peer = 0``); the world with every cause on is the scenario.

The Shapley value of cause i (Shapley 1953) is its average marginal effect over every order in
which the causes could have been switched on::

    phi_i = sum over coalitions S without i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S))

It adds up (*efficiency*): the values of the causes sum to v(all on) - v(all off), the scenario
minus the counterfactual. A cause that changes nothing gets 0 (*dummy*) and two interchangeable
causes get the same value (*symmetry*). Every coalition is simulated with the same replicate
seeds and the same parameter draws (common random numbers, exactly as
:mod:`sim.analysis.compare`), so the value ``v_r(S)`` of replicate r is a deterministic function
of the coalition, the Shapley value is computed replicate by replicate (it is linear in v), and
the reported value is the mean over replicates (and so over posterior draws) with a 90% Monte
Carlo interval, mean +- 1.645 * sd / sqrt(R). The statistics are counts, so the sums are carried
out in integers, scaled by n!: the dummy's 0 and the symmetric causes' equality are exact, and
efficiency holds to rounding.

Exact computation simulates all 2^n coalitions (up to :data:`EXACT_MAX` causes with
``method="auto"``); beyond, permutation sampling (Castro, Gomez & Tejada 2009, "Polynomial
calculation of the Shapley value based on sampling") walks K random orders, each adding the causes
one at a time; every order telescopes, so efficiency still holds exactly. Its interval adds the
orders' Monte Carlo error to the replicates' (a crossed design: var = s_r^2 / R + s_k^2 / K,
slightly conservative). A cause whose events and foundings all come after the checkpoint month (or a
part of the peer pull where ``b_peer`` is 0 in every replicate) is an exact dummy: it is reported as
0 and not simulated. Coalitions are simulated only to the checkpoint month, posterior and prior
replicates together, on one compiled world per coalition.

Statistics (:class:`Explanation`): the number gone from the focal lab at the checkpoint month
(N minus the count there), the retention curve (share at the focal lab, each month through the
checkpoint) and each researcher's probability of having left by the checkpoint (away from the
focal lab at some month up to then). Each is attributed twice: under the scenario's own parameter
source (``posterior``) and under prior draws (``prior``: :func:`sim.config.params.sample_prior`
from a generator seeded by the seed, the scenario's fixed ``[params]`` on top), so the reader sees
what the data taught.

The causes, by default and from a groups file, are described in :mod:`sim.analysis.explain.causes`.

The modules: :mod:`~sim.analysis.explain.causes` (what can be switched off, and the world of each
coalition), :mod:`~sim.analysis.explain.shapley` (the arithmetic over coalition values),
:mod:`~sim.analysis.explain.attribution` (the coalitions simulated, :func:`attribute` and
:func:`explain`) and :mod:`~sim.analysis.explain.explanation` (the result,
:class:`Explanation`). :mod:`sim.reports.explain` writes an explanation's files and
:mod:`sim.cli.explain` is the command.
"""

from sim.analysis.explain.attribution import (
    DEFAULT_PERMUTATIONS,
    EXACT_LIMIT,
    EXACT_MAX,
    METHODS,
    attribute,
    checkpoint,
    explain,
)
from sim.analysis.explain.causes import (
    PEER_GROUPS,
    PEER_PARTS,
    TOTAL,
    Causes,
    Group,
    GroupsFile,
    GroupSpec,
    default_causes,
    founded_in_window,
    load_causes,
)
from sim.analysis.explain.explanation import Explanation
from sim.analysis.explain.shapley import shapley_exact, shapley_permutations, shapley_weights

__all__ = [
    "DEFAULT_PERMUTATIONS",
    "EXACT_LIMIT",
    "EXACT_MAX",
    "METHODS",
    "PEER_GROUPS",
    "PEER_PARTS",
    "TOTAL",
    "Causes",
    "Explanation",
    "Group",
    "GroupSpec",
    "GroupsFile",
    "attribute",
    "checkpoint",
    "default_causes",
    "explain",
    "founded_in_window",
    "load_causes",
    "shapley_exact",
    "shapley_permutations",
    "shapley_weights",
]
