"""The package's folders are its layers: every import goes downwards, and no modules import each other in a cycle.

Read from the source (every ``import`` and ``from ... import``, lazy ones inside functions and
``TYPE_CHECKING`` blocks included), so a new upward import fails here, not in a newcomer's head.
"""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "benchmark"
# bottom to top; a module may import its own layer's modules (within its folder) and any lower layer
LAYERS: list[tuple[str, ...]] = [
    ("errors", "logs", "execution"),
    ("workspace",),
    ("scoring",),
    ("formats",),
    ("methods", "sources", "plotting"),
    ("tasks",),
    ("cli",),
    ("__main__",),  # python -m benchmark: runs cli.main
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
# within the base, errors shows paths as logs does: logs imports nothing of ours, errors imports logs
BASE_ORDER = {"logs": 0, "errors": 1, "execution": 2}
# scoring before formats: parameters.yaml is checked against the classifier's own settings
SCORING_INTERNAL = {"classifier": 0, "solver": 1, "selection": 1, "bootstrap": 1, "debugging": 2, "analysis": 3}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Absolute names of the benchmark modules (or packages) a file imports."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "benchmark"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "benchmark":
                continue
            for alias in node.names:  # ``from . import figures`` imports a module
                sub = f"{target}.{alias.name}"
                found.add(sub if module_file(sub) else target)
    return found


def module_file(name: str) -> Path | None:
    path = ROOT.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def graph() -> dict[str, set[str]]:
    return {module_name(path): imports(path) for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_import_goes_to_a_lower_layer_or_stays_in_its_folder():
    upward = []
    for importer, imported in graph().items():
        if importer == "benchmark":
            continue
        for target in imported:
            a, b = layer(importer), layer(target)
            assert module_file(target), f"{importer} imports {target}, which does not exist"
            if a == b:
                if a == "scoring":
                    x, y = importer.split(".")[2], target.split(".")[2] if target.count(".") >= 2 else ""
                    if x != y and y and SCORING_INTERNAL[y] >= SCORING_INTERNAL[x]:
                        upward.append(f"{importer} -> {target}")
                continue
            if a in BASE_ORDER and b in BASE_ORDER:
                if BASE_ORDER[b] >= BASE_ORDER[a]:
                    upward.append(f"{importer} -> {target}")
                continue
            if RANK[b] >= RANK[a]:
                upward.append(f"{importer} -> {target}")
    assert upward == []


def test_no_import_cycles():
    edges = graph()
    cycles = []

    def visit(node: str, path: list[str], state: dict[str, int]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif not state.get(nxt):
                visit(nxt, path + [nxt], state)
        state[node] = 2

    state: dict[str, int] = {}
    for start in sorted(edges):
        if not state.get(start):
            visit(start, [start], state)
    assert cycles == []


def test_every_folder_says_what_it_holds_and_what_it_may_import():
    for init in sorted(PACKAGE.rglob("__init__.py")):
        if init.parent == PACKAGE:
            continue
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        lines = doc.splitlines()
        assert len(lines) >= 3 and lines[0] and not lines[1], init
        assert lines[2].startswith("May import"), (init, lines[2])


def test_the_layer_table_names_every_folder_and_top_level_module():
    names = {p.stem for p in PACKAGE.glob("*.py")} | {p.name for p in PACKAGE.iterdir()
                                                       if p.is_dir() and (p / "__init__.py").is_file()}
    assert names - {"__init__"} == set(RANK)
