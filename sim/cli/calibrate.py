"""``sim calibrate``: fit the parameters to the observed history (ABC-SMC or likelihood).

The algorithms are in :mod:`sim.inference` (ABC-SMC in :mod:`sim.inference.abc.smc`, the
full-information posterior in :mod:`sim.inference.posterior`, several worlds at once in
:mod:`sim.inference.joint`); the files are written by :mod:`sim.reports.calibration` and
:mod:`sim.reports.joint`.
"""

from __future__ import annotations

from pathlib import Path

from sim.cli.common import OUT_POLICY, add_command, non_negative_int, output_folder
from sim.config.params import parameter
from sim.config.scenario import load_scenario
from sim.errors import InputError, suggest
from sim.inference.abc.smc import CalibrationSettings, abc_smc
from sim.inference.abc.targets import check_observed_against_targets, load_targets, targets_path
from sim.inference.priors import load_cohort_priors, load_priors
from sim.paths import CALIBRATION_DIR
from sim.results import check_out_folder, replace_folder


def register(sub) -> None:
    """Add ``sim calibrate`` to the command line."""
    cmd = add_command(
        sub, "calibrate", "fit the parameters to the observed history (ABC-SMC or likelihood)",
        "Calibrates the behavioural parameters of a scenario's world to its observed history\n"
        "(the world's observed.csv). --method abc (default): rejection ABC refined by ABC-SMC\n"
        "on the targets of the world's targets.toml. --method likelihood: the posterior given\n"
        "the likelihood of everyone's lab in every observed month, the uncertain months sampled\n"
        "(sim.posterior). Writes posterior.parquet, generations.csv (abc) or diagnostics.csv\n"
        "(likelihood: R-hat, ESS, autocorrelation), identifiability.csv, report.md (method,\n"
        "sampler, prior vs posterior, contraction beside the other method's, predictive checks\n"
        "with p-values) and the figures ppc.png and pairs.png.",
        ["sim calibrate",
         "sim calibrate --method likelihood",
         "sim calibrate --method likelihood --worlds llama,openai-founders",
         "sim calibrate --method likelihood --worlds llama,openai-founders,study/acme \\\n"
         "    --alone acme=study/acme-alone --out study/joint   # acme: the world.toml's name",
         "sim calibrate --scenario scenarios/openai-founders/baseline.toml --population 1000",
         "sim calibrate --priors calibration/priors-wide.toml --out calibration/llama/wide"],
    )  # fmt: skip
    cmd.add_argument(
        "--method", choices=("abc", "likelihood"), default="abc",
        help="abc: ABC-SMC on the targets' counts; likelihood: the full-information posterior "
             "of the whole observed panel (see --sampler) (default %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--out",
        type=output_folder,
        default=None,
        help="output folder (default calibration/WORLD for abc, calibration/WORLD/likelihood "
        f"for likelihood, calibration/joint with --worlds; WORLD the scenario's world); "
        f"{OUT_POLICY}",
    )
    cmd.add_argument(
        "--worlds", default=None, metavar="A,B",
        help="likelihood: calibrate several worlds at once, the weights shared and the "
             "per-cohort parameters once per world (columns k0[NAME], NAME the world.toml's "
             "name). Each entry is a shipped world's name (its baseline scenario, e.g. llama), a "
             "world folder (with world.toml; its world as the files give it) or a scenario file "
             "(.toml). Writes calibration/joint/ with leave-one-cohort-out checks (default: one "
             "world, --scenario's)",
    )  # fmt: skip
    cmd.add_argument(
        "--alone", action="append", default=None, metavar="WORLD=FOLDER",
        help="with --worlds, repeatable: the posterior of WORLD fitted alone (a folder holding "
             "posterior.parquet, or the file), which the report compares with and predicts the "
             "other worlds from (default: calibration/WORLD/likelihood/ where it exists, but "
             "only when --out and --priors are not given: a posterior under other priors or in "
             "another study is never guessed)",
    )  # fmt: skip
    cmd.add_argument(
        "--compute-alone", action="store_true",
        help="with --worlds: sample the posterior of each world alone that --alone does not "
             "give (same priors, seed and sampler settings; written to OUT/alone/WORLD/), so "
             "the report's 'alone' columns and leave-one-cohort-out checks are complete; "
             "costs one more calibration per such world",
    )  # fmt: skip
    cmd.add_argument(
        "--per-cohort", default=None, metavar="NAMES",
        help="with --worlds: the parameters calibrated once per world, comma-separated "
             "(default: those declared per cohort in sim/params.py, k0)",
    )  # fmt: skip
    cmd.add_argument(
        "--pool", default=None, metavar="NAMES",
        help="with --worlds: per-cohort parameters to pool partially, comma-separated (e.g. "
             "k0): each world's value is drawn from a population whose mean and spread are "
             "calibrated too (columns NAME.population_mean, NAME.population_sd), and a world "
             "the posterior has not seen draws its value from that population (default: none, "
             "each world's value has its own prior)",
    )  # fmt: skip
    cmd.add_argument(
        "--sampler", choices=("ensemble", "laplace"), default="ensemble",
        help="likelihood: ensemble = differential evolution within Gibbs, the uncertain months "
             "sampled (exact; for cohorts of tens); laplace = the normal approximation at the "
             "mode made exact by Pareto-smoothed importance sampling, on the interval-summed "
             "likelihood (for panels of thousands; its report gives k-hat) (default %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--draws", type=int, default=4000,
        help="likelihood with --sampler laplace: importance-sampling proposals (default "
             "%(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--fit-points", type=int, default=None, metavar="N",
        help="likelihood with --sampler laplace: quasi-random fit points per researcher, a power "
             "of 2 (default 128). The log of their average is biased low, and on a panel of "
             "thousands the bias moves the mode by posterior sds (benchmarks/integration_bias.py "
             "measures it); more points shrink it, each evaluation costing about as much more",
    )  # fmt: skip
    cmd.add_argument(
        "--scheduler", default=None, metavar="ADDRESS",
        help="likelihood with --sampler laplace: evaluate the proposals on the Dask scheduler at "
             "ADDRESS (tcp://host:8786), as sim sweep does (default: here)",
    )  # fmt: skip
    cmd.add_argument(
        "--walkers", type=int, default=32,
        help="likelihood: the ensemble's walkers, at least twice the parameters (default "
             "%(default)s)",
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
    cmd.set_defaults(func=calibrate_command)


def calibrate_command(args) -> int:
    """Calibrate the scenario's world (or several worlds jointly) and write the results."""
    from sim.inference.predictive import predictive_check
    from sim.reports.calibration import write_calibration

    for name in ("population", "batch", "max_simulations", "predictive_replicates"):
        if getattr(args, name) < 1:
            option = "--" + name.replace("_", "-")
            raise InputError(f"{option} must be a positive number, got {getattr(args, name)}")
    if args.worlds is None and args.alone is not None:
        raise InputError(
            "--alone applies to a joint calibration only: give --worlds A,B too", key="--alone"
        )
    if args.sampler != "laplace" and args.scheduler is not None:
        raise InputError("--scheduler applies to --sampler laplace (its proposals are "
                         "independent evaluations)", key="--scheduler")  # fmt: skip
    if args.fit_points is not None:
        if args.sampler != "laplace":
            raise InputError("--fit-points applies to --sampler laplace (the ensemble sampler "
                             "grows its own until the integral is accurate)",
                             key="--fit-points")  # fmt: skip
        from sim.likelihood.integration import power_of_two

        if not power_of_two(args.fit_points):
            raise InputError(f"--fit-points must be a power of 2 (64, 128, 512, ...), got "
                             f"{args.fit_points}", key="--fit-points")  # fmt: skip
    if args.sampler == "laplace" and (args.method != "likelihood" or args.worlds is not None):
        raise InputError("--sampler laplace applies to a single world's likelihood "
                         "(--method likelihood, without --worlds)", key="--sampler")  # fmt: skip
    for option, value in (("--per-cohort", args.per_cohort), ("--pool", args.pool),
                          ("--compute-alone", args.compute_alone or None)):  # fmt: skip
        if args.worlds is None and value is not None:
            raise InputError(
                f"{option} applies to a joint calibration only: give --worlds A,B too",
                key=option,
            )
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
    out = check_out_folder(args.out if args.out is not None else CALIBRATION_DIR / world.name)
    settings = CalibrationSettings(
        population=args.population, seed=args.seed, batch=args.batch,
        max_simulations=args.max_simulations,
        priors=load_priors(args.priors, founding=world.founding_chosen),
        final_tolerance=args.final_tolerance,
    )  # fmt: skip
    result = abc_smc(
        world.compile(world.calendar.observed_until), targets, settings,
        progress=None if args.quiet else print,
    )  # fmt: skip
    check = predictive_check(result, scenario, args.seed, args.predictive_replicates)
    written = replace_folder(
        out, lambda folder: write_calibration(result, check, world, folder, out), kind="abc"
    )
    print(
        f"calibrated on {result.simulations:,} simulations in {result.seconds:.0f} s; "
        f"{len(result.theta)} particles (ESS {result.ess():.0f}); "
        f"wrote {len(written)} files to {out}/"
    )
    return 0


def _calibrate_likelihood(args, scenario, targets) -> int:
    """``sim calibrate --method likelihood``: the full-information posterior (sim.posterior)."""
    from sim.inference.posterior import Cohort, LikelihoodSettings, sample_posterior
    from sim.inference.predictive import predictive_check
    from sim.likelihood import observed_panel
    from sim.reports.calibration import write_calibration

    world = scenario.world
    for name in ("walkers", "steps"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name} must be a positive number, got {getattr(args, name)}")
    default = CALIBRATION_DIR / world.name / "likelihood"
    out = check_out_folder(args.out if args.out is not None else default)
    settings = LikelihoodSettings(
        walkers=args.walkers, steps=args.steps, burn=args.burn, seed=args.seed,
        priors=load_priors(args.priors, founding=world.founding_chosen),
    )  # fmt: skip
    cohort = Cohort(world.name, world.compile(world.calendar.observed_until), observed_panel(world))
    if args.sampler == "laplace":
        result = _laplace(args, [cohort], settings)
    else:
        result = sample_posterior([cohort], settings, progress=None if args.quiet else print)
    result.targets = targets
    check = predictive_check(result, scenario, args.seed, args.predictive_replicates)
    written = replace_folder(
        out, lambda folder: write_calibration(result, check, world, folder, out),
        kind="likelihood",
    )  # fmt: skip
    d = result.diagnostics
    quality = (f"Pareto k-hat {result.khat:.2f}" if result.sampler == "laplace"
               else f"largest R-hat {d.r_hat.max():.3f}")  # fmt: skip
    print(
        f"sampled {result.evaluations:,} likelihood evaluations in {result.seconds:.0f} s; "
        f"{len(result.theta):,} draws (re-weighted ESS {result.ess():.0f}, {quality}); "
        f"wrote {len(written)} files to {out}/"
    )
    return 0


def laplace_settings(args, settings):
    """The Laplace sampler's settings from the command line and the run's (seed, priors)."""
    from sim.inference.laplace import LaplaceSettings

    points = {} if args.fit_points is None else {"fit_points": args.fit_points}
    return LaplaceSettings(draws=args.draws, seed=settings.seed, priors=settings.priors, **points)


def _laplace(args, cohorts, settings):
    """``--sampler laplace``: :func:`sim.inference.laplace.laplace_posterior`, warned on k-hat."""
    import warnings

    from sim.inference.distributed import dask_evaluate
    from sim.inference.laplace import MAX_KHAT, MIN_DRAWS, laplace_posterior

    if args.draws < MIN_DRAWS:
        raise InputError(f"--draws must be at least {MIN_DRAWS} (for Pareto smoothing's k-hat), "
                         f"got {args.draws}", key="--draws")  # fmt: skip
    laplace = laplace_settings(args, settings)
    evaluate = dask_evaluate(args.scheduler) if args.scheduler else None
    result = laplace_posterior(cohorts, laplace, None if args.quiet else print, evaluate)
    if result.khat > MAX_KHAT:
        warnings.warn(
            f"Pareto k-hat {result.khat:.2f} > {MAX_KHAT}: the normal approximation is too far "
            "from the posterior for its importance weights to be trusted; use --sampler "
            "ensemble", stacklevel=2,
        )  # fmt: skip
    return result


def _per_cohort(args) -> tuple[str, ...] | None:
    if args.per_cohort is None:
        return None
    return _parameter_list(args.per_cohort, "--per-cohort")


def _parameter_list(text: str, option: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    for name in names:
        parameter(name, key=option)
    return names


def _alone(args, names: list[str]) -> dict[str, Path]:
    """Each world's posterior fitted alone: ``--alone WORLD=FOLDER``, else the default's.

    The default folder (calibration/WORLD/likelihood/) is looked in only for a run with the
    default output folder and priors, whose single-world runs write there.
    """
    from sim.inference.joint import default_alone

    given: dict[str, Path] = {}
    for entry in args.alone or []:
        name, sep, where = entry.partition("=")
        name, where = name.strip(), where.strip()
        if not sep or not name or not where:
            raise InputError(f"expected WORLD=FOLDER, got {entry!r}", key="--alone")
        if name not in names:
            raise InputError(
                f"{name!r}{suggest(name, names)} is not one of the worlds calibrated "
                f"({', '.join(names)})", key="--alone",
            )  # fmt: skip
        if name in given:
            raise InputError(f"the world {name!r} is given twice", key="--alone")
        path = Path(where)
        path = path / "posterior.parquet" if path.is_dir() else path
        if not path.is_file():
            raise InputError(
                f"no posterior for {name}: expected a folder holding posterior.parquet (as "
                "`sim calibrate --method likelihood` writes) or a .parquet file",
                source=str(path), key="--alone",
            )  # fmt: skip
        given[name] = path
    if args.out is None and args.priors is None:
        for name in names:
            if name not in given and default_alone(name).is_file():
                given[name] = default_alone(name)
    return {name: given[name] for name in names if name in given}


def _calibrate_joint(args) -> int:
    """``sim calibrate --method likelihood --worlds A,B``: one posterior for several worlds."""
    from sim.inference.joint import (
        check_fixed_agree,
        joint_checks,
        parse_worlds,
        posteriors_alone,
    )
    from sim.inference.posterior import Cohort, LikelihoodSettings, sample_posterior
    from sim.likelihood import observed_panel
    from sim.reports.joint import write_joint

    scenarios = parse_worlds(args.worlds)
    check_fixed_agree(scenarios)
    names = [s.world.name for s in scenarios]
    alone = _alone(args, names)
    priors = load_priors(
        args.priors, joint=True, founding=any(s.world.founding_chosen for s in scenarios)
    )
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
        pooled=_parameter_list(args.pool, "--pool") if args.pool is not None else (),
    )  # fmt: skip
    out = check_out_folder(args.out if args.out is not None else CALIBRATION_DIR / "joint")
    result = sample_posterior(cohorts, settings, progress=None if args.quiet else print)
    computed = {}
    if args.compute_alone:
        from sim.reports.joint import ALONE_FOLDER

        missing = [c for c in cohorts if c.name not in alone]
        computed = posteriors_alone(missing, settings, out / ALONE_FOLDER,
                                    progress=None if args.quiet else print)  # fmt: skip
    checks = joint_checks(result, scenarios, targets, args.seed, args.predictive_replicates, alone,
                          computed)  # fmt: skip
    if all(name in checks.alone_draws for name in names):
        from sim.analysis.baselines import compare_baselines

        if not args.quiet:
            print("scoring the simpler models to beat, leave one cohort out")
        checks.baselines = compare_baselines(
            [s.world for s in scenarios], checks.alone_draws, args.predictive_replicates,
            args.seed, result.settings.priors,
        )  # fmt: skip
    written = replace_folder(
        out, lambda folder: write_joint(result, checks, scenarios, targets, folder), kind="joint"
    )
    print(
        f"sampled {result.evaluations:,} likelihood evaluations in {result.seconds:.0f} s for "
        f"{', '.join(names)}; {len(result.theta):,} draws (re-weighted ESS {result.ess():.0f}); "
        f"wrote {len(written)} files to {out}/"
    )
    return 0
