"""Global sensitivity analysis of a sweep, with the seed-noise floor beside the indices.

Sobol' designs give first-order and total indices, S1 and ST, with bootstrap confidence
half-widths (Sobol' 2001; Saltelli 2002; Saltelli et al. 2010, doi:10.1016/j.cpc.2009.09.018;
Jansen 1999 for ST), and S2 where the design has second-order points. Morris designs give the
elementary-effect statistics mu, mu_star (with a bootstrap half-width) and sigma (Morris 1991,
doi:10.1080/00401706.1991.10484804; Campolongo, Cariboni & Saltelli 2007,
doi:10.1016/j.envsoft.2006.10.004). Both are computed by SALib (Herman & Usher 2017,
doi:10.21105/joss.00097; Iwanaga, Usher & Herman 2022, doi:10.18174/sesmo.18155) on the
replicate means of each design point.

A replicate mean is itself noisy, and SALib reads that noise as if it were a parameter's effect.
:func:`noise_floor` measures it (see there); an index below the floor cannot be told from luck.

The analysis returns a :class:`Sensitivity`; :func:`sim.reports.sensitivity.write_sensitivity`
writes its files (sensitivity.csv, sensitivity.png, sensitivity.md, noise.parquet).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.sweep import Sweep, as_sweep, design_points, evaluate_points
from sim.analysis.sweep_run import run_sweep
from sim.errors import InputError

#: The columns of the tidy index table (sensitivity.csv).
COLUMNS = ("output", "parameter", "index", "value", "conf")
#: The ``parameter`` label of the seed-noise rows.
NOISE = "seed_noise"


def noise_floor(sweep: Sweep, results: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Re-run a few points with independent seeds to measure the noise of a replicate mean.

    ``m`` design points, evenly spaced in point order (``noise_points`` in the spec), are
    simulated again with :meth:`Sweep.noise_seeds`. For output y, with replicate means
    ``a_i`` (the sweep's seeds) and ``b_i`` (the second seeds) at point i::

        sigma2_noise = sum_i (a_i - b_i)**2 / (2 m)        # variance of one replicate mean
        noise_var_ratio = sigma2_noise / Var_j(a_j)          # Var over all design points

    ``noise_var_ratio`` is on the scale of S1 and ST (a share of the output variance): the share
    of the variance across the design that is seed noise. With common random numbers the noise is
    positively correlated between points, so its effect on the indices is if anything smaller; the
    floor is conservative. Its ``conf`` is a 95% half-width from the chi-square approximation,
    ``1.96 * ratio * sqrt(2 / m)``.

    For Morris, a pure-noise elementary effect (a_i - a_k) / delta has
    ``mu_star_noise = E|N(0, 2 sigma2_noise)| / delta = 2 sigma_noise / (sqrt(pi) delta)``, with
    ``delta = num_levels / (2 (num_levels - 1))`` (SALib's unscaled step).

    Returns:
        The tidy noise rows (columns :data:`COLUMNS`), and the re-evaluated points
        (``point``, then ``<output>_mean`` and ``<output>_sd`` under the second seeds).
    """
    spec = sweep.spec
    design = design_points(sweep)
    m = min(spec.noise_points, len(design))
    rows = np.unique(np.linspace(0, len(design) - 1, m).round().astype(np.int64))
    again = evaluate_points(
        sweep.scenario.compile(), sweep.theta(design.iloc[rows]), sweep.noise_seeds(),
        list(spec.outputs),
    )  # fmt: skip
    redo = pd.DataFrame({"point": design["point"].to_numpy()[rows], **again})
    table = []
    for name in spec.outputs:
        a = results[f"{name}_mean"].to_numpy()
        diff = a[rows] - redo[f"{name}_mean"].to_numpy()
        sigma2 = float(np.sum(diff**2) / (2 * len(rows)))
        spread = float(np.var(a, ddof=1)) if len(a) > 1 else 0.0
        ratio = sigma2 / spread if spread > 0 else np.nan
        table.append((name, NOISE, "noise_var_ratio", ratio, 1.96 * ratio * np.sqrt(2 / len(rows))))
        if spec.design == "morris":
            levels = spec.num_levels or 4
            delta = levels / (2 * (levels - 1))
            table.append(
                (
                    name,
                    NOISE,
                    "mu_star_noise",
                    2 * np.sqrt(sigma2) / (np.sqrt(np.pi) * delta),
                    np.nan,
                )
            )
    return pd.DataFrame(table, columns=list(COLUMNS)), redo


def indices(sweep: Sweep, results: pd.DataFrame) -> pd.DataFrame:
    """SALib's indices for every output, as a tidy table (columns :data:`COLUMNS`).

    Sobol': rows ``S1`` and ``ST`` (conf: their ``_conf`` half-widths) and, with second order,
    ``S2`` with parameter ``"a:b"``. Morris: ``mu_star`` (conf ``mu_star_conf``), ``mu`` and
    ``sigma`` (no conf). The bootstrap is seeded with the sweep's seed.

    Raises:
        InputError: the design is not sobol or morris.
    """
    spec = sweep.spec
    _check_design(sweep)
    prob = sweep.problem()
    names = sweep.names
    rows = []
    for name in spec.outputs:
        y = results[f"{name}_mean"].to_numpy(dtype=np.float64)
        if spec.design == "sobol":
            from SALib.analyze import sobol

            second = True if spec.calc_second_order is None else spec.calc_second_order
            with np.errstate(divide="ignore", invalid="ignore"):
                si = sobol.analyze(prob, y, calc_second_order=second, seed=sweep.seed)
            for k, p in enumerate(names):
                rows.append((name, p, "S1", si["S1"][k], si["S1_conf"][k]))
                rows.append((name, p, "ST", si["ST"][k], si["ST_conf"][k]))
            if second:
                for i, j in zip(*np.triu_indices(len(names), 1), strict=True):
                    rows.append(
                        (name, f"{names[i]}:{names[j]}", "S2", si["S2"][i, j], si["S2_conf"][i, j])
                    )
        else:
            from SALib.analyze import morris

            x = results[names].to_numpy(dtype=np.float64)
            si = morris.analyze(prob, x, y, num_levels=spec.num_levels or 4, seed=sweep.seed)
            for k, p in enumerate(names):
                rows.append((name, p, "mu_star", si["mu_star"][k], si["mu_star_conf"][k]))
                rows.append((name, p, "mu", si["mu"][k], np.nan))
                rows.append((name, p, "sigma", si["sigma"][k], np.nan))
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["value"] = frame["value"].astype(np.float64)
    frame["conf"] = frame["conf"].astype(np.float64)
    return frame


def _check_design(sweep: Sweep) -> None:
    if sweep.spec.design not in ("sobol", "morris"):
        raise InputError(
            f"sensitivity indices need design = 'sobol' or 'morris', not {sweep.spec.design!r}",
            source=sweep.source,
            key="design",
        )


@dataclass(frozen=True)
class Sensitivity:
    """A sweep's sensitivity indices with the seed-noise floor beside them.

    Attributes:
        sweep: the sweep analysed.
        results: the sweep's results, one row per point (:func:`sim.analysis.sweep_run.run_sweep`).
        table: the tidy index table (columns :data:`COLUMNS`): SALib's indices
            (:func:`indices`), then the seed-noise rows (:func:`noise_floor`).
        noise_points: the points re-run for the noise floor, under the second seeds.
    """

    sweep: Sweep
    results: pd.DataFrame
    table: pd.DataFrame
    noise_points: pd.DataFrame


def run_sensitivity(
    spec: Sweep | str | Path,
    out: str | Path,
    workers: int | None = None,
    scheduler=None,
    progress: bool | None = None,
) -> Sensitivity:
    """Run or resume the sweep into ``out``, then compute its indices and noise floor.

    Finished chunks in ``out`` are reused (:func:`sim.analysis.sweep_run.run_sweep`).
    :func:`sim.reports.sensitivity.write_sensitivity` writes the result's files.

    Raises:
        InputError: a bad sweep file, a design other than sobol or morris, or ``out`` holding a
            different sweep.
    """
    sweep = as_sweep(spec)
    out = Path(out)
    _check_design(sweep)  # before a long sweep, not after it
    results = run_sweep(sweep, out, workers=workers, scheduler=scheduler, progress=progress)
    table = indices(sweep, results)
    noise, redo = noise_floor(sweep, results)
    table = pd.concat([table, noise], ignore_index=True)
    return Sensitivity(sweep=sweep, results=results, table=table, noise_points=redo)
