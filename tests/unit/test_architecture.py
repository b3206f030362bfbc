"""The architecture holds: layers import downwards, no circles, no private names across modules.

The contract itself is in pyproject.toml ([tool.importlinter]); these tests run it and check what
it cannot express: no import circle between any two modules (imports inside functions included),
no private name taken from another module, and modules small enough to read.
"""

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx

from tests.conftest import REPO

SIM = REPO / "sim"
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SIM.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def test_the_import_linter_contract_holds():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout, result.stdout


def test_no_two_modules_import_each_other_even_inside_functions():
    graph = grimp.build_graph("sim")
    edges = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            edges.add_edge(module, imported)
    cycles = sorted(nx.simple_cycles(edges), key=len)
    assert not cycles, f"import circles: {cycles[:5]}"


def test_the_command_line_is_known_only_to_sim_cli():
    offenders = [
        name for name, path in _modules().items()
        if not name.startswith("sim.cli") and "argparse" in path.read_text()
        and any(
            isinstance(node, ast.Import | ast.ImportFrom)
            and "argparse" in {a.name for a in node.names} | {getattr(node, "module", None)}
            for node in ast.walk(ast.parse(path.read_text()))
        )
    ]  # fmt: skip
    assert not offenders, f"modules below sim.cli that import argparse: {offenders}"


def _bindings(tree: ast.AST, modules: dict[str, Path]) -> dict[str, str]:
    """Local names bound to sim modules in a file: ``import sim.x as y``, ``from sim import x``."""
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sim") and alias.asname:
                    bound[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in modules:
                    bound[alias.asname or alias.name] = full
    return bound


def test_no_private_name_is_taken_from_another_module():
    modules = _modules()
    offenders = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        offenders.append(f"{name}: from {node.module} import {alias.name}")
        bound = _bindings(tree, modules)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in bound and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):  # fmt: skip
                offenders.append(f"{name}: {bound[node.value.id]}.{node.attr}")
    assert not offenders, "private names used across modules:\n" + "\n".join(offenders)


def test_no_module_is_longer_than_the_limit():
    long = {
        str(path.relative_to(REPO)): n
        for path in SIM.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_package_docstring_draws_every_layer_of_the_contract():
    import tomllib

    import sim

    layers = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ][0]["layers"]
    assert len(layers) == 11
    for layer in layers:
        assert f"{layer.removeprefix('sim.')}/" in sim.__doc__, layer
