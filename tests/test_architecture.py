"""The layout docs/architecture.md describes, checked: small modules, no import cycle, and
each room importing only the rooms it may."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
PACKAGES = ("survival", "ml_pipeline", "site_config")
# Every folder of Python the project keeps: none of its modules may grow past MAX_LINES.
SIZED = (*PACKAGES, "bench", "tests", "e2e")
MAX_LINES = 400

# What each room of survival/ may import from the project (besides itself, ml_pipeline and
# survival.models, which every room may use). docs/architecture.md shows the same table.
MAY_IMPORT = {
    "survival.pages": set(),
    "survival.error_pages": set(),
    "survival.ops.metrics": set(),
    "survival.registry": {"survival.ops.metrics"},
    "survival.apikeys": set(),
    "survival.predictions": {"survival.registry", "survival.ops.metrics", "survival.pages"},
    "survival.batch": {"survival.registry", "survival.pages", "survival.jobs"},
    "survival.jobs": {"survival.registry", "survival.pages"},
    "survival.api": {
        "survival.registry",
        "survival.predictions",
        "survival.error_pages",
        "survival.ops.metrics",
        # The errors of the cache the rate limits count in (CACHE_ERRORS).
        "survival.ops.host_cache",
        "survival.apikeys",
    },
    "survival.ops": {"survival.registry", "survival.ops.metrics"},
    "survival.management": {"survival.registry", "survival.batch", "survival.apikeys"},
}


def project_modules(packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    modules = {}
    for package in packages:
        for path in (PROJECT_DIR / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(PROJECT_DIR).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports, at any depth of its code (lazy imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from package import module` imports the module; anything else, the module
            # named after "from".
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in known
                else node.module
                for alias in node.names
            ]
        else:
            continue
        found.update(name for name in names if name in known)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {name: imports_of(path, known) - {name} for name, path in modules.items()}


def test_no_module_is_over_400_lines():
    long = {
        name: lines
        for name, path in project_modules(SIZED).items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long


def test_no_import_cycle():
    graph = import_graph()
    visiting, done, cycles = set(), set(), []

    def visit(module: str, trail: list[str]) -> None:
        if module in done:
            return
        if module in visiting:
            cycles.append([*trail[trail.index(module) :], module])
            return
        visiting.add(module)
        for imported in sorted(graph.get(module, ())):
            visit(imported, [*trail, module])
        visiting.discard(module)
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert not cycles


def room_of(module: str) -> str | None:
    for room in sorted(MAY_IMPORT, key=len, reverse=True):
        if module == room or module.startswith(room + "."):
            return room
    return None


@pytest.mark.parametrize("room", sorted(MAY_IMPORT))
def test_each_room_imports_only_what_it_may(room):
    allowed = MAY_IMPORT[room]
    wrong = set()
    for module, imported in import_graph().items():
        if room_of(module) != room:
            continue
        for target in imported:
            if not target.startswith("survival.") or target == "survival.models":
                continue
            target_room = room_of(target)
            if target_room == room:
                continue
            if not any(target == a or target.startswith(a + ".") for a in allowed):
                wrong.add(f"{module} imports {target}")
    assert not wrong


def test_the_pipeline_imports_nothing_of_the_web_app():
    graph = import_graph()
    wrong = {
        f"{module} imports {target}"
        for module, imported in graph.items()
        if module.startswith("ml_pipeline")
        for target in imported
        if not target.startswith("ml_pipeline")
    }
    assert not wrong
