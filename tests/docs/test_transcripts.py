"""The how-tos' console transcripts are real runs, shown as the page names them (issue 28).

``scripts/transcripts.py`` runs each documented command in a temporary folder; what it prints is
shown with the page's path and with wall times as ``...``. That every transcript region is
current is test_results_fresh.py's slow test; here, how a transcript is made.
"""

import sys

from tests.conftest import REPO

sys.path.insert(0, str(REPO))


def test_wall_times_are_elided_and_nothing_else():
    from scripts.transcripts import SECONDS

    line = (
        "tolerance 4: 50,000 simulated, acceptance 0.0040, 2.6 s; 9 causes, 512 coalitions x "
        "100 replicates x 2 parameter sources (exact, 19 s); calibrated in 36 s; 7 files"
    )
    assert SECONDS.sub("... s", line) == (
        "tolerance 4: 50,000 simulated, acceptance 0.0040, ... s; 9 causes, 512 coalitions x "
        "100 replicates x 2 parameter sources (exact, ... s); calibrated in ... s; 7 files"
    )


def test_a_transcript_names_the_pages_folder_not_the_temporary_one():
    from scripts.transcripts import console

    lines, summary = console(
        ["run", "baseline", "--replicates", "20", "--no-trajectories"],
        "out/a-run",
        "out/shown",
        lambda folder: (folder / "summary.csv").read_text(),
    )
    assert lines == ["baseline: 20 replicates, 6 files in out/shown/"]
    assert summary.startswith("statistic,mean,q05,q95")


def test_the_committed_calibrations_sentences_read_their_files():
    import pandas as pd

    from scripts.transcripts import calibrate_llama_identified, calibrate_llama_run

    table = pd.read_csv(REPO / "calibration/llama/identifiability.csv")
    sentence = calibrate_llama_identified()
    for name in table[table.identified].parameter:
        assert f"`{name}`" in sentence
    assert f"the other {int((~table.identified).sum())} " in sentence
    generations = pd.read_csv(REPO / "calibration/llama/generations.csv")
    assert f"{generations.simulations.sum():,} simulated histories" in calibrate_llama_run()


def test_the_cohort_how_to_is_run_with_its_own_scenario_files():
    from scripts.acme_example import PAGE, _block

    page = PAGE.read_text()
    prior = _block(page, 'from = "prior-mean"', 'name = "../world"')
    posterior = _block(page, 'posterior_file = "../calibration/posterior.parquet"')
    assert 'from = "posterior"' in posterior and prior != posterior
    assert 'extends = "baseline"' in _block(page, 'remove_labs = ["Spinout"]')
