"""The choice kernel: how a researcher values a lab and decides to stay or move.

This module is the only definition of the decision rule. The Mesa model (``sim.model``) calls
:func:`decide` for one agent; the ensemble engine (``sim.ensemble``) calls the same compiled
:func:`decide` inside its fused loop over replicates and researchers. Neither re-implements it.

The rule is a two-level nested logit (McFadden 1978; Train 2009, ch. 4) with nests
``{stay}`` and ``{move: the other labs that exist this month}``::

    V_ij   = b_open*open_j + b_culture*culture_j + b_pace*pace_j + b_pay*pay_j
           + b_peer*peer_ij + b_home*home_ij + b_founder*[i founds j] + m_ij
    V_stay = V_ic + k0 + k_tenure*log(1 + tenure_i) - u_i
    IV     = log sum_{j != c} exp(V_ij / lam)
    P(move)     = exp(lam*IV) / (exp(V_stay) + exp(lam*IV))
    P(j | move) = exp(V_ij / lam) / exp(IV)

``peer_ij`` is the tie-weighted share of i's colleagues at lab j (turnover contagion: Felps et al.
2009; co-mobility: Marx & Timmermans 2017). The term has two parts that counterfactuals switch
off apart (``World.peer_glue``, ``World.peer_contagion``; both on in every estimate):

* *glue*: ``b_peer * peer_ic`` in V_stay, the colleagues still at one's own lab holding one there
  (1 x b_peer at the start, when everyone is at the focal lab); off, staying loses it;
* *contagion*: peer shares that follow the colleagues' moves; off, every decision counts the
  colleagues where they would be had none of them moved (their start labs, carried through
  merges), so no one's move changes anyone else's utilities.

Both off gives a researcher who never moved, in a cohort that starts at one lab, exactly the
utilities of ``b_peer = 0``.

``u_i ~ N(0, sigma_u)`` is the per-researcher restlessness drawn once per replicate (mover-stayer
heterogeneity; Artuc, Chaudhuri & McLaren 2010); ``m_ij ~ N(0, sigma_match)`` is researcher i's
idiosyncratic fit with lab j, drawn once per replicate (0 at the start lab, whose pull u_i already
carries): the random-coefficient part of a mixed logit (Train 2009, ch. 6) that lets leavers scatter
over labs instead of all choosing the lab with the best attributes. A monthly logit with a stay
option is a discrete-time competing-risks hazard model (Allison 1982). Everything is computed with
log-sum-exp shifts, so huge utilities give no NaN, and labs that do not exist this month get
probability exactly 0.

**Founding** (only in a world where founding is a choice, :attr:`sim.world.World.founding_chosen`).
A lab whose founders include cohort members is *potential*: it does not exist until one of its
founders chooses to found it. Until then each of its founders has it in their move nest with the
utility any lab has (what it will offer, their home and founder terms, their fit) plus the
founding term::

    F_it = found_base + found_climate*(climate_t - 0.5) + found_seniority*log(1 + seniority_it)
         + found_peer*founded_it

``climate_t`` is the world's funding climate in [0, 1] (events change it; 0.5 is neutral),
``seniority_it`` the years since i joined the start lab (tenure at the start plus the months
since: moves do not reset it) and ``founded_it`` the tie-weighted share of i's colleagues who have
moved to a lab they found (0 with contagion off: nobody has moved). So the gap between what the
current lab offers and what the new lab would (openness, culture, pace, pay as equity) enters as
for any move, through V_ij - V_stay. Choosing it founds the lab: from the next month it exists for
everyone, and its other founders join it as an ordinary move that their founder term pulls. A
non-compete bars the alternative to the researchers of a lab for some months
(:func:`founding_factor`). Entrepreneurial spawning (Gompers, Lerner & Scharfstein 2005),
spin-outs (Klepper 2009; Agarwal et al. 2004).

The functions are compiled with numba; :func:`move_probabilities` is the numpy-facing form that
broadcasts over any leading batch dimensions. For speed, :func:`decide` factors exp(V_ij / lam) into
a term shared by everyone in the month (:func:`month_weights`), a term fixed for the run
(:func:`fixed_utilities`: city, founding role, fit) and exp(b_peer * peer_ij / lam), which is 1 at
every lab where the researcher has no colleagues; it equals :func:`move_probabilities` on the full
utilities to rounding (tested). The personal factor changes only when the researcher or a colleague
moves, and the inclusive value IV of the move nest only when that factor or the labs' month terms
change, so :func:`decide` keeps both in a cache the caller invalidates: in most months a decision
costs one stay utility, one exponential and one random number.
"""

from __future__ import annotations

import math

import numpy as np
from numba import guvectorize, njit

#: The behavioural parameters, in the order of a parameter vector ``theta``.
PARAMETER_NAMES: tuple[str, ...] = (
    "b_open",
    "b_culture",
    "b_pace",
    "b_pay",
    "b_peer",
    "b_home",
    "b_founder",
    "k0",
    "k_tenure",
    "sigma_u",
    "sigma_match",
    "lam",
    "found_base",
    "found_climate",
    "found_seniority",
    "found_peer",
)
#: The lab attributes, in the order of the last axis of an attribute array.
ATTRIBUTE_NAMES: tuple[str, ...] = ("openness", "culture", "pace", "pay")

(B_OPEN, B_CULTURE, B_PACE, B_PAY, B_PEER, B_HOME, B_FOUNDER, K0, K_TENURE, SIGMA_U, SIGMA_MATCH,
 LAM, FOUND_BASE, FOUND_CLIMATE, FOUND_SENIORITY,
 FOUND_PEER) = range(len(PARAMETER_NAMES))  # fmt: skip
#: The parameters of the founding alternative: they matter only in a world where founding is a
#: choice (``World.founding_chosen``), and are held at their prior means elsewhere.
FOUNDING_NAMES: tuple[str, ...] = PARAMETER_NAMES[FOUND_BASE:]
#: The funding climate's neutral level: ``found_base`` is the founding term at it.
NEUTRAL_CLIMATE = 0.5
N_ATTRIBUTES = len(ATTRIBUTE_NAMES)


@njit(cache=True)
def lab_base_utility(theta, attributes):
    """The part of V_ij shared by every researcher: b . (openness, culture, pace, pay) of lab j."""
    return (
        theta[B_OPEN] * attributes[0]
        + theta[B_CULTURE] * attributes[1]
        + theta[B_PACE] * attributes[2]
        + theta[B_PAY] * attributes[3]
    )


@njit(cache=True)
def stay_premium(theta, tenure_years, restlessness):
    """What staying is worth beyond the current lab's utility: k0 + k_tenure*log1p(tenure) - u."""
    return theta[K0] + theta[K_TENURE] * math.log1p(tenure_years) - restlessness


@njit(cache=True)
def month_weights(theta, attributes, exists, base, base_weights):
    """Per month and replicate: base utilities and their scaled exponentials, shared by everyone.

    Fills ``base[j]`` = :func:`lab_base_utility` and ``base_weights[j]`` =
    exp(base[j] / lam - shift) for existing labs (0 otherwise), and returns ``shift``, the largest
    base[j] / lam over existing labs. Factoring exp(V_ij / lam) into this shared term times
    exp(personal_ij / lam) leaves each researcher only the exponentials of the labs where their
    personal utility is non-zero. Every term stays finite: |V / lam| <= 300 within the bounds.
    """
    lam = theta[LAM]
    shift = -math.inf
    for j in range(attributes.shape[0]):
        base[j] = lab_base_utility(theta, attributes[j])
        if exists[j] and base[j] / lam > shift:
            shift = base[j] / lam
    for j in range(attributes.shape[0]):
        base_weights[j] = math.exp(base[j] / lam - shift) if exists[j] else 0.0
    return shift


@njit(cache=True)
def fixed_utilities(theta, home, founder, match_normals, start_labs, utility, weight):
    """Per replicate: the part of V_ij that never changes during a run, and its exponential.

    ``utility[i, j] = b_home*home_ij + b_founder*founder_ij + m_ij`` with
    ``m_ij = sigma_match * match_normals[i, j]`` (0 at i's start lab), and
    ``weight[i, j] = exp(utility[i, j] / lam)``; so each month only the colleagues' pull needs an
    exponential, and only at labs where colleagues are. A relocation changes one researcher's
    home row mid-run: :func:`fixed_utility_row` recomputes their row.
    """
    for i in range(home.shape[0]):
        fixed_utility_row(
            theta, home[i], founder[i], match_normals[i], start_labs[i], utility[i], weight[i]
        )


@njit(cache=True)
def fixed_utility_row(theta, home_row, founder_row, match_row, start_lab, utility_row, weight_row):
    """One researcher's row of :func:`fixed_utilities`, from their home row [L] (their city's)."""
    lam = theta[LAM]
    for j in range(home_row.shape[0]):
        match = theta[SIGMA_MATCH] * match_row[j] if j != start_lab else 0.0
        utility_row[j] = theta[B_HOME] * home_row[j] + theta[B_FOUNDER] * founder_row[j] + match
        weight_row[j] = math.exp(utility_row[j] / lam)


@njit(cache=True, inline="always")
def move_logit(v_stay, lam, inclusive):
    """The log odds of moving, lam*IV - V_stay (-inf where no other lab exists).

    V_stay falls one for one with the restlessness u_i, so the log odds rise with it:
    ``move_logit`` at restlessness u is the value at u = 0 plus u. The likelihood
    (:mod:`sim.likelihood`) integrates u with that.
    """
    if inclusive == -math.inf:
        return -math.inf
    return lam * inclusive - v_stay


@njit(cache=True, inline="always")
def logistic(x):
    """1 / (1 + exp(-x)), without overflow on either side (0 at -inf)."""
    if x <= 0.0:
        e = math.exp(x)
        return e / (1.0 + e)
    return 1.0 / (1.0 + math.exp(-x))


@njit(cache=True)
def move_probability(v_stay, lam, inclusive):
    """P(move) = exp(lam*IV) / (exp(V_stay) + exp(lam*IV)): the logistic of :func:`move_logit`."""
    return logistic(move_logit(v_stay, lam, inclusive))


@njit(cache=True)
def fill_probabilities(weights, total, p_move, current, out):
    """``out[j] = p_move * weights[j] / total`` for other labs; ``out[current] = 1 - p_move``."""
    for j in range(out.shape[0]):
        out[j] = p_move * (weights[j] / total) if total > 0.0 else 0.0
    out[current] = 1.0 - p_move


@njit(cache=True)
def move_probabilities_into(utilities, current, exists, v_stay, lam, out):
    """Fill ``out`` with the probability of ending the month at each lab, from full utilities V_j.

    ``out[current]`` is the probability of staying; ``out[j]`` for another lab is
    P(move) * P(j | move); labs with ``exists[j]`` false get exactly 0. Where no other lab exists
    the researcher stays with probability 1.
    """
    shift = -math.inf
    for j in range(utilities.shape[0]):
        if j != current and exists[j] and utilities[j] / lam > shift:
            shift = utilities[j] / lam
    total = 0.0
    for j in range(utilities.shape[0]):
        w = math.exp(utilities[j] / lam - shift) if j != current and exists[j] else 0.0
        out[j] = w
        total += w
    inclusive = shift + math.log(total) if total > 0.0 else -math.inf
    fill_probabilities(out, total, move_probability(v_stay, lam, inclusive), current, out)


@njit(cache=True)
def choose(probabilities, current, uniform):
    """Invert the choice distribution at ``uniform``: staying first, then the labs in order.

    ``uniform < P(stay)`` keeps the researcher; above it, the move probabilities are accumulated
    in lab order. Rounding can leave the total a hair below 1; a draw above it stays.
    """
    cumulative = probabilities[current]
    if uniform < cumulative:
        return current
    for j in range(probabilities.shape[0]):
        if j != current:
            cumulative += probabilities[j]
            if uniform < cumulative:
                return j
    return current


@njit(cache=True)
def peer_shares_into(researcher, tie_indptr, tie_indices, tie_weights, labs, out):
    """Fill ``out[j]`` with the tie-weighted share of a researcher's colleagues now at lab j.

    The ties are the compressed rows of the row-normalised tie matrix (zero diagonal; see
    :class:`sim.world.CompiledWorld`), so this costs O(the researcher's ties + labs).
    ``labs`` is the current lab of every researcher.
    """
    for j in range(out.shape[0]):
        out[j] = 0.0
    for e in range(tie_indptr[researcher], tie_indptr[researcher + 1]):
        out[labs[tie_indices[e]]] += tie_weights[e]


@njit(cache=True, inline="always")
def inclusive_value(shift, total):
    """IV = log sum_j exp(V_ij / lam) from :func:`move_weights`' sum (-inf: no other lab)."""
    return shift + math.log(total) if total > 0.0 else -math.inf


@njit(cache=True, inline="always")
def stay_utility(theta, base_current, peer_current, fixed_current, tenure_years, restlessness):
    """V_stay = V_ic + k0 + k_tenure*log1p(tenure) - u_i, from V_ic's parts at the own lab c."""
    return (
        base_current
        + theta[B_PEER] * peer_current
        + fixed_current
        + stay_premium(theta, tenure_years, restlessness)
    )


#: States of a researcher's entry in :func:`decide`'s cache.
STALE, WEIGHTS_CURRENT, ALL_CURRENT = 0, 1, 2


@njit(cache=True)
def tie_factors_into(theta, tie_weights, out):
    """``out[e]`` = exp(b_peer * w_e / lam) for every tie e: the pull of one colleague.

    A researcher's peer factor at lab j, exp(b_peer * peer_ij / lam), is the product of these
    over the colleagues at j (peer_ij is the sum of their weights), so a recomputation needs no
    exponential. Computed once per replicate.
    """
    scale = theta[B_PEER] / theta[LAM]
    for e in range(tie_weights.shape[0]):
        out[e] = math.exp(scale * tie_weights[e])


@njit(cache=True)
def personal_weights(theta, researcher, colleague_labs, fixed_weight, tie_indptr, tie_indices,
                     tie_weights, tie_factors, peer, out):  # fmt: skip
    """Fill ``out`` with the researcher's own factor of exp(V_ij / lam) at every lab.

    ``fixed_weight`` is the researcher's row [L] of :func:`fixed_utilities`' weights;
    ``colleague_labs`` [N] is where the colleagues are counted: where they are now, or where they
    would be had no colleague moved (contagion switched off: :func:`colleague_positions`).
    ``out[j]`` = exp((fixed_ij + b_peer * peer_ij) / lam), formed as the fixed weight times the
    ``tie_factors`` of the colleagues at j (:func:`tie_factors_into`); ``peer`` gets the peer
    shares. The factor changes only when the researcher or a colleague moves (or a lab merges),
    so it can be kept across months.
    """
    for j in range(out.shape[0]):
        peer[j] = 0.0
        out[j] = fixed_weight[j]
    for e in range(tie_indptr[researcher], tie_indptr[researcher + 1]):
        j = colleague_labs[tie_indices[e]]
        peer[j] += tie_weights[e]
        out[j] *= tie_factors[e]


@njit(cache=True, inline="always")
def colleague_positions(labs, unmoved, t, contagion):
    """Where a decision counts the colleagues in month t: ``labs``, or ``unmoved[t]``.

    With contagion on, colleagues count where they are (``labs``); off, where they would be had
    nobody moved since the start, ``unmoved[t]`` (their start labs carried through the merges up
    to t: :meth:`sim.world.CompiledWorld.unmoved_positions`).
    """
    return labs if contagion else unmoved[t]


@njit(cache=True)
def move_weights(current, base_weights, personal, out):
    """Fill ``out[j]`` = exp(V_ij / lam - shift) at the other labs that exist; return the sum.

    ``out`` is 0 at the current lab and at labs that do not exist; ``base_weights`` are the
    month's shared factors (:func:`month_weights`), ``personal`` the researcher's own
    (:func:`personal_weights`).
    """
    total = 0.0
    for j in range(out.shape[0]):
        w = base_weights[j] * personal[j] if j != current else 0.0
        out[j] = w
        total += w
    return total


@njit(cache=True, inline="always")
def founding_utility(theta, climate, seniority_years, founded_share):
    """F_it, what founding a lab adds to its utility for a founder (module docstring)."""
    return (
        theta[FOUND_BASE]
        + theta[FOUND_CLIMATE] * (climate - NEUTRAL_CLIMATE)
        + theta[FOUND_SENIORITY] * math.log1p(seniority_years)
        + theta[FOUND_PEER] * founded_share
    )


@njit(cache=True)
def founded_share(researcher, tie_indptr, tie_indices, tie_weights, founded):
    """The tie-weighted share of a researcher's colleagues flagged in ``founded`` (bool [N])."""
    share = 0.0
    for e in range(tie_indptr[researcher], tie_indptr[researcher + 1]):
        if founded[tie_indices[e]]:
            share += tie_weights[e]
    return share


@njit(cache=True)
def potential_weights_into(theta, base, shift, unfounded, out):
    """``out[j]`` = exp(base_j / lam - shift) for each lab that may be founded, else 0.

    The shared factor of founding lab j, on the scale of :func:`month_weights`' (``base`` and
    ``shift`` are its outputs for the labs that exist).
    """
    lam = theta[LAM]
    for j in range(out.shape[0]):
        out[j] = math.exp(base[j] / lam - shift) if unfounded[j] else 0.0


@njit(cache=True)
def founding_factor(theta, researcher, current, seniority_years, climate, barred, founder_row,
                    unfounded, contagion, tie_indptr, tie_indices, tie_weights,
                    founded):  # fmt: skip
    """exp(F_it / lam) for a researcher who may found a lab this month, else 0.

    A researcher may found a lab that is ``unfounded`` and lists them as a founder
    (``founder_row`` [L] > 0), unless the lab they are at bars founding this month
    (``barred`` [L], a non-compete). ``founded`` [N] flags who has moved to a lab they found;
    with contagion off the colleagues count where they would be had nobody moved, so none has.
    """
    may = False
    for j in range(founder_row.shape[0]):
        if unfounded[j] and founder_row[j] > 0.0 and j != current:
            may = True
    if not may or barred[current]:
        return 0.0
    share = (
        founded_share(researcher, tie_indptr, tie_indices, tie_weights, founded)
        if contagion
        else 0.0
    )
    return math.exp(founding_utility(theta, climate, seniority_years, share) / theta[LAM])


@njit(cache=True)
def record_move(researcher, lab, start_lab, potential, founder_row, founded, has_founded):
    """Note what a move to ``lab`` does to founding; return whether it founded the lab.

    A move to a potential lab not founded yet founds it (``founded[lab]``: it opens to everyone
    the next month); a move to a lab one founds, other than one's start lab, flags the mover in
    ``has_founded`` (their colleagues' pull towards founding). Both engines call it for every
    move, forced or chosen, so they keep the same founding state.
    """
    if founder_row[lab] > 0.0 and lab != start_lab:
        has_founded[researcher] = True
    if potential[lab] and not founded[lab]:
        founded[lab] = True
        return True
    return False


@njit(cache=True)
def add_founding_weights(current, founder_row, potential, personal, factor, out):
    """Add the founding alternatives to :func:`move_weights`' ``out``; return what they add.

    ``out[j] += potential[j] * personal[j] * factor`` at each lab the researcher may found
    (``founder_row[j] > 0``; ``potential`` is 0 at labs that may not be founded): an unfounded
    lab holds no colleagues, so its personal factor is the fixed one.
    """
    added = 0.0
    for j in range(out.shape[0]):
        if j != current and founder_row[j] > 0.0 and potential[j] > 0.0:
            w = potential[j] * personal[j] * factor
            out[j] += w
            added += w
    return added


@njit(cache=True, inline="always")
def decide(
    theta,
    researcher,
    labs,
    colleague_labs,
    glue,
    tenure_years,
    restlessness,
    base,
    base_weights,
    shift,
    fixed_utility,
    fixed_weight,
    tie_indptr,
    tie_indices,
    tie_weights,
    tie_factors,
    uniform,
    probabilities,
    peer,
    cached_iv,
    cached_peer,
    cached_weights,
    cache_state,
    founder_row,
    potential,
    found_factor,
):
    """One researcher's choice for one month: the lab they end the month at.

    Args:
        theta: parameter vector ordered as :data:`PARAMETER_NAMES`.
        researcher: index i of the deciding researcher.
        labs: int array [N], everyone's lab at the start of the month.
        colleague_labs: int array [N], where the colleagues' pull counts them: ``labs``, or
            with contagion switched off where they would be had no one moved
            (:func:`colleague_positions`).
        glue: 1.0, or 0.0 to switch off the glue: the colleagues at the researcher's own lab
            then no longer add b_peer * peer_ic to staying.
        tenure_years: the researcher's years at their current lab.
        restlessness: the researcher's u_i for this replicate.
        base: float array [L], this month's base utilities (:func:`month_weights`).
        base_weights: float array [L], their scaled exponentials (:func:`month_weights`).
        shift: the scale shift :func:`month_weights` returned.
        fixed_utility: float array [N, L], the run's fixed utility terms (city, founding role,
            idiosyncratic fit) from :func:`fixed_utilities`.
        fixed_weight: float array [N, L], their exponentials exp(fixed_utility / lam).
        tie_indptr: int array [N + 1], where each researcher's ties start in the two below.
        tie_indices: int array [E], the colleague of each tie.
        tie_weights: float array [E], the row-normalised weight of each tie.
        tie_factors: float array [E], their pulls (:func:`tie_factors_into`).
        uniform: the researcher's uniform draw in [0, 1) for this month.
        probabilities: scratch array [L], overwritten; holds the full distribution afterwards
            only when the researcher moves.
        peer: scratch array [L], overwritten with the researcher's peer shares when they are
            recomputed.
        cached_iv: float array [N], each researcher's inclusive value IV when last computed.
        cached_peer: float array [N], their glue then: ``glue`` times their peer share at
            their own lab.
        cached_weights: float array [N, L], their :func:`personal_weights` then.
        cache_state: int8 array [N]: :data:`STALE` (recompute everything),
            :data:`WEIGHTS_CURRENT` (the personal weights and own peer share hold, the IV
            does not: the labs' month terms changed) or :data:`ALL_CURRENT`. The caller sets
            a researcher to STALE when they or a colleague move, and everyone down to
            WEIGHTS_CURRENT when the month terms change; a caller that sets everyone to STALE
            every month recomputes everything. Either way the result is the same, bit for bit.
        founder_row: float array [L], the researcher's row of the founder matrix.
        potential: float array [L], this month's shared factors of the labs that may be founded
            (:func:`potential_weights_into`; 0 elsewhere).
        found_factor: exp(F_it / lam) where the researcher may found a lab this month
            (:func:`founding_factor`), else 0. It changes every month (seniority, climate), so
            a researcher with the option has their IV formed every month.
    """
    lam = theta[LAM]
    current = labs[researcher]
    personal = cached_weights[researcher]
    if cache_state[researcher] == STALE:
        personal_weights(
            theta, researcher, colleague_labs, fixed_weight[researcher], tie_indptr, tie_indices,
            tie_weights, tie_factors, peer, personal,
        )  # fmt: skip
        cached_peer[researcher] = glue * peer[current]
    if cache_state[researcher] != ALL_CURRENT or found_factor > 0.0:
        total = move_weights(current, base_weights, personal, probabilities)
        if found_factor > 0.0:
            total += add_founding_weights(
                current, founder_row, potential, personal, found_factor, probabilities
            )
        cached_iv[researcher] = inclusive_value(shift, total)
        cache_state[researcher] = ALL_CURRENT if found_factor == 0.0 else WEIGHTS_CURRENT
    v_stay = stay_utility(
        theta, base[current], cached_peer[researcher], fixed_utility[researcher, current],
        tenure_years, restlessness,
    )  # fmt: skip
    p_move = move_probability(v_stay, lam, cached_iv[researcher])
    if uniform < 1.0 - p_move:  # the common case: stay, without forming the move probabilities
        return current
    total = move_weights(current, base_weights, personal, probabilities)
    if found_factor > 0.0:
        total += add_founding_weights(
            current, founder_row, potential, personal, found_factor, probabilities
        )
    fill_probabilities(probabilities, total, p_move, current, probabilities)
    return choose(probabilities, current, uniform)


@guvectorize(
    ["void(float64[:], int64, boolean[:], float64, float64, float64[:])"],
    "(l),(),(l),(),()->(l)",
    nopython=True,
    cache=True,
)
def _move_probabilities_gufunc(utilities, current, exists, v_stay, lam, out):
    move_probabilities_into(utilities, current, exists, v_stay, lam, out)


def move_probabilities(utilities, current, exists, v_stay, lam):
    """Nested-logit probabilities over labs, broadcasting over leading batch dimensions.

    Args:
        utilities: float array [..., L], V_ij for every lab.
        current: int array [...], the index of the lab each researcher is at.
        exists: bool array [..., L] (or [L]), labs that exist this month.
        v_stay: float array [...], the utility of staying (V_ic plus the stay premium).
        lam: nest parameter in (0, 1], scalar or [...]; 1 gives the plain multinomial logit.

    Returns:
        float array [..., L]: the current lab's entry is P(stay), the others P(move) P(j | move),
        exactly 0 for labs that do not exist; each row sums to 1.
    """
    lam = np.asarray(lam, dtype=np.float64)
    if np.any(lam <= 0.0) or np.any(lam > 1.0):
        raise ValueError(f"lam must lie in (0, 1], got {lam}")
    return _move_probabilities_gufunc(
        np.asarray(utilities, dtype=np.float64),
        np.asarray(current, dtype=np.int64),
        np.asarray(exists, dtype=np.bool_),
        np.asarray(v_stay, dtype=np.float64),
        lam,
    )
