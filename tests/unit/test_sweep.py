"""Sweeps and sensitivity: spec errors, designs, common random numbers, executors, resume."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.sensitivity import COLUMNS, run_sensitivity
from sim.analysis.sweep import design_points, load_sweep
from sim.analysis.sweep_run import run_sweep
from sim.analysis.sweep_store import chunk_path
from sim.engines.simulate import simulate
from sim.errors import InputError
from sim.kernel.streams import replicate_seeds
from sim.reports.sensitivity import write_sensitivity
from sim.results import replicate_summaries
from tests.conftest import REPO, SIM, SIM_ENV, run_sim

BASELINE = REPO / "scenarios" / "baseline.toml"


def write_spec(folder: Path, body: str, name: str = "spec.toml", params: str | None = None) -> Path:
    """A sweep file on the baseline; ``body`` holds the top-level keys."""
    params = params or "b_peer = [0.0, 20.0]\nk0 = [2.0, 8.0]\n"
    path = folder / name
    path.write_text(f'scenario = "{BASELINE}"\n{body}\n[parameters]\n{params}')
    return path


TINY_GRID = "design = 'grid'\nlevels = 3\nreplicates = 6\nseed = 5\nchunk_points = 2\n"
TINY_SOBOL = (
    "design = 'sobol'\nsamples = 8\ncalc_second_order = false\nreplicates = 8\nseed = 3\n"
    "chunk_points = 8\nnoise_points = 8\n"
)


# --------------------------------------------------------------------------- spec errors
BAD_SPECS = {
    "unknown parameter": (
        TINY_GRID,
        "b_pear = [0.0, 5.0]\n",
        "parameters.b_pear",
        "did you mean 'b_peer'",
    ),
    "range outside bounds": (TINY_GRID, "b_peer = [0.0, 25.0]\n", "parameters.b_peer", "[0, 20]"),
    "bad design": (TINY_GRID.replace("'grid'", "'sobel'"), None, "design", "'sobol'"),
    "sobol N not a power of 2": (
        TINY_SOBOL.replace("samples = 8", "samples = 1000"),
        None,
        "samples",
        "power of 2",
    ),
}


@pytest.mark.parametrize("case", list(BAD_SPECS))
def test_bad_spec_names_file_and_key(tmp_path, case):
    body, params, key, text = BAD_SPECS[case]
    path = write_spec(tmp_path, body, params=params)
    with pytest.raises(InputError) as info:
        load_sweep(path)
    message = str(info.value)
    assert str(path) in message and f"at {key}" in message and text in message


@pytest.mark.parametrize(
    ("body", "key", "text"),
    [
        (TINY_GRID + "sample = 4\n", "sample", "did you mean 'samples'"),
        (TINY_GRID + "num_levels = 4\n", "num_levels", "option of design morris"),
        (TINY_GRID.replace("levels = 3\n", ""), "levels", "needs levels"),
        (TINY_GRID + "outputs = ['remaining_2025_5']\n", "outputs[0]", "remaining_2025_05"),
        (
            TINY_GRID.replace("replicates = 6", "replicates = 0"),
            "replicates",
            "greater than or equal to 1",
        ),
    ],
    ids=["unknown key", "option of another design", "missing option", "unknown output", "zero"],
)
def test_more_spec_errors(tmp_path, body, key, text):
    path = write_spec(tmp_path, body)
    with pytest.raises(InputError, match="at " + key.replace("[", r"\[")) as info:
        load_sweep(path)
    assert str(path) in str(info.value) and text in str(info.value)


def test_reversed_range_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="low < high"):
        load_sweep(write_spec(tmp_path, TINY_GRID, params="k0 = [5.0, 2.0]\n"))
    with pytest.raises(InputError, match="no such sweep file"):
        load_sweep(tmp_path / "missing.toml")


@pytest.mark.parametrize("case", list(BAD_SPECS))
def test_cli_bad_spec_exits_2_without_traceback(tmp_path, case):
    body, params, key, text = BAD_SPECS[case]
    path = write_spec(tmp_path, body, params=params)
    done = run_sim("sweep", str(path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert str(path) in done.stderr and key in done.stderr and text in done.stderr
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- designs
def test_designs_have_the_documented_size_and_stay_in_range(tmp_path):
    grid = design_points(write_spec(tmp_path, TINY_GRID))
    assert len(grid) == 9 and list(grid.columns) == ["point", "b_peer", "k0"]
    assert set(grid["b_peer"]) == {0.0, 10.0, 20.0} and set(grid["k0"]) == {2.0, 5.0, 8.0}
    sobol = design_points(write_spec(tmp_path, TINY_SOBOL))
    assert len(sobol) == 8 * (2 + 2)
    second = TINY_SOBOL.replace("false", "true")
    assert len(design_points(write_spec(tmp_path, second))) == 8 * (2 * 2 + 2)
    morris = design_points(
        write_spec(tmp_path, "design = 'morris'\nsamples = 5\nnum_levels = 4\nreplicates = 2\n")
    )
    assert len(morris) == 5 * (2 + 1)
    lhs = design_points(write_spec(tmp_path, "design = 'lhs'\nsamples = 7\nreplicates = 2\n"))
    assert len(lhs) == 7 and lhs["k0"].between(2.0, 8.0).all()
    # Latin: one point in each of the 7 strata of each parameter
    assert sorted((lhs["k0"].to_numpy() - 2.0) // (6.0 / 7)) == list(range(7))
    for frame in (grid, sobol, morris, lhs):
        assert frame["point"].tolist() == list(range(len(frame)))
        assert frame["b_peer"].between(0.0, 20.0).all()


def test_design_is_deterministic_and_columns_follow_declared_order(tmp_path):
    a = write_spec(tmp_path, TINY_SOBOL, "a.toml", params="k0 = [2.0, 8.0]\nb_peer = [0.0, 20.0]\n")
    b = write_spec(tmp_path, TINY_SOBOL, "b.toml")
    pd.testing.assert_frame_equal(design_points(a), design_points(b))


def test_fixed_parameters_come_from_the_posterior_mean(tmp_path):
    from sim.config.params import prior_means
    from sim.kernel.behavior import PARAMETER_NAMES

    means = prior_means()
    draws = pd.DataFrame({n: [means[n] - 0.1, means[n] + 0.3] for n in PARAMETER_NAMES})
    draws.to_parquet(tmp_path / "posterior.parquet")
    (tmp_path / "post.toml").write_text(
        f'name = "post"\ndescription = "x"\nextends = "{BASELINE}"\n'
        f'posterior_file = "{tmp_path / "posterior.parquet"}"\n'
        '[params]\nfrom = "posterior"\nb_home = 2.5\n'
    )
    path = tmp_path / "spec.toml"
    path.write_text('scenario = "post.toml"\n' + TINY_GRID + "[parameters]\nk0 = [2.0, 8.0]\n")
    sweep = load_sweep(path)
    assert sweep.base_from == "posterior means"
    assert sweep.base["b_home"] == 2.5  # the scenario's fixed value wins
    assert sweep.base["b_peer"] == pytest.approx(means["b_peer"] + 0.1)


# --------------------------------------------------------------------------- running
def test_points_use_common_random_numbers(tmp_path):
    sweep = load_sweep(write_spec(tmp_path, TINY_GRID))
    results = run_sweep(sweep, tmp_path / "out", workers=1, progress=False)
    design = design_points(sweep)
    theta = sweep.theta(design)
    world = sweep.scenario.compile()
    for k in (0, 4, 8):  # each point alone, with the sweep's replicate seeds
        traj = simulate(world, theta[k], replicate_seeds(5, 6))
        stats = replicate_summaries(traj, ["remaining_2025_05", "half_gone_month"])
        assert results.loc[k, "remaining_2025_05_mean"] == stats["remaining_2025_05"].mean()
        assert results.loc[k, "remaining_2025_05_sd"] == pytest.approx(
            stats["remaining_2025_05"].std(ddof=1), rel=1e-12
        )
        censored = stats["half_gone_month"].where(stats["half_gone_month"] >= 0, world.n_months)
        assert results.loc[k, "half_gone_month_mean"] == pytest.approx(censored.mean(), rel=1e-12)
    assert (results["seed"] == 5).all() and (results["replicates"] == 6).all()
    manifest = __import__("json").loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["replicate_seeds"] == [int(s) for s in replicate_seeds(5, 6)]
    assert (
        manifest["chunks"] == 5 and len(list((tmp_path / "out" / "chunks").glob("*.parquet"))) == 5
    )
    assert len(list((tmp_path / "out" / "chunks").glob("*.sha256"))) == 5


def test_same_results_whatever_the_executor(tmp_path):
    from distributed import LocalCluster

    path = write_spec(tmp_path, TINY_GRID)
    one = run_sweep(path, tmp_path / "one", workers=1, progress=False)
    two = run_sweep(path, tmp_path / "two", workers=2, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:  # fmt: skip
        dask = run_sweep(path, tmp_path / "dask", scheduler=cluster.scheduler_address,
                         progress=False)  # fmt: skip
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(one, dask)
    on_disk = pd.read_parquet(tmp_path / "dask" / "results.parquet")
    pd.testing.assert_frame_equal(one, on_disk)
    with pytest.raises(InputError, match="not both"):
        run_sweep(path, tmp_path / "x", workers=2, scheduler="tcp://localhost:1")


def test_a_different_sweep_in_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    run_sweep(write_spec(tmp_path, TINY_GRID), out, workers=1, progress=False)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    other = write_spec(tmp_path, TINY_GRID.replace("replicates = 6", "replicates = 7"), "o.toml")
    with pytest.raises(InputError, match=r"different sweep.*spec\.replicates"):
        run_sweep(other, out, workers=1, progress=False)
    assert before == {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "summary.csv").write_text("x\n")
    with pytest.raises(InputError, match="not empty"):
        run_sweep(other, tmp_path / "busy", workers=1, progress=False)


def test_damaged_chunks_are_recomputed_and_finished_ones_kept(tmp_path):
    path = write_spec(tmp_path, TINY_GRID)
    out = tmp_path / "out"
    first = run_sweep(path, out, workers=1, progress=False)
    garbage, half = chunk_path(out, 1), chunk_path(out, 3)
    garbage.write_bytes(b"not parquet at all")
    half.write_bytes(half.read_bytes()[: half.stat().st_size // 2])
    kept = chunk_path(out, 2).stat().st_mtime_ns
    (out / "results.parquet").unlink()
    with pytest.warns(UserWarning, match="damaged chunk") as record:
        again = run_sweep(path, out, workers=1, progress=False)
    assert sum("damaged chunk" in str(w.message) for w in record) == 2
    assert chunk_path(out, 2).stat().st_mtime_ns == kept
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, pd.read_parquet(out / "results.parquet"))


def test_killed_sweep_resumes_to_the_uninterrupted_result(tmp_path):
    body = "design = 'grid'\nlevels = 4\nreplicates = 1000\nseed = 11\nchunk_points = 2\n"
    path = write_spec(tmp_path, body, params="b_peer = [0.0, 20.0]\nsigma_u = [0.0, 5.0]\n")
    reference = run_sweep(path, tmp_path / "reference", workers=1, progress=False)
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [*SIM, "sweep", str(path), "--out", str(out), "--workers", "1"],
        env=SIM_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(out.glob("chunks/chunk-*.parquet")):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "no chunk was written"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    finished = sorted(out.glob("chunks/chunk-*.parquet"))
    assert not (out / "results.parquet").exists() and 1 <= len(finished) < 8
    assert (out / "manifest.json").exists()
    stamps = {p: p.stat().st_mtime_ns for p in finished}
    done = run_sim("sweep", str(path), "--out", str(out), "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items()), "finished chunks were redone"
    pd.testing.assert_frame_equal(reference, pd.read_parquet(out / "results.parquet"))


# --------------------------------------------------------------------------- sensitivity
def test_sobol_indices_on_a_tiny_design(tmp_path):
    out = tmp_path / "out"
    result = run_sensitivity(write_spec(tmp_path, TINY_SOBOL), out, workers=1, progress=False)
    write_sensitivity(result, out)
    table = result.table
    assert tuple(table.columns) == COLUMNS
    assert table.equals(pd.read_csv(out / "sensitivity.csv"))
    outputs = ["remaining_2025_05", "at_mistral_2025_05", "half_gone_month"]
    main = table[table["index"].isin(["S1", "ST"])]
    assert len(main) == len(outputs) * 2 * 2
    assert np.isfinite(main[["value", "conf"]].to_numpy()).all()
    noise = table[table["index"] == "noise_var_ratio"]
    assert sorted(noise["output"]) == sorted(outputs)
    assert ((noise["value"] > 0) & (noise["value"] < 1)).all()
    assert (out / "sensitivity.png").stat().st_size > 0
    assert "seed-noise" in (out / "sensitivity.md").read_text()
    # a second call reuses the finished sweep and gives the same table
    stamp = chunk_path(out, 0).stat().st_mtime_ns
    again = run_sensitivity(write_spec(tmp_path, TINY_SOBOL), out, workers=1, progress=False).table
    assert chunk_path(out, 0).stat().st_mtime_ns == stamp
    pd.testing.assert_frame_equal(table, again)


def test_morris_indices_and_grid_refused(tmp_path):
    morris = "design = 'morris'\nsamples = 4\nnum_levels = 4\nreplicates = 8\nseed = 2\n"
    m = tmp_path / "m"
    table = run_sensitivity(write_spec(tmp_path, morris), m, workers=1, progress=False).table
    star = table[table["index"] == "mu_star"]
    assert len(star) == 3 * 2 and np.isfinite(star[["value", "conf"]].to_numpy()).all()
    assert (table["index"] == "mu_star_noise").sum() == 3
    with pytest.raises(InputError, match="at design.*'sobol' or 'morris'"):
        run_sensitivity(write_spec(tmp_path, TINY_GRID), tmp_path / "g", workers=1)
    assert not (tmp_path / "g").exists()
