"""The package's imports run one way (README: "How the code is laid out").

Every import in ``ccsim/`` — at module level and inside functions, read with ``ast`` —
is an edge between two modules; the graph must have no cycle, and the simulator
must not import the planner, sweeps, plots or the CLI.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ccsim"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.AST) -> set[int]:
    """Line numbers of imports under ``if TYPE_CHECKING:`` (not run)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import | ast.ImportFrom):
                    lines.add(sub.lineno)
    return lines


def import_graph() -> dict[str, set[str]]:
    """Module → the ccsim modules it imports (a name imported from a package counts as
    the submodule when there is one)."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_only(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                targets |= {f"{base}.{a.name}" for a in node.names} | {base}
        edges = set()
        for target in targets:
            while target and target not in paths:
                target = target.rpartition(".")[0]
            ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
            if target and target != name and target not in ancestors:
                edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize("upper", ["ccsim.staffing", "ccsim.sweep", "ccsim.plots", "ccsim.cli"])
def test_the_simulator_imports_nothing_above_it(upper):
    graph = import_graph()
    sim = {m: edges for m, edges in graph.items() if m == "ccsim.sim" or m.startswith("ccsim.sim.")}
    assert sim, "no ccsim.sim modules found"
    offending = {
        m: sorted(e for e in edges if e == upper or e.startswith(upper + "."))
        for m, edges in sim.items()
    }
    assert {m: e for m, e in offending.items() if e} == {}


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    # the CLI imports the planner only inside its commands
    assert "ccsim.staffing" in graph["ccsim.cli"]
