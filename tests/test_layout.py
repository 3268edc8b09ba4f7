"""The architecture the README promises, checked on the source: import direction, no import circles, where
streamlit and SQL may appear, and how long functions may grow (a module is one idea, however long).

Every check parses the code with :mod:`ast` (imports inside functions count too) and names each
offender, so a failure says what to move.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "audio", "experiment", "results", "human_touch")
MAX_FUNCTION_LINES = 60
"""Lines of a function without its docstring (numpydoc docstrings are wanted, not counted)."""

# Calls that issue SQL: SQLAlchemy statement constructors and the methods that run statements.
SQL_CONSTRUCTORS = {"select", "insert", "update", "delete", "text"}
SQL_METHODS = {"execute", "scalars", "scalar", "exec_driver_sql"}


def _modules() -> Iterator[tuple[str, Path]]:
    """(dotted name, path) of every project module, app.py included; migrations are generated."""
    yield "app", ROOT / "app.py"
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            yield ".".join(relative.with_suffix("").parts), path


MODULES = {name: path for name, path in _modules() if path.exists()}
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for name, path in MODULES.items()}


def _imported(tree: ast.Module) -> set[str]:
    """Every module name imported anywhere in ``tree`` (absolute imports; the project uses no relative ones)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _top(name: str) -> str:
    return name.split(".")[0]


def _forbidden_imports(package: str, forbidden: set[str]) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for module, tree in TREES.items()
        if _top(module) == package
        for name in _imported(tree)
        if _top(name) in forbidden
    )


# (a) import direction --------------------------------------------------------------------------


def test_core_imports_no_package_above_it():
    assert _forbidden_imports("core", {"audio", "experiment", "results", "human_touch", "app"}) == []


def test_audio_imports_only_core():
    assert _forbidden_imports("audio", {"experiment", "results", "human_touch", "app"}) == []


def test_experiment_does_not_import_results():
    assert _forbidden_imports("experiment", {"results", "human_touch", "app"}) == []


def test_only_the_door_imports_the_top_level_package():
    offenders = [
        f"{module} imports {name}"
        for module, tree in TREES.items()
        if _top(module) not in ("human_touch", "app")
        for name in _imported(tree)
        if _top(name) == "human_touch"
    ]
    assert offenders == []


# (b) streamlit only where pages are drawn ------------------------------------------------------


def _may_draw(module: str) -> bool:
    parts = module.split(".")
    return module == "app" or "pages" in parts[:-1] or "ui" in parts


def test_only_pages_ui_and_app_import_streamlit():
    offenders = sorted(
        module
        for module, tree in TREES.items()
        if not _may_draw(module) and any(_top(n) == "streamlit" for n in _imported(tree))
    )
    assert not offenders, f"logic modules must not import streamlit: {offenders}"


# (c) SQL only in repository modules ------------------------------------------------------------


def _may_issue_sql(module: str) -> bool:
    parts = module.split(".")
    # A package's SQL lives in its repository module; experiment.records is experiment's second,
    # read-only repository module (the queries results uses), kept apart so neither grows past 400.
    return parts[-1] in ("repository", "records") or "repository" in parts[:-1] or module == "core.db"


def _sql_calls(tree: ast.Module) -> list[str]:
    """``name()`` for SQLAlchemy constructors imported by name, ``.method()`` for statement runners."""
    from_sqlalchemy = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
        if alias.name in SQL_CONSTRUCTORS
    }
    sqlalchemy_aliases = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name == "sqlalchemy"
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in from_sqlalchemy:
            found.append(f"{func.id}() line {node.lineno}")
        elif isinstance(func, ast.Attribute) and func.attr in SQL_METHODS:
            found.append(f".{func.attr}() line {node.lineno}")
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in SQL_CONSTRUCTORS
            and isinstance(func.value, ast.Name)
            and func.value.id in sqlalchemy_aliases
        ):
            found.append(f"{func.value.id}.{func.attr}() line {node.lineno}")
    return found


def test_sql_is_issued_only_in_repository_modules():
    offenders = {
        module: calls for module, tree in TREES.items() if not _may_issue_sql(module) and (calls := _sql_calls(tree))
    }
    assert not offenders, "move these queries into the package's repository module:\n" + "\n".join(
        f"  {module}: {', '.join(calls)}" for module, calls in sorted(offenders.items())
    )


def test_the_sql_check_finds_sql():
    sample = ast.parse(
        "from sqlalchemy import select\nimport sqlalchemy as sa\n"
        "def f(session):\n    session.scalars(select(T))\n    sa.text('x')\n"
    )
    assert len(_sql_calls(sample)) == 3


# (d) sizes -------------------------------------------------------------------------------------


def _function_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        lines -= first.end_lineno - first.lineno + 1
    return lines


def _module_of(name: str) -> str | None:
    """The project module ``name`` refers to (a module, or the package ``__init__``), or None outside the project."""
    if name in MODULES:
        return name
    if f"{name}.__init__" in MODULES:
        return f"{name}.__init__"
    return None


def _import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (``from package import module`` counts as the module)."""
    graph: dict[str, set[str]] = {}
    for module, tree in TREES.items():
        targets: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets.update(t for alias in node.names if (t := _module_of(alias.name)))
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    target = _module_of(f"{node.module}.{alias.name}") or _module_of(node.module)
                    if target:
                        targets.add(target)
        graph[module] = targets - {module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_circles():
    # Imports inside functions count too: a lazy import only hides a circle. When two modules need each
    # other, the shared part moves into a third, lower one (DESIGN.md).
    assert _cycles(_import_graph()) == []


def test_the_circle_check_finds_circles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_function_over_60_lines():
    offenders = {
        f"{module}.{node.name} (line {node.lineno})": n
        for module, tree in TREES.items()
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and (n := _function_lines(node)) > MAX_FUNCTION_LINES
    }
    assert not offenders, "split these functions (docstrings not counted):\n" + "\n".join(
        f"  {name}: {n} lines" for name, n in sorted(offenders.items())
    )
