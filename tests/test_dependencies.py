"""The layers import only downwards (docs/architecture.md).

Read every module's imports with `ast` (nothing is executed) and check each
package against the packages it may use. A new package must be added here.
"""

from __future__ import annotations

import ast
import functools
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "auctioneer"

# package -> auctioneer packages it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "engine": set(),
    "wire": {"engine"},
    "service": {"engine", "wire"},
    "store": {"engine", "service"},
    "pubsub": {"service"},
    "gateways": {"engine", "service", "wire", "pubsub", "store"},
    "clients": {"clients"},
}
# The engine may not touch I/O, time or the event loop.
ENGINE_FORBIDDEN = {"asyncio", "json", "socket", "time", "datetime", "logging", "threading"}


def _imports(path: Path, *, runtime_only: bool = False) -> set[str]:
    return set(_parsed_imports(path, runtime_only))


@functools.cache
def _parsed_imports(path: Path, runtime_only: bool) -> frozenset[str]:
    """The modules `path` imports; each file is parsed once per test session
    (every test here reads the same sources)."""
    found: set[str] = set()
    for node in _statements(ast.parse(path.read_text(encoding="utf-8")).body, runtime_only):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return frozenset(found)


def _statements(body: list[Any], runtime_only: bool) -> Iterator[ast.AST]:
    """Every statement, nested ones too (an import is always a statement, so
    expressions need not be walked: that was most of this file's time). With
    `runtime_only`, the body of `if TYPE_CHECKING:` is left out (its `else` stays)."""
    for node in body:
        if runtime_only and isinstance(node, ast.If) and _type_checking(node.test):
            yield from _statements(node.orelse, runtime_only)
            continue
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                yield from _statements(children, runtime_only)


def _type_checking(test: ast.expr) -> bool:
    return ast.unparse(test).endswith("TYPE_CHECKING")


def _modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_the_layers_below_it(package: str) -> None:
    wrong = []
    for path in _modules(package):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "auctioneer" or len(parts) < 2:
                continue
            target = parts[1]
            if target in (package, "__init__") or target in ALLOWED[package]:
                continue
            if target == "engine" and package == "clients":
                target = "engine"  # still wrong: clients reach the engine only over the wire
            wrong.append(f"{path.relative_to(SRC)} imports {name}")
    assert wrong == []


def test_the_engine_does_no_io_and_reads_no_clock() -> None:
    wrong = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in _modules("engine")
        for name in _imports(path)
        if name.split(".")[0] in ENGINE_FORBIDDEN
    ]
    assert wrong == []


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_every_module_declares_unique_exports_that_exist(package: str) -> None:
    for path in _modules(package):
        relative = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(relative.parts).removesuffix(".__init__")
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"{name} has no __all__"
        assert len(exported) == len(set(exported)), f"{name} exports a name twice"
        missing = [item for item in exported if not hasattr(module, item)]
        assert missing == [], f"{name} exports names it does not define: {missing}"


# The desktop apps (clients/tk) stand on the client library like any client:
# the library's own modules, and of the command line only its token store and
# input parsing/rendering helpers; never the bots or the web app.
TK_MAY_IMPORT_FROM_CLI = {"config", "parsing", "render"}
TK_NEVER = {"bots", "web"}
# The parts decided without a display import no Tk at all .
TK_PURE = {"form", "auctions", "standing", "analytics", "messages", "bridge"}


def test_the_desktop_apps_use_only_the_client_library() -> None:
    wrong = []
    for path in sorted((SRC / "clients" / "tk").rglob("*.py")):
        for name in _imports(path):
            parts = name.split(".")
            if parts[:2] == ["auctioneer", "client"]:
                continue
            if parts[0] != "auctioneer":
                continue
            outside = parts[1] != "clients" or len(parts) < 3 or parts[2] in TK_NEVER
            cli = not outside and parts[2] == "cli"
            if outside or (cli and (len(parts) < 4 or parts[3] not in TK_MAY_IMPORT_FROM_CLI)):
                wrong.append(f"{path.name} imports {name}")
    assert wrong == []


def test_the_desktop_apps_view_models_import_no_tk() -> None:
    wrong = [
        f"{stem}.py imports {name}"
        for stem in sorted(TK_PURE)
        for name in _imports(SRC / "clients" / "tk" / f"{stem}.py")
        if name.split(".")[0] in ("tkinter", "ttkbootstrap", "PIL")
    ]
    assert wrong == []


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(SRC.parent).with_suffix("").parts).removesuffix(".__init__")


def test_no_module_imports_itself_back_through_others() -> None:
    """No import cycles between modules (a lazy import inside a function counts too;
    an import for type checkers only, under `if TYPE_CHECKING:`, does not run and
    does not count).

    A package's `__init__` re-exporting its modules is not a cycle of theirs,
    so edges into an `__init__` are followed only when it is imported by name.
    """
    paths = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        if path.name == "__init__.py":
            continue
        targets = set()
        for imported in _imports(path, runtime_only=True):
            if imported in paths and imported != name:
                targets.add(imported)
        graph[name] = {t for t in targets if paths[t].name != "__init__.py"}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []
