"""`sim run`: the files it writes, and the same files from either engine for the same seed."""

import json

import numpy as np
import pandas as pd

from sim.kernel.streams import replicate_seeds
from sim.results import Trajectories, distinct_other_labs, exits_per_month
from tests.conftest import bare_world, run_sim

FILES = {
    "trajectories.parquet",
    "parameters.parquet",
    "retention.csv",
    "summary.csv",
    "destinations.csv",
    "exits.csv",
    "retention.png",
    "manifest.json",
}


def test_both_engines_write_the_same_files_and_histories(tmp_path):
    outs = {}
    for engine in ("ensemble", "mesa"):
        out = tmp_path / engine
        done = run_sim(
            "run", "baseline", "--replicates", 12, "--seed", 5, "--engine", engine, "--out", out
        )
        assert done.returncode == 0, done.stderr
        assert {p.name for p in out.iterdir()} == FILES
        outs[engine] = out
    a, b = (pd.read_parquet(outs[e] / "trajectories.parquet") for e in ("ensemble", "mesa"))
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 12 * 47 * 14 and list(a.columns) == [
        "replicate",
        "seed",
        "month",
        "researcher",
        "lab",
    ]
    pd.testing.assert_frame_equal(
        pd.read_csv(outs["ensemble"] / "retention.csv"), pd.read_csv(outs["mesa"] / "retention.csv")
    )
    manifest = json.loads((outs["mesa"] / "manifest.json").read_text())
    assert manifest["engine"] == "mesa" and manifest["seed"] == 5 and manifest["replicates"] == 12
    assert {"git_commit", "version", "scenario", "spec"} <= set(manifest)
    seeds = pd.read_parquet(outs["mesa"] / "parameters.parquet")["seed"].to_numpy()
    np.testing.assert_array_equal(seeds, replicate_seeds(5, 12))


def test_exits_per_month_counts_each_departure_once():
    # two researchers starting at lab 0 over four months: one leaves in month 0, comes back in
    # month 2 and leaves again in month 3; the other leaves in month 1 and stays away
    labs = np.array([[[1, 0], [1, 2], [0, 2], [2, 2]]], dtype=np.int8)
    traj = Trajectories(labs, np.zeros(1, np.uint64), np.zeros((1, 12)), bare_world("ABC", "pq"))
    assert exits_per_month(traj)["mean"].tolist() == [1.0, 1.0, 0.0, 1.0]


def test_each_researcher_at_a_pooled_lab_counts_as_a_lab_of_their_own():
    # four researchers from lab A; at the last month: B, B, Other, Other (replicate 0) and
    # B, C, Other, A (replicate 1). "Other" pools many labs, so its two researchers are two labs.
    labs = np.array([[[1, 1, 3, 3]], [[1, 2, 3, 0]]], dtype=np.int8)
    names = ("A", "B", "C", "Other")
    args = (np.zeros(2, np.uint64), np.zeros((2, 12)))
    cities = [("X",), ("X",), ("X",), ("*",)]
    pooled = Trajectories(labs, *args, bare_world(names, "pqrs", lab_cities=cities))
    plain = Trajectories(labs, *args, bare_world(names, "pqrs"))
    month = "2023-02"  # month index 0, the only one
    np.testing.assert_array_equal(distinct_other_labs(pooled, (), month), [3, 3])
    np.testing.assert_array_equal(distinct_other_labs(plain, (), month), [2, 3])
    np.testing.assert_array_equal(distinct_other_labs(pooled, ("B",), month), [2, 2])
