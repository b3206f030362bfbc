"""The README's performance table comes from a committed benchmark file (issue 28).

``benchmarks/engines.py --out FILE`` writes its figures with the machine, date, commit, mode and
load; ``scripts/bench_table.py`` renders them. The committed file's region is checked by
test_results_fresh.py (``bench-engines`` is a cheap fragment); here, what the rendering says.
"""

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO))

FIGURES = {
    "benchmark": "benchmarks/engines.py",
    "date": "2026-01-02",
    "commit": "0123456789ab",
    "mode": "quick",
    "repeats": 3,
    "machine": {
        "cores": 2,
        "cpu": "Some CPU",
        "numba_threads": 2,
        "memory_gib": 8.0,
        "system": "Linux",
        "python": "3.12.1",
        "numba": "0.60.0",
        "numpy": "2.0.0",
    },
    "load_average_before": [3.04, 1.0, 0.5],
    "load_average_after": [2.96, 1.0, 0.5],
    "note": "a calibration ran alongside",
    "parameters": "calibration/llama/posterior.parquet",
    "moves_per_replicate": {"posterior": 42.0, "prior_means": 5.0},
    "sizes": [
        {
            "researchers": 10010,
            "copies": 715,
            "researcher_months_per_s": 20_000_000,
            "rate_replicates": 27,
            "run_replicates": 200,
            "run_wall_s": 4.6,
            "run_peak_gib": 0.5,
        },
        {
            "researchers": 14,
            "copies": 1,
            "researcher_months_per_s": 25_000_000,
            "rate_replicates": 20000,
            "run_replicates": 100000,
            "run_wall_s": 3.7,
            "run_peak_gib": 0.25,
        },
    ],
    "at_prior_means_researcher_months_per_s": 35_000_000,
    "mesa": {
        "replicates": 40,
        "compiled_researcher_months_per_s": 125_000,
        "plain_replicates": 4,
        "plain_researcher_months_per_s": 25_000,
    },
}


def test_the_table_says_how_when_and_where_it_was_measured(tmp_path):
    from scripts.bench_table import engines

    path = tmp_path / "engines.json"
    path.write_text(json.dumps(FIGURES))
    text = engines(path)
    assert "quick mode, runs a tenth the size of the full benchmark; median of 3" in text
    assert "on 2026-01-02 at commit `0123456789ab`, on 2 cores (Some CPU, 8.0 GiB" in text
    assert "load average 3.0 before the run and 3.0 after it; a calibration ran alongside." in text
    assert "(42.0 moves per replicate of the cohort" in text
    # smallest first; the largest's rate relative to the smallest's
    assert (
        "| 14 (1) | 25.0 million (35.0 million at the prior means) | 100,000 replicates: 4 s "
        "| 0.25 GiB |" in text
    )
    assert (
        "| 10,010 (715) | 20.0 million (0.80 of the rate at 14) | 200 replicates: 5 s "
        "| 0.50 GiB |" in text
    )
    assert text.index("| 14 (1)") < text.index("| 10,010 (715)")
    assert (
        "125,000 researcher-months per second calling the compiled kernel (the ensemble "
        "engine is 200x faster) and 25,000 with the kernel interpreted" in text
    )
    assert f"from `{path}`, which `make bench` writes" in text


@pytest.mark.slow
def test_the_benchmark_writes_a_file_the_table_reads(tmp_path):
    from scripts.bench_table import engines

    out = tmp_path / "engines.json"
    done = subprocess.run(
        [sys.executable, "benchmarks/engines.py", "--quick", "--repeats", "1", "--out", str(out),
         "--note", "a test"],
        cwd=REPO, capture_output=True, text=True, timeout=1800,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "CI": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(out.read_text())
    assert figures["mode"] == "quick" and figures["note"] == "a test"
    assert [s["researchers"] for s in figures["sizes"]] == [14, 1008, 10010]
    assert all(s["run_peak_gib"] > 0 for s in figures["sizes"])
    assert "| 1,008 (72) |" in engines(out)
