"""Event store backends (memory, SQLite, PostgreSQL) for the EventStore port.

Pick one with `open_store(url)` in the composition root; see `factory.py`.
"""

from __future__ import annotations

from auctioneer.store.base import StoreStats
from auctioneer.store.errors import (
    ConcurrencyConflict,
    StoreError,
    StoreUnavailable,
    UsernameTaken,
)
from auctioneer.store.factory import StoreKind, StoreLocation, open_store, parse_store_url
from auctioneer.store.memory import MemoryStore
from auctioneer.store.postgres import PostgresStore
from auctioneer.store.sqlite import SQLiteStore

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
