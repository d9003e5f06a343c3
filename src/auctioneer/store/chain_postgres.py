"""The hash chain's reads and its one-time backfill on PostgreSQL (migration 0040).

A mixin of `PostgresStore`; the hashes are written with the log rows by the
append (`postgres_append.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auctioneer.store.mixin_access import PostgresAccess

if TYPE_CHECKING:
    import asyncpg

__all__ = ["PostgresChain"]


_HASHES = (
    "SELECT seq, hash FROM events WHERE auction_id = $1 AND version > $2 AND seq > $2"
    " AND seq <= $3 AND seq IS NOT NULL ORDER BY version"
)
_SEALED = "SELECT hash FROM events WHERE auction_id = $1 AND type = 'auction_closed' LIMIT 1"
_SET_HASH = "UPDATE events SET hash = $1 WHERE auction_id = $2 AND seq = $3"
NO_END = 2**31 - 1


class PostgresChain(PostgresAccess):
    """The chain methods of PostgresStore."""

    async def log_hashes(
        self, auction_id: int, after_seq: int = 0, upto_seq: int | None = None
    ) -> dict[int, bytes | None]:
        end = NO_END if upto_seq is None else upto_seq

        async def q(conn: asyncpg.Connection) -> dict[int, bytes | None]:
            rows = await conn.fetch(_HASHES, auction_id, after_seq, end)
            return {r[0]: None if r[1] is None else bytes(r[1]) for r in rows}

        return await self._read(q)

    async def sealed_hash(self, auction_id: int) -> bytes | None:
        async def q(conn: asyncpg.Connection) -> bytes | None:
            found = await conn.fetchval(_SEALED, auction_id)
            return None if found is None else bytes(found)

        return await self._read(q)

    async def unchained(self) -> list[int]:
        async def q(conn: asyncpg.Connection) -> list[int]:
            rows = await conn.fetch("SELECT auction_id FROM chain_todo ORDER BY 1")
            return [r[0] for r in rows]

        return await self._read(q)

    async def chain(self, auction_id: int, hashes: dict[int, bytes]) -> None:
        async def tx(conn: asyncpg.Connection) -> None:
            rows = [(h, auction_id, seq) for seq, h in hashes.items()]
            await conn.executemany(_SET_HASH, rows)
            await conn.execute("DELETE FROM chain_todo WHERE auction_id = $1", auction_id)

        await self._write(tx)
