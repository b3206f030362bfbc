"""Big worlds for the benchmarks: K copies of a shipped cohort, its observed history copied too.

A copy is the source world's cohort with every name but the first copy's suffixed `` #k``; ties
stay within each copy (sparse: a copy's ties never reach another copy), and a founder of a lab
is a founder in every copy. The labs, their attributes and events are the source's. A source
without ties.csv has everyone tied to everyone with weight 1 (:mod:`sim.world.loading`); its
copies get that complete graph within each copy written out, so K copies are K separate
cliques, not one of K x n researchers.

Copies of LLaMA (14 researchers): K = 1, 72, 715 give 14, 1,008 and 10,010 researchers; of the
OpenAI founders (11): K = 1, 91, 910 give 11, 1,001 and 10,010.
"""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "sim" / "data"
LLAMA = DATA / "llama"
OPENAI = DATA / "openai-founders"
#: Copies giving about 14, 1,000 and 10,000 researchers, per shipped world.
COPIES = {"llama": (1, 72, 715), "openai-founders": (1, 91, 910)}


def _named(k: int):
    return (lambda n: n) if k == 0 else (lambda n: f"{n} #{k}")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def copy_world(copies: int, folder: Path, source: Path = LLAMA) -> Path:
    """``copies`` copies of the ``source`` cohort, tied within each copy, written to ``folder``.

    Founding is given in the copies (every lab from its ``labs.csv`` month), whatever the source
    declares: a potential lab is one lab for every copy, so the first founder of any copy would
    found it for all of them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("attributes.csv", "events.csv"):
        (folder / name).write_text((source / name).read_text())
    toml = re.sub(
        r"(?m)^founding\s*=.*$", 'founding = "given"', (source / "world.toml").read_text()
    )
    (folder / "world.toml").write_text(toml)
    cohort = _read(source / "cohort.csv")
    labs = _read(source / "labs.csv")
    if (source / "ties.csv").exists():
        ties = _read(source / "ties.csv")
    else:  # everyone tied to everyone, as the loader reads a world without ties.csv
        ties = pd.DataFrame(
            [(a, b, "1.0", "everyone tied (no ties.csv)")
             for a, b in combinations(cohort["name"], 2)],
            columns=["a", "b", "weight", "rationale"],
        )  # fmt: skip
    pd.concat([cohort.assign(name=cohort["name"].map(_named(k))) for k in range(copies)]).to_csv(
        folder / "cohort.csv", index=False
    )
    pd.concat(
        [ties.assign(a=ties["a"].map(_named(k)), b=ties["b"].map(_named(k))) for k in range(copies)]
    ).to_csv(folder / "ties.csv", index=False)
    labs["founders"] = labs["founders"].map(
        lambda f: ";".join(_named(k)(p) for k in range(copies) for p in f.split(";") if p)
    )
    labs.to_csv(folder / "labs.csv", index=False)
    return folder


def copy_history(copies: int, folder: Path, source: Path = LLAMA) -> None:
    """The source's history (observed.csv) once per copy, the names as :func:`copy_world` made."""
    observed = _read(source / "observed.csv")
    parts = [observed.assign(name=observed["name"].map(_named(k))) for k in range(copies)]
    pd.concat(parts).to_csv(folder / "observed.csv", index=False)
