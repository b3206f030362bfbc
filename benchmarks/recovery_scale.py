"""Recovery at scale: a simulated panel of thousands, calibrated by the Laplace sampler.

1. A world of K copies of a shipped cohort (:mod:`worlds`: ties within each copy, so every
   researcher has the cohort's few colleagues however big the panel).
2. One history simulated by the ensemble engine at known parameters: the world's committed
   likelihood posterior mean (``calibration/WORLD/likelihood/posterior.parquet``, weighted), a
   draw the shipped history makes plausible.
3. Every move blurred to an interval of months as the shipped history's are
   (:func:`sim.likelihood.interval_censored`, the widths drawn from the source world's own
   ``observed.csv`` moves, certain ones included), written as the copy's ``observed.csv`` and
   read back by the loader, which checks it as it checks a user's.
4. The posterior by :func:`sim.inference.laplace.laplace_posterior` (what ``sim calibrate
   --method likelihood --sampler laplace`` runs, without the predictive check and the files),
   under the declared priors; above 1,000 researchers its mode search starts from a pilot fit.
5. Each parameter's z-score, (posterior mean - truth) / posterior sd; recovered when every
   |z| < 3.

Run: ``python benchmarks/recovery_scale.py --copies 72`` (1,008 researchers) or ``--copies 715``
(10,010). Prints the wall times of the steps, k-hat, the ESS and the z-scores;
``tests/statistical/test_recovery_scale.py`` runs the 1,008-researcher case (slow tier).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from likelihood import posterior_mean  # noqa: E402
from worlds import DATA, copy_world  # noqa: E402

from sim.engines.simulate import simulate  # noqa: E402
from sim.inference.laplace import LaplaceSettings, laplace_posterior  # noqa: E402
from sim.inference.posterior import Cohort  # noqa: E402
from sim.kernel.behavior import PARAMETER_NAMES  # noqa: E402
from sim.kernel.streams import replicate_seeds  # noqa: E402
from sim.likelihood import complete_panel, interval_censored, observed_panel  # noqa: E402
from sim.world import load_world  # noqa: E402
from sim.world.merges import merged  # noqa: E402


@dataclasses.dataclass(frozen=True)
class RecoveryRun:
    """What one recovery run found: the table per parameter and the run's facts."""

    table: pd.DataFrame  # parameter, truth, posterior mean and sd, z
    researchers: int
    moves: int
    khat: float
    ess: float
    draws: int
    evaluations: int
    pilot: dict
    seconds: dict  # per step

    @property
    def recovered(self) -> bool:
        """Every parameter within 3 posterior sds of the truth."""
        return bool((self.table["z"].abs() < 3).all())


def shipped_widths(source: Path) -> np.ndarray:
    """The widths in months of every move of a shipped world's observed history."""
    observed = load_world(source).observed
    return np.array([m.latest - m.earliest + 1 for m in observed.moves])


def write_observed(folder: Path, compiled, panel) -> None:
    """``panel``'s moves as the world's ``observed.csv`` (lab names, calendar months)."""
    world = compiled.world
    calendar, labs, merge_into = world.calendar, world.labs, compiled.timeline.merge_into
    rows = []
    for i, name in enumerate(world.researchers):
        lab, t = int(compiled.start_labs[i]), 0
        if panel.chain[i] == panel.chain[i + 1]:  # stayed at the start lab throughout
            rows.append((name, "", "", "", "", "simulated", "S", "stayed"))
        for k in range(panel.chain[i], panel.chain[i + 1]):
            lo, hi, to = int(panel.earliest[k]), int(panel.latest[k]), int(panel.to[k])
            while t < lo:  # where merges have taken them before the interval (as the loader reads)
                lab = merged(lab, t, merge_into)
                t += 1
            rows.append((name, calendar.label(lo), calendar.label(hi), labs[lab], labs[to],
                         "simulated", "S", "benchmarks/recovery_scale.py"))  # fmt: skip
            lab = to
    columns = ["name", "earliest", "latest", "from", "to", "source", "certainty", "notes"]
    pd.DataFrame(rows, columns=columns).to_csv(folder / "observed.csv", index=False)


def recover(world: str = "llama", copies: int = 72, draws: int = 1000, seed: int = 2027,
            max_evaluations: int = 2000, progress=print,
            complete: bool = False) -> RecoveryRun:  # fmt: skip
    """Simulate, censor, write, read back and calibrate a panel of ``copies`` copies of ``world``.

    ``max_evaluations`` is the mode search's budget in evaluations of the full panel. With
    ``complete`` every move keeps its month (no censoring): the likelihood then needs no
    imputation of colleagues' months, which separates a bias of that imputation from others.
    """
    source = DATA / world
    truth = posterior_mean(world)
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        folder = copy_world(copies, Path(tmp) / "world", source)
        copied = load_world(folder)
        compiled = copied.compile(copied.calendar.observed_until)
        labs = simulate(compiled, truth, replicate_seeds(seed, 1)).labs[0]
        rng = np.random.default_rng(seed)
        written = complete_panel(compiled, labs)
        if not complete:
            written = interval_censored(compiled, written, shipped_widths(source), rng)
        write_observed(folder, compiled, written)
        loaded = load_world(folder)
        panel = observed_panel(loaded)
        # the loader's panel is the one written (its earliest months may be later: a move to
        # a lab founded inside its interval is read from the founding month)
        assert np.array_equal(panel.chain, written.chain), "observed.csv lost or gained moves"
        assert np.array_equal(panel.to, written.to) and np.all(panel.latest == written.latest)
        cohort = Cohort(world, loaded.compile(loaded.calendar.observed_until), panel)
        seconds["simulate, censor, write and read"] = time.perf_counter() - started
        settings = LaplaceSettings(draws=draws, seed=seed, max_evaluations=max_evaluations)
        started = time.perf_counter()
        result = laplace_posterior([cohort], settings, progress)
        seconds["calibrate (laplace)"] = time.perf_counter() - started
    d = result.diagnostics.set_index("parameter")
    calibrated = [k for k, n in enumerate(PARAMETER_NAMES) if n in d.index]  # not the held
    d = d.loc[[PARAMETER_NAMES[k] for k in calibrated]]
    table = pd.DataFrame({
        "parameter": list(d.index), "truth": truth[calibrated],
        "posterior_mean": d["posterior_mean"].to_numpy(),
        "posterior_sd": d["posterior_sd"].to_numpy(),
    })  # fmt: skip
    table["z"] = (table["posterior_mean"] - table["truth"]) / table["posterior_sd"]
    return RecoveryRun(table, panel.n_researchers, int(panel.chain[-1]), result.khat,
                       result.ess(), draws, result.evaluations, result.pilot, seconds)  # fmt: skip


def main() -> None:
    """Run one recovery and print what it found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", default="llama", choices=("llama", "openai-founders"))
    parser.add_argument("--copies", type=int, default=72)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--max-evaluations", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--complete", action="store_true",
                        help="keep every move's month (no interval censoring)")  # fmt: skip
    args = parser.parse_args()
    started = time.perf_counter()

    def progress(line: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {line}", flush=True)

    run = recover(args.world, args.copies, args.draws, args.seed, args.max_evaluations, progress,
                  args.complete)  # fmt: skip
    print(
        f"{run.researchers:,} researchers, {run.moves:,} moves; {run.draws:,} proposals, "
        f"{run.evaluations:,} evaluations of the full panel; pilot: {run.pilot or 'none'}"
    )
    for step, s in run.seconds.items():
        print(f"  {step}: {s:,.0f} s")
    print(f"k-hat {run.khat:.2f}, importance-sampling ESS {run.ess:.0f}")
    print(run.table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print(f"recovered (every |z| < 3): {run.recovered}; largest |z| "
          f"{run.table['z'].abs().max():.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
