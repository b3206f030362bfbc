"""The gallery's page holds nothing that changes from run to run (issue 28).

``make results`` ends with ``scripts/gallery.py``; a second run on a clean checkout must write
the same files, so the page names each figure's command but not how long it took.
"""

import sys

from tests.conftest import REPO

sys.path.insert(0, str(REPO))


def test_the_page_names_the_command_and_not_its_wall_time():
    from scripts.gallery import Figure, page

    figure = Figure(
        "a.png",
        "A figure",
        "What it shows.",
        "sim run baseline --replicates 500",
        seconds=12.3,
        note="a note",
    )
    text = page([("Runs", [(figure, None)])], replicates=500)
    assert "Made by `sim run baseline --replicates 500`, a note." in text
    assert "500 replicates per scenario" in text
    assert "12" not in text
