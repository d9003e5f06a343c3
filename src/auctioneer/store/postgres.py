"""The scale-out EventStore on PostgreSQL (asyncpg), with group commit.

Writes: one writer task owns one connection and a queue. It takes every job
waiting (up to `max_batch`) and runs them in ONE transaction, resolving the
callers' futures after COMMIT returned (durable with the default
synchronous_commit). The appends of a batch are written with one statement
per table (postgres_append.py), commits that lost their version refused
alone; if that fails on a race, the batch is redone with one SAVEPOINT per
commit so a conflicting commit fails alone.
Several server processes may share one database: an auction's version check
locks its row (`FOR UPDATE`), the (auction_id, version) key refuses a second
writer, and per-user notice seqs come from a locked counter row.

Reads: an asyncpg pool. Every SQL statement is a constant with parameters.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg

from auctioneer.engine.events import BidPlaced, Event
from auctioneer.service.ports import (
    Commit,
    Decision,
    Projected,
    PurchaseRecord,
    RequestRecord,
    StoredNotice,
    TokenRecord,
    UserRecord,
)
from auctioneer.store.base import (
    DECISION_REPLIES,
    CommitPlan,
    StoreStats,
    one_per_auction,
    plan_commit,
    system_clock_ms,
)
from auctioneer.store.budgets import PostgresBudgetRecords
from auctioneer.store.chain_postgres import PostgresChain
from auctioneer.store.errors import (
    ConcurrencyConflict,
    StoreError,
    StoreUnavailable,
    UsernameTaken,
)
from auctioneer.store.house_postgres import PostgresHouseRecords
from auctioneer.store.migrations import migrate_postgres
from auctioneer.store.postgres_append import append_batch, append_one
from auctioneer.store.records import event_from_row, loads
from auctioneer.store.watch_postgres import PostgresWatchRecords

__all__ = ["PostgresStore", "translate_postgres_error"]

T = TypeVar("T")

# `_BIDS` names the type literally; keep them in step.
assert BidPlaced.event == "bid_placed"

_BACKEND = "postgres"

# Errors meaning "this write collided with a concurrent one; retry": the
# transaction was chosen as a deadlock victim or failed serialization.
_CONTENTION = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
# A connection the server closed: a read may retry once on a fresh one.
_DEAD_CONNECTION = (asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError)
# Errors meaning the database cannot be reached or used right now.
_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresError,
    OSError,
    TimeoutError,
)


def translate_postgres_error(error: BaseException, plan: CommitPlan | None = None) -> StoreError:
    """The store error for an asyncpg (or socket) error.

    Contention (deadlock, serialization failure) during an append becomes
    ConcurrencyConflict: nothing was written and a retry may succeed. Anything
    else becomes StoreUnavailable. Unique violations with a meaning (a taken
    version, request id or username) are translated where they are raised.
    """
    if plan is not None and isinstance(error, _CONTENTION):
        return ConcurrencyConflict(plan.auction_id, plan.expected_version, reason="contention")
    return StoreUnavailable(_BACKEND, f"{type(error).__name__}: {error}")


# -- SQL ------------------------------------------------------------------------

_SAVE_REPLY = (
    "INSERT INTO idempotency (user_id, request_id, reply, at) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (user_id, request_id) DO NOTHING"
)
_FORGET_REPLIES = (
    "DELETE FROM idempotency WHERE (user_id, request_id) IN"
    " (SELECT user_id, request_id FROM idempotency WHERE at < $1 ORDER BY at LIMIT $2)"
)
_BUMP_COUNTER = """
INSERT INTO counters (kind, last) VALUES ($1, $2)
ON CONFLICT (kind) DO UPDATE SET last = counters.last + excluded.last
RETURNING last
"""
_INSERT_USER = (
    "INSERT INTO users (username, password_hash, role, paddle, created_at)"
    " VALUES ($1, $2, $3, $4, $5) RETURNING id"
)
_UPSERT_TOKEN = """
INSERT INTO tokens (token_hash, user_id, expires_at, revoked) VALUES ($1, $2, $3, false)
ON CONFLICT (token_hash) DO UPDATE SET
    user_id = excluded.user_id, expires_at = excluded.expires_at, revoked = false
"""

_EVENT_COLUMNS = "SELECT type, auction_id, version, seq, at, data::text FROM events"
_LOAD_EVENTS = (
    _EVENT_COLUMNS + " WHERE auction_id = $1 AND version > $2 ORDER BY version LIMIT $3"
)  # LIMIT NULL: no limit
# The log has one key, (auction_id, version) (migration 0003): a public event's
# seq is never above its version, so `version > $2` bounds the walk, and seq
# order is version order.
_BIDS = (
    _EVENT_COLUMNS + " WHERE auction_id = $1 AND type = 'bid_placed'"
    " AND ($2::integer IS NULL OR seq < $2) ORDER BY version DESC LIMIT $3"
)
_AUCTION_ROWS = """
SELECT row::text FROM auctions
WHERE ($1::text[] IS NULL OR status = ANY($1::text[]))
  AND ($2::bigint IS NULL OR sale_id = $2)
  AND ($3::boolean OR public)
  AND ($4::boolean OR NOT deleted)
ORDER BY id
"""
_REQUEST = "SELECT user_id, request_id, auction_id, version, reply, at FROM requests"
_FORGET_REQUESTS = (
    "DELETE FROM requests WHERE (user_id, request_id) IN"
    " (SELECT user_id, request_id FROM requests WHERE at < $1 ORDER BY at LIMIT $2)"
)
_USER_COLUMNS = (
    "SELECT id, username, password_hash, role, paddle, created_at, disabled, changed_at FROM users"
)
_UPDATE_USER = """
UPDATE users SET
    role = COALESCE($2, role),
    disabled = COALESCE($3, disabled),
    password_hash = COALESCE($4, password_hash),
    changed_at = $5
WHERE id = $1
"""
_REVOKE_TOKENS = """
UPDATE tokens SET revoked = true
WHERE user_id = $1 AND NOT revoked AND ($2::text IS NULL OR token_hash != $2)
"""
_PURGE_TOKENS = """
DELETE FROM tokens WHERE token_hash IN
    (SELECT token_hash FROM tokens WHERE revoked OR expires_at < $1 LIMIT $2)
"""


@dataclass(slots=True)
class _Job:
    fn: Callable[[asyncpg.Connection], Awaitable[Any]]
    future: asyncio.Future[Any]
    plan: CommitPlan | None


def _event(row: asyncpg.Record) -> Event:
    return event_from_row(
        row[0], auction_id=row[1], version=row[2], seq=row[3], at=row[4], data=loads(row[5])
    )


def _user(row: asyncpg.Record) -> UserRecord:
    return UserRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7])


class PostgresStore(
    PostgresChain, PostgresHouseRecords, PostgresWatchRecords, PostgresBudgetRecords
):
    """The EventStore Protocol on PostgreSQL.

    Args:
        dsn: `postgresql://user[:password]@host:port/database`.
        readers: most pooled read connections.
        max_batch: most commits per write transaction.
        connect_timeout_s: how long to wait for a connection.
        command_timeout_s: how long one statement may take (a dead peer fails
            the batch instead of hanging it).
        clock: epoch-ms source for `created_at` of users and saved replies.
        fast_path: write a batch's appends with one statement per table
            (postgres_append.py); False runs one SAVEPOINT per commit always.
    """

    def __init__(
        self,
        dsn: str,
        *,
        readers: int = 8,
        max_batch: int = 512,
        connect_timeout_s: float = 10.0,
        command_timeout_s: float = 60.0,
        clock: Callable[[], int] = system_clock_ms,
        fast_path: bool = True,
    ) -> None:
        self.dsn = dsn
        self.stats = StoreStats()
        self.fallbacks = 0  # bulk batches redone one commit at a time
        self._fast_path = fast_path
        self._readers = max(1, readers)
        self._max_batch = max(1, max_batch)
        self._timeout = connect_timeout_s
        self._command_timeout = command_timeout_s
        self._now_ms = clock
        self._conn: asyncpg.Connection | None = None
        self._pool: asyncpg.Pool | None = None
        self._queue: asyncio.Queue[_Job | None] | None = None
        self._writer: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------

    async def open(self) -> None:
        """Connect, apply pending migrations, start the writer and the read pool.

        Raises:
            StoreUnavailable: the database cannot be reached or migrated.
        """
        if self._writer is not None:
            return
        try:
            self._conn = await asyncpg.connect(
                self.dsn, timeout=self._timeout, command_timeout=self._command_timeout
            )
            await migrate_postgres(self._conn)
            self._pool = await asyncpg.create_pool(
                self.dsn,
                min_size=1,
                max_size=self._readers,
                timeout=self._timeout,
                command_timeout=self._command_timeout,
            )
        except (*_UNAVAILABLE, ValueError) as e:
            await self._release()
            raise StoreUnavailable(_BACKEND, f"cannot open the database: {e}") from e
        self._queue = asyncio.Queue()
        self._writer = asyncio.create_task(self._writer_main(self._queue), name="postgres-writer")

    async def close(self) -> None:
        """Finish the queued writes, stop the writer, close every connection."""
        writer, queue = self._writer, self._queue
        if writer is None or queue is None:
            return
        self._queue = None  # refuse new work
        queue.put_nowait(None)
        await writer
        self._writer = None
        await self._release()

    async def _release(self) -> None:
        conn, pool = self._conn, self._pool
        self._conn = self._pool = None
        if conn is not None:
            with contextlib.suppress(*_UNAVAILABLE):
                await conn.close(timeout=self._timeout)
        if pool is not None:
            with contextlib.suppress(*_UNAVAILABLE):
                await pool.close()

    # -- the writer task ----------------------------------------------------------

    async def _writer_main(self, queue: asyncio.Queue[_Job | None]) -> None:
        stop = False
        while not stop:
            job = await queue.get()
            if job is None:
                break
            batch = [job]
            while len(batch) < self._max_batch:
                try:
                    more = queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            await self._run_batch(batch)
        while not queue.empty():  # anything that raced past close()
            left = queue.get_nowait()
            if left is not None and not left.future.done():
                left.future.set_exception(StoreUnavailable(_BACKEND, "the store is closed"))

    async def _writer_conn(self) -> asyncpg.Connection:
        conn = self._conn
        if conn is None or conn.is_closed():  # reconnect after the server went away
            self._conn = None
            conn = await asyncpg.connect(
                self.dsn, timeout=self._timeout, command_timeout=self._command_timeout
            )
            self._conn = conn
        return conn

    async def _run_batch(self, batch: list[_Job]) -> None:
        try:
            conn = await self._writer_conn()
            outcomes = await self._bulk(conn, batch) if self._fast_path else None
            if outcomes is None:
                async with conn.transaction():
                    outcomes = await self._one_by_one(conn, batch)
        except Exception as e:  # the writer task must outlive any failure
            # The connection's state is unknown now (a dead socket, a protocol
            # error): drop it, and the next batch connects afresh.
            self._drop_writer_conn()
            for job in batch:
                failure = translate_postgres_error(e, job.plan)
                failure.__cause__ = e
                if not job.future.done():
                    job.future.set_exception(failure)
            return

        self.stats.committed(
            appended=sum(1 for job, ok, _ in outcomes if ok and job.plan is not None),
            conflicts=sum(1 for _, _, v in outcomes if isinstance(v, ConcurrencyConflict)),
        )
        for job, ok, value in outcomes:
            if job.future.done():
                continue  # the caller was cancelled; the write itself stands
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)

    def _drop_writer_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()

    async def _bulk(
        self, conn: asyncpg.Connection, batch: list[_Job]
    ) -> list[tuple[_Job, bool, Any]] | None:
        """The batch with its appends written by `append_batch`; None to fall back."""
        appends = [job for job in batch if job.plan is not None]
        if not appends:
            return None
        plans = [job.plan for job in appends if job.plan is not None]
        try:
            async with conn.transaction():
                results = await append_batch(conn, plans)
                others = await self._one_by_one(conn, [j for j in batch if j.plan is None])
        except asyncpg.PostgresConnectionError:
            raise
        except asyncpg.PostgresError:
            if conn.is_closed():
                raise
            # A race with another process (or a deadlock): redo it one by one.
            self.fallbacks += 1
            return None
        outcomes = [
            (job, not isinstance(result, ConcurrencyConflict), result)
            for job, result in zip(appends, results, strict=True)
        ]
        return outcomes + others

    async def _one_by_one(
        self, conn: asyncpg.Connection, batch: list[_Job]
    ) -> list[tuple[_Job, bool, Any]]:
        """Run each job in its own SAVEPOINT of the caller's transaction."""
        outcomes: list[tuple[_Job, bool, Any]] = []
        for job in batch:
            savepoint = conn.transaction()  # nested: a SAVEPOINT
            await savepoint.start()
            try:
                value = await job.fn(conn)
            except Exception as e:  # the job fails alone; its writes are undone
                await savepoint.rollback()
                if isinstance(e, StoreError | ValueError | TypeError):
                    error: Exception = e
                else:
                    error = translate_postgres_error(e, job.plan)
                    error.__cause__ = e
                outcomes.append((job, False, error))
            else:
                await savepoint.commit()
                outcomes.append((job, True, value))
        return outcomes

    async def _write(
        self,
        fn: Callable[[asyncpg.Connection], Awaitable[T]],
        plan: CommitPlan | None = None,
    ) -> T:
        queue = self._queue
        if queue is None:
            raise StoreUnavailable(_BACKEND, "the store is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        queue.put_nowait(_Job(fn, future, plan))
        return await future

    async def _read(self, fn: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        pool = self._pool
        if pool is None or self._queue is None:
            raise StoreUnavailable(_BACKEND, "the store is not open")
        for attempt in (1, 2):
            try:
                async with pool.acquire(timeout=self._timeout) as conn:
                    return await fn(conn)
            except (*_DEAD_CONNECTION, asyncpg.InternalClientError) as e:
                # A pooled connection the server dropped (or left mid-protocol):
                # the others are likely dead too, so replace them all, then
                # retry once (a read changes nothing).
                if attempt == 2:
                    raise translate_postgres_error(e) from e
                await pool.expire_connections()
            except _UNAVAILABLE as e:
                raise translate_postgres_error(e) from e
        raise AssertionError("unreachable")

    async def ping(self) -> None:
        await self._read(lambda conn: conn.fetchval("SELECT 1"))

    # -- auctions -----------------------------------------------------------------

    async def allocate_ids(self, kind: str, count: int = 1) -> list[int]:
        """Durably reserve `count` new ids of `kind`; ids only ever grow.

        Raises: ValueError if count < 1; StoreUnavailable.
        """
        if count < 1:
            raise ValueError("count must be at least 1")

        async def tx(conn: asyncpg.Connection) -> list[int]:
            last: int = await conn.fetchval(_BUMP_COUNTER, kind, count)
            return list(range(last - count + 1, last + 1))

        return await self._write(tx)

    async def append(self, commit: Commit) -> Projected:
        """Write one commit durably, group-committed with concurrent ones, with its
        projections in the same transaction (the returned future is done).

        Raises:
            ConcurrencyConflict: the version (or request id) was taken, or the
                write collided with another process's; nothing written.
            StoreUnavailable: the database failed; nothing written.
            ValueError: the events do not follow expected_version (caller bug).
        """
        plan = plan_commit(commit, now_ms=self._now_ms)

        async def tx(conn: asyncpg.Connection) -> list[StoredNotice]:
            return await append_one(conn, plan)

        done: asyncio.Future[list[StoredNotice]] = asyncio.get_running_loop().create_future()
        done.set_result(await self._write(tx, plan))
        return done

    async def append_all(self, commits: Sequence[Commit]) -> list[list[StoredNotice]]:
        """Write several auctions' commits in one savepoint: all of them or none."""
        plans = [plan_commit(commit, now_ms=self._now_ms) for commit in commits]
        one_per_auction(plans)

        async def tx(conn: asyncpg.Connection) -> list[list[StoredNotice]]:
            return [await append_one(conn, plan) for plan in plans]

        return await self._write(tx)

    async def load_events(
        self, auction_id: int, after_version: int = 0, *, limit: int | None = None
    ) -> list[Event]:
        count = None if limit is None else max(limit, 0)

        async def q(conn: asyncpg.Connection) -> list[Event]:
            rows = await conn.fetch(_LOAD_EVENTS, auction_id, after_version, count)
            return [_event(r) for r in rows]

        return await self._read(q)

    async def bids(
        self, auction_id: int, *, before_seq: int | None = None, limit: int = 100
    ) -> list[Event]:
        async def q(conn: asyncpg.Connection) -> list[Event]:
            rows = await conn.fetch(_BIDS, auction_id, before_seq, max(limit, 0))
            return [_event(r) for r in rows]

        return await self._read(q)

    async def auction_rows(
        self,
        *,
        statuses: Sequence[str] | None = None,
        sale_id: int | None = None,
        include_private: bool = False,
        include_deleted: bool = False,
    ) -> list[dict[str, Any]]:
        wanted = None if statuses is None else [str(s) for s in statuses]

        async def q(conn: asyncpg.Connection) -> list[dict[str, Any]]:
            rows = await conn.fetch(
                _AUCTION_ROWS, wanted, sale_id, include_private, include_deleted
            )
            return [loads(r[0]) for r in rows]

        return await self._read(q)

    async def auction_row(self, auction_id: int) -> dict[str, Any] | None:
        async def q(conn: asyncpg.Connection) -> dict[str, Any] | None:
            row = await conn.fetchval("SELECT row::text FROM auctions WHERE id = $1", auction_id)
            return None if row is None else dict(loads(row))

        return await self._read(q)

    async def unfinished_auction_ids(self) -> list[int]:
        async def q(conn: asyncpg.Connection) -> list[int]:
            sql = "SELECT id FROM auctions WHERE status IN ('scheduled', 'open') ORDER BY id"
            return [r[0] for r in await conn.fetch(sql)]

        return await self._read(q)

    async def sale_lots(self, sale_id: int) -> list[int]:
        async def q(conn: asyncpg.Connection) -> list[int]:
            sql = "SELECT id FROM auctions WHERE sale_id = $1 ORDER BY lot NULLS LAST, id"
            return [r[0] for r in await conn.fetch(sql, sale_id)]

        return await self._read(q)

    async def sale_row(self, sale_id: int) -> dict[str, Any] | None:
        """The sale as last written through `Commit.extra["sale"]`, if any."""

        async def q(conn: asyncpg.Connection) -> dict[str, Any] | None:
            row = await conn.fetchval("SELECT row::text FROM sales WHERE id = $1", sale_id)
            return None if row is None else dict(loads(row))

        return await self._read(q)

    # -- idempotency --------------------------------------------------------------

    async def stored_reply(self, user_id: int, request_id: str) -> bytes | RequestRecord | None:
        async def q(conn: asyncpg.Connection) -> bytes | RequestRecord | None:
            sql = "SELECT reply FROM idempotency WHERE user_id = $1 AND request_id = $2"
            reply = await conn.fetchval(sql, user_id, request_id)
            if reply is not None:
                return bytes(reply)
            row = await conn.fetchrow(
                _REQUEST + " WHERE user_id = $1 AND request_id = $2", user_id, request_id
            )
            return None if row is None else RequestRecord(*row)

        return await self._read(q)

    async def requests(self, since_ms: int) -> list[RequestRecord]:
        """Every accepted request recorded at or after `since_ms`."""

        async def q(conn: asyncpg.Connection) -> list[RequestRecord]:
            rows = await conn.fetch(_REQUEST + " WHERE at >= $1 ORDER BY at", since_ms)
            return [RequestRecord(*r) for r in rows]

        return await self._read(q)

    async def project(self, commit: Commit) -> list[StoredNotice]:
        raise StoreError("PostgreSQL writes projections with the log")

    async def unprojected(self) -> list[tuple[int, int]]:
        """Nothing here: a commit's projections are written with its log."""
        return []

    async def decisions(self, auction_id: int, after_version: int = 0) -> list[Decision]:
        async def q(conn: asyncpg.Connection) -> list[Decision]:
            sql = (
                "SELECT version, user_id, request_id, decision FROM events"
                " WHERE auction_id = $1 AND version > $2 AND decision IS NOT NULL"
                " ORDER BY version"
            )
            rows = await conn.fetch(sql, auction_id, after_version)
            return [Decision(r[0], r[1], r[2], DECISION_REPLIES[r[3]]) for r in rows]

        return await self._read(q)

    async def save_reply(self, user_id: int, request_id: str, result: bytes) -> None:
        """Store a reply outside a commit; the first reply stored for a key stays."""
        at = self._now_ms()

        async def tx(conn: asyncpg.Connection) -> None:
            await conn.execute(_SAVE_REPLY, user_id, request_id, bytes(result), at)

        await self._write(tx)

    async def request_ids(self, since_ms: int) -> list[tuple[int, str]]:
        """Every (user_id, request_id) with a reply stored at or after `since_ms`."""

        async def q(conn: asyncpg.Connection) -> list[tuple[int, str]]:
            sql = (
                "SELECT user_id, request_id FROM idempotency WHERE at >= $1"
                " ORDER BY user_id, request_id"
            )
            return [(r[0], r[1]) for r in await conn.fetch(sql, since_ms)]

        return await self._read(q)

    async def forget_replies(self, before_ms: int, limit: int) -> int:
        """Delete up to `limit` replies older than `before_ms` (a short write each call)."""

        async def tx(conn: asyncpg.Connection) -> int:
            status: str = await conn.execute(_FORGET_REPLIES, before_ms, limit)
            requests: str = await conn.execute(_FORGET_REQUESTS, before_ms, limit)
            return int(status.split()[-1]) + int(requests.split()[-1])  # "DELETE n"

        return await self._write(tx)

    # -- users and tokens ---------------------------------------------------------

    async def create_user(self, username: str, password_hash: str, role: str) -> UserRecord:
        """Insert a user with the next paddle number.

        Raises: UsernameTaken (case-insensitive); StoreUnavailable.
        """
        created_at = self._now_ms()

        async def tx(conn: asyncpg.Connection) -> UserRecord:
            sql = "SELECT 1 FROM users WHERE lower(username) = lower($1)"
            if await conn.fetchval(sql, username) is not None:
                raise UsernameTaken(username)
            paddle: int = await conn.fetchval(_BUMP_COUNTER, "paddle", 1)
            try:
                user_id: int = await conn.fetchval(
                    _INSERT_USER, username, password_hash, role, paddle, created_at
                )
            except asyncpg.UniqueViolationError as e:  # another process, same name
                raise UsernameTaken(username) from e
            return UserRecord(user_id, username, password_hash, role, paddle, created_at)

        return await self._write(tx)

    async def user_by_name(self, username: str) -> UserRecord | None:
        async def q(conn: asyncpg.Connection) -> UserRecord | None:
            sql = _USER_COLUMNS + " WHERE lower(username) = lower($1)"
            row = await conn.fetchrow(sql, username)
            return None if row is None else _user(row)

        return await self._read(q)

    async def user_by_id(self, user_id: int) -> UserRecord | None:
        async def q(conn: asyncpg.Connection) -> UserRecord | None:
            row = await conn.fetchrow(_USER_COLUMNS + " WHERE id = $1", user_id)
            return None if row is None else _user(row)

        return await self._read(q)

    async def users_by_ids(self, user_ids: Sequence[int]) -> dict[int, UserRecord]:
        ids = list(user_ids)

        async def q(conn: asyncpg.Connection) -> dict[int, UserRecord]:
            rows = await conn.fetch(_USER_COLUMNS + " WHERE id = ANY($1::bigint[])", ids)
            return {u.id: u for u in map(_user, rows)}

        return await self._read(q)

    async def add_token(self, token_hash: str, user_id: int, expires_at: int) -> None:
        async def tx(conn: asyncpg.Connection) -> None:
            await conn.execute(_UPSERT_TOKEN, token_hash, user_id, expires_at)

        await self._write(tx)

    async def token(self, token_hash: str) -> TokenRecord | None:
        async def q(conn: asyncpg.Connection) -> TokenRecord | None:
            sql = (
                "SELECT token_hash, user_id, expires_at, revoked FROM tokens WHERE token_hash = $1"
            )
            row = await conn.fetchrow(sql, token_hash)
            return None if row is None else TokenRecord(row[0], row[1], row[2], row[3])

        return await self._read(q)

    async def revoke_token(self, token_hash: str) -> None:
        async def tx(conn: asyncpg.Connection) -> None:
            await conn.execute("UPDATE tokens SET revoked = true WHERE token_hash = $1", token_hash)

        await self._write(tx)

    async def update_user(
        self,
        user_id: int,
        *,
        role: str | None = None,
        disabled: bool | None = None,
        password_hash: str | None = None,
    ) -> UserRecord | None:
        now = self._now_ms()

        async def tx(conn: asyncpg.Connection) -> UserRecord | None:
            await conn.execute(_UPDATE_USER, user_id, role, disabled, password_hash, now)
            row = await conn.fetchrow(_USER_COLUMNS + " WHERE id = $1", user_id)
            return None if row is None else _user(row)

        return await self._write(tx)

    async def revoke_tokens(self, user_id: int, *, keep: str | None = None) -> int:
        now = self._now_ms()

        async def tx(conn: asyncpg.Connection) -> int:
            status = await conn.execute(_REVOKE_TOKENS, user_id, keep)
            await conn.execute("UPDATE users SET changed_at = $2 WHERE id = $1", user_id, now)
            return int(status.split()[-1])

        return await self._write(tx)

    async def users_changed(self, since_ms: int) -> list[UserRecord]:
        async def q(conn: asyncpg.Connection) -> list[UserRecord]:
            sql = _USER_COLUMNS + " WHERE changed_at > $1 ORDER BY id"
            return [_user(r) for r in await conn.fetch(sql, since_ms)]

        return await self._read(q)

    async def purge_tokens(self, before_ms: int, limit: int) -> int:
        async def tx(conn: asyncpg.Connection) -> int:
            status = await conn.execute(_PURGE_TOKENS, before_ms, max(limit, 0))
            return int(status.split()[-1])

        return await self._write(tx)

    # -- notices and purchases ----------------------------------------------------

    async def notices(self, user_id: int, after_seq: int = 0) -> list[StoredNotice]:
        async def q(conn: asyncpg.Connection) -> list[StoredNotice]:
            sql = (
                "SELECT user_id, seq, kind, data::text, at FROM notices"
                " WHERE user_id = $1 AND seq > $2 ORDER BY seq"
            )
            return [
                StoredNotice(r[0], r[1], r[2], loads(r[3]), r[4])
                for r in await conn.fetch(sql, user_id, after_seq)
            ]

        return await self._read(q)

    async def last_notice_seq(self, user_id: int) -> int:
        async def q(conn: asyncpg.Connection) -> int:
            sql = "SELECT last_seq FROM notice_seqs WHERE user_id = $1"
            seq = await conn.fetchval(sql, user_id)
            return 0 if seq is None else int(seq)

        return await self._read(q)

    async def purchases(self, user_id: int | None = None) -> list[PurchaseRecord]:
        async def q(conn: asyncpg.Connection) -> list[PurchaseRecord]:
            sql = (
                "SELECT auction_id, round, user_id, price, at, buy_now FROM purchases"
                " WHERE ($1::bigint IS NULL OR user_id = $1) ORDER BY id"
            )
            return [
                PurchaseRecord(r[0], r[1], r[2], r[3], r[4], r[5])
                for r in await conn.fetch(sql, user_id)
            ]

        return await self._read(q)
