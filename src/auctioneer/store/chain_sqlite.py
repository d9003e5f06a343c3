"""The hash chain's reads and its one-time backfill on SQLite (migration 0040).

A mixin of `SQLiteStore`. The hashes are written with the log rows by the
append (`sqlite_append.py`); here they are read back by seq (the log's key
is (auction, version), and a public event's seq is never above its version,
so a read by seq walks the key from version `after_seq`).
"""

from __future__ import annotations

import sqlite3

from auctioneer.store.mixin_access import SQLiteAccess

__all__ = ["SQLiteChain"]


_HASHES = (
    "SELECT seq, hash FROM events WHERE auction_id = ? AND version > ? AND seq > ?"
    " AND seq <= ? AND seq IS NOT NULL ORDER BY version"
)
_SEALED = "SELECT hash FROM events WHERE auction_id = ? AND type = 'auction_closed' LIMIT 1"
_SET_HASH = "UPDATE events SET hash = ? WHERE auction_id = ? AND seq = ?"
NO_END = 2**62


class SQLiteChain(SQLiteAccess):
    """The chain methods of SQLiteStore."""

    async def log_hashes(
        self, auction_id: int, after_seq: int = 0, upto_seq: int | None = None
    ) -> dict[int, bytes | None]:
        end = NO_END if upto_seq is None else upto_seq

        def q(conn: sqlite3.Connection) -> dict[int, bytes | None]:
            rows = conn.execute(_HASHES, (auction_id, after_seq, after_seq, end))
            return {seq: None if h is None else bytes(h) for seq, h in rows}

        return await self._read(q)

    async def sealed_hash(self, auction_id: int) -> bytes | None:
        def q(conn: sqlite3.Connection) -> bytes | None:
            row = conn.execute(_SEALED, (auction_id,)).fetchone()
            return None if row is None or row[0] is None else bytes(row[0])

        return await self._read(q)

    async def unchained(self) -> list[int]:
        def q(conn: sqlite3.Connection) -> list[int]:
            return [r[0] for r in conn.execute("SELECT auction_id FROM chain_todo ORDER BY 1")]

        return await self._read(q)

    async def chain(self, auction_id: int, hashes: dict[int, bytes]) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            conn.executemany(_SET_HASH, [(h, auction_id, seq) for seq, h in hashes.items()])
            conn.execute("DELETE FROM chain_todo WHERE auction_id = ?", (auction_id,))

        await self._write(tx)
