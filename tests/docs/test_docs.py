"""The documentation site: it builds with ``mkdocs build --strict``, its command-line page lists
every subcommand, a broken link or reference fails the build naming the page, and the scenario
reference's example file is a valid scenario.

The build tests need the docs extra (``make docs`` installs it into .venv); without it they skip,
saying so. The notebook itself is tested by nbmake: ``pytest --nbmake docs/tutorial.ipynb``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"


def _missing_docs_packages() -> list[str]:
    missing = []
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python",
                   "mkdocs_jupyter", "latex2mathml"):  # fmt: skip
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    return missing


needs_mkdocs = pytest.mark.skipif(
    bool(_missing_docs_packages()),
    reason=f"the docs extra is not installed (missing {', '.join(_missing_docs_packages())}): "
    "`make docs` or `pip install -e '.[docs]'` installs it",
)


def build(config: Path, site: Path, cwd: Path) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` of ``config`` into ``site``."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
         "--site-dir", str(site)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def subcommands() -> list[str]:
    """The names of the ``sim`` command's subcommands, from its parser."""
    from sim.cli import build_parser

    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    raise AssertionError("sim's parser has no subcommands")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built once from the repository's mkdocs.yml."""
    out = tmp_path_factory.mktemp("site")
    result = build(REPO / "mkdocs.yml", out, REPO)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-4000:]}"
    assert "WARNING" not in result.stderr, result.stderr[-4000:]
    return out


@needs_mkdocs
def test_the_site_builds_strictly_with_every_page(site):
    # use_directory_urls is off: every page is a file, so the site works opened from disk
    for page in ("index.html", "getting-started.html", "tutorial.html",
                 "ODD.html", "gallery/index.html", "reference/cli.html",
                 "how-to/scenario.html", "how-to/cohort.html",
                 "how-to/calibrate.html", "how-to/sweep.html",
                 "how-to/dask.html", "how-to/explain.html",
                 "how-to/app.html"):  # fmt: skip
        assert (site / page).is_file(), page
    # and every relative link of the home page names a file that exists
    home = (site / "index.html").read_text(encoding="utf-8")
    for link in re.findall(r'href="([^"#:]+\.html)', home):
        assert (site / link).is_file(), link
    api = site / "reference" / "api"
    for module in ("sim", "kernel", "world", "config", "results", "likelihood", "engines",
                   "inference", "analysis", "reports"):  # fmt: skip
        html = (api / f"{module}.html").read_text(encoding="utf-8")
        assert 'class="doc doc-' in html, f"no API documentation rendered for {module}"
    # Sphinx roles in docstrings became links or code, never literal ":func:" text
    assert ":func:" not in (api / "world.html").read_text(encoding="utf-8")
    # the ODD's equations are MathML made at build time, and no page loads a script from elsewhere
    assert re.search(r'<math [^>]*display="block"', (site / "ODD.html").read_text())
    for page in site.rglob("*.html"):
        assert not re.search(r'<script[^>]+src="(https?:)?//', page.read_text(encoding="utf-8")), (
            page
        )
    # the gallery's images are there
    gallery = (site / "gallery" / "index.html").read_text(encoding="utf-8")
    for image in re.findall(r'<img alt="[^"]*" src="([^"]+)"', gallery):
        assert (site / "gallery" / image).is_file(), image


@needs_mkdocs
def test_the_cli_page_lists_every_subcommand_with_its_help(site):
    html = (site / "reference" / "cli.html").read_text(encoding="utf-8")
    names = subcommands()
    assert {"run", "compare", "calibrate", "sweep", "sensitivity"} <= set(names)
    for name in names:
        assert f'id="sim-{name}"' in html, f"no section for sim {name}"
        assert f"usage: sim {name} " in html, f"no --help text for sim {name}"


def test_the_generated_cli_page_follows_the_parser():
    sys.path.insert(0, str(DOCS / "hooks"))
    try:
        hook = importlib.import_module("cli_reference")
    finally:
        sys.path.remove(str(DOCS / "hooks"))
    page = hook.render()
    for name in subcommands():
        assert f"\n## sim {name}\n" in page
        assert f"](#sim-{name})" in page


@needs_mkdocs
def test_a_broken_link_or_reference_fails_the_build_naming_the_page(tmp_path):
    shutil.copytree(DOCS, tmp_path / "docs", ignore=shutil.ignore_patterns("*.png"))
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    page = tmp_path / "docs" / "how-to" / "scenario.md"
    page.write_text(
        page.read_text(encoding="utf-8")
        + "\n[a page](no-such-page.md), [an anchor](cohort.md#no-such-anchor), "
        "[a function][sim.no_such_function]\n",
        encoding="utf-8",
    )
    notebook = tmp_path / "docs" / "tutorial.ipynb"
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "markdown", "metadata": {},
                        "source": ["[gone](how-to/no-such-guide.md)"]})  # fmt: skip
    notebook.write_text(json.dumps(nb), encoding="utf-8")

    result = build(tmp_path / "mkdocs.yml", tmp_path / "site", tmp_path)
    assert result.returncode != 0
    log = result.stderr
    assert re.search(r"how-to/scenario\.md.*no-such-page\.md", log), log[-3000:]
    assert re.search(r"how-to/scenario\.md.*cohort\.md#no-such-anchor", log), log[-3000:]
    assert re.search(r"how-to/scenario\.md.*sim\.no_such_function", log), log[-3000:]
    assert re.search(r"tutorial\.ipynb.*how-to/no-such-guide\.md", log), log[-3000:]


def test_the_scenario_guides_example_of_every_key_is_a_valid_scenario(tmp_path):
    from sim.config.scenario import load_scenario

    text = (DOCS / "how-to" / "scenario.md").read_text(encoding="utf-8")
    block = re.search(r'```toml\n(name = "spinout-never-founded".*?)```', text, re.S)
    assert block, "the 'Every key' example is missing from docs/how-to/scenario.md"
    path = tmp_path / "every-key.toml"
    path.write_text(block.group(1), encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.name == "spinout-never-founded"
    assert "Second spin-out" in scenario.world.labs
    assert "Mistral" not in scenario.world.existing_labs


def test_every_module_below_the_command_line_has_its_place_in_the_api_reference():
    documented = set()
    for page in (DOCS / "reference" / "api").glob("*.md"):
        documented |= set(re.findall(r"^::: ([\w.]+)", page.read_text(encoding="utf-8"), re.M))
    modules = set()
    for path in (REPO / "sim").rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[1] in ("cli", "app", "data") or parts[-1] == "__main__":
            continue  # the commands have their own page; the page is documented as a how-to
        if parts[-1] == "__init__" and len(parts) > 2:
            continue  # a layer's package: its modules are documented one by one
        modules.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    missing = sorted(m for m in modules - documented if m not in ("sim.errors", "sim.paths"))
    assert not missing, f"modules without a place in docs/reference/api/: {missing}"
