"""The tutorial's saved outputs are what its code gives now (``make results``, issue 28).

The site shows docs/tutorial.ipynb with its saved outputs; ``scripts/notebook.py`` executes it
and saves only what a rerun reproduces. A stale notebook fails naming it; the fix is
``make results``.
"""

import subprocess
import sys

import nbformat

from tests.conftest import REPO

sys.path.insert(0, str(REPO))


def test_the_tutorials_saved_outputs_are_current():
    done = subprocess.run(
        [sys.executable, "scripts/notebook.py", "--check"],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _stream(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def test_only_what_a_rerun_reproduces_is_kept():
    from scripts.notebook import normalise

    cell = nbformat.v4.new_code_cell("print(1); print(2)", execution_count=3)
    cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    shown = nbformat.v4.new_output("display_data", data={"text/plain": "x"})
    shown["transient"] = {"display_id": "abc"}  # what a kernel sends with a display
    cell.outputs = [_stream("1\n"), _stream("2\n"),
                    nbformat.v4.new_output("stream", name="stderr", text="w\n"), _stream("3\n"),
                    shown]  # fmt: skip
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(cell)  # after the validation: a saved output has no transient
    notebook.metadata = {"language_info": {"name": "python", "version": "3.99.1"}}
    saved = {
        "kernelspec": {"name": "python3"},
        "language_info": {"name": "python", "version": "3.12.0"},
    }
    normalise(notebook, saved)
    assert notebook.metadata == {
        "kernelspec": {"name": "python3"},
        "language_info": {"name": "python"},
    }
    assert saved["language_info"]["version"] == "3.12.0"  # the caller's copy is left alone
    assert cell.metadata == {} and cell.execution_count == 3
    assert [(o.output_type, o.get("name"), o.get("text")) for o in cell.outputs] == [
        ("stream", "stdout", "1\n2\n"),
        ("stream", "stderr", "w\n"),
        ("stream", "stdout", "3\n"),
        ("display_data", None, None),
    ]
    assert "transient" not in cell.outputs[-1]


def test_the_check_ignores_only_the_images_bytes():
    from scripts.notebook import without_images

    def notebook(png, text):
        cell = nbformat.v4.new_code_cell("plot()", id="a1")
        cell.outputs = [
            nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": text})
        ]
        return nbformat.writes(nbformat.v4.new_notebook(cells=[cell]))

    assert without_images(notebook("AAAA", "<Figure>")) == without_images(
        notebook("BBBB", "<Figure>")
    )
    assert without_images(notebook("AAAA", "<Figure>")) != without_images(
        notebook("AAAA", "<Other>")
    )
