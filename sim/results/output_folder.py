"""The output-folder policy: nothing a user wrote is ever lost, one definition for every command.

Every command that writes a folder of results (run, compare, explain, sweep, sensitivity,
calibrate in every method, robustness, the page's downloads) goes through this module:

1. **Before any work** (:func:`check_out_folder`): the folder may be missing, empty, or hold a
   complete earlier result *of this library*. Its ``manifest.json`` says so in its ``output``
   section: the library's name, the kind of result and every file it wrote with its SHA-256.
   Any other non-empty folder, or an earlier result whose files were edited or removed since,
   is refused (exit status 2) with the files in the way named. An empty or blank name is
   refused too.
2. **The work is written into a staging folder** beside the output folder
   (:class:`Staging`), marked as this library's own with a :data:`MARK` file.
3. **On commit**, into a missing or empty folder the staging folder is renamed in whole. Into
   an earlier result, only the files that result lists are replaced; every other file (a user's
   notes beside the results, a nested folder of their own) is kept byte for byte. A new file
   whose name a user's file already takes stops the commit before anything changes. The steps
   are journalled (:data:`JOURNAL`), the manifest written last.
4. **Leftovers of an interrupted write** (Ctrl-C and SIGTERM unwind through the staging
   folder's clean-up; SIGKILL leaves it) are removed by the next command on the same folder:
   staging folders carrying the mark, and a commit's journal, whose listed files (those still as
   the library wrote them) are removed, so the folder holds its user's files and no half result
   (its manifest then lists no files, and the next command writes its result there).

This is the only place that deletes anything, and it deletes only files it can show the library
wrote: listed in a manifest or journal with a matching SHA-256, or inside a marked staging folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from sim.errors import InputError

#: The library named in every manifest's ``output`` section.
LIBRARY = "llama-exodus-sim"
MANIFEST = "manifest.json"
#: Written inside every staging folder: the folder is this library's and may be removed.
MARK = ".sim-staging"
#: Written inside the output folder while a commit replaces its files.
JOURNAL = ".sim-commit.json"
#: How many files in the way an error message names.
_SHOWN = 8


def output_section(kind: str, files: dict[str, str]) -> dict:
    """A manifest's ``output`` section: this library wrote ``files`` (path -> SHA-256)."""
    return {"library": LIBRARY, "kind": kind, "files": files}


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> list[str]:
    """Every file below ``folder``, as sorted POSIX paths relative to it."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _named(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def earlier_result(out: Path) -> dict[str, str] | None:
    """The files of the result of this library that ``out`` holds (path -> SHA-256), else None.

    None where there is no ``manifest.json``, or one that is not this library's output manifest
    (unreadable, another program's, a manifest copied in from elsewhere without its files).

    Raises:
        InputError: the manifest is this library's but a file it lists is missing or changed
            (a half-edited result is not replaced: the user's edits would be lost).
    """
    path = Path(out) / MANIFEST
    if not path.is_file():
        return None
    try:
        section = json.loads(path.read_text(encoding="utf-8")).get("output")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return None
    if not (
        isinstance(section, dict) and section.get("library") == LIBRARY
        and isinstance(section.get("files"), dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in section["files"].items())
    ):  # fmt: skip
        return None
    files = section["files"]
    changed = [
        name for name, digest in files.items()
        if not (Path(out) / name).is_file() or sha256(Path(out) / name) != digest
    ]  # fmt: skip
    if changed:
        raise InputError(
            f"{out} holds an earlier result whose files were changed or removed since it was "
            f"written ({_named(changed)}); it is not replaced, so nothing of yours is lost: move "
            "the folder away or choose another one"
        )
    return dict(files)


def check_out_folder(out: Path | str, option: str = "--out") -> Path:
    """Check, before any work, that ``out`` can take a result; return it as a Path.

    Leftovers of an interrupted write to the same folder are removed first
    (:func:`remove_leftovers`). See the module docstring for what is accepted.

    Raises:
        InputError: a blank name; a file where the folder should be; a folder holding files
            that are not a complete earlier result of this library (naming them); a place that
            cannot be written.
    """
    if not str(out).strip():
        raise InputError("expected a folder name, got an empty one", key=option)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file: expected a folder for the results", key=option)
    remove_leftovers(out)
    if out.is_dir() and any(out.iterdir()):
        try:
            earlier = earlier_result(out)
        except InputError as exc:
            raise InputError(str(exc), key=option) from None
        if earlier is None and _unsigned_result(out):
            raise InputError(
                f"{out} holds a result of an earlier version of this library, whose manifest "
                "does not list the files it wrote, so they cannot be told from yours: move the "
                "folder away (or delete it) and run again",
                key=option,
            )
        if earlier is None:
            raise InputError(
                f"{out} holds files that are not a result of this library "
                f"({_named(_files(out))}); nothing is written over them: choose another folder",
                key=option,
            )
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"{parent} is a file: {out} cannot be created", key=option)
    try:  # the result is staged beside out and moved in: try exactly that, then undo it
        Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".probe", dir=parent)).rmdir()
    except OSError as exc:
        raise InputError(f"cannot write in {parent} ({exc.strerror})", key=option) from None
    return out


def _unsigned_result(out: Path) -> bool:
    """Whether ``out`` holds a manifest this library wrote before manifests listed their files."""
    try:
        manifest = json.loads((Path(out) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return (
        isinstance(manifest, dict)
        and manifest.get("package") == LIBRARY
        and ("output" not in manifest)
    )


def remove_leftovers(out: Path) -> list[Path]:
    """Remove what an interrupted write to ``out`` left behind; return what was removed.

    Marked staging folders beside ``out``, and an unfinished commit inside it: the files its
    journal lists that are still as the library wrote them, the manifest, the journal.
    """
    out = Path(out)
    removed = []
    if out.parent.is_dir():
        for candidate in out.parent.glob(f".{out.name}.*"):
            if candidate.is_dir() and (candidate / MARK).is_file():
                shutil.rmtree(candidate, ignore_errors=True)
                removed.append(candidate)
    journal = out / JOURNAL
    if journal.is_file():
        if earlier_result_or_none(out) is None:  # the commit stopped before its manifest
            try:
                listed = json.loads(journal.read_text(encoding="utf-8"))
                files = {**listed.get("old", {}), **listed.get("new", {})}
                manifests = set(listed.get("manifests", []))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
                files, manifests = {}, set()
            for name, digest in files.items():
                path = out / name
                if path.is_file() and sha256(path) == digest:
                    path.unlink()
                    removed.append(path)
                    _prune(path.parent, out)
            manifest = out / MANIFEST
            if not manifest.exists() or sha256(manifest) in manifests:  # the old one or the new
                # the folder stays this library's, holding no result: the next run may use it
                section = output_section("interrupted", {})
                manifest.write_text(json.dumps({"output": section}, indent=2) + "\n")
        journal.unlink()
        removed.append(journal)
    return removed


def earlier_result_or_none(out: Path) -> dict[str, str] | None:
    """:func:`earlier_result`, with a changed result read as None instead of an error."""
    try:
        return earlier_result(out)
    except InputError:
        return None


def _prune(folder: Path, root: Path) -> None:
    """Remove ``folder`` and its parents up to ``root`` while they are empty."""
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


class Staging:
    """A marked staging folder beside ``out``, committed into it by the policy.

    Used as a context manager: the body writes into :attr:`path`; :meth:`commit` moves the
    result into ``out``; leaving the block without a commit (an error, Ctrl-C) removes the
    staging folder.
    """

    def __init__(self, out: Path | str, kind: str):
        self.out = check_out_folder(out)
        self.kind = kind
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", suffix=".tmp",
                                          dir=self.out.parent))  # fmt: skip
        (self.path / MARK).write_text(f"{LIBRARY}: a result being written to {self.out}\n")

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def commit(self) -> list[Path]:
        """Sign the result (its manifest's ``output`` section) and move it into ``out``.

        Returns the paths of the result's files in ``out`` (the manifest last).

        Raises:
            InputError: a file of the new result would replace a file the earlier result does
                not list (a user's); nothing has changed then.
        """
        new = {
            name: sha256(self.path / name)
            for name in _files(self.path) if name not in (MANIFEST, MARK)
        }  # fmt: skip
        manifest_path = self.path / MANIFEST
        manifest = {}
        if manifest_path.is_file():
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest["output"] = output_section(self.kind, new)
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.chmod(self.path, 0o777 & ~_umask())
        out = self.out
        if not out.exists() or (out.is_dir() and not any(out.iterdir())):
            if out.exists():
                out.rmdir()
            (self.path / MARK).unlink()
            os.replace(self.path, out)
            return [out / name for name in [*new, MANIFEST]]
        old = earlier_result(out)
        if old is None:  # checked before the work; changed since
            raise InputError(f"{out} no longer holds a result of this library", key="--out")
        taken = [n for n in [*new, MANIFEST] if (out / n).exists() and n not in old
                 and n != MANIFEST]  # fmt: skip
        if taken:
            raise InputError(
                f"files of yours in {out} have the names of this result's files "
                f"({_named(taken)}); nothing was changed: move them or choose another folder",
                key="--out",
            )
        journal = out / JOURNAL
        manifests = [sha256(manifest_path), sha256(out / MANIFEST)]
        journal.write_text(
            json.dumps({"old": old, "new": new, "manifests": manifests}, indent=2),
            encoding="utf-8",
        )
        (out / MANIFEST).unlink(missing_ok=True)
        for name in old:
            path = out / name
            path.unlink(missing_ok=True)
            _prune(path.parent, out)
        for name in new:
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.path / name, target)
        os.replace(manifest_path, out / MANIFEST)
        journal.unlink()
        return [out / name for name in [*new, MANIFEST]]


def replace_folder(out: Path, write: Callable[[Path], list[Path]], kind: str = "result"):
    """Call ``write(folder)`` on a staging folder, then commit it into ``out`` by the policy.

    Returns the written paths as they are in ``out``. If ``write`` fails, ``out`` is as it was.
    """
    with Staging(out, kind) as staging:
        write(staging.path)
        return staging.commit()


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask
