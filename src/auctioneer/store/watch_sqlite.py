"""`WatchRecords` on SQLite: the watchlist (migration 0060).

A mixin of `SQLiteStore`: reads through its reader pool, writes through its
group-commit writer like every other write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from auctioneer.store.mixin_access import SQLiteAccess

__all__ = ["SQLiteWatchRecords"]


_WATCH = (
    "INSERT INTO watchlist (user_id, auction_id, since) VALUES (?, ?, ?)"
    " ON CONFLICT (user_id, auction_id) DO NOTHING"
)


class SQLiteWatchRecords(SQLiteAccess):
    """The WatchRecords methods of SQLiteStore."""

    async def watch(self, user_id: int, auction_id: int, at: int) -> bool:
        def tx(conn: sqlite3.Connection) -> bool:
            return conn.execute(_WATCH, (user_id, auction_id, at)).rowcount > 0

        return await self._write(tx)

    async def unwatch(self, user_id: int, auction_id: int) -> bool:
        def tx(conn: sqlite3.Connection) -> bool:
            sql = "DELETE FROM watchlist WHERE user_id = ? AND auction_id = ?"
            return conn.execute(sql, (user_id, auction_id)).rowcount > 0

        return await self._write(tx)

    async def watched(self, user_id: int) -> list[tuple[int, int]]:
        def q(conn: sqlite3.Connection) -> list[tuple[int, int]]:
            sql = (
                "SELECT auction_id, since FROM watchlist WHERE user_id = ?"
                " ORDER BY since, auction_id"
            )
            return [(r[0], r[1]) for r in conn.execute(sql, (user_id,))]

        return await self._read(q)

    async def watchers_of(self, auction_id: int) -> list[int]:
        def q(conn: sqlite3.Connection) -> list[int]:
            sql = "SELECT user_id FROM watchlist WHERE auction_id = ? ORDER BY user_id"
            return [r[0] for r in conn.execute(sql, (auction_id,))]

        return await self._read(q)

    async def watcher_counts(self, auction_ids: Sequence[int]) -> dict[int, int]:
        ids = sorted(set(auction_ids))
        if not ids:
            return {}

        def q(conn: sqlite3.Connection) -> dict[int, int]:
            sql = (
                "SELECT auction_id, COUNT(*) FROM watchlist WHERE auction_id IN"
                " (SELECT value FROM json_each(?)) GROUP BY auction_id"
            )
            return {r[0]: r[1] for r in conn.execute(sql, (f"[{','.join(map(str, ids))}]",))}

        return await self._read(q)
