"""What a store's mixins (the house, chain, watchlist and budget records) may
call on the store they are mixed into: its read and write paths.

Declared once per backend so that each mixin type-checks alone; at run time
the methods are the store's own (`SQLiteStore`, `PostgresStore`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncpg

__all__ = ["PostgresAccess", "SQLiteAccess"]

T = TypeVar("T")


class SQLiteAccess:
    """The SQLite store's reader pool and group-commit writer."""

    if TYPE_CHECKING:

        async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

        async def _write(
            self,
            fn: Callable[[sqlite3.Connection], T],
            *,
            is_append: bool = False,
            item: Any = None,
        ) -> T: ...


class PostgresAccess:
    """The PostgreSQL store's pooled reads and writes."""

    if TYPE_CHECKING:

        async def _read(self, fn: Callable[[asyncpg.Connection], Awaitable[T]]) -> T: ...

        async def _write(
            self, fn: Callable[[asyncpg.Connection], Awaitable[T]], plan: Any = None
        ) -> T: ...
