"""The behavioural parameter space, declared once: names, bounds, priors and why.

Samplers, sweeps, calibration priors and command-line checks are all built from
:data:`PARAMETER_SPACE` (as SALib's problem dict and EMA Workbench's ``RealParameter`` do).
The order is :data:`sim.kernel.behavior.PARAMETER_NAMES`, the layout of a parameter vector
``theta``.

Priors are truncated normals on the parameter's bounds (a uniform where ``sd`` is infinite).
Scale: utilities are in logit units (the Gumbel scale is 1), attributes lie in [0, 1], so a
coefficient b means that a lab one full unit better on that attribute is exp(b) times as
attractive. The base rates behind the priors are in ``reference/literature.md`` and ``facts.md``:
big-tech attrition of ~0.018 a month (SignalFire 2025) means a stay premium k0 of about
log(1/0.018) ~ 4 over the best outside option; destination-pull odds ratios of 2-4 for a lab where
a former colleague works (Glitz & Vejlin; Saygin et al. 2021).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri
from scipy.stats import truncnorm

from sim.errors import InputError, suggest
from sim.kernel.behavior import FOUNDING_NAMES, PARAMETER_NAMES

#: Below this prior mass between the bounds, quantiles are mapped in log space (from_unit).
TAIL_MASS = 1e-6


@dataclass(frozen=True)
class Parameter:
    """One behavioural parameter: bounds, a truncated-normal prior and its justification."""

    name: str
    low: float
    high: float
    mean: float
    sd: float
    why: str
    #: calibrated once per cohort in a joint calibration (sim.posterior), the others shared
    per_cohort: bool = False
    #: for a per-cohort parameter: the scale of the half-normal prior of its population's
    #: standard deviation when cohorts are partially pooled (``sim calibrate --pool``); 0: none
    population_scale: float = 0.0

    @property
    def held(self) -> bool:
        """Whether the prior is a point (low == high): the parameter is held, never drawn."""
        return self.low == self.high

    def at(self, value: float) -> Parameter:
        """This parameter held at ``value``: a point prior, drawn as that value."""
        return dataclasses.replace(self, low=value, high=value, mean=value, sd=math.inf)

    def prior_cdf_bounds(self) -> tuple[float, float]:
        """Standard-normal CDF at the bounds (the truncation of the prior)."""
        if math.isinf(self.sd):
            return 0.0, 1.0
        return float(ndtr((self.low - self.mean) / self.sd)), float(
            ndtr((self.high - self.mean) / self.sd)
        )

    def from_unit(self, q: np.ndarray) -> np.ndarray:
        """Map quantiles in [0, 1] to parameter values through the prior (inverse CDF).

        Where the bounds cut a sliver of less than :data:`TAIL_MASS` from the normal (a prior
        whose mean lies far outside its bounds), the CDF at both bounds rounds to the same
        number, so the inverse is computed in log space by :func:`scipy.stats.truncnorm.ppf`
        instead, which keeps the draws spread over the bounds as the truncated normal is.
        """
        q = np.asarray(q, dtype=np.float64)
        if math.isinf(self.sd):
            return self.low + q * (self.high - self.low)
        a, b = self.prior_cdf_bounds()
        if b - a < TAIL_MASS:
            z_low, z_high = (self.low - self.mean) / self.sd, (self.high - self.mean) / self.sd
            values = truncnorm.ppf(q, z_low, z_high, loc=self.mean, scale=self.sd)
        else:
            values = self.mean + self.sd * ndtri(a + q * (b - a))
        return np.clip(values, self.low, self.high)

    def log_prior(self, x: np.ndarray) -> np.ndarray:
        """Log prior density (up to a constant), -inf outside the bounds."""
        x = np.asarray(x, dtype=np.float64)
        inside = (x >= self.low) & (x <= self.high)
        if math.isinf(self.sd):
            dens = np.zeros_like(x)
        else:
            dens = -0.5 * ((x - self.mean) / self.sd) ** 2
        return np.where(inside, dens, -np.inf)


_INF = math.inf
#: The parameter space, in the order of PARAMETER_NAMES.
PARAMETER_SPACE: tuple[Parameter, ...] = (
    Parameter("b_open", 0.0, 6.0, 1.5, 1.5,
              "weight on open weights and open research; reported as a reason to leave in "
              "both shipped cohorts (reference/); sign fixed positive"),
    Parameter("b_culture", 0.0, 6.0, 1.5, 1.5,
              "weight on research freedom (bottom-up science); the most cited cause in the "
              "press reports behind the shipped cohorts (reference/)"),
    Parameter("b_pace", 0.0, 6.0, 1.5, 1.5,
              "weight on product momentum and perceived progress"),
    Parameter("b_pay", 0.0, 6.0, 1.5, 1.5,
              "weight on pay and equity upside; AI start-up valuations rose ~25x in a year "
              "(reference/facts.md)"),
    Parameter("b_peer", 0.0, 20.0, 6.0, 4.0,
              "pull of colleagues: one of ~13 ties at a lab (share ~0.08) with odds ratio 2-4 "
              "(Glitz & Vejlin; Saygin et al. 2021) gives b_peer ~ log(3)/0.08 ~ 14; centred lower "
              "because the share also raises the pull of every lab through the nest"),
    Parameter("b_home", 0.0, 4.0, 1.0, 0.75,
              "preference for a lab with an office in one's city; modest, log odds ~1"),
    Parameter("b_founder", 0.0, 12.0, 6.0, 2.5,
              "a founder's pull to the lab they found: large (Agarwal et al. 2016 on spin-outs)"),
    Parameter("k0", 0.0, 10.0, 4.5, 1.5,
              "stay premium: monthly attrition ~0.018 (SignalFire 2025) implies ~log(1/0.018) ~ 4; "
              "per cohort: a lab's hold on its people is the lab's, not a taste. Pooled, the "
              "labs' spread has a half-normal prior of scale 1: two-year retention of 64-80% "
              "across frontier labs and 40-50% in tech at large (SignalFire 2025, press; "
              "reference/priors-literature.md) maps to stay premiums of about 3.4-4.7",
              per_cohort=True, population_scale=1.0),
    Parameter("k_tenure", -1.0, 2.0, 0.3, 0.4,
              "extra attachment per log-year of tenure; leavers often had 5+ years (reference/), "
              "so it may be small or negative"),
    Parameter("sigma_u", 0.0, 5.0, 1.0, 1.0,
              "spread of restlessness between researchers (mover-stayer; Artuc et al. 2010)"),
    Parameter("sigma_match", 0.0, 4.0, 1.0, 1.0,
              "spread of researchers' idiosyncratic fit with each lab (mixed logit, Train 2009 "
              "ch. 6): leavers in the shipped cohorts scattered one per lab (reference/)"),
    Parameter("lam", 0.2, 1.0, 0.6, _INF,
              "nest parameter: 1 is plain logit; lower makes labs closer substitutes "
              "(McFadden 1978)"),
    # the founding alternative (sim.kernel.behavior): used only where founding is a choice
    Parameter("found_base", -10.0, 4.0, -1.0, 2.0,
              "what founding a lab adds to a founder's utility of it, beyond joining it once it "
              "exists (whose pull is b_founder), in a neutral funding climate: raising money and "
              "hiring make founding costlier than joining [I]; wide, because no founding hazard "
              "of frontier-AI researchers was found (spin-out reviews: Klepper 2009; Agarwal "
              "et al. 2004)"),
    Parameter("found_climate", 0.0, 6.0, 1.5, 1.5,
              "weight on the funding climate (0 cold .. 1 hot, 0.5 neutral): entrepreneurial "
              "spawning rises with the supply of venture capital (Gompers, Lerner & Scharfstein "
              "2005); at the mean a hot climate (0.75) against a cold one (0.25) doubles the "
              "odds of founding, exp(1.5 x 0.5) ~ 2.1 [I]; sign fixed positive"),
    Parameter("found_seniority", -2.0, 2.0, 0.0, 0.5,
              "per log-year since joining the start lab: employees' know-how makes spin-outs "
              "(Franco & Filson 2006; Hellmann 2007), but seniority also raises what leaving "
              "costs; centred at 0, and 2 x 0.5 x log(16/4) ~ 1.4 in log odds between 3 and 15 "
              "years at the 95% [I]"),
    Parameter("found_peer", 0.0, 15.0, 3.0, 3.0,
              "pull towards founding of the colleagues who have founded (tie-weighted share): "
              "spin-outs cluster in their parents' teams (Agarwal et al. 2016; Shah, Agarwal & "
              "Echambadi 2019, reference/literature.md); at the mean one founding colleague of "
              "about eight (share 0.12) raises the odds of founding by exp(0.36) ~ 1.4 [I]"),
)  # fmt: skip
assert tuple(p.name for p in PARAMETER_SPACE) == PARAMETER_NAMES, (
    "declare parameters in kernel order"
)

_BY_NAME = {p.name: p for p in PARAMETER_SPACE}


def parameter(name: str, *, source: str | None = None, key: str | None = None) -> Parameter:
    """The declared parameter called ``name``; an unknown name is an error that suggests one.

    Args:
        name: the parameter's name.
        source: the file the name was read from, for the error message.
        key: where in that file, for the error message (e.g. ``params.b_peer``).
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise InputError(
            f"unknown parameter {name!r}{suggest(name, PARAMETER_NAMES)}; "
            f"known parameters: {', '.join(PARAMETER_NAMES)}",
            source=source,
            key=key,
        ) from None


def theta_from_mapping(values: dict[str, float], *, source: str | None = None) -> np.ndarray:
    """A parameter vector from a complete name -> value mapping, checked against the bounds."""
    for name in values:
        parameter(name, source=source)
    missing = [n for n in PARAMETER_NAMES if n not in values]
    if missing:
        raise InputError(f"no value for parameter(s) {', '.join(missing)}", source=source)
    theta = np.array([float(values[n]) for n in PARAMETER_NAMES])
    check_theta(theta, source=source)
    return theta


def with_fixed(theta: np.ndarray, fixed: dict[str, float], *, source: str | None = None):
    """A copy of parameter vectors [R, P] with the named parameters set, checked against bounds."""
    out = np.array(theta, dtype=np.float64)
    for name, value in fixed.items():
        out[:, PARAMETER_NAMES.index(parameter(name, source=source).name)] = value
    check_theta(out, source=source)
    return out


def check_theta(theta: np.ndarray, *, source: str | None = None) -> None:
    """Raise InputError where any parameter vector (row) lies outside the declared bounds."""
    theta = np.atleast_2d(theta)
    for k, p in enumerate(PARAMETER_SPACE):
        bad = (theta[:, k] < p.low) | (theta[:, k] > p.high) | ~np.isfinite(theta[:, k])
        if bad.any():
            value = theta[bad, k][0]
            raise InputError(
                f"parameter {p.name} = {value:g} is outside its bounds [{p.low:g}, {p.high:g}]",
                source=source,
                key=p.name,
            )


def prior_space(founding: bool, space=None) -> tuple[Parameter, ...]:
    """The prior of a calibration or run: ``space`` with the founding parameters held, or not.

    ``space`` defaults to PARAMETER_SPACE; the founding parameters are held at their prior means
    unless ``founding`` (a world where founding is a choice).

    A parameter a world's model never reads is held rather than drawn, so it is neither
    calibrated nor reported, needs no posterior column, and a world without founding draws what
    it drew before the founding parameters existed.
    """
    space = tuple(space or PARAMETER_SPACE)
    if founding:
        return space
    means = prior_means()
    return tuple(p.at(means[p.name]) if p.name in FOUNDING_NAMES and not p.held else p
                 for p in space)  # fmt: skip


def sample_prior(n: int, rng: np.random.Generator, space=None) -> np.ndarray:
    """``n`` independent draws from the joint prior, as [n, P].

    The default space is :func:`prior_space` of a world where founding is not a choice. Held
    parameters (:attr:`Parameter.held`) take their value and use no random number: the others'
    draws are the same whatever is held.
    """
    space = space or DEFAULT_PRIORS
    drawn = [k for k, p in enumerate(space) if not p.held]
    q = rng.random((n, len(drawn)))
    out = np.column_stack([np.full(n, p.low) for p in space]) if space else np.empty((n, 0))
    for column, k in enumerate(drawn):
        out[:, k] = space[k].from_unit(q[:, column])
    return out


def log_prior(theta: np.ndarray, space=None) -> np.ndarray:
    """Joint log prior density (up to a constant) of each row of ``theta`` [n, P]."""
    theta = np.atleast_2d(theta)
    return sum(p.log_prior(theta[:, k]) for k, p in enumerate(space or PARAMETER_SPACE))


def prior_means() -> dict[str, float]:
    """Each parameter's prior mean, by quadrature on its truncated prior (a neutral default)."""
    q = (np.arange(2000) + 0.5) / 2000
    return {p.name: float(p.from_unit(q).mean()) for p in PARAMETER_SPACE}


#: The prior of a world where founding is given: every parameter's, the founding ones held at
#: their prior means (:func:`prior_space`); the default of the samplers' settings.
DEFAULT_PRIORS: tuple[Parameter, ...] = prior_space(False)


def problem(names: list[str] | None = None) -> dict:
    """The SALib problem dict for the named parameters (all by default), bounds as declared."""
    chosen = [parameter(n) for n in (names or PARAMETER_NAMES)]
    return {
        "num_vars": len(chosen),
        "names": [p.name for p in chosen],
        "bounds": [[p.low, p.high] for p in chosen],
    }
