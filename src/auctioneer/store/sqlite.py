"""The embedded EventStore: one SQLite file in WAL mode, with group commit.

Writes go through one writer thread (sqlite_writer.py): every job waiting is
run in ONE transaction, each in its own SAVEPOINT, and the callers hear back
after COMMIT, which `synchronous=FULL` makes durable (docs/protocol.md rule 9)
while one disk flush serves every bid of the batch. `create_user`,
`add_token`, `revoke_token`, `allocate_ids` and `save_reply` take that path
too. Appends queued next to each other are written together
(`sqlite_append.append_log`: one version check and one statement for all
of them), falling back to one SAVEPOINT each (`log_one`) if that fails.

The log is the write: an append makes durable its events (and a sale's
reply) before it returns; its projections (the auction's row, notices,
purchases, request records) are written behind it by the same thread, in a
later transaction (`sqlite_writer`), and every read of a projection first
waits for the projections queued before it (`_projected`), so a caller
reads its own writes.

Reads: a small pool of reader threads, each with its own connection (WAL lets
them read while the writer writes) and `query_only` set.

Every SQL statement is a constant with parameters; lists travel as JSON
through `json_each`.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

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
    StoreStats,
    one_per_auction,
    plan_commit,
    system_clock_ms,
)
from auctioneer.store.budgets import SQLiteBudgetRecords
from auctioneer.store.chain_sqlite import SQLiteChain
from auctioneer.store.errors import (
    StoreUnavailable,
    UsernameTaken,
)
from auctioneer.store.house_sqlite import SQLiteHouseRecords
from auctioneer.store.migrations import migrate_sqlite
from auctioneer.store.records import dumps, event_from_row, loads
from auctioneer.store.sqlite_append import append_log, append_one, log_one, project
from auctioneer.store.sqlite_writer import BACKEND, GroupCommitWriter, translate_sqlite_error
from auctioneer.store.watch_sqlite import SQLiteWatchRecords

__all__ = ["SQLiteStore", "translate_sqlite_error"]

T = TypeVar("T")

# `_BIDS` names the type literally; keep them in step.
assert BidPlaced.event == "bid_placed"

# -- SQL ------------------------------------------------------------------------

_SAVE_REPLY = (
    "INSERT INTO idempotency (user_id, request_id, reply, at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (user_id, request_id) DO NOTHING"
)
_FORGET_REPLIES = (
    "DELETE FROM idempotency WHERE rowid IN"
    " (SELECT rowid FROM idempotency WHERE at < ? ORDER BY at LIMIT ?)"
)
_BUMP_COUNTER = """
INSERT INTO counters (kind, last) VALUES (?, ?)
ON CONFLICT (kind) DO UPDATE SET last = last + excluded.last
RETURNING last
"""
_INSERT_USER = (
    "INSERT INTO users (username, password_hash, role, paddle, created_at)"
    " VALUES (?, ?, ?, ?, ?) RETURNING id"
)
_UPSERT_TOKEN = """
INSERT INTO tokens (token_hash, user_id, expires_at, revoked) VALUES (?, ?, ?, 0)
ON CONFLICT (token_hash) DO UPDATE SET
    user_id = excluded.user_id, expires_at = excluded.expires_at, revoked = 0
"""

_EVENT_COLUMNS = "SELECT type, auction_id, version, seq, at, data FROM events"
_LOAD_EVENTS = (
    _EVENT_COLUMNS + " WHERE auction_id = ? AND version > ? ORDER BY version LIMIT ?"
)  # LIMIT -1: no limit
# The log has one key, (auction_id, version) (migration 0003): a public event's
# seq is never above its version, so `version > :after` bounds the walk, and
# seq order is version order.
_BIDS = (
    _EVENT_COLUMNS + " WHERE auction_id = :auction_id AND type = 'bid_placed'"
    " AND (:before IS NULL OR seq < :before) ORDER BY version DESC LIMIT :limit"
)
_AUCTION_ROWS = """
SELECT row FROM auctions
WHERE (:statuses IS NULL OR status IN (SELECT value FROM json_each(:statuses)))
  AND (:sale_id IS NULL OR sale_id = :sale_id)
  AND (:private OR public)
  AND (:deleted OR NOT deleted)
ORDER BY id
"""
_REQUEST = "SELECT user_id, request_id, auction_id, version, reply, at FROM requests"
# A full walk of the log's key, on start only: auctions whose newest event is
# beyond the version their row was projected to, with that version.
_UNPROJECTED = """
SELECT log.auction_id, COALESCE(auctions.version, 0)
FROM (SELECT auction_id, MAX(version) AS version FROM events GROUP BY auction_id) AS log
LEFT JOIN auctions ON auctions.id = log.auction_id
WHERE log.version > COALESCE(auctions.version, 0)
ORDER BY log.auction_id
"""
_DECISIONS = (
    "SELECT version, user_id, request_id, decision FROM events"
    " WHERE auction_id = ? AND version > ? AND decision IS NOT NULL ORDER BY version"
)
_FORGET_REQUESTS = (
    "DELETE FROM requests WHERE rowid IN"
    " (SELECT rowid FROM requests WHERE at < ? ORDER BY rowid LIMIT ?)"
)
_USER_COLUMNS = (
    "SELECT id, username, password_hash, role, paddle, created_at, disabled, changed_at FROM users"
)
_UPDATE_USER = """
UPDATE users SET
    role = COALESCE(:role, role),
    disabled = COALESCE(:disabled, disabled),
    password_hash = COALESCE(:password_hash, password_hash),
    changed_at = :now
WHERE id = :user_id
"""
_PURGE_TOKENS = (
    "DELETE FROM tokens WHERE token_hash IN (SELECT token_hash FROM tokens"
    " WHERE revoked OR expires_at < ? LIMIT ?)"
)


def _event(row: tuple[Any, ...]) -> Event:
    return event_from_row(
        row[0], auction_id=row[1], version=row[2], seq=row[3], at=row[4], data=loads(row[5])
    )


def _user(row: tuple[Any, ...]) -> UserRecord:
    return UserRecord(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7])


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (0600), if it is new.

    It holds password hashes and token hashes (issue 20, item 11). SQLite
    gives its `-wal` and `-shm` files the database file's permissions. An
    existing file keeps the permissions its owner chose.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


class SQLiteStore(SQLiteChain, SQLiteHouseRecords, SQLiteWatchRecords, SQLiteBudgetRecords):
    """The EventStore Protocol on one SQLite file.

    Args:
        path: the database file (created with its folder's permissions).
        readers: reader threads (and connections).
        max_batch: most commits per write transaction.
        busy_timeout_ms: how long to wait for another process's write lock.
        clock: epoch-ms source for `created_at` of users.
        projection_delay_ms: how long projections may wait to be written
            together (reads of them wait for them instead).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        readers: int = 4,
        max_batch: int = 512,
        busy_timeout_ms: int = 5000,
        clock: Callable[[], int] = system_clock_ms,
        projection_delay_ms: int = 50,
    ) -> None:
        self.path = Path(path)
        self._projection_delay_ms = projection_delay_ms
        self._file = self.path.absolute()  # fixed at open(): a later chdir changes nothing
        self.stats = StoreStats()
        self._readers = max(1, readers)
        self._max_batch = max(1, max_batch)
        self._busy_timeout_ms = busy_timeout_ms
        self._now_ms = clock
        self._lock = threading.Lock()
        self._writer: GroupCommitWriter | None = None
        self._reader_pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []

    # -- lifecycle ----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        # `timeout` is SQLite's busy timeout: wait that long for another
        # process's write lock (e.g. `auctioneer user add` beside the server).
        self._file.parent.mkdir(parents=True, exist_ok=True)
        _create_private(self._file)
        return sqlite3.connect(
            self._file,
            isolation_level=None,
            check_same_thread=False,
            timeout=self._busy_timeout_ms / 1000,
        )

    async def open(self) -> None:
        """Create or upgrade the database, then start the writer and readers.

        Raises:
            StoreUnavailable: the file cannot be opened or migrated.
        """
        if self._writer is not None:
            return
        self._file = self.path.absolute()
        writer = GroupCommitWriter(
            self._connect,
            self._prepare,
            describe=str(self.path),
            max_batch=self._max_batch,
            stats=self.stats,
            together=append_log,
            project=project,
            projection_delay_s=self._projection_delay_ms / 1000,
        )
        await writer.start()
        self._writer = writer
        self._reader_pool = ThreadPoolExecutor(
            max_workers=self._readers, thread_name_prefix="sqlite-reader"
        )

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """On the write connection, before any write: WAL, full sync, migrations.

        `temp_store = MEMORY`: every batch runs inside a SAVEPOINT, whose undo
        journal (the pages it changes) SQLite spills to a new temporary file
        once it passes 64 KB, as most batches' does: a file created, written
        and deleted per transaction. In memory that journal costs a copy; on
        disk it was about 40% of the bytes written per bid and a third of a
        hot auction's commit time (docs/benchmarks.md). It is never needed
        for crash recovery (the WAL is), only to undo a failed batch.
        """
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA temp_store = MEMORY")
        migrate_sqlite(conn, now_ms=self._now_ms())

    async def close(self) -> None:
        """Finish the queued writes, stop the writer, close every connection."""
        writer, self._writer = self._writer, None
        if writer is None:
            return
        await writer.stop()
        pool, self._reader_pool = self._reader_pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, True)
        with self._lock:
            conns = list(self._reader_conns)
            self._reader_conns.clear()
        for conn in conns:
            conn.close()
        self._local = threading.local()

    async def _write(
        self, fn: Callable[[sqlite3.Connection], T], *, is_append: bool = False, item: Any = None
    ) -> T:
        writer = self._writer
        if writer is None:
            raise StoreUnavailable(BACKEND, "the store is not open")
        return await writer.submit(fn, is_append=is_append, item=item)

    # -- readers ------------------------------------------------------------------

    def _reader_conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
            with self._lock:
                self._reader_conns.append(conn)
        return conn

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        pool = self._reader_pool
        if pool is None:
            raise StoreUnavailable(BACKEND, "the store is not open")

        def run() -> T:
            try:
                return fn(self._reader_conn())
            except sqlite3.Error as e:
                raise translate_sqlite_error(e) from e

        try:
            return await asyncio.get_running_loop().run_in_executor(pool, run)
        except RuntimeError as e:  # the pool was shut down under us
            raise StoreUnavailable(BACKEND, str(e)) from e

    async def ping(self) -> None:
        if self._writer is None:
            raise StoreUnavailable(BACKEND, "the store is not open")
        await self._read(lambda conn: conn.execute("SELECT 1").fetchone())

    # -- auctions -----------------------------------------------------------------

    async def allocate_ids(self, kind: str, count: int = 1) -> list[int]:
        """Durably reserve `count` new ids of `kind`; ids only ever grow.

        Raises: ValueError if count < 1; StoreUnavailable.
        """
        if count < 1:
            raise ValueError("count must be at least 1")

        def tx(conn: sqlite3.Connection) -> list[int]:
            last: int = conn.execute(_BUMP_COUNTER, (kind, count)).fetchone()[0]
            return list(range(last - count + 1, last + 1))

        return await self._write(tx)

    async def append(self, commit: Commit) -> Projected:
        """Write one commit's log rows durably, group-committed with concurrent ones;
        its projections go behind (the returned future: their stored notices).

        Raises:
            ConcurrencyConflict: the version (or request id) was taken; nothing written.
            StoreUnavailable: the database failed; nothing written.
            ValueError: the events do not follow expected_version (caller bug).
        """
        plan = plan_commit(commit, now_ms=self._now_ms)
        writer = self._writer
        if writer is None:
            raise StoreUnavailable(BACKEND, "the store is not open")
        projected: Projected = await writer.append(lambda conn: log_one(conn, plan), plan)
        return projected

    async def project(self, commit: Commit) -> list[StoredNotice]:
        """Write the projections of a commit already in the log (after a crash)."""
        plan = plan_commit(commit, now_ms=self._now_ms)
        [notices] = await self._write(lambda conn: project(conn, [plan]))
        return notices

    async def _projected(self) -> None:
        """Wait until every projection queued so far is written (read your writes)."""
        writer = self._writer
        if writer is not None:
            await writer.barrier()

    async def append_all(self, commits: Sequence[Commit]) -> list[list[StoredNotice]]:
        """Write several auctions' commits in one SAVEPOINT: all of them or none."""
        plans = [plan_commit(commit, now_ms=self._now_ms) for commit in commits]
        one_per_auction(plans)
        return await self._write(lambda conn: [append_one(conn, p) for p in plans], is_append=True)

    async def load_events(
        self, auction_id: int, after_version: int = 0, *, limit: int | None = None
    ) -> list[Event]:
        params = (auction_id, after_version, -1 if limit is None else max(limit, 0))

        def q(conn: sqlite3.Connection) -> list[Event]:
            return [_event(r) for r in conn.execute(_LOAD_EVENTS, params)]

        return await self._read(q)

    async def bids(
        self, auction_id: int, *, before_seq: int | None = None, limit: int = 100
    ) -> list[Event]:
        params = {"auction_id": auction_id, "before": before_seq, "limit": max(limit, 0)}

        def q(conn: sqlite3.Connection) -> list[Event]:
            return [_event(r) for r in conn.execute(_BIDS, params)]

        return await self._read(q)

    async def auction_rows(
        self,
        *,
        statuses: Sequence[str] | None = None,
        sale_id: int | None = None,
        include_private: bool = False,
        include_deleted: bool = False,
    ) -> list[dict[str, Any]]:
        await self._projected()
        params = {
            "statuses": None if statuses is None else dumps([str(s) for s in statuses]).decode(),
            "sale_id": sale_id,
            "private": include_private,
            "deleted": include_deleted,
        }

        def q(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            return [loads(r[0]) for r in conn.execute(_AUCTION_ROWS, params)]

        return await self._read(q)

    async def auction_row(self, auction_id: int) -> dict[str, Any] | None:
        await self._projected()

        def q(conn: sqlite3.Connection) -> dict[str, Any] | None:
            row = conn.execute("SELECT row FROM auctions WHERE id = ?", (auction_id,)).fetchone()
            return None if row is None else dict(loads(row[0]))

        return await self._read(q)

    async def unfinished_auction_ids(self) -> list[int]:
        await self._projected()

        def q(conn: sqlite3.Connection) -> list[int]:
            sql = "SELECT id FROM auctions WHERE status IN ('scheduled', 'open') ORDER BY id"
            return [r[0] for r in conn.execute(sql)]

        return await self._read(q)

    async def sale_lots(self, sale_id: int) -> list[int]:
        await self._projected()

        def q(conn: sqlite3.Connection) -> list[int]:
            sql = "SELECT id FROM auctions WHERE sale_id = ? ORDER BY lot IS NULL, lot, id"
            return [r[0] for r in conn.execute(sql, (sale_id,))]

        return await self._read(q)

    async def sale_row(self, sale_id: int) -> dict[str, Any] | None:
        """The sale as last written through `Commit.extra["sale"]`, if any."""

        def q(conn: sqlite3.Connection) -> dict[str, Any] | None:
            row = conn.execute("SELECT row FROM sales WHERE id = ?", (sale_id,)).fetchone()
            return None if row is None else dict(loads(row[0]))

        return await self._read(q)

    # -- idempotency --------------------------------------------------------------

    async def stored_reply(self, user_id: int, request_id: str) -> bytes | RequestRecord | None:
        await self._projected()

        def q(conn: sqlite3.Connection) -> bytes | RequestRecord | None:
            sql = "SELECT reply FROM idempotency WHERE user_id = ? AND request_id = ?"
            row = conn.execute(sql, (user_id, request_id)).fetchone()
            if row is not None:
                return bytes(row[0])
            # No index: a retry asks here only when it lost a race (rare).
            row = conn.execute(
                _REQUEST + " WHERE user_id = ? AND request_id = ?", (user_id, request_id)
            ).fetchone()
            return None if row is None else RequestRecord(*row)

        return await self._read(q)

    async def requests(self, since_ms: int) -> list[RequestRecord]:
        """Every accepted request recorded at or after `since_ms`, in order."""
        await self._projected()

        def q(conn: sqlite3.Connection) -> list[RequestRecord]:
            return [
                RequestRecord(*r)
                for r in conn.execute(_REQUEST + " WHERE at >= ? ORDER BY rowid", (since_ms,))
            ]

        return await self._read(q)

    async def unprojected(self) -> list[tuple[int, int]]:
        """Auctions whose log is ahead of their row (a crash came between the two)."""
        await self._projected()

        def q(conn: sqlite3.Connection) -> list[tuple[int, int]]:
            return [(r[0], r[1]) for r in conn.execute(_UNPROJECTED)]

        return await self._read(q)

    async def decisions(self, auction_id: int, after_version: int = 0) -> list[Decision]:
        def q(conn: sqlite3.Connection) -> list[Decision]:
            return [
                Decision(r[0], r[1], r[2], DECISION_REPLIES[r[3]])
                for r in conn.execute(_DECISIONS, (auction_id, after_version))
            ]

        return await self._read(q)

    async def save_reply(self, user_id: int, request_id: str, result: bytes) -> None:
        """Store a reply outside a commit; the first reply stored for a key stays."""
        at = self._now_ms()

        def tx(conn: sqlite3.Connection) -> None:
            conn.execute(_SAVE_REPLY, (user_id, request_id, bytes(result), at))

        await self._write(tx)

    async def request_ids(self, since_ms: int) -> list[tuple[int, str]]:
        """Every (user_id, request_id) with a reply stored (bytes: a sale's, a
        refusal) at or after `since_ms`; `requests` has the ones to rebuild."""
        await self._projected()

        def q(conn: sqlite3.Connection) -> list[tuple[int, str]]:
            sql = (
                "SELECT user_id, request_id FROM idempotency WHERE at >= ?"
                " ORDER BY user_id, request_id"
            )
            return [(r[0], r[1]) for r in conn.execute(sql, (since_ms,))]

        return await self._read(q)

    async def forget_replies(self, before_ms: int, limit: int) -> int:
        """Delete up to `limit` replies older than `before_ms` (a short write each call)."""
        await self._projected()

        def tx(conn: sqlite3.Connection) -> int:
            gone: int = conn.execute(_FORGET_REPLIES, (before_ms, limit)).rowcount
            return gone + conn.execute(_FORGET_REQUESTS, (before_ms, limit)).rowcount

        return await self._write(tx)

    # -- users and tokens ---------------------------------------------------------

    async def create_user(self, username: str, password_hash: str, role: str) -> UserRecord:
        """Insert a user with the next paddle number.

        Raises: UsernameTaken (case-insensitive); StoreUnavailable.
        """
        created_at = self._now_ms()

        def tx(conn: sqlite3.Connection) -> UserRecord:
            taken = conn.execute("SELECT 1 FROM users WHERE username = ?", (username,))
            if taken.fetchone() is not None:
                raise UsernameTaken(username)
            paddle: int = conn.execute(_BUMP_COUNTER, ("paddle", 1)).fetchone()[0]
            try:
                cur = conn.execute(
                    _INSERT_USER, (username, password_hash, role, paddle, created_at)
                )
            except sqlite3.IntegrityError as e:
                raise UsernameTaken(username) from e
            user_id: int = cur.fetchone()[0]
            return UserRecord(user_id, username, password_hash, role, paddle, created_at)

        return await self._write(tx)

    async def user_by_name(self, username: str) -> UserRecord | None:
        def q(conn: sqlite3.Connection) -> UserRecord | None:
            row = conn.execute(_USER_COLUMNS + " WHERE username = ?", (username,)).fetchone()
            return None if row is None else _user(row)

        return await self._read(q)

    async def user_by_id(self, user_id: int) -> UserRecord | None:
        def q(conn: sqlite3.Connection) -> UserRecord | None:
            row = conn.execute(_USER_COLUMNS + " WHERE id = ?", (user_id,)).fetchone()
            return None if row is None else _user(row)

        return await self._read(q)

    async def users_by_ids(self, user_ids: Sequence[int]) -> dict[int, UserRecord]:
        ids = dumps(list(user_ids)).decode()

        def q(conn: sqlite3.Connection) -> dict[int, UserRecord]:
            sql = _USER_COLUMNS + " WHERE id IN (SELECT value FROM json_each(?))"
            return {u.id: u for u in map(_user, conn.execute(sql, (ids,)))}

        return await self._read(q)

    async def add_token(self, token_hash: str, user_id: int, expires_at: int) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            conn.execute(_UPSERT_TOKEN, (token_hash, user_id, expires_at))

        await self._write(tx)

    async def token(self, token_hash: str) -> TokenRecord | None:
        def q(conn: sqlite3.Connection) -> TokenRecord | None:
            sql = "SELECT token_hash, user_id, expires_at, revoked FROM tokens WHERE token_hash = ?"
            row = conn.execute(sql, (token_hash,)).fetchone()
            return None if row is None else TokenRecord(row[0], row[1], row[2], bool(row[3]))

        return await self._read(q)

    async def revoke_token(self, token_hash: str) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE tokens SET revoked = 1 WHERE token_hash = ?", (token_hash,))

        await self._write(tx)

    async def update_user(
        self,
        user_id: int,
        *,
        role: str | None = None,
        disabled: bool | None = None,
        password_hash: str | None = None,
    ) -> UserRecord | None:
        params = {
            "user_id": user_id,
            "role": role,
            "disabled": None if disabled is None else int(disabled),
            "password_hash": password_hash,
            "now": self._now_ms(),
        }

        def tx(conn: sqlite3.Connection) -> UserRecord | None:
            conn.execute(_UPDATE_USER, params)
            row = conn.execute(_USER_COLUMNS + " WHERE id = ?", (user_id,)).fetchone()
            return None if row is None else _user(row)

        return await self._write(tx)

    async def revoke_tokens(self, user_id: int, *, keep: str | None = None) -> int:
        now = self._now_ms()

        def tx(conn: sqlite3.Connection) -> int:
            sql = (
                "UPDATE tokens SET revoked = 1 WHERE user_id = ? AND NOT revoked"
                " AND (? IS NULL OR token_hash != ?)"
            )
            revoked = conn.execute(sql, (user_id, keep, keep)).rowcount
            conn.execute("UPDATE users SET changed_at = ? WHERE id = ?", (now, user_id))
            return revoked

        return await self._write(tx)

    async def users_changed(self, since_ms: int) -> list[UserRecord]:
        def q(conn: sqlite3.Connection) -> list[UserRecord]:
            sql = _USER_COLUMNS + " WHERE changed_at > ? ORDER BY id"
            return [_user(r) for r in conn.execute(sql, (since_ms,))]

        return await self._read(q)

    async def purge_tokens(self, before_ms: int, limit: int) -> int:
        def tx(conn: sqlite3.Connection) -> int:
            return conn.execute(_PURGE_TOKENS, (before_ms, max(limit, 0))).rowcount

        return await self._write(tx)

    # -- notices and purchases ----------------------------------------------------

    async def notices(self, user_id: int, after_seq: int = 0) -> list[StoredNotice]:
        await self._projected()

        def q(conn: sqlite3.Connection) -> list[StoredNotice]:
            sql = (
                "SELECT user_id, seq, kind, data, at FROM notices"
                " WHERE user_id = ? AND seq > ? ORDER BY seq"
            )
            return [
                StoredNotice(r[0], r[1], r[2], loads(r[3]), r[4])
                for r in conn.execute(sql, (user_id, after_seq))
            ]

        return await self._read(q)

    async def last_notice_seq(self, user_id: int) -> int:
        await self._projected()

        def q(conn: sqlite3.Connection) -> int:
            sql = "SELECT MAX(seq) FROM notices WHERE user_id = ?"
            row = conn.execute(sql, (user_id,)).fetchone()
            return 0 if row is None or row[0] is None else int(row[0])

        return await self._read(q)

    async def purchases(self, user_id: int | None = None) -> list[PurchaseRecord]:
        await self._projected()

        def q(conn: sqlite3.Connection) -> list[PurchaseRecord]:
            sql = (
                "SELECT auction_id, round, user_id, price, at, buy_now FROM purchases"
                " WHERE (:user_id IS NULL OR user_id = :user_id) ORDER BY id"
            )
            return [
                PurchaseRecord(r[0], r[1], r[2], r[3], r[4], bool(r[5]))
                for r in conn.execute(sql, {"user_id": user_id})
            ]

        return await self._read(q)
