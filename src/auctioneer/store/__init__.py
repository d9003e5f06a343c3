"""Event store backends (memory, SQLite, PostgreSQL) for the EventStore port.

Pick one with `open_store(url)` in the composition root; see `factory.py`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from auctioneer.store.base import StoreStats
from auctioneer.store.errors import (
    ConcurrencyConflict,
    StoreError,
    StoreUnavailable,
    UsernameTaken,
)
from auctioneer.store.factory import StoreKind, StoreLocation, open_store, parse_store_url

if TYPE_CHECKING:
    from auctioneer.store.memory import MemoryStore
    from auctioneer.store.postgres import PostgresStore
    from auctioneer.store.sqlite import SQLiteStore

# The backends are imported when first named: a server on SQLite never loads
# asyncpg, and `from auctioneer.store.factory import ...` loads no backend.
_BACKENDS = {
    "MemoryStore": "auctioneer.store.memory",
    "PostgresStore": "auctioneer.store.postgres",
    "SQLiteStore": "auctioneer.store.sqlite",
}


def __getattr__(name: str) -> Any:
    module = _BACKENDS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "ConcurrencyConflict",
    "MemoryStore",
    "PostgresStore",
    "SQLiteStore",
    "StoreError",
    "StoreKind",
    "StoreLocation",
    "StoreStats",
    "StoreUnavailable",
    "UsernameTaken",
    "open_store",
    "parse_store_url",
]
