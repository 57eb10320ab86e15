"""The package's shape: modules a person can read, layers that only look down."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 500


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", _modules("fraud") + _modules("api"),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_longer_than_500_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by concept"


def _below(imported: set[str], packages: tuple[str, ...]) -> set[str]:
    return {m for m in imported if any(m == p or m.startswith(p + ".") for p in packages)}


@pytest.mark.parametrize("package, forbidden", [
    ("fraud/rules", ("fraud.scoring", "fraud.replay", "fraud.cli", "fraud.batch", "fraud.runtime")),
    ("fraud/replay", ("fraud.cli", "fraud.runtime")),
    ("fraud", ("api",)),
])
def test_layers_only_import_downwards(package: str, forbidden: tuple[str, ...]) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(_below(_imports(path), forbidden))
        for path in _modules(package)
    }
    assert {k: v for k, v in wrong.items() if v} == {}


def test_only_the_cli_package_builds_commands() -> None:
    users = {str(p.relative_to(ROOT)) for p in _modules("fraud") if "typer" in _imports(p)}
    assert users and all(u.startswith("fraud/cli/") for u in users)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (anywhere in it, TYPE_CHECKING included)."""
    paths = _modules("fraud") + _modules("api")
    known = {_module_name(p) for p in paths}
    graph: dict[str, set[str]] = {}
    for path in paths:
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name in known)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:  # `from pkg import module` names the module itself
                    sub = f"{node.module}.{alias.name}"
                    edges.add(sub if sub in known else node.module)
        graph[_module_name(path)] = edges & known
    return graph


def test_no_import_cycles() -> None:
    graph = _import_graph()
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            cycle = trail[trail.index(module):] + [module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for imported in sorted(graph.get(module, ())):
            visit(imported, [*trail, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
