"""The layering of ``../shared/DESIGN.md``, checked on every import in the package, lazy ones
(inside functions) included: dependencies point one way, down, and no two packages import each
other, directly or round a longer loop.

Layers, lowest first; a package may import its own layer's peers (if that makes no cycle) and
anything below, never above:

    core, settings                     knows no domain
    web                                HTTP plumbing every domain's controllers share
    departments, taxonomy              reference data
    companies                          member companies
    accounts                           users, sessions, tokens (a user belongs to a company)
    notifications
    scenarios                          notices and their lifecycle
    proposals
    evaluation
    importing                          bulk writes through the domains' rules
    matching, search, opendata         read engines over the domains' tables; open data
    pages, admin                       composed pages; the association's back office
    demo, wiring, piccolo_app          demo data, event wiring, the table registry
    app, cli                           the entry points
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent / "marketplace"

LAYERS: list[set[str]] = [
    {"core", "settings"},
    {"web"},
    {"departments", "taxonomy"},
    {"companies"},
    {"accounts"},
    {"notifications"},
    {"scenarios"},
    {"proposals"},
    {"evaluation"},
    {"importing"},
    {"matching", "search", "opendata"},
    {"pages", "admin"},
    {"demo", "wiring", "piccolo_app"},
    {"app", "cli"},
]
LAYER_OF = {name: level for level, names in enumerate(LAYERS) for name in names}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return _imports_in(path.read_text(encoding="utf-8"), package)


def _imports_in(source: str, package: str) -> list[tuple[str, int]]:
    """Every ``marketplace.*`` module imported anywhere in ``source`` (a module of ``package``),
    inside functions too, with its line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from marketplace import wiring`` imports the module marketplace.wiring.
            found += [
                (f"{target}.{alias.name}" if target == "marketplace" else target, node.lineno)
                for alias in node.names
            ]
    return [(name, line) for name, line in found if name.startswith("marketplace.")]


def _package(module: str) -> str:
    return module.split(".")[1]


def _edges() -> list[tuple[str, str, str]]:
    """(importing package, imported package, 'file:line') for imports between packages."""
    edges = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        if "piccolo_migrations" in path.parts or (path.parent == PACKAGE_ROOT and path.name == "__init__.py"):
            continue
        source = _package(_module_name(path))
        for target, line in _imports(path):
            if _package(target) != source:
                edges.append((source, _package(target), f"{path.relative_to(PACKAGE_ROOT.parent)}:{line}"))
    return edges


def test_every_package_has_a_layer():
    packages = {
        _package(_module_name(p))
        for p in PACKAGE_ROOT.rglob("*.py")
        if p.parent != PACKAGE_ROOT or p.name != "__init__.py"
    }
    packages.discard("piccolo_migrations")
    assert packages - LAYER_OF.keys() == set(), "add the new package to LAYERS (and to the docstring)"


def test_no_import_runs_upward():
    upward = [
        f"{where}: {source} imports {target}"
        for source, target, where in _edges()
        if LAYER_OF[target] > LAYER_OF[source]
    ]
    assert upward == []


def test_no_cycle_between_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target, _ in _edges():
        graph[source].add(target)
    cycles = []
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_checker_sees_lazy_and_relative_imports():
    """An import inside a function, or a relative one, counts as much as one at the top."""
    source = (
        "from marketplace.core import clock\n"
        "def page():\n"
        "    from marketplace.pages import reads\n"
        "    from ..evaluation import pilots\n"
        "    import marketplace.search.queries\n"
    )
    found = {name for name, _ in _imports_in(source, "marketplace.scenarios")}
    assert found == {
        "marketplace.core",
        "marketplace.pages",
        "marketplace.evaluation",
        "marketplace.search.queries",
    }
