"""The resumable store of a sweep: manifest, design and one checksummed Parquet file per chunk.

The store loses nothing: ``out/manifest.json`` is written first, then each finished chunk as
``out/chunks/chunk-00012.parquet`` (atomically, after its SHA-256 in ``chunk-00012.sha256``), and
``out/results.parquet`` (all chunks in point order) at the end. Re-running the same sweep into the
same folder resumes: valid chunk files are kept, damaged ones are recomputed; a different sweep in
the same folder is an error. The replicate seeds recorded in the manifest follow the common random
numbers rule of :mod:`sim.analysis.sweep` (Law 2015, ch. 11).
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.sweep import Sweep
from sim.errors import InputError
from sim.results import (
    output_section,
    provenance,
    remove_leftovers,
    sha256,
    write_atomic,
    write_json,
    write_text,
)

# Keys that must match for a folder to be resumed (the rest of the manifest is provenance).
_IDENTITY = (
    "spec", "scenario_spec", "base_parameters", "design", "seed", "replicate_seeds", "outputs",
    "chunk_points", "chunks",
)  # fmt: skip


def chunk_path(out: Path, index: int) -> Path:
    """Where chunk ``index`` of a sweep in ``out`` is stored."""
    return Path(out) / "chunks" / f"chunk-{index:05d}.parquet"


def _checksum_path(path: Path) -> Path:
    """The SHA-256 of a chunk, written after it: a chunk without one is not finished."""
    return path.with_suffix(".sha256")


def sweep_manifest(sweep: Sweep, design: pd.DataFrame, seeds: np.ndarray) -> dict:
    """The manifest of a sweep with this design and these replicate seeds (``manifest.json``).

    The keys naming the sweep (its spec, base scenario and values, design, seeds, outputs and
    chunks) decide whether a folder holds the same sweep (:func:`open_store`); the rest is
    provenance.
    """
    digest = hashlib.sha256(
        np.ascontiguousarray(design[sweep.names].to_numpy()).tobytes()
    ).hexdigest()
    chunks = -(-len(design) // sweep.spec.chunk_points)
    return {
        "kind": "sweep",
        "sweep_file": sweep.source,
        "spec": sweep.spec.model_dump(mode="json"),
        "scenario": sweep.scenario.name,
        "scenario_files": list(sweep.scenario.chain),
        "scenario_spec": sweep.scenario.spec.model_dump(mode="json"),
        "base_parameters": sweep.base,
        "base_parameters_from": sweep.base_from,
        "design": {
            "method": sweep.spec.design,
            "points": len(design),
            "parameters": sweep.names,
            "bounds": sweep.problem()["bounds"],
            "sha256": digest,
            "file": "design.parquet",
        },
        "seed": sweep.seed,
        "replicates": sweep.spec.replicates,
        "replicate_seeds": [int(s) for s in seeds],
        "replicate_seeds_rule": (
            "numpy.random.SeedSequence(seed).generate_state(replicates, uint64)"
        ),
        "outputs": list(sweep.spec.outputs),
        "chunk_points": sweep.spec.chunk_points,
        "chunks": chunks,
        "results": "results.parquet: one row per point; <output>_mean and <output>_sd",
        **provenance(),
    }


def open_store(out: Path, manifest: dict) -> None:
    """Write the manifest into a new folder, or check that an existing folder holds this sweep.

    The output-folder policy (:mod:`sim.results.output_folder`) for a store written in place: a
    folder is accepted when it is new or empty, or holds this sweep (unfinished, or finished
    and unchanged since: its signed files as written); the sweep writes only its own files
    (:data:`STORE_FILES`), so anything else in the folder is kept.
    """
    out = Path(out)
    remove_leftovers(out)
    path = out / "manifest.json"
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise InputError(
                f"unreadable manifest ({exc}); choose another --out", source=str(path)
            ) from None
        if not isinstance(old, dict) or old.get("kind") != "sweep":
            raise InputError(
                "this folder holds other results, not a sweep; choose another --out",
                source=str(path),
            )
        _check_reports_unchanged(out, old)
        # JSON round trip, so tuples and lists compare alike
        new = json.loads(json.dumps({k: manifest[k] for k in _IDENTITY}))
        changed = []
        for k in _IDENTITY:
            if isinstance(new[k], dict) and isinstance(old.get(k), dict):
                keys = sorted(set(new[k]) | set(old[k]))
                changed += [f"{k}.{s}" for s in keys if old[k].get(s) != new[k].get(s)]
            elif old.get(k) != new[k]:
                changed.append(k)
        if changed:
            raise InputError(
                f"this folder holds a different sweep (it differs in {', '.join(changed)}); its "
                "results are kept: choose another --out, or delete the folder to start again",
                source=str(path),
            )
        if old.get("git_commit") and old.get("git_commit") != manifest["git_commit"]:
            warnings.warn(
                f"{path}: resuming a sweep begun at commit {old['git_commit'][:10]} with the code "
                f"at {str(manifest['git_commit'])[:10]}; if the model changed, start a new folder",
                stacklevel=3,
            )
        return
    others = sorted(p.name for p in out.iterdir()) if out.exists() else []
    if others:
        raise InputError(
            f"the folder is not empty and holds no sweep ({', '.join(others[:8])}); nothing is "
            "written over them: choose another --out",
            source=str(out),
        )
    write_json(path, manifest)


def _check_reports_unchanged(out: Path, manifest: dict) -> None:
    """Refuse a finished sweep whose written reports were edited since (they would be lost).

    The store's own data (design, chunks, results) is checked chunk by chunk instead, a damaged
    chunk recomputed (:func:`finished_chunk`): it is the library's, derived from the sweep file.
    """
    files = manifest.get("output", {}).get("files", {})
    reports = {n: d for n, d in files.items() if not n.startswith("chunks/")
               and n not in ("design.parquet", "results.parquet")}  # fmt: skip
    changed = [n for n, d in reports.items()
               if not (out / n).is_file() or sha256(out / n) != d]  # fmt: skip
    if changed:
        raise InputError(
            f"files of this sweep's reports were changed or removed since they were written "
            f"({', '.join(changed)}); they are not replaced: move them or choose another --out",
            source=str(out),
        )


def stale_writes(out: Path) -> list[Path]:
    """Half-written files of a killed run: the temporary names of the store's atomic writes."""
    out = Path(out)
    names = [".manifest.json", ".design.parquet", ".results.parquet", ".noise.parquet",
             ".sensitivity.csv", ".sensitivity.png", ".sensitivity.md"]  # fmt: skip
    found = [p for n in names for p in out.glob(f"{n}.*.tmp")]
    return found + [*out.glob("chunks/.chunk-*.parquet.*.tmp"),
                    *out.glob("chunks/.chunk-*.sha256.*.tmp")]  # fmt: skip


def sign_store(out: Path, extra: tuple[str, ...] = ()) -> None:
    """Sign the finished store: its manifest lists every file of the sweep with its SHA-256.

    ``extra`` names files written beside the store (the sensitivity analysis'). A later command
    on the folder then knows which files are the library's (:mod:`sim.results.output_folder`).
    """
    out = Path(out)
    path = out / "manifest.json"
    manifest = json.loads(path.read_text())
    previous = manifest.get("output", {}).get("files", {})
    names = ["design.parquet", "results.parquet",
             *sorted(p.relative_to(out).as_posix() for p in out.glob("chunks/chunk-*")), *extra,
             *[n for n in previous if n not in extra and (out / n).is_file()]]  # fmt: skip
    files = {n: sha256(out / n) for n in dict.fromkeys(names) if (out / n).is_file()}
    manifest["output"] = output_section("sweep", files)
    write_json(path, manifest)


def finished_chunk(path: Path, expected: pd.DataFrame, columns: list[str]) -> bool:
    """True where ``path`` is a complete chunk for these points; a damaged file is removed."""
    if not path.exists():
        return False
    try:
        recorded = _checksum_path(path).read_text().strip() if _checksum_path(path).exists() else ""
        frame = pd.read_parquet(path)
        problem_ = None
        if recorded != sha256(path):
            problem_ = "its checksum differs from the one recorded when it was written"
        elif list(frame.columns) != columns:
            problem_ = f"columns {list(frame.columns)}"
        elif not np.array_equal(frame["point"].to_numpy(), expected["point"].to_numpy()):
            problem_ = "other point ids"
        elif not np.array_equal(
            frame[expected.columns[1:]].to_numpy(), expected[expected.columns[1:]].to_numpy()
        ):
            problem_ = "other parameter values"
    except Exception as exc:  # pyarrow raises several types for a damaged file
        problem_ = f"not readable as Parquet ({type(exc).__name__})"
    if problem_ is None:
        return True
    warnings.warn(f"{path}: damaged chunk ({problem_}); recomputing it", stacklevel=3)
    path.unlink()
    _checksum_path(path).unlink(missing_ok=True)
    return False


def write_chunk(out: Path, index: int, frame: pd.DataFrame) -> None:
    """Store a finished chunk's table as chunk ``index`` of the sweep in ``out``."""
    # the checksum goes first: a chunk on disk always has one (a killed run leaves at most
    # a checksum without its chunk, which is recomputed)
    data = io.BytesIO()
    frame.to_parquet(data, index=False)
    path = chunk_path(out, index)
    write_text(_checksum_path(path), hashlib.sha256(data.getvalue()).hexdigest() + "\n")
    write_atomic(path, lambda tmp: tmp.write_bytes(data.getvalue()))
