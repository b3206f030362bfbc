"""The generated regions of README.md and docs/ are current (``make results``, issue 28).

Each ``<!-- results:NAME -->`` region must be exactly what ``scripts/results.py`` would write:
the cheap fragments (from committed calibration and benchmark files, and the seeded runs of a few
seconds: the two counterfactual tables at their stated 2,000 replicates, getting started's and the
scenario how-to's) in the default tier, every fragment (the how-tos' transcripts included) in the
slow tier. A stale region fails naming the page and the fragment; the fix is ``make results``.
The tutorial notebook's outputs are checked by test_notebook_fresh.py.
"""

import subprocess
import sys

import pytest

from tests.conftest import REPO


def _check(only: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/results.py", "--check", "--only", only],
        cwd=REPO, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip


def test_the_cheap_generated_regions_are_current():
    sys.path.insert(0, str(REPO))
    from scripts.results import CHEAP

    done = _check(",".join(CHEAP))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_every_generated_region_is_current():
    from scripts.results import FRAGMENTS

    done = _check(",".join(FRAGMENTS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_unknown_or_unclosed_marker_is_an_error_naming_the_page():
    sys.path.insert(0, str(REPO))
    from scripts.results import regions

    with pytest.raises(SystemExit, match="README.md: unknown results fragment 'nope'"):
        regions("<!-- results:nope -->\nx\n<!-- /results:nope -->", "README.md")
    with pytest.raises(SystemExit, match="docs/x.md: a results marker is not closed"):
        regions("<!-- results:fit -->\nx\n", "docs/x.md")
