"""Writing results so that nothing earlier is ever lost: atomic files and run manifests.

Every file is written to a temporary name in the same folder and renamed into place, so a run
that fails or is killed leaves either the old file or the new one, never half of one. A run's
or a comparison's folder is written whole into a fresh temporary folder and swapped in
(:func:`replace_folder`), so a folder always holds one complete run. Each output folder gets a
``manifest.json``: what was run, with which parameters and seeds, by which package version at
which git commit. :func:`check_out_folder` checks, before anything is simulated, that the
folder can be written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sim.errors import InputError
from sim.paths import PROJECT_ROOT

PACKAGE = "llama-exodus-sim"


def check_out_folder(out: Path, option: str = "--out") -> Path:
    """Check, before simulating, that ``out`` can take a run's files; return it.

    It must be a folder (or not exist yet) in a place that can be written, and an existing
    folder that is not empty must hold an earlier result of this library (a ``manifest.json``):
    it is replaced whole, and nothing else is ever deleted.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file: expected a folder for the results", key=option)
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").exists():
        raise InputError(
            f"{out} holds files that are not a result of this library (no manifest.json); "
            "they would be replaced: choose another folder", key=option,
        )  # fmt: skip
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"{parent} is a file: {out} cannot be created", key=option)
    try:  # the folder is written beside out and swapped in: try exactly that, then undo it
        Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".probe", dir=parent)).rmdir()
    except OSError as exc:
        raise InputError(f"cannot write in {parent} ({exc.strerror})", key=option) from None
    return out


def replace_folder(out: Path, write: Callable[[Path], list[Path]]) -> list[Path]:
    """Call ``write(tmp)`` on a fresh folder beside ``out``, then swap it in for ``out`` whole.

    Returns the written paths as they are after the swap. If ``write`` fails, ``out`` is as it
    was and the temporary folder is gone.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        written = write(tmp)
        os.chmod(tmp, 0o777 & ~_umask())
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            os.replace(out, old / out.name)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out / Path(p).name for p in written]


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
