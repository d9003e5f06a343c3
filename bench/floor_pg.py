"""The floor's writer on PostgreSQL: what the floor does with SQLite, over a socket.

Same group commit as `floor_server.GroupCommitWriter` (every bid that
arrives while a transaction runs goes into the next one, one multi-row
insert, `synchronous_commit` left on), so the PostgreSQL rows of the real
server get a floor measured the same way. asyncpg runs on this thread's own
event loop, so the floor's loop only queues rows and takes replies.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import TYPE_CHECKING

import asyncpg

if TYPE_CHECKING:
    from bench.floor_server import FloorServer, Pending

__all__ = ["PostgresCommitWriter"]

_TABLE = (
    "CREATE TABLE IF NOT EXISTS bids (auction_id BIGINT, seq BIGINT, amount BIGINT,"
    " bidder TEXT, at TEXT, PRIMARY KEY (auction_id, seq))"
)
_INSERT = (
    "INSERT INTO bids SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[],"
    " $4::text[], $5::text[])"
)


class PostgresCommitWriter(threading.Thread):
    """The floor's one PostgreSQL writer: one transaction per batch of bids."""

    def __init__(self, dsn: str, loop: asyncio.AbstractEventLoop, server: FloorServer) -> None:
        super().__init__(name="floor-pg-writer", daemon=True)
        self.queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self.loop = loop
        self.server = server
        self.dsn = dsn
        self.own = asyncio.new_event_loop()  # run on this thread only (the floor's loop runs)
        self.db: asyncpg.Connection | None = None
        self.commits = 0
        self.rows = 0

    def run(self) -> None:
        self.db = self.own.run_until_complete(asyncpg.connect(self.dsn))
        self.own.run_until_complete(self.db.execute(_TABLE))
        get, get_nowait, empty = self.queue.get, self.queue.get_nowait, queue.Empty
        while True:
            first = get()
            if first is None:
                return
            batch = [first]
            try:
                while True:
                    item = get_nowait()
                    if item is None:
                        self._commit(batch)
                        return
                    batch.append(item)
            except empty:
                pass
            self._commit(batch)

    def _commit(self, batch: list[Pending]) -> None:
        rows = [p[0] for p in batch]
        columns = [list(column) for column in zip(*rows, strict=True)]
        assert self.db is not None
        self.own.run_until_complete(self.db.execute(_INSERT, *columns))
        self.commits += 1
        self.rows += len(batch)
        self.loop.call_soon_threadsafe(self.server.committed, batch)

    def stop(self) -> None:
        self.queue.put(None)
        self.join(10)
        if self.db is not None:
            self.own.run_until_complete(self.db.close())
        self.own.close()
