"""Make the documentation's gallery: real runs with small replicate counts, their figures copied.

Runs, through the ``sim`` command's own entry point, in a temporary folder:

* ``sim run baseline``: the calibrated LLaMA baseline (retention.png);
* ``sim compare --all``: the baseline against every counterfactual (retention, difference and
  destinations figures);
* a copy of the committed calibration report's predictive check (calibration/llama/ppc.png);
* ``sim sensitivity sweeps/morris-quick.toml``: Morris screening of the twelve parameters;
* ``sim explain baseline`` where the command exists: the Shapley attribution of the exodus;
* the OpenAI co-founders' baseline and comparison where their posterior exists;

then copies the PNGs (at the dpi the library writes them) into docs/gallery/ and writes
docs/gallery/index.md, with the command behind each figure. How long each command took is
printed, not written into the page, so that a second run writes the same files (``make results``
leaves a clean checkout clean). A few minutes at most on two cores::

    .venv/bin/python scripts/gallery.py                 # 500 replicates per scenario
    .venv/bin/python scripts/gallery.py --replicates 200
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
GALLERY = ROOT / "docs" / "gallery"
OPENAI = "scenarios/openai-founders/baseline.toml"


@dataclass
class Figure:
    """One figure of the gallery: where it came from and what it shows."""

    name: str  # file name in docs/gallery/
    title: str
    caption: str
    command: str  # the command that made it (as a user would type it)
    seconds: float | None = None  # how long that command took here
    note: str = ""  # said after the command


def sim(*args: str) -> float:
    """Run ``sim ARGS`` in this process; return the seconds it took (exit status must be 0)."""
    from sim.cli import main

    start = time.perf_counter()
    status = main([str(a) for a in args])
    if status != 0:
        raise SystemExit(f"gallery: `sim {' '.join(map(str, args))}` exited with status {status}")
    return time.perf_counter() - start


def has_command(name: str) -> bool:
    """Whether ``sim NAME`` exists (``sim explain`` and ``sim app`` are recent)."""
    import argparse as ap

    from sim.cli import build_parser

    for action in build_parser()._actions:
        if isinstance(action, ap._SubParsersAction):
            return name in action.choices
    return False


def make(work: Path, replicates: int) -> list[tuple[str, list[tuple[Figure, Path]]]]:
    """Run everything into ``work``; return the gallery's sections, each (title, figures)."""
    n = str(replicates)
    sections = []

    took = sim("run", "baseline", "--replicates", n, "--out", work / "baseline")
    run = f"sim run baseline --replicates {n}"
    sections.append(("The baseline", [
        (Figure("baseline-retention.png", "Retention of the 14 LLaMA authors at Meta",
                "Share of the cohort still at Meta, month by month: mean with 50% and 90% bands "
                "over replicates (each with its own posterior draw); the black steps are the "
                "observed history (the latest and the earliest reading of each move).",
                run, took), work / "baseline" / "retention.png"),
    ]))  # fmt: skip

    took = sim("compare", "--all", "--replicates", n, "--out", work / "compare")
    run = f"sim compare --all --replicates {n}"
    sections.append(("Counterfactuals", [
        (Figure("compare-retention.png", "Retention by scenario",
                "One panel per counterfactual against the baseline (grey), with the same "
                "replicate seeds and posterior draws: mean with 50% and 90% bands.",
                run, took), work / "compare" / "retention.png"),
        (Figure("compare-difference.png", "Paired difference from the baseline",
                "Each scenario's retention minus the baseline's in the same replicate (common "
                "random numbers): mean with 50% and 90% bands. Above zero: more stay.",
                run), work / "compare" / "difference.png"),
        (Figure("compare-destinations.png", "Destinations",
                "Mean number of the cohort at each lab at the checkpoint month, per scenario.",
                run), work / "compare" / "destinations.png"),
    ]))  # fmt: skip

    llama = ROOT / "calibration" / "llama"
    minutes = json.loads((llama / "manifest.json").read_text())["timing"]["seconds"] / 60
    checks = len(pd.read_parquet(llama / "predictive.parquet", columns=["replicate"]))
    sections.append(("Calibration", [
        (Figure("calibration-ppc.png", "Posterior predictive check of the LLaMA calibration",
                f"The committed calibration's check (calibration/llama/ppc.png, {checks:,} "
                "replicates): each target statistic re-simulated from the posterior and from the "
                "prior, against the observed value, with the yardstick of the simplest model "
                "that explains the counts.",
                "sim calibrate", note=f"copied from calibration/llama/ (it took {minutes:.1f} "
                "minutes, its manifest.json says)"),
         llama / "ppc.png"),
    ]))  # fmt: skip

    took = sim("sensitivity", ROOT / "sweeps" / "morris-quick.toml", "--out", work / "morris")
    sections.append(("Sensitivity", [
        (Figure("sensitivity-morris.png", "Morris screening of the twelve behavioural parameters",
                "mu_star (mean absolute elementary effect, with its bootstrap interval) of each "
                "parameter on each output, over the declared bounds, beside the seed-noise "
                "floor: an effect below the floor cannot be told from luck. 208 points x 100 "
                "replicates.",
                "sim sensitivity sweeps/morris-quick.toml", took),
         work / "morris" / "sensitivity.png"),
    ]))  # fmt: skip

    if has_command("explain"):
        m = str(min(replicates, 100))
        took = sim("explain", "baseline", "--replicates", m, "--out", work / "explain")
        run = f"sim explain baseline --replicates {m}"
        sections.append(("Explaining the exodus", [
            (Figure("explain-waterfall.png", "What made them leave: Shapley attribution",
                    "Each cause's Shapley value: its average effect on the number gone from Meta "
                    "at the checkpoint, over every order in which the causes could have been "
                    "switched on; the values add up to the difference from 'every cause off'. "
                    "Posterior and prior side by side.",
                    run, took), work / "explain" / "waterfall.png"),
            (Figure("explain-by-month.png", "Attribution month by month",
                    "Each cause's contribution to the share of the cohort at Meta, month by "
                    "month up to the checkpoint; the line is the total.",
                    run), work / "explain" / "by_month.png"),
        ]))  # fmt: skip

    if (ROOT / "calibration" / "openai-founders" / "posterior.parquet").exists():
        out = work / "openai"
        took = sim("compare", "--all", "--reference", ROOT / OPENAI, "--replicates", n,
                   "--out", out)  # fmt: skip
        sections.append(("The OpenAI co-founders", [
            (Figure("openai-compare-retention.png",
                    "The 11 OpenAI co-founders: retention by scenario",
                    "The second shipped world: the baseline against its counterfactuals.",
                    f"sim compare --all --reference {OPENAI} --replicates {n}", took),
             out / "retention.png"),
        ]))  # fmt: skip
    return sections


def page(sections, replicates: int) -> str:
    """The gallery's Markdown page."""
    lines = [
        "# Gallery",
        "",
        "Figures from real runs, as the library writes them, made by `scripts/gallery.py` "
        f"({replicates} replicates per scenario; `make run` uses 2,000). Remake them with:",
        "",
        "```bash",
        ".venv/bin/python scripts/gallery.py",
        "```",
        "",
    ]
    for title, figures in sections:
        lines += [f"## {title}", ""]
        for figure, _ in figures:
            note = f", {figure.note}" if figure.note else ""
            lines += [
                f"### {figure.title}",
                "",
                f"![{figure.title}]({figure.name})",
                "",
                figure.caption,
                "",
                f"Made by `{figure.command}`{note}.",
                "",
            ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Make the gallery."""
    from sim.results import check_out_folder, replace_folder

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=500,
                        help="replicates per scenario (default %(default)s)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=GALLERY,
                        help="the gallery folder (default docs/gallery)")  # fmt: skip
    args = parser.parse_args(argv)
    check_out_folder(args.out)  # the output-folder policy, before any work
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sim-gallery-") as tmp:
        sections = make(Path(tmp), args.replicates)
        total = time.perf_counter() - start

        def write(folder: Path) -> list[Path]:
            for _, figures in sections:
                for figure, source in figures:
                    shutil.copyfile(source, folder / figure.name)
            text = page(sections, args.replicates)
            (folder / "index.md").write_text(text, encoding="utf-8")
            return list(folder.iterdir())

        # an earlier gallery's figures are replaced, anything else in the folder is kept
        replace_folder(args.out, write, kind="gallery")
    count = sum(len(f) for _, f in sections)
    for _, figures in sections:
        for figure, _ in figures:
            if figure.seconds is not None:
                print(f"  {figure.name}: `{figure.command}` took {figure.seconds:.0f} s")
    print(f"gallery: {count} figures and index.md in {args.out} ({total:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
