"""Leases on buckets of auctions: trivial for one process, PostgreSQL for many.

With PostgreSQL a bucket's lease is a session advisory lock,
`pg_try_advisory_lock(NAMESPACE, bucket)`, held on a connection of its own:
PostgreSQL releases it the moment that session ends (the process died, or
its connection broke), so a dead owner never blocks its auctions. Advisory
locks belong to one database, so two houses on one server never meet. The
`members` table (migration 30) says which processes run and where the others
reach them; who holds which lock is read from `pg_locks` (the truth, never a
copy that could outlive its owner).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from auctioneer.service.ports import Member
from auctioneer.store.errors import StoreUnavailable
from auctioneer.store.factory import StoreKind, parse_store_url

__all__ = ["NAMESPACE", "PostgresLeases", "open_leases"]

T = TypeVar("T")

NAMESPACE = 0x41554332  # key1 of the bucket locks ("AUC2"); key2 is the bucket
_NOW = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
_JOIN = f"""
INSERT INTO members (id, address, backend_pid, started_at, heartbeat_at)
VALUES ($1, $2, $3, {_NOW}, {_NOW})
ON CONFLICT (id) DO UPDATE SET
    address = excluded.address, backend_pid = excluded.backend_pid,
    heartbeat_at = excluded.heartbeat_at
"""
_FORGET_DEAD = f"DELETE FROM members WHERE heartbeat_at < {_NOW} - 600000"
_SECRET = "INSERT INTO cluster (name, value) VALUES ('secret', $1) ON CONFLICT (name) DO NOTHING"
_READ_SECRET = "SELECT value FROM cluster WHERE name = 'secret'"
_HEARTBEAT = f"UPDATE members SET heartbeat_at = {_NOW} WHERE id = $1"
_LEAVE = "DELETE FROM members WHERE id = $1"
# Alive: a fresh heartbeat, and its lease session still open (a killed
# process's session ends at once, long before its heartbeat is old).
_MEMBERS = f"""
SELECT id, address FROM members m WHERE heartbeat_at > {_NOW} - $1
  AND EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = m.backend_pid)
ORDER BY id
"""
# Several member rows may name one backend pid (a dead member's pid reused):
# the freshest heartbeat wins.
_OWNERS = """
SELECT DISTINCT ON (l.objid) l.objid::bigint AS bucket, m.id
FROM pg_locks l JOIN members m ON m.backend_pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
  AND l.classid = $1::bigint::oid
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY l.objid, m.heartbeat_at DESC
"""


class PostgresLeases:
    """Leases as advisory locks on one dedicated session.

    Args:
        dsn: the house's database.
        alive_s: a member whose heartbeat is older than this counts as gone.
    """

    solo = False

    def __init__(self, dsn: str, *, alive_s: float = 3.0, timeout_s: float = 5.0) -> None:
        self._dsn = dsn
        self._alive_ms = int(alive_s * 1000)
        self._timeout = timeout_s
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()  # one statement at a time on the session
        self._member = ""

    async def join(self, member_id: str, address: str) -> str:
        await self._drop()
        self._member = member_id

        async def join(conn: asyncpg.Connection) -> str:
            await conn.execute(_JOIN, member_id, address, conn.get_server_pid())
            await conn.execute(_FORGET_DEAD)
            await conn.execute(_SECRET, secrets.token_hex(32))
            return str(await conn.fetchval(_READ_SECRET))

        try:
            self._conn = await asyncpg.connect(
                self._dsn, timeout=self._timeout, command_timeout=self._timeout
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as e:
            raise StoreUnavailable("postgres", f"{type(e).__name__}: {e}") from e
        return await self._run(join)

    async def heartbeat(self) -> None:
        async def beat(conn: asyncpg.Connection) -> None:
            if await conn.execute(_HEARTBEAT, self._member) == "UPDATE 0":
                raise StoreUnavailable("postgres", "this process's member row is gone")

        await self._run(beat)

    async def members(self) -> list[Member]:
        rows = await self._run(lambda conn: conn.fetch(_MEMBERS, self._alive_ms))
        return [Member(row["id"], row["address"]) for row in rows]

    async def owners(self) -> dict[int, str]:
        rows = await self._run(lambda conn: conn.fetch(_OWNERS, NAMESPACE))
        return {int(row["bucket"]): row["id"] for row in rows}

    async def try_acquire(self, bucket: int) -> bool:
        return bool(
            await self._run(
                lambda conn: conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", NAMESPACE, bucket)
            )
        )

    async def release(self, bucket: int) -> None:
        await self._run(
            lambda conn: conn.fetchval("SELECT pg_advisory_unlock($1, $2)", NAMESPACE, bucket)
        )

    async def leave(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            with contextlib.suppress(StoreUnavailable):
                await self._run(lambda conn: conn.execute(_LEAVE, self._member))
        await self._drop()

    async def _run(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        conn = self._conn
        if conn is None or conn.is_closed():
            raise StoreUnavailable("postgres", "the lease session is closed")
        try:
            async with self._lock:
                return await work(conn)
        except StoreUnavailable:
            raise
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as e:
            await self._drop()  # whatever it held is gone with it, or must be
            raise StoreUnavailable("postgres", f"{type(e).__name__}: {e}") from e

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()


def open_leases(url: str) -> PostgresLeases | None:
    """Advisory locks for a PostgreSQL house; None (one process owns all) otherwise."""
    location = parse_store_url(url)
    return PostgresLeases(location.target) if location.kind is StoreKind.POSTGRES else None
