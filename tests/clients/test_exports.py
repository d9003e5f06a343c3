"""Public names are exported once, and clients reach the server only over the wire.

After websockets' tests/test_exports.py; the dependency rule is docs/architecture.md's:
clients import the stdlib, third-party libraries, `auctioneer.wire` and
`auctioneer.clients` only, never the engine, the service, the store or the
gateways.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import auctioneer.client
import auctioneer.clients

__all__: list[str] = []

SRC = Path(auctioneer.clients.__file__).parent
ALLOWED = ("auctioneer.clients", "auctioneer.wire")


def test_auctioneer_client_reexports_the_clients_package() -> None:
    assert auctioneer.client.__all__ == auctioneer.clients.__all__
    for name in auctioneer.client.__all__:
        assert getattr(auctioneer.client, name) is getattr(auctioneer.clients, name)


def test_every_client_module_declares_unique_exports_that_exist() -> None:
    names = [m.name for m in pkgutil.walk_packages([str(SRC)], "auctioneer.clients.")]
    assert names
    for name in ["auctioneer.clients", *names]:
        module = importlib.import_module(name)
        exported = module.__all__
        assert len(exported) == len(set(exported)), name
        for attr in exported:
            assert hasattr(module, attr), f"{name}.{attr}"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


def test_clients_never_import_the_server_side() -> None:
    files = [p for p in SRC.rglob("*.py") if "web" not in p.relative_to(SRC).parts]
    files.append(Path(auctioneer.client.__file__))
    bad = [
        (str(p.relative_to(SRC.parent)), name)
        for p in files
        for name in _imports(p)
        if name.startswith("auctioneer") and not name.startswith(ALLOWED) and name != "auctioneer"
    ]
    assert bad == []
