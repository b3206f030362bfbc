"""The package imports cleanly: no warnings, no side effects, a curated API."""

import subprocess
import sys

from tests.conftest import REPO

CHECK = """
import warnings, multiprocessing, os, sys
warnings.simplefilter("error")
before = set(os.environ.items()), multiprocessing.get_start_method(allow_none=True)
import matplotlib
backend_before = matplotlib.get_backend() if 'matplotlib.pyplot' in sys.modules else None
import sim
after = set(os.environ.items()), multiprocessing.get_start_method(allow_none=True)
assert before == after, "import sim changed the environment or the start method"
assert 'matplotlib.pyplot' not in sys.modules, "import sim imported pyplot"
for name in sim.__all__:
    getattr(sim, name)
print("ok")
"""


def test_import_sim_emits_no_warnings_and_has_no_side_effects():
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", CHECK],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert done.stderr == ""


def test_the_code_passes_ruff():
    """Docstring convention and style are enforced (pyproject.toml [tool.ruff])."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "sim", "tests", "benchmarks"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
