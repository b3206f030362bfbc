"""Simulation-based Bayesian calibration: ABC on the ensemble engine, with honest uncertainty.

Method (reference/literature.md):

* **Rejection ABC** on discrete summaries: draw theta from the prior, simulate one history each,
  accept the histories whose summaries all match the targets (the world's ``targets.toml``, whose
summaries are the world's declared statistics).
  Every batch of draws is one vectorised call of the ensemble engine (one parameter vector per
  replicate).
* **ABC-SMC** where acceptance from the prior is low (Toni et al. 2009; Beaumont et al. 2009):
  a sequence of populations under decreasing tolerances, each proposal drawn from the previous
  weighted population and perturbed by a Gaussian kernel with twice its weighted covariance;
  importance weights prior(theta) / sum_j w_j K(theta | theta_j). Tolerances adapt (Del Moral,
  Doucet & Jasra 2012): the next one is a quantile of the current population's distances, until
  the distance is 0, i.e. every target is met.

The distance of a simulated history is the sum over targets of how far its summary misses the
target's accepted set (an integer); the final population is exactly the rejection-ABC posterior
for the indicator kernel. What is calibrated is the predictive distribution, not one lucky run:
even a perfect model reproduces an exact count only a fraction of the time.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError

from sim.config.params import PARAMETER_SPACE, log_prior, parameter, sample_prior
from sim.config.scenario import load_scenario
from sim.engines.simulate import simulate
from sim.errors import InputError, suggest
from sim.kernel.behavior import PARAMETER_NAMES
from sim.kernel.streams import replicate_seeds
from sim.paths import CALIBRATION_DIR
from sim.results import Trajectories, observed_readings, summary_functions
from sim.world import CompiledWorld, StrictModel, World, find_statistic, latest_at_focal, read_toml


# --------------------------------------------------------------------------- targets
class Target(StrictModel):
    """One summary the simulated history must match, and why."""

    summary: str
    observed: int
    tolerance: int = Field(default=0, ge=0)
    direction: Literal["equal", "at_least", "at_most"] = "equal"
    why: str = Field(min_length=10)

    def miss(self, traj: Trajectories) -> np.ndarray:
        """How far each history's summary lies outside the accepted set (0 where it is inside)."""
        values = np.asarray(summary_functions(traj.world)[self.summary](traj), dtype=np.int64)
        if self.direction == "at_least":
            return np.maximum(0, self.observed - self.tolerance - values)
        if self.direction == "at_most":
            return np.maximum(0, values - self.observed - self.tolerance)
        return np.maximum(0, np.abs(values - self.observed) - self.tolerance)


class CurveTarget(StrictModel):
    """The retention curve at checkpoint months inside the band the observed intervals allow.

    At each of ``months``, the number at the focal lab must lie between the fewest and the most
    that the observed move intervals allow (the world's ``observed.csv``:
    :meth:`sim.observed.Observed.focal_bounds`). This uses the interval-censored move months, not
    just the end count, without inventing precision. ``tolerance`` widens the band on both
    sides, for counts whose sources are weak.
    """

    curve: Literal["remaining"] = "remaining"
    months: list[str] = Field(min_length=1)
    tolerance: int = Field(default=0, ge=0)
    why: str = Field(min_length=10)
    low: list[int] = Field(default_factory=list, exclude=True)
    high: list[int] = Field(default_factory=list, exclude=True)

    @property
    def summary(self) -> str:
        """A label for reports."""
        return f"remaining at {', '.join(self.months)}"

    def with_bounds(self, world: World) -> CurveTarget:
        """A copy holding the observed band at its months."""
        index = [world.calendar.index(m) for m in self.months]
        low, high = world.observed.focal_bounds(world)
        low = np.maximum(low[index] - self.tolerance, 0)
        high = np.minimum(high[index] + self.tolerance, len(world.researchers))
        return self.model_copy(update={"low": low.tolist(), "high": high.tolist()})

    def miss(self, traj: Trajectories) -> np.ndarray:
        """Sum over the months of how far each history's count lies outside the band."""
        counts = traj.at_focal()[:, [traj.world.calendar.index(m) for m in self.months]]
        low, high = np.array(self.low), np.array(self.high)
        return (np.maximum(0, low - counts) + np.maximum(0, counts - high)).sum(axis=1)


def targets_path(world: World) -> Path:
    """A world's targets file: ``targets.toml`` in its folder."""
    return Path(world.folder or world.source) / "targets.toml"


def load_targets(world: World, path: str | Path | None = None) -> list:
    """Read and check a world's targets: declared summaries, observed months, a reason each.

    ``[[target]]`` tables are summary targets; ``[[curve]]`` tables are retention-curve bands,
    whose bounds come from the world's observed history.
    """
    path = Path(path) if path else targets_path(world)
    if not path.exists():
        raise InputError(
            f"no calibration targets: world {world.name!r} has no targets.toml (a [[target]] "
            "table per declared statistic to match, see sim/data/llama/targets.toml)",
            source=str(path),
        )
    raw = read_toml(path)
    unknown = set(raw) - {"target", "curve"}
    if unknown or not all(isinstance(v, list) for v in raw.values()):
        raise InputError(
            f"expected only [[target]] and [[curve]] tables, got {sorted(unknown) or list(raw)}",
            source=str(path),
        )
    targets: list = []
    known = summary_functions(world)
    for table, model in (("curve", CurveTarget), ("target", Target)):
        for k, entry in enumerate(raw.get(table, [])):
            try:
                target = model.model_validate(entry)
            except ValidationError as exc:
                err = exc.errors()[0]
                loc = ".".join(str(p) for p in err["loc"])
                raise InputError(err["msg"], source=str(path), key=f"{table}[{k}].{loc}") from None
            if table == "curve":
                if world.observed is None:
                    raise InputError("a [[curve]] target needs the world's observed.csv",
                                     source=str(path), key=f"curve[{k}]")  # fmt: skip
                for month in target.months:
                    _observed_month(world, month, path, f"curve[{k}].months")
                targets.append(target.with_bounds(world))
                continue
            if target.summary not in known:
                raise InputError(
                    f"unknown summary {target.summary!r}{suggest(target.summary, known)}; the "
                    f"world declares: {', '.join(known)}",
                    source=str(path),
                    key=f"target[{k}].summary",
                )
            stat = find_statistic(world, target.summary)
            if stat is not None:
                _observed_month(world, stat.month, path, f"target[{k}].summary")
            targets.append(target)
    return targets


def _observed_month(world: World, month: str, path: Path, key: str) -> None:
    try:
        world.calendar.observed_index(month)
    except ValueError as exc:
        raise InputError(str(exc), source=str(path), key=key) from None


def distances(traj: Trajectories, targets: list) -> np.ndarray:
    """Sum of each history's misses over the targets (0: every target met)."""
    return sum(t.miss(traj) for t in targets)


def load_priors(path: str | Path | None, *, joint: bool = False) -> tuple:
    """The declared priors, with the overrides of a TOML file (one table per parameter).

    Each table may set ``mean``, ``sd`` (a number, or ``"inf"`` for a uniform prior), ``low`` and
    ``high``; bounds may narrow the declared ones (the engines' valid range) but not widen them.
    The texts ``source`` (the publication) and ``why`` (the arithmetic from its figure to the
    prior) document a table; they become the parameter's justification. A table named
    ``"k0[llama]"`` sets one cohort's prior of a per-cohort parameter: only in a joint
    calibration (``joint``; read by :func:`load_cohort_priors`), an error otherwise.
    """
    if path is None:
        return PARAMETER_SPACE
    path = Path(path)
    raw = read_toml(path)
    space = {p.name: p for p in PARAMETER_SPACE}
    for name, table in raw.items():
        if "[" in name:
            if not joint:
                raise InputError(
                    "a prior for one cohort applies only to a joint calibration (--worlds)",
                    source=str(path), key=name,
                )  # fmt: skip
            continue
        space[name] = _overridden(parameter(name, source=str(path)), table, path, name)
    return tuple(space[n] for n in PARAMETER_NAMES)


def load_cohort_priors(
    path: str | Path | None, priors: tuple, cohorts: list[str], per_cohort: tuple[str, ...]
) -> tuple:
    """The per-cohort prior tables (``"k0[llama]"``) of a priors file, as column priors.

    Raises:
        InputError: naming the file and table: an unknown parameter, one not calibrated per
            cohort, or a cohort that is not in the calibration.
    """
    if path is None:
        return ()
    path = Path(path)
    by_name = {p.name: p for p in priors}
    out = []
    for name, table in read_toml(path).items():
        if "[" not in name:
            continue
        base, _, rest = name.partition("[")
        cohort = rest.rstrip("]")
        declared = parameter(base, source=str(path), key=name)
        if base not in per_cohort:
            raise InputError(
                f"{base} is not calibrated per cohort here (per cohort: "
                f"{', '.join(per_cohort) or 'none'}; see --per-cohort)",
                source=str(path), key=name,
            )  # fmt: skip
        if cohort not in cohorts:
            raise InputError(
                f"unknown cohort {cohort!r}{suggest(cohort, cohorts)}; the cohorts of this "
                f"calibration: {', '.join(cohorts)}",
                source=str(path), key=name,
            )  # fmt: skip
        changed = _overridden(by_name.get(base, declared), table, path, name)
        out.append(dataclasses.replace(changed, name=f"{base}[{cohort}]"))
    return tuple(out)


def _overridden(declared, table, path: Path, name: str):
    """A declared parameter with a priors-file table's overrides, checked."""
    if not isinstance(table, dict):
        raise InputError("expected a table of mean, sd, low, high", source=str(path), key=name)
    unknown = set(table) - {"mean", "sd", "low", "high", "source", "why"}
    if unknown:
        raise InputError(
            f"unknown key(s) {sorted(unknown)}; expected mean, sd, low, high "
            "(and the texts source, why)",
            source=str(path), key=name,
        )  # fmt: skip
    for key in ("source", "why"):
        if key in table and not isinstance(table[key], str):
            raise InputError("expected a text", source=str(path), key=f"{name}.{key}")
    values = {}
    for key, value in table.items():
        if key in ("source", "why"):
            continue
        try:
            values[key] = float(value)
        except (TypeError, ValueError):
            raise InputError(
                f"expected a number, got {value!r}", source=str(path), key=f"{name}.{key}"
            ) from None
    if "source" in table or "why" in table:
        values["why"] = "; ".join(table[k] for k in ("source", "why") if k in table)
    changed = dataclasses.replace(declared, **values)
    if not changed.low < changed.high:
        raise InputError(
            f"inverted bounds: low {changed.low:g} must be below high {changed.high:g}",
            source=str(path), key=name,
        )  # fmt: skip
    if changed.low < declared.low or changed.high > declared.high:
        raise InputError(
            f"bounds [{changed.low:g}, {changed.high:g}] exceed the declared range "
            f"[{declared.low:g}, {declared.high:g}] in which the model is defined",
            source=str(path), key=name,
        )  # fmt: skip
    if not changed.sd > 0:
        raise InputError("sd must be > 0", source=str(path), key=f"{name}.sd")
    return changed


# --------------------------------------------------------------------------- the sampler
@dataclass(frozen=True)
class CalibrationSettings:
    """How hard to work: population size, batch size, budget, schedule and seed."""

    population: int = 2000
    batch: int = 50_000
    max_simulations: int = 20_000_000
    quantile: float = 0.5  # next tolerance: this quantile of the current distances
    min_ess_fraction: float = 0.5  # at tolerance 0, refine until the ESS reaches this share
    max_refinements: int = 1  # extra generations at tolerance 0, at most
    final_tolerance: int = 0  # stop at this distance (0: every target met exactly)
    seed: int = 20230224
    priors: tuple = PARAMETER_SPACE  # the prior set (see load_priors)


@dataclass
class Generation:
    """One ABC-SMC population's bookkeeping."""

    tolerance: int
    simulations: int
    accepted: int
    seconds: float

    @property
    def acceptance(self) -> float:
        """Accepted / simulated in this generation."""
        return self.accepted / max(self.simulations, 1)


@dataclass
class CalibrationResult:
    """The final weighted population and how it was reached."""

    theta: np.ndarray  # [n, P]
    weights: np.ndarray  # [n], sum 1
    generations: list[Generation] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    settings: CalibrationSettings = field(default_factory=CalibrationSettings)

    @property
    def simulations(self) -> int:
        """Histories simulated in all."""
        return sum(g.simulations for g in self.generations)

    @property
    def seconds(self) -> float:
        """Wall time of the sampler."""
        return sum(g.seconds for g in self.generations)

    def to_df(self) -> pd.DataFrame:
        """The posterior: one row per particle, a column per parameter, and its weight."""
        frame = pd.DataFrame(self.theta, columns=list(PARAMETER_NAMES))
        frame["weight"] = self.weights
        return frame

    def ess(self) -> float:
        """Effective sample size of the weighted population (Kish)."""
        return float(1.0 / np.sum(self.weights**2))


def _batch_seeds(seed: int, generation: int, batch: int, size: int) -> np.ndarray:
    key = np.random.SeedSequence([seed, generation, batch]).generate_state(1, np.uint64)[0]
    return replicate_seeds(int(key), size)


def abc_smc(
    world: CompiledWorld,
    targets: list[Target],
    settings: CalibrationSettings = CalibrationSettings(),
    progress=None,
) -> CalibrationResult:
    """Calibrate by rejection ABC, refined by ABC-SMC while the prior's acceptance is too low.

    Args:
        world: the compiled world, horizon at least the last target month.
        targets: what a history must match (:func:`load_targets`).
        settings: population, batch size, budget, tolerance schedule and seed.
        progress: optional callable(str) told about each generation.

    Returns:
        The final population, every particle's history within ``settings.final_tolerance`` of
        the targets (0: every target met).
    """
    n = settings.population
    rng = np.random.default_rng([settings.seed, 0])
    result = CalibrationResult(
        np.empty((0, len(PARAMETER_NAMES))), np.empty(0), [], targets, settings
    )
    used = 0

    def run(theta: np.ndarray, generation: int, batch: int) -> np.ndarray:
        nonlocal used
        used += len(theta)
        if used > settings.max_simulations:
            raise InputError(
                f"calibration budget of {settings.max_simulations:,} simulations exhausted; "
                "raise max_simulations or relax the targets"
            )
        return distances(
            simulate(world, theta, _batch_seeds(settings.seed, generation, batch, len(theta))),
            targets,
        )

    # generation 0: rejection from the prior
    start = time.perf_counter()
    theta0 = sample_prior(settings.batch, rng, settings.priors)
    d0 = run(theta0, 0, 0)
    accepted = d0 <= settings.final_tolerance
    if accepted.sum() >= n:  # plain rejection ABC suffices
        keep = np.flatnonzero(accepted)[:n]
        result.theta, result.weights = theta0[keep], np.full(n, 1.0 / n)
        result.generations.append(
            Generation(
                settings.final_tolerance,
                settings.batch,
                int(accepted.sum()),
                time.perf_counter() - start,
            )
        )
        return result
    order = np.argsort(d0, kind="stable")[:n]
    tolerance = int(d0[order[-1]])
    theta, weights, dist = theta0[order], np.full(n, 1.0 / n), d0[order]
    result.generations.append(Generation(tolerance, settings.batch, n, time.perf_counter() - start))
    _tell(progress, result.generations[-1])

    generation, refinements = 0, 0
    final = settings.final_tolerance
    while tolerance > final or (
        refinements < settings.max_refinements
        and 1.0 / np.sum(weights**2) < settings.min_ess_fraction * n
    ):
        if tolerance == final:
            refinements += 1
        generation += 1
        start = time.perf_counter()
        tolerance = min(
            tolerance - 1, int(np.floor(_weighted_quantile(dist, weights, settings.quantile)))
        )
        tolerance = max(tolerance, final)
        cov = 2.0 * np.cov(theta, rowvar=False, aweights=weights)
        chol = np.linalg.cholesky(cov + 1e-12 * np.eye(cov.shape[0]))
        new_theta, new_dist, simulated, batch = [], [], 0, 0
        got = 0
        while got < n:
            size = settings.batch
            parents = rng.choice(n, size=size, p=weights)
            proposals = theta[parents] + rng.standard_normal((size, theta.shape[1])) @ chol.T
            inside = np.isfinite(log_prior(proposals, settings.priors))
            proposals = proposals[inside]
            d = run(proposals, generation, batch)
            simulated += len(proposals)
            batch += 1
            ok = d <= tolerance
            new_theta.append(proposals[ok])
            new_dist.append(d[ok])
            got += int(ok.sum())
        theta_new = np.concatenate(new_theta)[:n]
        dist = np.concatenate(new_dist)[:n]
        weights = _importance_weights(theta_new, theta, weights, chol, settings.priors)
        theta = theta_new
        result.generations.append(Generation(tolerance, simulated, n, time.perf_counter() - start))
        _tell(progress, result.generations[-1])
    result.theta, result.weights = theta, weights
    return result


def _importance_weights(new, old, old_weights, chol, priors) -> np.ndarray:
    """prior(theta) / sum_j w_j N(theta; theta_j, cov), normalised (Beaumont et al. 2009)."""
    inv = np.linalg.inv(chol)
    z_new, z_old = new @ inv.T, old @ inv.T
    sq = (z_new**2).sum(1)[:, None] + (z_old**2).sum(1)[None, :] - 2.0 * z_new @ z_old.T
    log_kernel = -0.5 * np.maximum(sq, 0.0)
    peak = log_kernel.max(axis=1, keepdims=True)
    mixture = np.log((np.exp(log_kernel - peak) * old_weights[None, :]).sum(axis=1)) + peak[:, 0]
    log_w = log_prior(new, priors) - mixture
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def _weighted_quantile(values, weights, q) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, q * cumulative[-1])])


def _tell(progress, generation: Generation) -> None:
    if progress is not None:
        progress(
            f"tolerance {generation.tolerance}: {generation.simulations:,} simulated, "
            f"acceptance {generation.acceptance:.4f}, {generation.seconds:.1f} s"
        )


# --------------------------------------------------------------------------- checks of the world
def check_observed_against_targets(world: World, targets: list, source: str) -> None:
    """Every summary target must be met by the observed history (one of its two readings).

    The targets' statistics are computed on the earliest and the latest reading of the observed
    moves (:func:`sim.results.observed_readings`) by the code that computes them on simulated
    histories; a target that neither reading meets disagrees with the data it claims to encode.
    """
    if world.observed is None:
        return
    readings = observed_readings(world)
    functions = summary_functions(world)
    for target in targets:
        if not isinstance(target, Target) or find_statistic(world, target.summary) is None:
            continue
        if target.miss(readings).min() > 0:
            values = functions[target.summary](readings)
            raise InputError(
                f"target {target.summary} = {target.observed} ({target.direction}, tolerance "
                f"{target.tolerance}) disagrees with the observed history ({values[0]} in the "
                f"earliest reading of its moves, {values[1]} in the latest)",
                source=source,
            )


def identifiability(result: CalibrationResult, threshold: float = 0.3) -> pd.DataFrame:
    """Per parameter: prior and posterior mean/sd, 90% interval, contraction 1 - var_post/var_prior.

    A parameter is called identified by the observed histories when its contraction exceeds
    ``threshold``; below it, the posterior mostly repeats the prior.
    """
    prior = sample_prior(200_000, np.random.default_rng(0), result.settings.priors)
    rows = []
    w = result.weights
    for k, p in enumerate(result.settings.priors):
        x = result.theta[:, k]
        mean = float(np.sum(w * x))
        var = float(np.sum(w * (x - mean) ** 2))
        lo, hi = _weighted_quantile(x, w, 0.05), _weighted_quantile(x, w, 0.95)
        contraction = 1.0 - var / prior[:, k].var()
        rows.append({
            "parameter": p.name, "prior_mean": prior[:, k].mean(), "prior_sd": prior[:, k].std(),
            "posterior_mean": mean, "posterior_sd": var**0.5, "q05": lo, "q95": hi,
            "contraction": contraction, "identified": contraction > threshold,
        })  # fmt: skip
    return pd.DataFrame(rows)


def calibration_world(scenario_name: str = "baseline") -> CompiledWorld:
    """The scenario's world, compiled only up to the end of its observed history."""
    world = load_scenario(scenario_name).world
    return world.compile(world.calendar.observed_until)


def anchor_target(targets: list, world: World):
    """The anchor: the exact summary target on the focal lab at the latest month, if any.

    Returns ``(statistic, target)`` or None.
    """
    by_name = {t.summary: t for t in targets if isinstance(t, Target)}
    stat = latest_at_focal(s for s in world.statistics if s.name in by_name)
    return None if stat is None else (stat, by_name[stat.name])


# --------------------------------------------------------------------------- outputs and CLI
def posterior_predictive(
    scenario, theta: np.ndarray, weights: np.ndarray, replicates: int, seed: int
):
    """Simulate the scenario's world with parameter draws taken from a weighted population."""
    index = np.random.default_rng([seed, 2]).choice(len(theta), size=replicates, p=weights)
    return simulate(scenario.compile(), theta[index], replicate_seeds(seed, replicates), draw=index)


def write_calibration(
    result: CalibrationResult,
    scenario,
    out: Path,
    seed: int,
    replicates: int = 20_000,
) -> list[Path]:
    """Write posterior.parquet, generations.csv, report.md, ppc.png and pairs.png into ``out``.

    The predictive check simulates ``replicates`` histories, each with a posterior draw: 20,000
    put the Monte Carlo standard error of a share near 0.5 at 0.0035, small beside the
    differences the check is read for.
    """
    from sim.reports.plot import pairs_figure, ppc_figure
    from sim.results import (
        provenance,
        replicate_summaries,
        retention_curve,
        save_figure,
        write_frame,
        write_text,
    )

    out = Path(out)
    full_information = not isinstance(result, CalibrationResult)
    table = identifiability(result)
    ppc = posterior_predictive(scenario, result.theta, result.weights, replicates, seed)
    prior_theta = sample_prior(2000, np.random.default_rng([seed, 3]), result.settings.priors)
    prior_pred = simulate(scenario.compile(), prior_theta, replicate_seeds(seed, 2000))
    world = scenario.world
    stats = replicate_summaries(ppc)
    prior_stats = replicate_summaries(prior_pred)
    refs = yardsticks(result.targets, world)
    anchor = anchor_target(result.targets, world)
    written = [
        write_frame(out / "posterior.parquet", result.to_df()),
        write_frame(out / "diagnostics.csv", result.diagnostics)
        if full_information
        else write_frame(
            out / "generations.csv",
            pd.DataFrame(
                [
                    {
                        "generation": k,
                        "tolerance": g.tolerance,
                        "simulations": g.simulations,
                        "accepted": g.accepted,
                        "acceptance": g.acceptance,
                        "seconds": g.seconds,
                    }
                    for k, g in enumerate(result.generations)
                ]
            ),
        ),  # fmt: skip
        write_frame(out / "identifiability.csv", table),
        write_frame(out / "predictive.parquet", stats),
        save_figure(
            out / "ppc.png",
            ppc_figure(
                stats,
                prior_stats,
                retention_curve(ppc),
                world,
                None if anchor is None else (anchor[0], anchor[1].observed),
                yardstick=refs["uniform"].at_end if refs else None,
            ),
        ),  # fmt: skip
        save_figure(out / "pairs.png", pairs_figure(result.to_df())),
    ]
    others = _other_posteriors(out, scenario.world, full_information)
    written.append(
        write_text(
            out / "report.md",
            _report(result, table, stats, prior_stats, provenance(), world, refs, others),
        )
    )
    return written


def _other_posteriors(out: Path, world: World, full_information: bool) -> dict:
    """The world's other committed posterior, for the side-by-side contraction table.

    The ABC posterior lives in ``calibration/WORLD/`` and the full-information one in
    ``calibration/WORLD/likelihood/``; each report shows the other's contraction where it exists.
    """
    folder = CALIBRATION_DIR / world.name
    path, label = (
        (folder / "posterior.parquet", "ABC")
        if full_information
        else (folder / "likelihood" / "posterior.parquet", "likelihood")
    )
    if not path.exists() or path.resolve().parent == out.resolve():
        return {}
    from sim.config.scenario import load_posterior

    frame = load_posterior(path)
    return {label: frame}


def _report(result, table, stats, prior_stats, prov, world: World, refs: dict, others) -> str:
    cohort = len(world.researchers)
    full_information = not isinstance(result, CalibrationResult)
    lines = [
        f"# Calibration report: {world.title}",
        "",
        f"Written by `sim calibrate{' --method likelihood' if full_information else ''}` "
        f"(seed {result.settings.seed}), package {prov['version']}, commit {prov['git_commit']}.",
        "",
        *(_likelihood_method(result, world) if full_information else _abc_method(result, world)),
        "## Prior vs posterior",
        "Contraction = 1 - posterior variance / prior variance. Parameters below 0.3 are not "
        f"identified by the {cohort} histories: their posterior mostly repeats the prior, and "
        "results that depend on them inherit the prior's assumptions (Manski 1993 on peer "
        "effects).",
        "",
        "| parameter | prior mean (sd) | posterior mean (sd) | 90% interval | contraction "
        "| identified |",
        "|---|---|---|---|---|---|",
        *[
            f"| {r.parameter} | {r.prior_mean:.2f} ({r.prior_sd:.2f}) | {r.posterior_mean:.2f} "
            f"({r.posterior_sd:.2f}) | {r.q05:.2f} .. {r.q95:.2f} | {r.contraction:.2f} | "
            f"{'yes' if r.identified else 'no'} |"
            for r in table.itertuples()
        ],
        "",
        *_side_by_side(table, others, result.settings.priors),
        f"## Posterior predictive check ({len(stats):,} replicates, posterior draws x chance)",
        *_predictive_lines(result.targets, stats, prior_stats, world),
        "",
        "![posterior predictive](ppc.png)",
        "",
        *_predictive_p_values(result.targets, stats),
        *_yardstick(result.targets, stats, world, refs),
        "## Pairs",
        "",
        "![pairs](pairs.png)",
        "",
    ]
    return "\n".join(lines)


def contraction(frame: pd.DataFrame, priors: tuple = PARAMETER_SPACE) -> np.ndarray:
    """Each parameter's contraction, 1 - posterior variance / prior variance, from draws.

    ``frame`` has a column per parameter (in :data:`PARAMETER_NAMES` order) and optionally a
    ``weight``; the prior variance is that of 200,000 draws from ``priors`` (seed 0), as in
    :func:`identifiability`.
    """
    w = frame["weight"].to_numpy() if "weight" in frame else np.ones(len(frame))
    w = w / w.sum()
    x = frame[list(PARAMETER_NAMES)].to_numpy()
    prior = sample_prior(200_000, np.random.default_rng(0), priors)
    return 1.0 - (w @ (x - w @ x) ** 2) / prior.var(axis=0)


def _side_by_side(table: pd.DataFrame, others: dict, priors: tuple) -> list[str]:
    """Each parameter's contraction under this posterior and the world's other one."""
    if not others:
        return []
    columns = {label: contraction(frame, priors) for label, frame in others.items()}
    return [
        "### Contraction beside the world's other calibration",
        "Both against the same prior; the other posterior is read from its committed file.",
        "",
        "| parameter | this calibration | " + " | ".join(columns) + " |",
        "|---|---|" + "---|" * len(columns),
        *[
            f"| {r.parameter} | {r.contraction:.2f} | "
            + " | ".join(f"{values[k]:.2f}" for values in columns.values())
            + " |"
            for k, r in enumerate(table.itertuples())
        ],
        "",
    ]


def _likelihood_method(result, world: World) -> list[str]:
    calendar = world.calendar
    s = result.settings
    d = result.diagnostics
    return [
        "## Method",
        f"The likelihood of the whole observed history {calendar.start} .. "
        f"{calendar.observed_until}: every researcher's lab in every month, each move summed "
        "over the months its interval allows (`sim.likelihood`: the panel mixed logit, "
        "restlessness by Gauss-Hermite quadrature, fits by tilted quasi-Monte Carlo). Sampled "
        "with emcee's ensemble sampler (differential-evolution moves) on the prior-quantile "
        "logit scale, from the posterior mode; the chains use "
        f"{s.quadrature} x {s.fit_points} integration points, "
        f"and every retained draw is re-weighted to {s.final_quadrature} x "
        f"{s.final_fit_points} points (importance sampling; `sim.posterior`).",
        "",
        "## Sampler",
        f"- {s.walkers} walkers x {s.steps} steps, burn-in {s.burn}, every {s.thin}th step "
        f"kept: {len(result.theta):,} draws; acceptance {result.acceptance:.2f}",
        f"- likelihood evaluations {result.evaluations:,}, wall time {result.seconds:.1f} s",
        f"- re-weighting to the accurate integration: effective sample size {result.ess():.0f} "
        f"of {len(result.theta):,} (largest weight {result.weights.max():.4f})",
        f"- largest split R-hat {d.r_hat.max():.3f}, smallest bulk ESS {d.ess_bulk.min():.0f}, "
        f"chains {d.steps_per_autocorrelation.min():.0f} autocorrelation times long at the "
        "shortest (emcee's authors ask for 50)",
        "",
        "| parameter | split R-hat | bulk ESS | autocorrelation (steps) |",
        "|---|---|---|---|",
        *[
            f"| {r.parameter} | {r.r_hat:.3f} | {r.ess_bulk:.0f} | {r.autocorrelation_steps:.1f} |"
            for r in d.itertuples()
        ],
        "",
        "Walkers of one ensemble are not independent chains: R-hat near 1 is necessary, not "
        "sufficient.",
        "",
        "The targets below are not fitted here; the predictive check reads them as ABC does.",
        "",
        *_target_lines(result),
    ]


def _abc_method(result, world: World) -> list[str]:
    calendar = world.calendar
    return [
        "## Method",
        f"Rejection ABC on discrete summaries of the {calendar.start} .. "
        f"{calendar.observed_until} history, refined by ABC-SMC "
        "(Toni et al. 2009; Beaumont et al. 2009; adaptive tolerances, Del Moral et al. 2012) "
        "on the ensemble engine; one simulated history per particle, one vectorised call per "
        "batch. "
        + (
            "The final population meets every target (distance 0)."
            if result.settings.final_tolerance == 0
            else f"The final population's histories miss the targets by at most "
            f"{result.settings.final_tolerance} in all (the distance: the sum over targets of "
            "how far a summary lies outside its accepted set): an approximate ABC posterior, "
            "chosen because exact acceptance was too rare for the budget."
        ),
        "",
        *_target_lines(result),
        "## Sampler",
        f"- population {result.settings.population}, effective sample size {result.ess():.0f}",
        f"- simulations {result.simulations:,}, wall time {result.seconds:.1f} s",
        "",
        "| generation | tolerance | simulated | acceptance | seconds |",
        "|---|---|---|---|---|",
        *[
            f"| {k} | {g.tolerance} | {g.simulations:,} | {g.acceptance:.4f} | {g.seconds:.1f} |"
            for k, g in enumerate(result.generations)
        ],
        "",
    ]


def _target_lines(result) -> list[str]:
    return [
        "## Targets",
        "| summary | observed | accepted when | why |",
        "|---|---|---|---|",
        *[
            f"| {t.summary} | {t.observed} | {t.direction} within {t.tolerance} | {t.why} |"
            if isinstance(t, Target)
            else f"| {t.summary} | {t.low} .. {t.high} | inside the band | {t.why} |"
            for t in result.targets
        ],
        "",
    ]


def _predictive_lines(targets, stats, prior_stats, world: World) -> list[str]:
    """One bullet per summary target: the predictive of its statistic, in the world's words."""
    lines = []
    for t in targets:
        if not isinstance(t, Target):
            continue
        stat = find_statistic(world, t.summary)
        label = stat.describe(world.focal_lab) if stat else t.summary
        x = stats[t.summary].to_numpy()
        line = (
            f"- {label}: mean {x.mean():.2f} (prior predictive {prior_stats[t.summary].mean():.2f})"
        )
        if stat is not None and stat.kind == "at_focal":
            counts = np.bincount(x, minlength=len(world.researchers) + 1)
            line += (
                f", mode {counts.argmax()}, distribution 0..{len(counts) - 1}: {counts.tolist()}"
            )
        for low, high in stat.ranges if stat else []:
            line += f", P({low} to {high}) = {((x >= low) & (x <= high)).mean():.3f}"
        lines.append(f"{line} (observed {t.observed})")
    return lines


def _predictive_p_values(targets, stats) -> list[str]:
    """Posterior predictive p-values (Gelman, Meng & Stern 1996) of each summary target."""
    lines = [
        "Posterior predictive p-values: the share of replicated histories at or below, and at or "
        "above, the observed value. A value near 0 on either side is a misfit; the two add up "
        "to more than 1 because a discrete summary often equals the observed value.",
        "",
        "| summary | observed | P(replicate <= observed) | P(replicate >= observed) |",
        "|---|---|---|---|",
    ]
    for t in targets:
        if isinstance(t, Target):
            x = stats[t.summary].to_numpy()
            lines.append(
                f"| {t.summary} | {t.observed} | {(x <= t.observed).mean():.3f} | "
                f"{(x >= t.observed).mean():.3f} |"
            )
    return [*lines, ""]


def yardsticks(targets: list, world: World) -> dict:
    """The two-stage binomial yardstick (:mod:`sim.reference`) per prior, from the targets.

    It needs the anchor (:func:`anchor_target`) and a ``left_by`` target at an earlier month (an
    "at least" bound is taken as the count); without them there is no yardstick and the result
    is empty.
    """
    from sim.inference.reference import PRIORS, staged_predictive

    counts = _yardstick_counts(targets, world)
    if counts is None:
        return {}
    end, gone, _, _ = counts
    cohort = len(world.researchers)
    return {name: staged_predictive(cohort, cohort - gone, end, ab) for name, ab in PRIORS.items()}


def _yardstick_counts(targets, world: World):
    """(anchor count, left-by count, anchor statistic, left-by statistic), or None."""
    anchor = anchor_target(targets, world)
    if anchor is None:
        return None
    end_stat, end_target = anchor
    early = [
        (find_statistic(world, t.summary), t)
        for t in targets
        if isinstance(t, Target)
        and getattr(find_statistic(world, t.summary), "kind", "") == "left_by"
    ]
    early = [(s, t) for s, t in early if world.calendar.index(s.month) < world.calendar.index(
        end_stat.month)]  # fmt: skip
    if not early:
        return None
    gone_stat, gone_target = early[0]
    return int(end_target.observed), int(gone_target.observed), end_stat, gone_stat


def _yardstick(targets, stats, world: World, refs: dict) -> list[str]:
    """The model's predictive beside the yardstick (:func:`yardsticks`), as a report section."""
    if not refs:
        return []
    end, gone, end_stat, gone_stat = _yardstick_counts(targets, world)
    cohort = len(world.researchers)
    focal = world.focal_lab
    rem, gone_sim = stats[end_stat.name].to_numpy(), stats[gone_stat.name].to_numpy()
    n = len(rem)

    def share(hit) -> str:
        p = float(np.mean(hit))
        return f"{p:.3f} ± {(p * (1 - p) / n) ** 0.5:.3f}"

    low, high = max(end - 1, 0), end + 1
    at_end = f"at {focal} in {end_stat.month}"
    rows = [
        (f"most likely number {at_end}", str(np.bincount(rem).argmax()),
         [str(r.mode) for r in refs.values()]),
        (f"mean {at_end}", f"{rem.mean():.2f}", [f"{r.mean:.2f}" for r in refs.values()]),
        (f"P(exactly {end} {at_end})", share(rem == end),
         [f"{r.at_end[end]:.3f}" for r in refs.values()]),
        (f"P({low} to {high} {at_end})", share((rem >= low) & (rem <= high)),
         [f"{r.p_end_between(low, high):.3f}" for r in refs.values()]),
        (f"P(at least {gone} left {focal} by {gone_stat.month})", share(gone_sim >= gone),
         [f"{r.p_gone_by_checkpoint_at_least(gone):.3f}" for r in refs.values()]),
    ]  # fmt: skip
    return [
        f"## What {cohort} histories allow",
        "The yardstick is the exact posterior predictive of the simplest model that could explain "
        f"the two counts: each member independently still at {focal} in {gone_stat.month} "
        f"({cohort - gone} of {cohort}, the observed bound taken as the count) and, if so, still "
        f"there in {end_stat.month} ({end} of {cohort - gone}), "
        "with a uniform or a Jeffreys prior on each stage's probability (`sim.reference`). It "
        "has nothing else to learn, so its spread is what learning from one history costs. A "
        "model with peers, whose departures bunch, predicts more widely unless its priors or "
        "covariates tell it more (and one with returns to the focal lab is only approximately "
        "two-staged). The ± is the Monte Carlo standard error of the model's share.",
        "",
        "| statistic | model | " + " | ".join(f"yardstick, {k} prior" for k in refs) + " |",
        "|---|---|" + "---|" * len(refs),
        *[f"| {label} | {model} | " + " | ".join(ref) + " |" for label, model, ref in rows],
        "",
    ]


def _cmd_calibrate(args) -> int:
    for name in ("population", "batch", "max_simulations", "predictive_replicates"):
        if getattr(args, name) < 1:
            option = "--" + name.replace("_", "-")
            raise InputError(f"{option} must be a positive number, got {getattr(args, name)}")
    if args.worlds is not None:
        if args.method != "likelihood":
            raise InputError(
                "a joint calibration (--worlds) needs --method likelihood: ABC's acceptance "
                "rate would be the product of the worlds'", key="--worlds",
            )  # fmt: skip
        return _calibrate_joint(args)
    scenario = load_scenario(args.scenario)
    world = scenario.world
    if world.observed is None:
        raise InputError(
            f"world {world.name!r} has no observed history (observed.csv in its folder): there "
            "is nothing to calibrate against", source=world.source,
        )  # fmt: skip
    targets = load_targets(world, args.targets)
    check_observed_against_targets(world, targets, str(args.targets or targets_path(world)))
    if args.method == "likelihood":
        return _calibrate_likelihood(args, scenario, targets)
    out = Path(args.out or CALIBRATION_DIR / world.name)
    settings = CalibrationSettings(
        population=args.population, seed=args.seed, batch=args.batch,
        max_simulations=args.max_simulations, priors=load_priors(args.priors),
        final_tolerance=args.final_tolerance,
    )  # fmt: skip
    result = abc_smc(
        world.compile(world.calendar.observed_until), targets, settings,
        progress=None if args.quiet else print,
    )  # fmt: skip
    written = write_calibration(result, scenario, out, args.seed, args.predictive_replicates)
    print(
        f"calibrated on {result.simulations:,} simulations in {result.seconds:.0f} s; "
        f"{len(result.theta)} particles (ESS {result.ess():.0f}); "
        f"wrote {len(written)} files to {out}/"
    )
    return 0


def _calibrate_likelihood(args, scenario, targets) -> int:
    """``sim calibrate --method likelihood``: the full-information posterior (sim.posterior)."""
    from sim.inference.posterior import Cohort, LikelihoodSettings, sample_posterior
    from sim.likelihood import observed_panel

    world = scenario.world
    for name in ("walkers", "steps"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name} must be a positive number, got {getattr(args, name)}")
    out = Path(args.out or CALIBRATION_DIR / world.name / "likelihood")
    settings = LikelihoodSettings(
        walkers=args.walkers, steps=args.steps, burn=args.burn, seed=args.seed,
        priors=load_priors(args.priors),
    )  # fmt: skip
    cohort = Cohort(world.name, world.compile(world.calendar.observed_until), observed_panel(world))
    result = sample_posterior([cohort], settings, progress=None if args.quiet else print)
    result.targets = targets
    written = write_calibration(result, scenario, out, args.seed, args.predictive_replicates)
    d = result.diagnostics
    print(
        f"sampled {result.evaluations:,} likelihood evaluations in {result.seconds:.0f} s; "
        f"{len(result.theta):,} draws (re-weighted ESS {result.ess():.0f}, largest R-hat "
        f"{d.r_hat.max():.3f}); wrote {len(written)} files to {out}/"
    )
    return 0


def _per_cohort(args) -> tuple[str, ...] | None:
    if args.per_cohort is None:
        return None
    names = tuple(n.strip() for n in args.per_cohort.split(",") if n.strip())
    for name in names:
        parameter(name, key="--per-cohort")
    return names


def _prior_suffix(out: Path) -> str:
    """``-wide`` for an output folder ``joint-wide``: the prior set of the single-world runs."""
    return out.name.removeprefix("joint") if out.name.startswith("joint") else ""


def _calibrate_joint(args) -> int:
    """``sim calibrate --method likelihood --worlds A,B``: one posterior for several worlds."""
    from sim.inference.joint import check_fixed_agree, parse_worlds, write_joint
    from sim.inference.posterior import Cohort, LikelihoodSettings, sample_posterior
    from sim.likelihood import observed_panel

    scenarios = parse_worlds(args.worlds)
    check_fixed_agree(scenarios)
    names = [s.world.name for s in scenarios]
    priors = load_priors(args.priors, joint=True)
    per_cohort = _per_cohort(args)
    declared = per_cohort if per_cohort is not None else tuple(
        p.name for p in priors if p.per_cohort)  # fmt: skip
    targets = {}
    cohorts = []
    for s in scenarios:
        w = s.world
        if w.observed is None:
            raise InputError(f"world {w.name!r} has no observed history (observed.csv)",
                             source=w.source)  # fmt: skip
        targets[w.name] = load_targets(w)
        check_observed_against_targets(w, targets[w.name], str(targets_path(w)))
        cohorts.append(Cohort(w.name, w.compile(w.calendar.observed_until), observed_panel(w)))
    settings = LikelihoodSettings(
        walkers=args.walkers, steps=args.steps, burn=args.burn, seed=args.seed, priors=priors,
        per_cohort=per_cohort,
        cohort_priors=load_cohort_priors(args.priors, priors, names, declared),
    )  # fmt: skip
    out = Path(args.out or CALIBRATION_DIR / "joint")
    result = sample_posterior(cohorts, settings, progress=None if args.quiet else print)
    from sim.results import replace_folder

    written = replace_folder(
        out, lambda folder: write_joint(result, scenarios, targets, folder, args.seed,
                                        args.predictive_replicates, _prior_suffix(out)),
    )  # fmt: skip
    print(
        f"sampled {result.evaluations:,} likelihood evaluations in {result.seconds:.0f} s for "
        f"{', '.join(names)}; {len(result.theta):,} draws (re-weighted ESS {result.ess():.0f}); "
        f"wrote {len(written)} files to {out}/"
    )
    return 0


def register_cli(sub) -> None:
    """Add ``sim calibrate`` to the command line."""
    from sim.cli.common import add_command, non_negative_int

    cmd = add_command(
        sub, "calibrate", "fit the parameters to the observed history (ABC-SMC or likelihood)",
        "Calibrates the behavioural parameters of a scenario's world to its observed history\n"
        "(the world's observed.csv). --method abc (default): rejection ABC refined by ABC-SMC\n"
        "on the targets of the world's targets.toml. --method likelihood: the posterior given\n"
        "the likelihood of everyone's lab in every observed month, sampled with emcee\n"
        "(sim.posterior). Writes posterior.parquet, generations.csv (abc) or diagnostics.csv\n"
        "(likelihood: R-hat, ESS, autocorrelation), identifiability.csv, report.md (method,\n"
        "sampler, prior vs posterior, contraction beside the other method's, predictive checks\n"
        "with p-values) and the figures ppc.png and pairs.png.",
        ["sim calibrate",
         "sim calibrate --method likelihood",
         "sim calibrate --method likelihood --worlds llama,openai-founders",
         "sim calibrate --scenario scenarios/openai-founders/baseline.toml --population 1000",
         "sim calibrate --priors calibration/priors-wide.toml --out calibration/llama/wide"],
    )  # fmt: skip
    cmd.add_argument(
        "--method", choices=("abc", "likelihood"), default="abc",
        help="abc: ABC-SMC on the targets' counts; likelihood: the full-information posterior "
             "of the whole observed panel, sampled with emcee (default %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--out",
        default=None,
        help="output folder (default calibration/WORLD for abc, calibration/WORLD/likelihood "
        "for likelihood; WORLD the scenario's world)",
    )
    cmd.add_argument(
        "--worlds", default=None, metavar="A,B",
        help="likelihood: calibrate several worlds at once (their baseline scenarios), the "
             "weights shared and the per-cohort parameters once per world; writes "
             "calibration/joint/ with leave-one-cohort-out checks (default: one world, "
             "--scenario's)",
    )  # fmt: skip
    cmd.add_argument(
        "--per-cohort", default=None, metavar="NAMES",
        help="with --worlds: the parameters calibrated once per world, comma-separated "
             "(default: those declared per cohort in sim/params.py, k0)",
    )  # fmt: skip
    cmd.add_argument(
        "--walkers", type=int, default=32,
        help="likelihood: emcee walkers, at least twice the parameters (default %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--steps", type=int, default=2000,
        help="likelihood: steps of every walker, burn-in included (default %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--burn", type=non_negative_int, default=300,
        help="likelihood: steps dropped from the start of every walker (default %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--seed",
        type=non_negative_int,
        default=CalibrationSettings.seed,
        help=f"seed of the sampler and the checks (default {CalibrationSettings.seed})",
    )
    cmd.add_argument(
        "--population",
        type=int,
        default=CalibrationSettings.population,
        help="particles in each ABC-SMC population (default %(default)s)",
    )
    cmd.add_argument(
        "--batch",
        type=int,
        default=CalibrationSettings.batch,
        help="histories simulated per vectorised call (default %(default)s)",
    )
    cmd.add_argument(
        "--max-simulations",
        type=int,
        default=CalibrationSettings.max_simulations,
        help="budget of simulated histories; exit 2 beyond it (default %(default)s)",
    )
    cmd.add_argument(
        "--final-tolerance", type=non_negative_int, default=0, metavar="D",
        help="stop when every particle's history is within distance D of the targets (default "
             "0: every target met; 1 allows one count off in all)",
    )  # fmt: skip
    cmd.add_argument(
        "--scenario",
        default="baseline",
        help="the scenario whose world is calibrated (default %(default)s)",
    )
    cmd.add_argument(
        "--targets", default=None, help="targets file (default: targets.toml in the world's folder)"
    )
    cmd.add_argument(
        "--priors",
        default=None,
        metavar="FILE",
        help="TOML file overriding the declared priors (default: sim/params.py's)",
    )
    cmd.add_argument(
        "--predictive-replicates", type=int, default=20_000,
        help="histories simulated for the posterior predictive check (default %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--quiet", action="store_true", help="no progress lines (default: one line per generation)"
    )
    cmd.set_defaults(func=_cmd_calibrate)
