"""Pick a store backend from a database URL (the `--db` option of docs/protocol.md).

    memory://                      in-process (nothing survives the process)
    sqlite:///auctioneer.db        SQLite, path relative to the working folder
    sqlite:////srv/auctions.db     SQLite, absolute path
    auctioneer.db, /srv/a.db       a plain file path also means SQLite
    postgresql://USER@HOST:PORT/DB PostgreSQL (also postgres://, postgresql+asyncpg://)

Only the composition root calls this; the service sees an EventStore.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auctioneer.service.ports import EventStore

__all__ = ["StoreKind", "StoreLocation", "open_store", "parse_store_url"]


class StoreKind(StrEnum):
    MEMORY = "memory"
    SQLITE = "sqlite"
    POSTGRES = "postgres"


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """A parsed database URL: which backend, and its path or DSN."""

    kind: StoreKind
    target: str  # SQLite file path, PostgreSQL DSN, or "" for memory


_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")


def parse_store_url(url: str) -> StoreLocation:
    """Parse a database URL.

    Raises:
        ValueError: an empty URL, an unknown scheme, an SQLite URL without a
            path, or SQLite `:memory:` (use `memory://`).
    """
    text = url.strip()
    if not text:
        raise ValueError("empty database URL")
    scheme, sep, rest = text.partition("://")
    if not sep:
        if text in ("memory:", "memory"):
            return StoreLocation(StoreKind.MEMORY, "")
        return _sqlite(text, url)  # a plain file path
    scheme = scheme.lower()
    if scheme == "memory":
        if rest:
            raise ValueError(f"database URL {url!r}: memory:// takes no path")
        return StoreLocation(StoreKind.MEMORY, "")
    if scheme == "sqlite":
        # SQLAlchemy form: sqlite:///relative.db, sqlite:////absolute.db.
        if not rest.startswith("/"):
            raise ValueError(
                f"database URL {url!r}: use sqlite:///relative.db or sqlite:////abs.db"
            )
        return _sqlite(rest[1:], url)
    if scheme in _POSTGRES_SCHEMES:
        return StoreLocation(StoreKind.POSTGRES, "postgresql://" + rest)
    raise ValueError(
        f"database URL {url!r}: unknown scheme {scheme!r} (use sqlite, postgresql or memory)"
    )


def _sqlite(path: str, url: str) -> StoreLocation:
    if not path:
        raise ValueError(f"database URL {url!r} has no SQLite file path")
    if path == ":memory:":
        raise ValueError(f"database URL {url!r}: an SQLite :memory: store, use memory://")
    return StoreLocation(StoreKind.SQLITE, path)


def open_store(url: str) -> EventStore:
    """The store for `url`, not yet opened: `await store.open()` before use.

    Raises:
        ValueError: see `parse_store_url`.
    """
    location = parse_store_url(url)
    if location.kind is StoreKind.MEMORY:
        from auctioneer.store.memory import MemoryStore

        return MemoryStore()
    if location.kind is StoreKind.SQLITE:
        from auctioneer.store.sqlite import SQLiteStore

        return SQLiteStore(location.target)
    from auctioneer.store.postgres import PostgresStore

    return PostgresStore(location.target)
