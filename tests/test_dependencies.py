"""The layers import only downwards (DESIGN.md, STYLE.md "Dependency direction").

Read every module's imports with `ast` (nothing is executed) and check each
package against the packages it may use. A new package must be added here.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "auctioneer"

# package -> auctioneer packages it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "engine": set(),
    "wire": {"engine"},
    "service": {"engine", "wire", "pubsub"},
    "store": {"engine", "service"},
    "pubsub": {"service"},
    "gateways": {"engine", "service", "wire", "pubsub", "store"},
    "clients": {"clients"},
}
# The engine may not touch I/O, time or the event loop.
ENGINE_FORBIDDEN = {"asyncio", "json", "socket", "time", "datetime", "logging", "threading"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


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
