"""The literature prior set: it loads, stays in the declared bounds, documents every table, and
its documentation page quotes the same numbers (so the file and the page cannot drift)."""

import math
import re
import tomllib

import pytest

from sim.config.params import PARAMETER_SPACE
from sim.inference.priors import load_priors
from sim.kernel.behavior import PARAMETER_NAMES
from tests.conftest import REPO

PRIORS = REPO / "calibration" / "priors-literature.toml"
PAGE = REPO / "docs" / "priors-literature.md"
DECLARED = {p.name: p for p in PARAMETER_SPACE}


def _raw() -> dict:
    with PRIORS.open("rb") as f:
        return tomllib.load(f)


def _prior_text(mean: float, sd: float, low: float, high: float) -> str:
    """How the page writes a prior: N(mean, sd), or Uniform(low, high) where sd is infinite."""
    if math.isinf(sd):
        return f"Uniform({low:g}, {high:g})"
    return f"N({mean:g}, {sd:g})"


def _table_rows() -> dict[str, list[str]]:
    """The page's table of priors: parameter name -> its cells, from rows starting `| `name` |`."""
    rows = {}
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`(\w+)`\s*\|", line)
        if match and match.group(1) in DECLARED:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            assert match.group(1) not in rows, f"{match.group(1)} has two rows in {PAGE.name}"
            rows[match.group(1)] = cells
    return rows


def test_loads_through_load_priors_within_the_declared_bounds():
    space = load_priors(PRIORS, founding=True)  # every parameter, the founding ones included
    assert tuple(p.name for p in space) == PARAMETER_NAMES
    raw = _raw()
    assert raw, "the file sets no parameter"
    for p in space:
        declared = DECLARED[p.name]
        assert declared.low <= p.low < p.high <= declared.high, p.name
        assert p.low <= p.mean <= p.high, f"{p.name}: mean {p.mean} outside [{p.low}, {p.high}]"
        assert p.sd > 0, p.name
        if p.name not in raw:
            assert (p.mean, p.sd, p.low, p.high) == (
                declared.mean, declared.sd, declared.low, declared.high
            ), f"{p.name} is not in the file but its prior changed"  # fmt: skip


@pytest.mark.parametrize("name", sorted(_raw()))
def test_every_table_names_its_source_and_arithmetic(name):
    table = _raw()[name]
    for key in ("source", "why"):
        assert isinstance(table.get(key), str) and table[key].strip(), f"{name}.{key} is empty"
    assert "mean" in table and "sd" in table, f"{name}: set both mean and sd"


def test_parameters_left_declared_are_said_so_in_the_file():
    comments = "\n".join(
        line for line in PRIORS.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    )
    for name in PARAMETER_NAMES:
        if name not in _raw():
            assert re.search(rf"\b{name}\b", comments), f"no comment says why {name} is not set"


def test_the_page_quotes_the_same_priors_as_the_file():
    rows = _table_rows()
    assert set(rows) == set(PARAMETER_NAMES), (
        f"the page's table misses {set(PARAMETER_NAMES) - set(rows)}"
    )
    space = {p.name: p for p in load_priors(PRIORS)}
    raw = _raw()
    for name, cells in rows.items():
        # parameter | declared prior | literature prior | source | arithmetic
        assert len(cells) == 5, f"{name}: expected 5 cells, got {len(cells)}"
        declared, literature = DECLARED[name], space[name]
        assert cells[1].startswith(
            _prior_text(declared.mean, declared.sd, declared.low, declared.high)
        ), f"{name}: the page's declared prior {cells[1]!r} is not the one in sim/params.py"
        if name in raw:
            expected = _prior_text(literature.mean, literature.sd, literature.low, literature.high)
            assert cells[2] == expected, f"{name}: page says {cells[2]!r}, the file {expected!r}"
            assert cells[3] and cells[4], f"{name}: source and arithmetic must not be empty"
        else:
            assert cells[2] == "declared", (
                f"{name}: not set in the file, but the page says {cells[2]!r}"
            )
