"""The tutorial notebook's saved outputs, regenerated: ``make results`` runs it top to bottom.

The site shows ``docs/tutorial.ipynb`` with the outputs saved in it (mkdocs-jupyter does not
execute it), so they must be what its code gives now. This executes every cell with nbclient in
the project's own kernel, from ``docs/`` (as nbmake and Jupyter run it), and saves the notebook
with only what a rerun reproduces: the outputs (every run is seeded) and execution counts, not
the timings, the kernel's Python version or other per-run metadata. Run twice, it writes the
same bytes. ``--check`` writes nothing and exits 1 when the saved notebook differs from a fresh
run in anything but the images' bytes (the test suite runs it).

Usage: ``python scripts/notebook.py [--check] [--notebook PATH]``.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.ipynb"
#: Metadata a run writes that another run would write differently.
VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled")


def execute(notebook: nbformat.NotebookNode, folder: Path, timeout: int = 600):
    """A copy of ``notebook`` with every cell executed from ``folder``, normalised."""
    from nbclient import NotebookClient

    done = copy.deepcopy(notebook)
    # the kernel imports this checkout's sim, whatever is installed; CI: no progress bars
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "CI": "1"}
    client = NotebookClient(
        done,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
        record_timing=False,
    )
    client.execute(env=env)
    return normalise(done, notebook.metadata)


def normalise(notebook: nbformat.NotebookNode, metadata: dict) -> nbformat.NotebookNode:
    """Keep what a rerun reproduces: the notebook's own metadata, outputs without transients.

    The notebook's metadata is ``metadata`` (the saved one) without the kernel's Python version;
    a cell's consecutive outputs to the same stream are joined into one.
    """
    notebook.metadata = copy.deepcopy(metadata)
    notebook.metadata.get("language_info", {}).pop("version", None)
    for cell in notebook.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if "outputs" not in cell:
            continue
        outputs = []
        for output in cell.outputs:
            output.pop("transient", None)
            last = outputs[-1] if outputs else None
            # how a cell's printing is cut into messages depends on timing: one stream output each
            if (output.output_type == "stream" and last is not None
                    and last.output_type == "stream" and last.name == output.name):  # fmt: skip
                last.text += output.text
            else:
                outputs.append(output)
        cell.outputs = outputs
    return notebook


def without_images(text: str) -> str:
    """The notebook ``text`` with every image's bytes left out.

    ``--check`` compares these: a figure is drawn from numbers the text outputs show, and its
    bytes also change with the matplotlib version and fonts, which are not the project's to pin.
    """
    notebook = nbformat.reads(text, as_version=4)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            for kind in [k for k in output.get("data", {}) if k.startswith("image/")]:
                output.data[kind] = "(an image)"
    return nbformat.writes(notebook)


def main(argv: list[str] | None = None) -> int:
    """Execute the tutorial and save it (or, with ``--check``, compare it with the saved one)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    parser.add_argument("--notebook", type=Path, default=TUTORIAL)
    args = parser.parse_args(argv)
    saved = args.notebook.read_text()
    notebook = nbformat.reads(saved, as_version=4)
    fresh = nbformat.writes(execute(notebook, args.notebook.parent.resolve())) + "\n"
    name = args.notebook.resolve().relative_to(ROOT) if args.notebook.resolve().is_relative_to(
        ROOT) else args.notebook  # fmt: skip
    if fresh == saved:
        return 0
    if args.check:
        if without_images(fresh) == without_images(saved):
            return 0
        print(f"stale: {name} (its saved outputs differ from a fresh run; run make results)")
        return 1
    args.notebook.write_text(fresh)
    print(f"rewrote: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
