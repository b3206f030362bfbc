r"""The Laplace sampler's posterior beside the ensemble sampler's, on the shipped cohorts: a table.

For each world, a committed ensemble posterior (the data-augmented likelihood, exact in the
uncertain months; ``--ensemble WORLD=FILE``, by default ``calibration/WORLD/likelihood/``) and a
posterior of ``sim calibrate --method likelihood --sampler laplace`` on the same world (the
interval-summed likelihood, colleagues read at the middle of their intervals; a folder given with
``--laplace``), per parameter: the posterior means and their difference in ensemble posterior
sds, the 90% intervals, and the contractions against the declared priors. The Laplace run's
k-hat, importance-sampling ESS, evaluations and wall time are read from its report and manifest.
The two must share the likelihood's integration: the committed comparison uses the
founding-chosen posteriors (``calibration/WORLD/founding/``), sampled on the current one.

Usage::

    sim calibrate --method likelihood --sampler laplace \
        --scenario scenarios/baseline.toml --out /tmp/laplace/llama
    sim calibrate --method likelihood --sampler laplace \
        --scenario scenarios/openai-founders/baseline.toml --out /tmp/laplace/openai-founders
    python scripts/laplace_vs_ensemble.py \
        --laplace llama=/tmp/laplace/llama \
        --ensemble llama=calibration/llama/founding/posterior.parquet \
        --laplace openai-founders=/tmp/laplace/openai-founders \
        --ensemble openai-founders=calibration/openai-founders/founding/posterior.parquet

writes ``calibration/laplace-vs-ensemble.md`` (``--out``), which docs/how-to/calibrate.md
quotes.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.params import PARAMETER_SPACE
from sim.config.posterior_file import load_posterior
from sim.inference.diagnostics import contraction, weighted_quantile
from sim.kernel.behavior import PARAMETER_NAMES
from sim.paths import PROJECT_ROOT

OUT = PROJECT_ROOT / "calibration" / "laplace-vs-ensemble.md"


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: weighted mean, sd, 5% and 95% quantiles, contraction."""
    w = frame["weight"].to_numpy() if "weight" in frame else np.ones(len(frame))
    w = w / w.sum()
    rows = []
    for name in PARAMETER_NAMES:
        x = frame[name].to_numpy()
        mean = float(w @ x)
        rows.append({"parameter": name, "mean": mean, "sd": float(np.sqrt(w @ (x - mean) ** 2)),
                     "q05": weighted_quantile(x, w, 0.05),
                     "q95": weighted_quantile(x, w, 0.95)})  # fmt: skip
    table = pd.DataFrame(rows)
    table["contraction"] = table["parameter"].map(contraction(frame, PARAMETER_SPACE))
    return table


def compare(ensemble: pd.DataFrame, laplace: pd.DataFrame) -> pd.DataFrame:
    """The two summaries side by side, with the differences in ensemble sds.

    Only the parameters either posterior calibrates: one held in both (the founding weights of
    a world where founding is given) has nothing to compare.
    """
    e, a = summary(ensemble), summary(laplace)
    free = ((e["sd"] > 1e-9) | (a["sd"] > 1e-9)).to_numpy()
    e, a = e[free].reset_index(drop=True), a[free].reset_index(drop=True)
    return pd.DataFrame({
        "parameter": e["parameter"],
        "ensemble_mean": e["mean"], "laplace_mean": a["mean"],
        "mean_difference_sd": (a["mean"] - e["mean"]) / e["sd"],
        "ensemble_q05": e["q05"], "ensemble_q95": e["q95"],
        "laplace_q05": a["q05"], "laplace_q95": a["q95"],
        "width_ratio": (a["q95"] - a["q05"]) / (e["q95"] - e["q05"]),
        "ensemble_contraction": e["contraction"], "laplace_contraction": a["contraction"],
    })  # fmt: skip


def run_facts(folder: Path) -> dict:
    """k-hat, ESS, evaluations, wall time and commit of a Laplace run, from its own files."""
    report = (folder / "report.md").read_text()
    manifest = json.loads((folder / "manifest.json").read_text())

    def find(pattern):
        match = re.search(pattern, report)
        if match is None:
            raise SystemExit(f"{folder}/report.md: no {pattern!r}: not a --sampler laplace run?")
        return match.group(1)

    return {"khat": float(find(r"Pareto k-hat (-?[\d.]+|-?inf)")),
            "ess": int(find(r"effective sample size (\d+) of")),
            "draws": int(find(r"of ([\d,]+) \(largest weight").replace(",", "")),
            "evaluations": int(find(r"likelihood evaluations ([\d,]+)").replace(",", "")),
            "seconds": manifest["timing"]["seconds"],
            "commit": manifest["git_commit"][:10]}  # fmt: skip


def markdown(worlds: dict[str, tuple[pd.DataFrame, dict]]) -> str:
    """The committed table: per world, the run's facts and the comparison."""
    lines = [
        "# The Laplace sampler beside the ensemble sampler on the shipped cohorts",
        "",
        "Written by `scripts/laplace_vs_ensemble.py` (do not edit). Ensemble: a committed "
        "posterior of the ensemble sampler (data-augmented likelihood, exact in the uncertain "
        "months; named per world below). Laplace: `sim calibrate --method likelihood "
        "--sampler laplace` with its defaults (the interval-summed likelihood: each "
        "researcher's own uncertain months summed, colleagues read at the middle of their "
        "intervals). Both under the declared priors. `diff / sd`: the difference of the means "
        "in ensemble posterior sds; `width`: the Laplace 90% interval's width over the "
        "ensemble's.",
        "",
    ]
    for world, (table, facts) in worlds.items():
        lines += [
            f"## {world}",
            "",
            f"Ensemble: `{facts['ensemble']}`.",
            "",
            f"Laplace run: Pareto k-hat {facts['khat']:.2f}, importance-sampling ESS "
            f"{facts['ess']:,} of {facts['draws']:,}, {facts['evaluations']:,} likelihood "
            f"evaluations in {facts['seconds']:.0f} s (commit {facts['commit']}; the wall time of "
            "the run on the project's 2-core machine, shared with other runs at the time).",
            "",
            "| parameter | ensemble mean | Laplace mean | diff / sd | ensemble 90% | Laplace 90% "
            "| width | contraction ensemble | contraction Laplace |",
            "|---|---|---|---|---|---|---|---|---|",
            *[
                f"| {r.parameter} | {r.ensemble_mean:.2f} | {r.laplace_mean:.2f} | "
                f"{r.mean_difference_sd:+.2f} | {r.ensemble_q05:.2f} .. {r.ensemble_q95:.2f} | "
                f"{r.laplace_q05:.2f} .. {r.laplace_q95:.2f} | {r.width_ratio:.2f} | "
                f"{r.ensemble_contraction:.2f} | {r.laplace_contraction:.2f} |"
                for r in table.itertuples()
            ],
            "",
            f"Largest |diff / sd| {table['mean_difference_sd'].abs().max():.2f} "
            f"({table.loc[table['mean_difference_sd'].abs().idxmax(), 'parameter']}); "
            f"interval widths {table['width_ratio'].min():.2f} .. "
            f"{table['width_ratio'].max():.2f} of the ensemble's; largest contraction "
            "difference "
            f"{(table['laplace_contraction'] - table['ensemble_contraction']).abs().max():.2f}.",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    """Compare each ``--laplace`` folder with its world's ensemble posterior; write ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laplace", action="append", required=True, metavar="WORLD=FOLDER",
                        help="a --sampler laplace output folder of a shipped world")  # fmt: skip
    parser.add_argument("--ensemble", action="append", default=[], metavar="WORLD=FILE",
                        help="the ensemble posterior to compare WORLD's with (default: "
                             "calibration/WORLD/likelihood/posterior.parquet)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.out.resolve() != OUT.resolve() and args.out.exists():
        parser.exit(2, f"error: {args.out} exists; give a new file (only the default {OUT.name} "
                       "is rewritten, as this script wrote it)\n")  # fmt: skip
    chosen = dict(entry.partition("=")[::2] for entry in args.ensemble)
    worlds = {}
    for entry in args.laplace:
        world, _, folder = entry.partition("=")
        default = PROJECT_ROOT / "calibration" / world / "likelihood" / "posterior.parquet"
        ensemble = Path(chosen.get(world, default))
        table = compare(
            load_posterior(ensemble), load_posterior(Path(folder) / "posterior.parquet")
        )
        facts = run_facts(Path(folder))
        inside = ensemble.resolve().is_relative_to(PROJECT_ROOT)
        facts["ensemble"] = (ensemble.resolve().relative_to(PROJECT_ROOT) if inside
                             else ensemble).as_posix()  # fmt: skip
        worlds[world] = (table, facts)
    args.out.write_text(markdown(worlds))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
