"""The store package: its exports, and the dependency rule of docs/architecture.md."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import auctioneer.store as store

STORE_DIR = Path(store.__file__).parent
ALLOWED_INTERNAL = ("auctioneer.engine", "auctioneer.service.ports", "auctioneer.store")


def test_the_package_re_exports_unique_names_that_exist() -> None:
    assert len(store.__all__) == len(set(store.__all__))
    for name in store.__all__:
        assert hasattr(store, name), name


def test_every_module_declares_all_with_names_it_defines() -> None:
    for info in pkgutil.iter_modules([str(STORE_DIR)]):
        module = importlib.import_module(f"auctioneer.store.{info.name}")
        assert len(module.__all__) == len(set(module.__all__)), info.name
        for name in module.__all__:
            assert hasattr(module, name), f"{info.name}.{name}"


def test_the_store_imports_only_engine_types_and_the_service_ports() -> None:
    for path in STORE_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("auctioneer"):
                    assert name.startswith(ALLOWED_INTERNAL), f"{path.name} imports {name}"
