"""`WatchRecords` on PostgreSQL: the watchlist (migration 0060).

A mixin of `PostgresStore`: reads through its pool, writes through its one
writer connection like every other write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from auctioneer.store.mixin_access import PostgresAccess

if TYPE_CHECKING:
    import asyncpg

__all__ = ["PostgresWatchRecords"]


_WATCH = (
    "INSERT INTO watchlist (user_id, auction_id, since) VALUES ($1, $2, $3)"
    " ON CONFLICT (user_id, auction_id) DO NOTHING"
)


class PostgresWatchRecords(PostgresAccess):
    """The WatchRecords methods of PostgresStore."""

    async def watch(self, user_id: int, auction_id: int, at: int) -> bool:
        async def tx(conn: asyncpg.Connection) -> bool:
            status = await conn.execute(_WATCH, user_id, auction_id, at)
            return bool(status.endswith(" 1"))

        return await self._write(tx)

    async def unwatch(self, user_id: int, auction_id: int) -> bool:
        async def tx(conn: asyncpg.Connection) -> bool:
            sql = "DELETE FROM watchlist WHERE user_id = $1 AND auction_id = $2"
            status = await conn.execute(sql, user_id, auction_id)
            return bool(status.endswith(" 1"))

        return await self._write(tx)

    async def watched(self, user_id: int) -> list[tuple[int, int]]:
        async def q(conn: asyncpg.Connection) -> list[tuple[int, int]]:
            sql = (
                "SELECT auction_id, since FROM watchlist WHERE user_id = $1"
                " ORDER BY since, auction_id"
            )
            return [(r[0], r[1]) for r in await conn.fetch(sql, user_id)]

        return await self._read(q)

    async def watchers_of(self, auction_id: int) -> list[int]:
        async def q(conn: asyncpg.Connection) -> list[int]:
            sql = "SELECT user_id FROM watchlist WHERE auction_id = $1 ORDER BY user_id"
            return [r[0] for r in await conn.fetch(sql, auction_id)]

        return await self._read(q)

    async def watcher_counts(self, auction_ids: Sequence[int]) -> dict[int, int]:
        ids = sorted(set(auction_ids))
        if not ids:
            return {}

        async def q(conn: asyncpg.Connection) -> dict[int, int]:
            sql = (
                "SELECT auction_id, COUNT(*) FROM watchlist WHERE auction_id = ANY($1::bigint[])"
                " GROUP BY auction_id"
            )
            return {r[0]: r[1] for r in await conn.fetch(sql, ids)}

        return await self._read(q)
