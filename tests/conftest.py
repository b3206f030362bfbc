"""Shared fixtures: small worlds, parameters that make moves frequent, the ``sim`` command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sim.config.params import prior_means
from sim.kernel.behavior import PARAMETER_NAMES
from sim.world import Calendar, Event, World, load_world

REPO = Path(__file__).resolve().parent.parent
#: The ``sim`` command, and the environment it gets in a test: this checkout, no terminal.
SIM = (sys.executable, "-m", "sim.cli")
SIM_ENV = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "CI": "1"}


def run_sim(*args, cwd=REPO) -> subprocess.CompletedProcess:
    """Run ``sim ARGS`` in a subprocess (arguments made strings), capturing its output."""
    return subprocess.run(
        [*SIM, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=SIM_ENV, timeout=120
    )


def cli(*args):
    """Run ``sim ARGS`` in this process (no interpreter start): ``returncode``, ``stdout``,
    ``stderr``, as :func:`run_sim` gives them."""
    import contextlib
    import io
    from types import SimpleNamespace

    from sim.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as stop:  # argparse's usage errors
            code = stop.code
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def theta_of(**overrides) -> np.ndarray:
    """A parameter vector: the prior means with some values replaced."""
    values = {**prior_means(), **overrides}
    return np.array([values[n] for n in PARAMETER_NAMES])


#: Parameters under which researchers move often (a few moves per researcher per run).
MOBILE = dict(k0=1.0, b_peer=3.0, b_founder=3.0, sigma_u=1.0, lam=0.7, k_tenure=0.1)


@pytest.fixture(scope="session")
def llama():
    return load_world("llama")


@pytest.fixture(scope="session")
def mobile_theta():
    return theta_of(**MOBILE)


def make_world(
    n_people: int = 4,
    labs: tuple[str, ...] = ("A", "B", "C"),
    founded: tuple[str, ...] | None = None,
    events: tuple[Event, ...] = (),
    cities: tuple[str, ...] | None = None,
    founders: tuple[tuple[str, ...], ...] | None = None,
    seed: int = 0,
) -> World:
    """A small world in memory: everyone starts at the first lab."""
    rng = np.random.default_rng(seed)
    people = tuple(f"p{i}" for i in range(n_people))
    ties = rng.random((n_people, n_people))
    ties = np.triu(ties, 1)
    return World(
        name="small",
        researchers=people,
        cities=cities or tuple("X" if i % 2 else "Y" for i in range(n_people)),
        start_labs=(labs[0],) * n_people,
        tenure_years=tuple(float(x) for x in rng.uniform(0, 6, n_people)),
        labs=labs,
        lab_cities=tuple(("X",) if j % 2 else ("Y", "X") for j in range(len(labs))),
        founded=founded or ("",) * len(labs),
        founders=founders or ((),) * len(labs),
        attributes=rng.random((len(labs), 4)),
        events=events,
        ties=ties + ties.T,
        calendar=Calendar("2023-02"),
    )


def bare_world(labs, people, statistics=(), lab_cities=None) -> World:
    """A world in memory for hand-written histories: everyone at ``labs[0]``, month 0 2023-02.

    ``statistics`` are ``(name, kind, month, extra)`` tuples declared on the world.
    """
    from sim.world import Statistic

    return World(
        name="bare",
        researchers=tuple(people),
        cities=("X",) * len(people),
        start_labs=(labs[0],) * len(people),
        tenure_years=(1.0,) * len(people),
        labs=tuple(labs),
        lab_cities=tuple(lab_cities or [("X",)] * len(labs)),
        founded=("",) * len(labs),
        founders=((),) * len(labs),
        attributes=np.full((len(labs), 4), 0.5),
        calendar=Calendar("2023-02"),
        statistics=tuple(
            Statistic(name=n, kind=k, month=m, **extra) for n, k, m, extra in statistics
        ),
    )


def merge_world() -> World:
    """Five labs: one founded in month 3, one merged into a lab founded in month 6."""
    return make_world(
        n_people=6,
        labs=("Home", "Spin", "Old", "New", "Far"),
        founded=("", "2023-05", "", "2023-08", ""),
        founders=((), ("p0", "p1"), (), (), ()),
        events=(
            Event("cut", "2023-03", "shift", "Home", "culture", -0.3),
            Event("merge", "2023-08", "merge", "Old", into="New"),
            Event("boom", "2023-10", "set", "*", "pay", 0.9),
        ),
        seed=3,
    )


def llama_variant(
    tmp_path: Path, observed: Callable[[str], str] | None, toml: str = "", name: str = "variant"
) -> Path:
    """A scenario extending the baseline on a copy of the LLaMA world with its observed.csv
    edited by ``observed`` (its text -> new text) or removed (None). ``toml`` is appended to the
    scenario file (keys, then tables). Returns the scenario file."""
    folder = tmp_path / "world"
    shutil.copytree(REPO / "sim" / "data" / "llama", folder)
    history = folder / "observed.csv"
    if observed is None:
        history.unlink()
    else:
        history.write_text(observed(history.read_text()))
    scenario = tmp_path / "s.toml"
    keys, _, tables = toml.partition("[")
    scenario.write_text(
        f'description = "{name}"\nextends = "baseline"\n{keys}[world]\nname = "{folder}"\n'
        + (f"[{tables}" if tables else "")
    )
    return scenario
