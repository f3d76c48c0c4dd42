"""The direction of imports: ``cli -> server -> engine -> store, clock``, and no cycles.

Read from the source with ``ast`` (every import: module level, inside functions and behind
``TYPE_CHECKING``), grouped into components: a package of ``emulator`` (``engine``,
``server``, ``testing``, ``platform``, ``runtime``) or one top-level module. No cycle is
left (``KNOWN_CYCLES`` is empty: an entry needs the reason it stays), and ``CONTRACTS`` hold
through every path (``step !-> engine``, ``server !-> testing``...).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"engine", "server", "testing", "platform", "runtime"}

# Edges that close a cycle today, each with why it stays. Empty: a new cycle fails here.
KNOWN_CYCLES: dict[tuple[str, str], str] = {}

# Contracts: the first never imports the second, directly or through anything it imports.
CONTRACTS = [
    ("wf.step", "wf.engine"),  # the step API knows runners by a protocol
    ("wf.server", "wf.testing"),  # the harness registers its routes
    ("wf.engine", "wf.bindings"),  # the composition roots pass an env factory
    ("wf.engine", "wf.server"),  # REST shapes are the server's (views)
    ("wf.engine", "wf.testing"),  # the harness implements EngineHooks
    ("wf.usertime", "wf.clock"),  # user time names the clock by a protocol
]


def component(module: str) -> str | None:
    """The component a module belongs to, or None outside the project."""
    parts = module.split(".")
    if parts[0] != "wf":
        return None
    if len(parts) == 1:
        return "wf"
    return f"wf.{parts[1]}"


def modules() -> Iterator[tuple[str, Path]]:
    for top in ("wf",):
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def imports_of(module: str, path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            for alias in node.names:  # `from wf import serialization` names a module
                yield f"{target}.{alias.name}"


def module_graph() -> dict[str, set[str]]:
    known = {name for name, _ in modules()}
    graph: dict[str, set[str]] = {}
    for name, path in modules():
        if name.startswith("wf.runtime"):
            continue  # the user-facing shims: imported as `workers`, `js`, `pyodide`
        targets = graph.setdefault(name, set())
        for target in imports_of(name, path):
            if target in known and target != name:
                targets.add(target)
    return graph


def component_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for source, targets in module_graph().items():
        here = component(source)
        assert here is not None
        edges = graph.setdefault(here, set())
        for target in targets:
            there = component(target)
            if there is not None and there != here and there != "wf":
                edges.add(there)
    return graph


def reaches(graph: dict[str, set[str]], start: str, goal: str, skip: set[tuple[str, str]]) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        for nxt in graph.get(node, ()):
            if (node, nxt) in skip:
                continue
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def test_no_import_cycles_between_components_but_the_known_ones() -> None:
    graph = component_graph()
    skip = set(KNOWN_CYCLES)
    cycles = sorted(
        (a, b)
        for a, targets in graph.items()
        for b in targets
        if (a, b) not in skip and reaches(graph, b, a, skip)
    )
    assert cycles == [], f"import cycles between components: {cycles}"
    for edge in KNOWN_CYCLES:  # a known cycle that is gone must leave the list
        assert edge[1] in graph.get(edge[0], set()), f"{edge} no longer exists: remove it"


def test_the_direction_of_dependency() -> None:
    graph = component_graph()
    forbidden = [
        ("wf.step", "wf.engine"),  # the step API knows runners by a protocol
        ("wf.server", "wf.testing"),  # the harness registers its routes
        ("wf.engine", "wf.testing"),  # the harness implements EngineHooks
        ("wf.engine", "wf.cli"),
        ("wf.server", "wf.cli"),
        ("wf.store", "wf.engine"),
        ("wf.clock", "wf.engine"),
        ("wf.timers", "wf.engine"),
        ("wf.vocabulary", "wf.engine"),
    ]
    wrong = [edge for edge in forbidden if edge[1] in graph.get(edge[0], set())]
    assert wrong == []


def test_the_contracts_hold_through_every_path() -> None:
    graph = component_graph()
    broken = [(a, b) for a, b in CONTRACTS if reaches(graph, a, b, set())]
    assert broken == [], f"contracts broken (first imports second, maybe indirectly): {broken}"


def test_the_engine_imports_no_aiohttp_and_the_replay_core_no_io() -> None:
    for name, path in modules():
        found = set(imports_of(name, path))
        if name.startswith("wf.engine"):
            assert not any(t.split(".")[0] == "aiohttp" for t in found), name
        if name == "wf.engine.replay":
            io = {"sqlite3", "asyncio", "wf.project", "wf.engine.instances"}
            assert not found & io, found & io


if __name__ == "__main__":  # print the component graph (for ARCHITECTURE.md)
    for source, targets in sorted(component_graph().items()):
        print(f"{source} -> {', '.join(sorted(targets)) or '-'}", file=sys.stdout)
