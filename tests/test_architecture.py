"""The import contract: imports run one way, down the floors, with no circle and no private reach-in.

Floors, top to bottom (docs/architecture.md): the command line; the emitters (LaTeX, figures) and
the checker; stacks; gradients; views; layers; geometry; base. A module may import its own floor
or lower ones, never a higher one; the module graph has no cycle; and no module imports a name
that another module keeps private (a leading underscore). Every import counts: at the top of a
module, inside a function, and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "symconv"

FLOORS = {
    "base": 0,
    "_version": 0,
    "geometry": 1,
    "layers": 2,
    "views": 3,
    "grad": 4,
    "stack": 5,
    "checker": 6,
    "frameworks": 6,
    "figures": 6,
    "latex": 7,
    "explore": 7,
    "proofs": 7,
    "cli": 8,
    "__init__": 9,
    "__main__": 9,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def floor(module: str) -> int:
    parts = module.split(".")
    return FLOORS[parts[1] if len(parts) > 1 else "__init__"]


def resolve(name: str) -> str | None:
    """The symconv module that ``import name`` loads (a package resolves to its ``__init__``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str) -> list[tuple[str, str, int]]:
    """``(imported module, name taken, line)`` for every import of a symconv module in ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, "", node.lineno) for alias in node.names if alias.name.startswith("symconv")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if not base.startswith("symconv"):
                continue
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.append((target if target in MODULES else base, alias.name, node.lineno))
    out = []
    for target, name, line in found:
        resolved = resolve(target)
        if resolved is not None and resolved != module:
            out.append((resolved, name, line))
    return out


GRAPH = {module: imports(module) for module in MODULES}


def test_every_module_has_a_floor() -> None:
    assert len(MODULES) > 60  # the walk found the package
    for module in MODULES:
        assert floor(module) >= 0


def test_imports_run_down_the_floors() -> None:
    upward = [
        f"{module}:{line} imports {target} (floor {floor(target)} above {floor(module)})"
        for module, edges in GRAPH.items()
        for target, _, line in edges
        if floor(target) > floor(module)
    ]
    assert upward == []


def test_no_import_circle() -> None:
    state: dict[str, int] = {}
    circles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target, _, _ in GRAPH[module]:
            if state.get(target) == 1:
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in MODULES:
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_no_private_names_across_modules() -> None:
    reach_ins = [
        f"{module}:{line} takes {name} from {target}"
        for module, edges in GRAPH.items()
        for target, name, line in edges
        if name.startswith("_") and not name.startswith("__") and target != module
    ]
    assert reach_ins == []


@pytest.mark.parametrize(
    ("module", "target", "upward"),
    [
        ("symconv.geometry.taps", "symconv.views.expansion", True),
        ("symconv.views.expansion", "symconv.geometry.taps", False),
    ],
)
def test_the_floor_rule_tells_up_from_down(module: str, target: str, upward: bool) -> None:
    assert (floor(target) > floor(module)) is upward
