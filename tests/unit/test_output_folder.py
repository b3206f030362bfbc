"""The output-folder policy keeps every file a user wrote (property tests, then each command).

Random mixes of a user's files, earlier results, leftovers of interrupted writes and forged
manifests go into a folder; a new result is written into it. Whatever happens (written, or
refused with an InputError), every file the library did not write is byte-identical afterwards,
and the folder holds either its earlier complete result or one complete new one.
"""

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.results import (
    JOURNAL,
    MANIFEST,
    MARK,
    check_out_folder,
    earlier_result,
    replace_folder,
    sha256,
)
from tests.conftest import REPO, cli

NAMES = st.sampled_from(
    ["report.md", "summary.csv", "notes.txt", "data.csv", "a/keep.csv", "a/b/deep.txt",
     "figure.png", "llama/report.md", "chapter1.tex", "background.js"]
)  # fmt: skip
CONTENT = st.binary(min_size=0, max_size=40)
RESULT = st.dictionaries(NAMES, CONTENT, min_size=1, max_size=5)


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }  # fmt: skip


def _write(files: dict[str, bytes], manifest: dict | None = None):
    def write(folder: Path) -> list[Path]:
        for name, data in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        if manifest is not None:
            (folder / MANIFEST).write_text(json.dumps(manifest))
        return [folder / n for n in files]

    return write


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    earlier=st.one_of(st.none(), RESULT),
    user=st.dictionaries(NAMES, CONTENT, max_size=4),
    forged=st.sampled_from([None, "garbage", "not-ours", "ours-wrong-hash", "ours-missing-file"]),
    leftover=st.sampled_from([None, "staging", "journal"]),
    new=RESULT,
)
def test_no_user_file_is_lost_and_the_folder_holds_one_complete_result(
    tmp_path_factory, earlier, user, forged, leftover, new
):
    assume(leftover != "journal" or earlier is not None)  # a journal only exists in a result
    root = tmp_path_factory.mktemp("policy")
    out = root / "out"
    out.mkdir()
    library_files: set[str] = set()
    if earlier is not None:
        replace_folder(out, _write(earlier, {"what": "earlier"}), kind="test")
        library_files |= set(earlier) | {MANIFEST}
    for name, data in user.items():  # the user's files; one may overwrite a result's file
        path = out / name
        if path.parent.is_file():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.read_bytes() == data:
            continue  # the same bytes as the library wrote: still the library's file
        path.write_bytes(data)
        library_files.discard(name)
    if forged is not None:
        section = {"library": "llama-exodus-sim", "kind": "run"}
        text = {
            "garbage": "{not json",
            "not-ours": json.dumps({"name": "my-extension", "version": 3}),
            "ours-wrong-hash": json.dumps({"output": {**section, "files": {"x.csv": "0" * 64}}}),
            "ours-missing-file": json.dumps({"output": {**section, "files": {"gone.csv": "1"}}}),
        }[forged]
        (out / MANIFEST).write_text(text)
        library_files.discard(MANIFEST)
    if leftover == "staging":
        stale = root / ".out.abc123.tmp"
        stale.mkdir()
        (stale / MARK).write_text("x")
        (stale / "big.parquet").write_bytes(b"0" * 100)
    elif leftover == "journal":
        (out / JOURNAL).write_text(json.dumps({"old": {}, "new": {}}))
    user_before = {n: d for n, d in _tree(out).items() if n not in library_files | {JOURNAL}}
    earlier_before = earlier_result_safe(out)

    try:
        replace_folder(out, _write(new, {"what": "new"}), kind="test")
        outcome = "written"
    except InputError:
        outcome = "refused"

    after = _tree(out)
    for name, data in user_before.items():
        if outcome == "written" and name == MANIFEST:
            continue  # only possible where the old manifest was the library's own
        assert after.get(name) == data, f"user file {name} changed ({outcome})"
    result = earlier_result_safe(out)
    if outcome == "written":
        assert result == {n: sha256(out / n) for n in new}
        assert json.loads((out / MANIFEST).read_text())["what"] == "new"
    else:
        assert result == earlier_before
    assert not any(p.name.endswith(".tmp") for p in root.iterdir()), list(root.iterdir())
    assert not (out / JOURNAL).exists()
    shutil.rmtree(root)


def earlier_result_safe(out: Path):
    try:
        return earlier_result(out)
    except InputError:
        return "changed"


def test_a_rerun_keeps_the_files_a_user_added_beside_the_results(tmp_path):
    out = tmp_path / "run"
    replace_folder(out, _write({"summary.csv": b"1", "report.md": b"old"}), kind="run")
    (out / "notes.txt").write_text("mine")
    (out / "mydata").mkdir()
    (out / "mydata" / "keep.csv").write_text("a,b\n")
    replace_folder(out, _write({"summary.csv": b"2"}), kind="run")
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "mydata" / "keep.csv").read_text() == "a,b\n"
    assert not (out / "report.md").exists()  # the earlier result's own file, replaced
    assert earlier_result(out) == {"summary.csv": sha256(out / "summary.csv")}


def test_a_folder_of_other_files_or_a_copied_manifest_is_refused_before_any_work(tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("\\chapter{One}")
    with pytest.raises(InputError, match=r"not a result of this library \(chapter1\.tex\)"):
        check_out_folder(out)
    (out / MANIFEST).write_text(json.dumps({"scenario": "baseline", "seed": 1}))  # a run's, old
    with pytest.raises(InputError, match="not a result of this library"):
        check_out_folder(out)
    assert (out / "chapter1.tex").read_text() == "\\chapter{One}"


def test_an_edited_result_is_not_replaced(tmp_path):
    out = tmp_path / "run"
    replace_folder(out, _write({"report.md": b"generated"}), kind="run")
    (out / "report.md").write_text("my edits")
    with pytest.raises(
        InputError,
        match=r"^at --out: \S+ holds an earlier result whose files "
        r"were changed or removed since it was written \(report\.md\)",
    ):
        check_out_folder(out)  # fmt: skip
    assert (out / "report.md").read_text() == "my edits"


def test_a_user_file_where_a_new_result_file_goes_stops_the_commit(tmp_path):
    out = tmp_path / "run"
    replace_folder(out, _write({"a.csv": b"1"}), kind="run")
    (out / "b.csv").write_text("mine")
    with pytest.raises(InputError, match=r"have the names of this result's files \(b\.csv\)"):
        replace_folder(out, _write({"a.csv": b"2", "b.csv": b"theirs"}), kind="run")
    assert (out / "b.csv").read_text() == "mine"
    assert (out / "a.csv").read_bytes() == b"1"


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_a_blank_folder_name_is_refused(name):
    with pytest.raises(InputError, match="expected a folder name, got an empty one"):
        check_out_folder(name)


def test_an_interrupted_commit_is_cleaned_by_the_next_run(tmp_path):
    out = tmp_path / "run"
    replace_folder(out, _write({"a.csv": b"old"}), kind="run")
    (out / "notes.txt").write_text("mine")
    # a commit killed half-way: the journal written, the old manifest gone, one new file in
    journal = {
        "old": {"a.csv": sha256(out / "a.csv")},
        "new": {"b.csv": sha256_of(b"new")},
        "manifests": [sha256(out / MANIFEST)],
    }
    (out / JOURNAL).write_text(json.dumps(journal))
    (out / MANIFEST).unlink()
    (out / "b.csv").write_bytes(b"new")
    stale = tmp_path / ".run.x1.tmp"
    stale.mkdir()
    (stale / MARK).write_text("x")
    check_out_folder(out)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "notes.txt"]
    assert earlier_result(out) == {}
    replace_folder(out, _write({"a.csv": b"again"}), kind="run")
    assert (out / "notes.txt").read_text() == "mine"
    assert not stale.exists()


def sha256_of(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- every command
COMMANDS = {
    "run": ["run", "baseline", "--replicates", "5"],
    "compare": ["compare", "baseline", "culture-kept", "--replicates", "5"],
    "explain": ["explain", "baseline", "--replicates", "5"],
    "sweep": ["sweep", REPO / "sweeps" / "morris-quick.toml"],
    "sensitivity": ["sensitivity", REPO / "sweeps" / "morris-quick.toml"],
    "calibrate-abc": ["calibrate", "--population", "20", "--batch", "200"],
    "calibrate-likelihood": ["calibrate", "--method", "likelihood", "--steps", "40"],
    "calibrate-joint": ["calibrate", "--method", "likelihood", "--worlds", "llama,openai-founders",
                        "--steps", "40"],
    "robustness": ["robustness", "--replicates", "5"],
}  # fmt: skip


def _in_the_way(folder: Path, how: str) -> dict[str, bytes]:
    folder.mkdir()
    (folder / "chapter1.tex").write_text("\\chapter{One}\n")
    (folder / "data.csv").write_text("a,b\n1,2\n")
    if how == "copied manifest":  # a run's manifest copied into a folder of other files
        manifest = {
            "scenario": "baseline",
            "output": {
                "library": "llama-exodus-sim",
                "kind": "run",
                "files": {"summary.csv": sha256_of(b"x"), "report.md": sha256_of(b"y")},
            },
        }
        (folder / MANIFEST).write_text(json.dumps(manifest))
        shutil.copy(REPO / "sim" / "data" / "llama" / "world.toml", folder / "world.toml")
    return _tree(folder)


@pytest.mark.parametrize("how", ["user files", "copied manifest"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_writing_command_refuses_a_folder_that_is_not_its_result(tmp_path, command, how):
    out = tmp_path / "thesis"
    before = _in_the_way(out, how)
    result = cli(*COMMANDS[command], "--out", out)
    code, stderr = result.returncode, result.stderr
    assert code == 2, (code, stderr[-2000:])
    named = ("chapter1.tex", "report.md", "holds other results, not a sweep")
    assert any(text in stderr for text in named), stderr
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_rerun_of_a_command_keeps_what_the_user_put_beside_its_result(tmp_path, command):
    out = tmp_path / "result"
    assert cli(*COMMANDS[command], "--out", out).returncode == 0
    (out / "notes.txt").write_text("mine")
    (out / "mydata").mkdir()
    (out / "mydata" / "keep.csv").write_text("a\n1\n")
    again = cli(*COMMANDS[command], "--seed", "3", "--out", out)
    assert again.returncode == 0, again.stderr[-2000:]
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "mydata" / "keep.csv").read_text() == "a\n1\n"
    listed = earlier_result(out)
    assert listed and all(sha256(out / name) == digest for name, digest in listed.items())
    assert "notes.txt" not in listed


def test_a_result_of_an_earlier_version_is_refused_with_what_to_do(tmp_path):
    out = tmp_path / "baseline"
    out.mkdir()
    (out / "summary.csv").write_text("x\n")
    (out / MANIFEST).write_text(json.dumps({"scenario": "baseline", "package": "llama-exodus-sim"}))
    with pytest.raises(InputError, match="an earlier version of this library.*move the folder"):
        check_out_folder(out)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "summary.csv"]
