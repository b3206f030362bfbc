"""Writing result files atomically, and the provenance every manifest carries.

Every file is written to a temporary name in the same folder and renamed into place, so a run
that fails or is killed leaves either the old file or the new one, never half of one. Whole
result folders go through the output-folder policy (:mod:`sim.results.output_folder`). Each
manifest records what was run, with which parameters and seeds, by which package version at
which git commit (:func:`provenance`).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sim.paths import PROJECT_ROOT

PACKAGE = "llama-exodus-sim"


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    """Write a text file atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text))


def write_json(path: Path, data) -> Path:
    """Write a JSON file atomically (numpy scalars and paths become plain values)."""
    return write_text(path, json.dumps(data, indent=2, default=_plain) + "\n")


def write_frame(path: Path, frame) -> Path:
    """Write a DataFrame atomically as Parquet or CSV, by the file's suffix."""
    if Path(path).suffix == ".parquet":
        return write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))


def save_figure(path: Path, figure) -> Path:
    """Save a matplotlib figure atomically and close it."""
    import matplotlib.pyplot as plt

    fmt = Path(path).suffix.lstrip(".") or "png"
    try:
        return write_atomic(path, lambda tmp: figure.savefig(tmp, format=fmt, dpi=120))
    finally:
        plt.close(figure)


def provenance() -> dict:
    """Package version, git commit (where the code is a checkout) and time of the run."""
    try:
        version = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        version = "unknown"
    root = PROJECT_ROOT
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = bool(
            subprocess.run(
                ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True, text=True, timeout=5,
            ).stdout.strip()
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        commit, dirty = None, None
    return {
        "package": PACKAGE,
        "version": version,
        "git_commit": commit,
        "git_dirty": dirty,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _plain(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
