"""The package's layers import only downward: the table below is the architecture, and every
``import scanner.…`` in the code (at module level, inside functions and under TYPE_CHECKING alike)
must keep to it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "scanner"

# The order data flows through the program: commands -> workflow -> reporters -> named checks ->
# engine -> sources -> shared guards -> model. Each layer may import itself and what it lists.
ALLOWED: dict[str, set[str]] = {
    "cli": {"cli", "workflow", "report", "checks", "engine", "sources", "guards", "model"},
    "workflow": {"workflow", "report", "checks", "engine", "sources", "guards", "model"},
    "report": {"report", "guards", "model"},
    "checks": {"checks", "engine", "guards", "model"},
    "engine": {"engine", "guards", "model"},
    "sources": {"sources", "guards", "model"},
    "guards": {"guards", "model"},
    "model": {"model"},
}


def _layer(module: str) -> str | None:
    """``scanner.engine.policy`` -> ``engine``; the package root (``__version__``) has no layer."""
    parts = module.split(".")
    if parts[0] != "scanner" or len(parts) < 2:
        return None
    return parts[1]


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every ``scanner.*`` module ``path`` imports, with the line (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("scanner")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if not module.startswith("scanner"):
                continue
            if module == "scanner":  # `from scanner import model` names a layer; `__version__` none
                found += [(node.lineno, f"scanner.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, module))
    return found


def test_every_module_belongs_to_a_layer():
    top = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__" and not p.name.startswith(".")}
    # The package root holds only the version and the layers: a newcomer sees the pipeline.
    assert top - set(ALLOWED) <= {"__init__.py", "__main__.py"}


def violations(module_name: str, imports: list[tuple[int, str]]) -> list[str]:
    """The imports of ``module_name`` that its layer may not make, as ``line: target (a -> b)``."""
    importer = _layer(module_name)
    if importer is None:
        return []
    return [
        f"{line}: {target} ({importer} -> {_layer(target)})"
        for line, target in imports
        if _layer(target) in ALLOWED and _layer(target) not in ALLOWED[importer]
    ]


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_downward(path: Path):
    wrong = violations(_module_name(path), imports_of(path))
    assert not wrong, f"{path.relative_to(PACKAGE.parent)}: " + "; ".join(wrong)


def test_an_upward_import_is_caught():
    """What the issue forbade, written the way it was: a source and a check reading a reporter,
    a source reading the engine, the cache reading a source."""
    assert violations("scanner.sources.helm.charts", [(3, "scanner.report.redact")])
    assert violations("scanner.checks.kubernetes", [(21, "scanner.report.redact")])
    assert violations("scanner.sources.oci.mapping", [(9, "scanner.model.timestamps"), (10, "scanner.engine.x")])
    assert violations("scanner.guards.cache", [(1, "scanner.sources.terraform")])
    assert not violations("scanner.checks.iam", [(1, "scanner.engine.registry"), (2, "scanner.model")])


def _import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        graph[name] = {m for _, m in imports_of(path) if m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle of imports found by a depth-first walk of ``graph``."""
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            # Importing a package runs its __init__; importing a module of one's own package does not
            # make a cycle by itself, so edges to a parent package are left out.
            if node.startswith(nxt + "."):
                continue
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_a_circle_is_caught():
    graph = {"scanner.a.x": {"scanner.a.y"}, "scanner.a.y": {"scanner.a.z"}, "scanner.a.z": {"scanner.a.x"}}
    assert cycles(graph) == [["scanner.a.x", "scanner.a.y", "scanner.a.z", "scanner.a.x"]]


def test_no_module_imports_itself_through_a_circle():
    assert cycles(_import_graph()) == []


def _how_it_is_built() -> str:
    """The "How it is built" tree, wherever the docs keep it (README.md or a page of docs/)."""
    root = PACKAGE.parent
    for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        if "## How it is built" in text:
            section = text.split("## How it is built", 1)[1]
            return section.split("```", 2)[1]
    raise AssertionError("no 'How it is built' section in README.md or docs/")


def test_how_it_is_built_lists_the_layers_in_data_flow_order():
    tree = _how_it_is_built()
    listed = [line.split()[0].rstrip("/") for line in tree.splitlines() if line.startswith("  ") and
              not line.startswith("   ") and line.split()[0].endswith("/")]
    packages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert sorted(listed) == packages
    # Commands first, then the workflow, sources, engine, checks, reporters; guards and model last.
    assert listed == ["cli", "workflow", "sources", "engine", "checks", "report", "guards", "model"]
