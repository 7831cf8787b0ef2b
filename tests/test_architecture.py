"""The architecture of DESIGN.md holds: no import cycle, dependencies point one way, short modules.

The import graph is built from the source with ``ast``: every netgym module (the folders of
``setup.py``'s ``PACKAGE_DIRS``), every ``import`` and ``from ... import`` in it, relative ones
and those inside functions included (only ``if TYPE_CHECKING:`` blocks, which never run, are
left out). ``from package import name`` counts as an import of the submodule ``package.name``
when there is one, else of ``package``.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 500
"""the longest a library module may be"""
LAYERS = {
    "netgym": 0,
    "netgym.provenance": 0,
    "netgym.envs": 0,
    "netgym.baselines": 1,
    "netgym.evaluation": 2,
    "netgym.agents": 3,
    "netgym.leaderboard": 4,
    "netgym.cli": 5,
    "netgym.__main__": 5,
}
"""DESIGN.md: envs <- baselines <- agents <- leaderboard <- cli (a module may import only its own
layer and those below); ``netgym.evaluation`` (the one evaluation function) sits between the
baselines it may build by name and the agents and leaderboard that use it"""
LIBRARY = ("netgym.envs", "netgym.baselines", "netgym.agents", "netgym.leaderboard", "netgym.cli")
"""the packages whose modules must stay under ``MAX_LINES``"""
ALLOWED_UPWARD: set[tuple[str, str]] = {
    # the old path of the SB3 VecEnv adapter, a thin re-export kept for one release (0.2 drops
    # it); netgym.envs never imports it
    ("netgym.envs.core.sb3", "netgym.agents.sb3_vec_env"),
}
"""(importer, imported) pairs allowed to point up a layer"""


def package_dirs() -> dict[str, str]:
    """``setup.py``'s ``PACKAGE_DIRS`` (package name -> folder), read without running it."""
    tree = ast.parse((REPO_ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "PACKAGE_DIRS":
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py has no PACKAGE_DIRS")


@cache
def modules() -> dict[str, Path]:
    """Every netgym module name -> its source file."""
    found = {}
    for package, folder in package_dirs().items():
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            parts = path.relative_to(REPO_ROOT / folder).with_suffix("").parts
            if "__pycache__" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` outside ``if TYPE_CHECKING:`` blocks."""
    out = []
    stack = [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            test = getattr(child, "test", None)
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(test):
                stack.extend(child.orelse)
                continue
            stack.append(child)
    return out


def _known(name: str) -> str | None:
    """``name`` or its longest prefix that is a netgym module (None outside netgym)."""
    known = modules()
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


@cache
def import_graph() -> dict[str, set[str]]:
    """module -> the netgym modules it imports (anywhere in it, functions included)."""
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(filter(None, (_known(alias.name) for alias in node.names)))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    targets.add(target if target in known else _known(base) or "")
        targets.discard("")
        targets.discard(name)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a path that returns to its start) per strongly connected component."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_in(component, graph) for component in components]


def _cycle_in(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest cycle through the first module of ``component`` (breadth-first)."""
    start = component[0]
    members = set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & members):
            if target == start:
                return paths[node] + [start]
            if target not in paths:
                paths[target] = paths[node] + [target]
                queue.append(target)
    raise AssertionError(f"no cycle through {start} in {component}")


def layer(module: str) -> int:
    """The layer of ``module`` (its longest prefix in ``LAYERS``)."""
    name = module
    while name not in LAYERS:
        name = name.rpartition(".")[0]
    return LAYERS[name]


def upward_imports() -> set[tuple[str, str]]:
    """(importer, imported) pairs where a lower layer imports a higher one."""
    return {
        (module, target)
        for module, targets in import_graph().items()
        for target in targets
        if layer(target) > layer(module)
    }


def long_modules() -> dict[str, int]:
    """Library modules over ``MAX_LINES`` lines -> their length."""
    out = {}
    for name, path in modules().items():
        if name.startswith(LIBRARY):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                out[name] = lines
    return out


def _format_cycles(found: list[list[str]]) -> str:
    """Each cycle, the modules of its strongly connected component and the two-module cycles
    in it (a cycle is one path of its component; breaking it may leave others)."""
    graph = import_graph()
    parts = []
    for cycle in found:
        members = {m for m in _reachable(cycle[0]) if cycle[0] in _reachable(m)}
        pairs = sorted(
            f"{a} <-> {b}" for a in members for b in graph[a] & members if a in graph[b] and a < b
        )
        parts.append(
            f"{' -> '.join(cycle)} (component of {len(members)} modules: {sorted(members)}; "
            f"two-module cycles: {pairs})"
        )
    return "; ".join(parts)


def _reachable(start: str) -> set[str]:
    """Every module that ``start`` imports, directly or not, and ``start`` itself."""
    graph = import_graph()
    seen, todo = {start}, [start]
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


# ---------------------------------------------------------------------------------- the checks
def test_import_graph_sees_function_level_and_relative_imports():
    graph = import_graph()
    # cli/main.py: "from . import board, collect, train" (relative, submodules)
    assert {"netgym.cli.board", "netgym.cli.train"} <= graph["netgym.cli.main"]
    # cli/board.py imports the leaderboard's runner inside a function
    assert "netgym.leaderboard.board" in graph["netgym.cli.board"]
    fake = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(fake) == [["a", "b", "c", "a"]]


def test_no_import_cycle():
    found = cycles(import_graph())
    assert not found, f"import cycles among netgym modules: {_format_cycles(found)}"


def test_dependencies_point_one_way():
    upward = upward_imports() - ALLOWED_UPWARD
    assert not upward, "lower layers import higher ones (envs <- baselines <- agents <- " + (
        "leaderboard <- cli): " + ", ".join(f"{a} -> {b}" for a, b in sorted(upward))
    )


def test_library_modules_stay_short():
    long = long_modules()
    assert not long, f"library modules over {MAX_LINES} lines: {long}"


def test_only_the_cli_imports_both_agents_and_the_leaderboard():
    both = [
        module
        for module, targets in import_graph().items()
        if any(t.startswith("netgym.agents") for t in targets)
        and any(t.startswith("netgym.leaderboard") for t in targets)
        and not module.startswith(("netgym.cli", "netgym.leaderboard"))
    ]
    assert not both, both


# ---------------------------------------------------------------------------------- pending
