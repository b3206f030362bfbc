"""Survival baselines: three discrete-time competing-risks models of a cohort's first exits.

The data (:func:`exit_history`): each researcher who starts at the world's focal lab either
leaves it for the first time in some month known to an interval ``earliest .. latest`` of the
world's ``observed.csv`` (months since the world's start; the month whose end first finds them
elsewhere, as :func:`sim.results.exit_counts` reads a simulated history), to a lab of one of the
:data:`DESTINATION_TYPES`, or is still there after its last observed month (right-censored).
Returns to the focal lab and later moves are not modelled by these baselines.

Destination types are what every world can say about its labs, so that a model fitted on one
cohort can predict another's: a lab founded after the world's start (a spin-out founded
inside the window), a lab that exists at the start, and the world's catch-all lab(s)
(``cities = "*"``).

Time is discrete (one month), as in the agent-based model. A model gives each researcher i a
hazard ``h[i, t, k]``: the probability of leaving in month t for a lab of type k having stayed
through month t - 1 (Allison 1982, "Discrete-time methods for the analysis of event histories",
Sociological Methodology 13). **Interval censoring** is handled exactly: the probability of an
observed exit is the sum over every month its interval allows,
``sum_{t=earliest}^{latest} S_i(t - 1) h[i, t, k]``, and a stayer contributes ``S_i(T - 1)``
(:func:`interval_log_likelihood`). Every fit maximises that likelihood (or a posterior built on
it); every score evaluates it on the held-out cohort.

The models (each ``fit(histories)`` on the training cohorts, pooled, then ``predict(history,
n_months)`` for the held-out one):

- :class:`ConstantHazard`: one monthly exit probability ``h`` (maximum likelihood) and
  destination shares ``pi_k = (n_k + 1/2) / (D + K/2)`` (the posterior mean under Jeffreys'
  Dirichlet(1/2) prior; a type the training cohort never chose keeps a small probability
  instead of zero, which would make a held-out exit there infinitely surprising).
- :class:`KaplanMeier`: the nonparametric all-cause hazard of month t, by Turnbull's
  self-consistency algorithm for interval-censored data (Turnbull 1976, JRSS B 38:290-295;
  with exact months it is the Kaplan-Meier / life-table estimate, which lifelines'
  ``KaplanMeierFitter`` computes: a cross-check test compares the two), times the same shares.
  Two documented choices make it a usable predictive: each month's hazard is shrunk by
  :attr:`KaplanMeier.pseudo` person-months towards the constant hazard (a month without a
  training exit keeps a small hazard instead of zero), and past the training cohorts' last
  observed month the constant hazard continues.
- :class:`HazardRegression`: cause-specific hazards with covariates, a multinomial logit per
  month, ``h[i, t, k] = exp(eta_k) / (1 + sum_j exp(eta_j))`` with
  ``eta_k = alpha_k + x_i . beta_k + gamma log(1 + t)`` (the discrete-time analogue of one Cox
  model per destination type, with a Weibull-like time trend instead of a baseline hazard that
  would not extend past the training months). Covariates (:data:`COVARIATES`): founder of a lab
  of the world (labs.csv ``founders``) and ``log(1 + years at the start lab)``, the two
  researcher attributes the agent-based model also reads. It is the posterior mode under a
  Gaussian prior of scale :attr:`HazardRegression.prior_scale` centred on the constant-hazard
  fit (``alpha_k = log(h pi_k / (1 - h))``, ``beta = gamma = 0``): with two cohorts of a dozen
  people, and a covariate that does not vary in one of them (a lab's founding cohort all have
  tenure 0), maximum likelihood would not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize, minimize_scalar

from sim.errors import InputError
from sim.world import NEVER, World, founding_month

#: Destination types of a first exit, in code order (:func:`lab_types`).
DESTINATION_TYPES = ("new lab", "established lab", "catch-all")
#: The researcher covariates of :class:`HazardRegression`, in column order.
COVARIATES = ("founder", "log(1 + tenure)")


def lab_types(world: World) -> np.ndarray:
    """Each lab's destination type code (:data:`DESTINATION_TYPES`), int [L]."""
    out = np.empty(len(world.labs), dtype=np.int64)
    for j, (lab, founded) in enumerate(zip(world.labs, world.founded, strict=True)):
        if lab in world.pooled_labs:
            out[j] = 2
        elif founded == NEVER or founding_month(founded, world.calendar) > 0:
            out[j] = 0
        else:
            out[j] = 1
    return out


@dataclass(frozen=True)
class ExitHistory:
    """A cohort's first exits from its focal lab as survival data (see the module docstring).

    A researcher still at the focal lab after ``n_months`` months has ``kind`` -1 and
    ``earliest = latest = n_months`` (in pooled cohorts: their own cohort's month count).
    """

    world: str
    researchers: tuple[str, ...]  # those who start at the focal lab
    columns: np.ndarray  # int [N]: their columns in the world's cohort
    earliest: np.ndarray  # int [N]
    latest: np.ndarray  # int [N]
    kind: np.ndarray  # int [N]: destination type code, -1 for a stayer
    n_months: int
    covariates: np.ndarray  # float [N, len(COVARIATES)]

    @property
    def exited(self) -> np.ndarray:
        """Who left within the observed months, bool [N]."""
        return self.kind >= 0

    def describe(self, i: int, labels: list[str]) -> str:
        """Researcher i's observation in words: 'left 2023-05 .. 2023-07 (new lab)'."""
        if self.kind[i] < 0:
            return f"stayed through {labels[self.n_months - 1]}"
        months = labels[self.earliest[i]]
        if self.latest[i] != self.earliest[i]:
            months += f" .. {labels[self.latest[i]]}"
        return f"left {months} ({DESTINATION_TYPES[self.kind[i]]})"


def exit_history(world: World) -> ExitHistory:
    """Read a world's first exits from its observed history (:mod:`sim.world.observed`).

    Raises:
        InputError: the world has no observed history, or nobody starts at its focal lab.
    """
    observed = world.observed
    if observed is None:
        raise InputError(
            f"the world {world.name!r} has no observed history (observed.csv): a cohort is "
            "predicted and scored against its observed exits",
            source=str(world.source),
        )  # fmt: skip
    types = lab_types(world)
    founders = {name for group in world.founders for name in group}
    rows = []
    for i, start in enumerate(world.start_labs):
        if start != world.focal_lab:
            continue
        moves = observed.moves_of(i)
        if moves:
            first = moves[0]
            early, late = first.earliest, first.latest
            k = types[world.labs.index(first.to)]
        else:
            early = late = observed.n_months
            k = -1
        x = (float(world.researchers[i] in founders), float(np.log1p(world.tenure_years[i])))
        rows.append((i, early, late, k, x))
    if not rows:
        raise InputError(
            f"nobody in the cohort starts at the focal lab {world.focal_lab!r}",
            source=str(world.source),
        )  # fmt: skip
    return ExitHistory(
        world=world.name,
        researchers=tuple(world.researchers[r[0]] for r in rows),
        columns=np.array([r[0] for r in rows]),
        earliest=np.array([r[1] for r in rows]),
        latest=np.array([r[2] for r in rows]),
        kind=np.array([r[3] for r in rows]),
        n_months=observed.n_months,
        covariates=np.array([r[4] for r in rows], dtype=np.float64),
    )


@dataclass(frozen=True)
class Predictive:
    """Each researcher's predictive distribution of their first exit.

    ``cells[i, t, k]`` is the probability that researcher i first leaves in month t for a lab
    of type k; ``stay[i]`` that they are still at the focal lab after the last month.
    """

    cells: np.ndarray  # float [N, T, K]
    stay: np.ndarray  # float [N]

    @classmethod
    def from_hazards(cls, hazards: np.ndarray) -> Predictive:
        """From monthly cause-specific hazards ``h[i, t, k]`` (their sum over k below 1)."""
        total = hazards.sum(axis=2)
        survival = np.cumprod(1.0 - total, axis=1)  # S(t), after month t
        before = np.concatenate([np.ones_like(survival[:, :1]), survival[:, :-1]], axis=1)
        return cls(cells=before[:, :, None] * hazards, stay=survival[:, -1])

    @classmethod
    def from_samples(
        cls, month: np.ndarray, kind: np.ndarray, n_months: int, pseudo: float = 0.5
    ) -> Predictive:
        """From simulated first exits: ``month`` and ``kind`` int [R, N], -1 for no exit.

        Each outcome (a month and a type, or staying) gets its count plus ``pseudo``
        (Krichevsky-Trofimov's 1/2): an outcome no replicate produced keeps a probability near
        ``pseudo / R`` instead of zero.
        """
        n_reps, n_people = month.shape
        n_kinds = len(DESTINATION_TYPES)
        counts = np.zeros((n_people, n_months, n_kinds))
        people = np.broadcast_to(np.arange(n_people), month.shape)
        left = month >= 0
        np.add.at(counts, (people[left], month[left], kind[left]), 1.0)
        stays = (~left).sum(axis=0).astype(np.float64)
        total = n_reps + pseudo * (n_months * n_kinds + 1)
        return cls(cells=(counts + pseudo) / total, stay=(stays + pseudo) / total)


def interval_log_likelihood(predictive: Predictive, history: ExitHistory) -> np.ndarray:
    """Each researcher's log probability of what was observed, float [N, 2].

    Column 0: of the exit months (the interval, any type; or staying), column 1: of the
    destination type given the interval (0 for a stayer). Their sum is the log probability of
    the observation. The predictive must cover the history's months.
    """
    cells = predictive.cells
    if cells.shape[1] < history.n_months:
        raise ValueError(f"the predictive covers {cells.shape[1]} months, not {history.n_months}")
    cumulative = np.concatenate([np.zeros_like(cells[:, :1]), cells.cumsum(axis=1)], axis=1)
    people = np.arange(len(history.kind))
    exited = history.exited
    late = np.minimum(history.latest, history.n_months - 1) + 1
    early = np.minimum(history.earliest, history.n_months - 1)
    by_kind = cumulative[people, late] - cumulative[people, early]  # [N, K]
    # a stayer censored after month c: staying through T plus leaving in months c+1 .. T-1
    first_unseen = np.minimum(history.earliest, cells.shape[1])
    after = cumulative[:, -1].sum(axis=1) - cumulative[people, first_unseen].sum(axis=1)
    stayed = predictive.stay + after
    when = np.where(exited, by_kind.sum(axis=1), stayed)
    which = np.where(exited, by_kind[people, np.maximum(history.kind, 0)], when)
    with np.errstate(divide="ignore"):
        return np.stack([np.log(when), np.log(which) - np.log(when)], axis=1)


def _pooled(histories: list[ExitHistory]) -> ExitHistory:
    """Training cohorts as one history.

    A stayer keeps their own cohort's censoring month (``earliest`` - 1), so a pooled stayer's
    ``earliest`` may be below ``n_months``.
    """
    if len(histories) == 1:
        return histories[0]
    return ExitHistory(
        world="+".join(h.world for h in histories),
        researchers=sum((h.researchers for h in histories), ()),
        columns=np.concatenate([h.columns for h in histories]),
        earliest=np.concatenate([h.earliest for h in histories]),
        latest=np.concatenate([h.latest for h in histories]),
        kind=np.concatenate([h.kind for h in histories]),
        n_months=max(h.n_months for h in histories),
        covariates=np.concatenate([h.covariates for h in histories]),
    )


def _censored_at(history: ExitHistory) -> np.ndarray:
    """The last month each stayer is known to be at the focal lab (int [N]; exits: -1)."""
    return np.where(history.exited, -1, history.earliest - 1)


def destination_shares(history: ExitHistory, pseudo: float = 0.5) -> np.ndarray:
    """The exits' shares by destination type, each count plus ``pseudo``, float [K]."""
    counts = np.bincount(history.kind[history.exited], minlength=len(DESTINATION_TYPES))
    return (counts + pseudo) / (counts.sum() + pseudo * len(DESTINATION_TYPES))


def _geometric_log_likelihood(h: float, history: ExitHistory) -> float:
    """The all-cause log likelihood of a constant monthly hazard h, intervals summed over."""
    exited = history.exited
    first, last = history.earliest[exited], history.latest[exited]
    # sum_{t=first}^{last} (1-h)^t h = (1-h)^first (1 - (1-h)^(last-first+1))
    width = last - first + 1
    events = first * np.log1p(-h) + np.log(-np.expm1(width * np.log1p(-h)))
    stayed = (_censored_at(history)[~exited] + 1) * np.log1p(-h)
    return float(events.sum() + stayed.sum())


@dataclass
class ConstantHazard:
    """One monthly exit probability and destination shares (see the module docstring)."""

    name: str = "constant hazard"
    hazard: float = np.nan
    shares: np.ndarray = field(default_factory=lambda: np.full(len(DESTINATION_TYPES), np.nan))

    def fit(self, histories: list[ExitHistory]) -> ConstantHazard:
        """Maximum likelihood on the pooled training cohorts (intervals summed over)."""
        history = _pooled(histories)
        if not history.exited.any():
            raise InputError(f"no exit in {history.world}: a hazard cannot be fitted")
        found = minimize_scalar(
            lambda z: -_geometric_log_likelihood(1.0 / (1.0 + np.exp(-z)), history),
            bounds=(-20.0, 5.0), method="bounded", options={"xatol": 1e-10},
        )  # fmt: skip
        self.hazard = float(1.0 / (1.0 + np.exp(-found.x)))
        self.shares = destination_shares(history)
        return self

    def hazards(self, history: ExitHistory, n_months: int) -> np.ndarray:
        """``h[i, t, k]`` for the researchers of ``history`` over ``n_months`` months."""
        one = self.hazard * self.shares
        return np.broadcast_to(one, (len(history.kind), n_months, len(one))).copy()

    def predict(self, history: ExitHistory, n_months: int) -> Predictive:
        """The predictive of each researcher of ``history`` over ``n_months`` months."""
        return Predictive.from_hazards(self.hazards(history, n_months))


def self_consistent_hazards(
    history: ExitHistory, tolerance: float = 1e-12, max_iterations: int = 100_000
) -> tuple[np.ndarray, np.ndarray]:
    """Turnbull's self-consistent estimate: expected exits and expected at risk per month.

    Returns ``(exits, at_risk)``, float [T]: their ratio is the all-cause hazard of month t,
    the Kaplan-Meier estimate when every interval is one month.
    """
    n_months = history.n_months
    exited = history.exited
    months = np.arange(n_months)
    inside = (months >= history.earliest[exited, None]) & (months <= history.latest[exited, None])
    censored = _censored_at(history)[~exited]
    known = (months <= censored[:, None]).sum(axis=0).astype(np.float64)  # stayers at risk
    hazard = np.full(n_months, exited.sum() / max(1.0, float(n_months * len(exited))))
    for _ in range(max_iterations):
        survival = np.cumprod(1.0 - hazard)
        before = np.concatenate([[1.0], survival[:-1]])
        weight = inside * (before * hazard)
        total = weight.sum(axis=1, keepdims=True)
        q = np.divide(weight, total, out=np.zeros_like(weight), where=total > 0)
        exits = q.sum(axis=0)
        at_risk = known + q[:, ::-1].cumsum(axis=1)[:, ::-1].sum(axis=0)  # exit month >= t
        new = np.divide(exits, at_risk, out=np.zeros(n_months), where=at_risk > 0)
        if np.max(np.abs(new - hazard)) < tolerance:
            return exits, at_risk
        hazard = new
    return exits, at_risk


@dataclass
class KaplanMeier:
    """The pooled nonparametric all-cause hazard and destination shares (module docstring)."""

    name: str = "Kaplan-Meier"
    pseudo: float = 1.0  # person-months at the constant hazard added to every month
    exits: np.ndarray = field(default_factory=lambda: np.zeros(0))
    at_risk: np.ndarray = field(default_factory=lambda: np.zeros(0))
    constant: ConstantHazard = field(default_factory=ConstantHazard)

    def fit(self, histories: list[ExitHistory]) -> KaplanMeier:
        """Turnbull's estimate on the pooled training cohorts, and the constant hazard."""
        self.constant = ConstantHazard().fit(histories)
        self.exits, self.at_risk = self_consistent_hazards(_pooled(histories))
        return self

    def all_cause(self, n_months: int) -> np.ndarray:
        """The smoothed all-cause hazard of months 0 .. n_months - 1, float [T]."""
        out = np.full(n_months, self.constant.hazard)
        m = min(n_months, len(self.exits))
        smoothed = self.exits + self.pseudo * self.constant.hazard
        out[:m] = (smoothed / (self.at_risk + self.pseudo))[:m]
        return out

    def predict(self, history: ExitHistory, n_months: int) -> Predictive:
        """The predictive of each researcher of ``history`` over ``n_months`` months."""
        h = self.all_cause(n_months)[:, None] * self.constant.shares
        return Predictive.from_hazards(np.broadcast_to(h, (len(history.kind), *h.shape)).copy())


@dataclass
class HazardRegression:
    """Cause-specific multinomial-logit hazards with covariates (module docstring).

    ``prior_scale`` None fits by maximum likelihood; ``time_term`` False drops the
    ``gamma log(1 + t)`` trend.
    """

    name: str = "competing risks with covariates"
    prior_scale: float | None = 1.0
    time_term: bool = True
    params: np.ndarray = field(default_factory=lambda: np.zeros(0))
    centre: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def _unpack(self, params: np.ndarray):
        n_kinds, n_cov = len(DESTINATION_TYPES), len(COVARIATES)
        alpha = params[:n_kinds]
        beta = params[n_kinds : n_kinds + n_kinds * n_cov].reshape(n_kinds, n_cov)
        gamma = params[-1] if self.time_term else 0.0
        return alpha, beta, gamma

    def _hazards(self, params: np.ndarray, covariates: np.ndarray, n_months: int) -> np.ndarray:
        alpha, beta, gamma = self._unpack(params)
        trend = gamma * np.log1p(np.arange(n_months))
        eta = alpha + (covariates @ beta.T)[:, None, :] + trend[None, :, None]  # [N, T, K]
        top = np.maximum(eta.max(axis=2, keepdims=True), 0.0)
        odds = np.exp(eta - top)
        return odds / (np.exp(-top) + odds.sum(axis=2, keepdims=True))

    def fit(self, histories: list[ExitHistory]) -> HazardRegression:
        """The posterior mode (or the maximum likelihood) on the pooled training cohorts."""
        history = _pooled(histories)
        constant = ConstantHazard().fit(histories)
        n_kinds, n_cov = len(DESTINATION_TYPES), len(COVARIATES)
        alpha0 = np.log(constant.hazard * constant.shares / (1.0 - constant.hazard))
        self.centre = np.concatenate(
            [alpha0, np.zeros(n_kinds * n_cov + (1 if self.time_term else 0))]
        )

        def objective(params):
            hazards = self._hazards(params, history.covariates, history.n_months)
            loglik = interval_log_likelihood(Predictive.from_hazards(hazards), history).sum()
            if self.prior_scale is not None:
                loglik -= 0.5 * np.sum((params - self.centre) ** 2) / self.prior_scale**2
            return -loglik if np.isfinite(loglik) else 1e300

        found = minimize(objective, self.centre, method="L-BFGS-B", options={"maxiter": 5000})
        self.params = found.x
        return self

    def predict(self, history: ExitHistory, n_months: int) -> Predictive:
        """The predictive of each researcher of ``history`` (their covariates) over n months."""
        return Predictive.from_hazards(self._hazards(self.params, history.covariates, n_months))

    def coefficients(self) -> dict[str, float]:
        """The fitted parameters by name: alpha, beta per type and covariate, gamma."""
        alpha, beta, gamma = self._unpack(self.params)
        out = {f"alpha[{t}]": float(a) for t, a in zip(DESTINATION_TYPES, alpha, strict=True)}
        for k, t in enumerate(DESTINATION_TYPES):
            out |= {f"beta[{t}, {c}]": float(beta[k, j]) for j, c in enumerate(COVARIATES)}
        if self.time_term:
            out["gamma"] = float(gamma)
        return out
