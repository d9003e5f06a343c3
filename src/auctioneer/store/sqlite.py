"""The embedded EventStore: one SQLite file in WAL mode, with group commit.

Writes go through one writer thread (sqlite_writer.py): every job waiting is
run in ONE transaction, each in its own SAVEPOINT, and the callers hear back
after COMMIT, which `synchronous=FULL` makes durable (PROTOCOL.md rule 9)
while one disk flush serves every bid of the batch. `create_user`,
`add_token`, `revoke_token`, `allocate_ids` and `save_reply` take that path
too. Appends queued next to each other are written together
(`_append_together`: one version check and one statement per table for all
of them), falling back to one SAVEPOINT each (`_append_tx`) if that fails.

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
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from auctioneer.engine.events import BidPlaced, Event
from auctioneer.service.ports import (
    Commit,
    PurchaseRecord,
    StoredNotice,
    TokenRecord,
    UserRecord,
)
from auctioneer.store.base import (
    CommitPlan,
    StoreStats,
    one_per_auction,
    plan_commit,
    system_clock_ms,
)
from auctioneer.store.errors import (
    ConcurrencyConflict,
    StoreUnavailable,
    UsernameTaken,
)
from auctioneer.store.migrations import migrate_sqlite
from auctioneer.store.records import dumps, event_from_row, loads
from auctioneer.store.sqlite_writer import BACKEND, GroupCommitWriter, translate_sqlite_error

__all__ = ["SQLiteStore", "translate_sqlite_error"]

T = TypeVar("T")

# The partial index `events_bids` names the type literally; keep them in step.
assert BidPlaced.event == "bid_placed"

# -- SQL ------------------------------------------------------------------------

_INSERT_EVENT = (
    "INSERT INTO events (auction_id, version, seq, type, at, data) VALUES (?, ?, ?, ?, ?, ?)"
)
_UPSERT_AUCTION = """
INSERT INTO auctions (id, status, public, deleted, sale_id, lot, row, version, seq)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    status = excluded.status,
    public = excluded.public,
    deleted = excluded.deleted,
    sale_id = excluded.sale_id,
    lot = COALESCE(excluded.lot, auctions.lot),
    row = excluded.row,
    version = excluded.version,
    seq = MAX(auctions.seq, excluded.seq)
"""
_BUMP_NOTICE_SEQ = """
INSERT INTO notice_seqs (user_id, last_seq) VALUES (?, ?)
ON CONFLICT (user_id) DO UPDATE SET last_seq = last_seq + excluded.last_seq
RETURNING last_seq
"""
_SET_NOTICE_SEQ = """
INSERT INTO notice_seqs (user_id, last_seq) VALUES (?, ?)
ON CONFLICT (user_id) DO UPDATE SET last_seq = excluded.last_seq
"""
_NOTICE_SEQS = (
    "SELECT user_id, last_seq FROM notice_seqs WHERE user_id IN (SELECT value FROM json_each(?))"
)
_VERSIONS = "SELECT id, version FROM auctions WHERE id IN (SELECT value FROM json_each(?))"
_INSERT_NOTICE = "INSERT INTO notices (user_id, seq, kind, data, at) VALUES (?, ?, ?, ?, ?)"
_INSERT_PURCHASE = (
    "INSERT INTO purchases (auction_id, round, user_id, price, at, buy_now)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_REPLY = "INSERT INTO idempotency (user_id, request_id, reply, at) VALUES (?, ?, ?, ?)"
_SAVE_REPLY = _INSERT_REPLY + " ON CONFLICT (user_id, request_id) DO NOTHING"
_FORGET_REPLIES = (
    "DELETE FROM idempotency WHERE rowid IN"
    " (SELECT rowid FROM idempotency WHERE at < ? ORDER BY at LIMIT ?)"
)
_UPSERT_SALE = (
    "INSERT INTO sales (id, row) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET row = excluded.row"
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

# The writer's fast path: one statement, so one sqlite3_step, per table for a
# whole batch. `executemany` steps once per row and takes the GIL back after
# each step, which costs up to a switch interval whenever the event loop holds
# it; the rows travel as one JSON array instead.
_INSERT_EVENTS = """
INSERT INTO events (auction_id, version, seq, type, at, data)
SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 FROM json_each(?)
"""
_UPSERT_AUCTIONS = """
INSERT INTO auctions (id, status, public, deleted, sale_id, lot, row, version, seq)
SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6,
       value->>7, value->>8
FROM json_each(?) WHERE true
ON CONFLICT (id) DO UPDATE SET
    status = excluded.status,
    public = excluded.public,
    deleted = excluded.deleted,
    sale_id = excluded.sale_id,
    lot = COALESCE(excluded.lot, auctions.lot),
    row = excluded.row,
    version = excluded.version,
    seq = MAX(auctions.seq, excluded.seq)
"""
_SET_NOTICE_SEQS = """
INSERT INTO notice_seqs (user_id, last_seq)
SELECT value->>0, value->>1 FROM json_each(?) WHERE true
ON CONFLICT (user_id) DO UPDATE SET last_seq = excluded.last_seq
"""
_INSERT_NOTICES = """
INSERT INTO notices (user_id, seq, kind, data, at)
SELECT value->>0, value->>1, value->>2, value->>3, value->>4 FROM json_each(?)
"""
_INSERT_REPLIES = """
INSERT INTO idempotency (user_id, request_id, reply, at)
SELECT value->>0, value->>1, CAST(value->>2 AS BLOB), value->>3 FROM json_each(?)
"""

_EVENT_COLUMNS = "SELECT type, auction_id, version, seq, at, data FROM events"
_LOAD_EVENTS = _EVENT_COLUMNS + " WHERE auction_id = ? AND version > ? ORDER BY version"
_PUBLIC_EVENTS = (
    _EVENT_COLUMNS + " WHERE auction_id = :auction_id AND seq > :after"
    " AND (:upto IS NULL OR seq <= :upto) ORDER BY seq"
)
_BIDS = (
    _EVENT_COLUMNS + " WHERE auction_id = :auction_id AND type = 'bid_placed'"
    " AND (:before IS NULL OR seq < :before) ORDER BY seq DESC LIMIT :limit"
)
_AUCTION_ROWS = """
SELECT row FROM auctions
WHERE (:statuses IS NULL OR status IN (SELECT value FROM json_each(:statuses)))
  AND (:sale_id IS NULL OR sale_id = :sale_id)
  AND (:private OR public)
  AND (:deleted OR NOT deleted)
ORDER BY id
"""
_USER_COLUMNS = "SELECT id, username, password_hash, role, paddle, created_at FROM users"


def _event(row: tuple[Any, ...]) -> Event:
    return event_from_row(
        row[0], auction_id=row[1], version=row[2], seq=row[3], at=row[4], data=loads(row[5])
    )


def _user(row: tuple[Any, ...]) -> UserRecord:
    return UserRecord(row[0], row[1], row[2], row[3], row[4], row[5])


class SQLiteStore:
    """The EventStore Protocol on one SQLite file.

    Args:
        path: the database file (created with its folder's permissions).
        readers: reader threads (and connections).
        max_batch: most commits per write transaction.
        busy_timeout_ms: how long to wait for another process's write lock.
        clock: epoch-ms source for `created_at` of users.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        readers: int = 4,
        max_batch: int = 512,
        busy_timeout_ms: int = 5000,
        clock: Callable[[], int] = system_clock_ms,
    ) -> None:
        self.path = Path(path)
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
            together=_append_together,
        )
        await writer.start()
        self._writer = writer
        self._reader_pool = ThreadPoolExecutor(
            max_workers=self._readers, thread_name_prefix="sqlite-reader"
        )

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """On the write connection, before any write: WAL, full sync, migrations."""
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
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

    async def append(self, commit: Commit) -> list[StoredNotice]:
        """Write one commit durably, group-committed with concurrent ones.

        Raises:
            ConcurrencyConflict: the version (or request id) was taken; nothing written.
            StoreUnavailable: the database failed; nothing written.
            ValueError: the events do not follow expected_version (caller bug).
        """
        plan = plan_commit(commit, now_ms=self._now_ms)
        return await self._write(lambda conn: _append_tx(conn, plan), is_append=True, item=plan)

    async def append_all(self, commits: Sequence[Commit]) -> list[list[StoredNotice]]:
        """Write several auctions' commits in one SAVEPOINT: all of them or none."""
        plans = [plan_commit(commit, now_ms=self._now_ms) for commit in commits]
        one_per_auction(plans)
        return await self._write(lambda conn: [_append_tx(conn, p) for p in plans], is_append=True)

    async def load_events(self, auction_id: int, after_version: int = 0) -> list[Event]:
        def q(conn: sqlite3.Connection) -> list[Event]:
            return [_event(r) for r in conn.execute(_LOAD_EVENTS, (auction_id, after_version))]

        return await self._read(q)

    async def public_events(
        self, auction_id: int, after_seq: int = 0, upto_seq: int | None = None
    ) -> list[Event]:
        params = {"auction_id": auction_id, "after": after_seq, "upto": upto_seq}

        def q(conn: sqlite3.Connection) -> list[Event]:
            return [_event(r) for r in conn.execute(_PUBLIC_EVENTS, params)]

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
        def q(conn: sqlite3.Connection) -> dict[str, Any] | None:
            row = conn.execute("SELECT row FROM auctions WHERE id = ?", (auction_id,)).fetchone()
            return None if row is None else dict(loads(row[0]))

        return await self._read(q)

    async def unfinished_auction_ids(self) -> list[int]:
        def q(conn: sqlite3.Connection) -> list[int]:
            sql = "SELECT id FROM auctions WHERE status IN ('scheduled', 'open') ORDER BY id"
            return [r[0] for r in conn.execute(sql)]

        return await self._read(q)

    async def sale_lots(self, sale_id: int) -> list[int]:
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

    async def stored_reply(self, user_id: int, request_id: str) -> bytes | None:
        def q(conn: sqlite3.Connection) -> bytes | None:
            sql = "SELECT reply FROM idempotency WHERE user_id = ? AND request_id = ?"
            row = conn.execute(sql, (user_id, request_id)).fetchone()
            return None if row is None else bytes(row[0])

        return await self._read(q)

    async def save_reply(self, user_id: int, request_id: str, result: bytes) -> None:
        """Store a reply outside a commit; the first reply stored for a key stays."""
        at = self._now_ms()

        def tx(conn: sqlite3.Connection) -> None:
            conn.execute(_SAVE_REPLY, (user_id, request_id, bytes(result), at))

        await self._write(tx)

    async def request_ids(self, since_ms: int) -> list[tuple[int, str]]:
        """Every (user_id, request_id) with a reply stored at or after `since_ms`."""

        def q(conn: sqlite3.Connection) -> list[tuple[int, str]]:
            sql = (
                "SELECT user_id, request_id FROM idempotency WHERE at >= ?"
                " ORDER BY user_id, request_id"
            )
            return [(r[0], r[1]) for r in conn.execute(sql, (since_ms,))]

        return await self._read(q)

    async def forget_replies(self, before_ms: int, limit: int) -> int:
        """Delete up to `limit` replies older than `before_ms` (a short write each call)."""

        def tx(conn: sqlite3.Connection) -> int:
            return conn.execute(_FORGET_REPLIES, (before_ms, limit)).rowcount

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

    # -- notices and purchases ----------------------------------------------------

    async def notices(self, user_id: int, after_seq: int = 0) -> list[StoredNotice]:
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
        def q(conn: sqlite3.Connection) -> int:
            sql = "SELECT last_seq FROM notice_seqs WHERE user_id = ?"
            row = conn.execute(sql, (user_id,)).fetchone()
            return 0 if row is None else int(row[0])

        return await self._read(q)

    async def purchases(self, user_id: int | None = None) -> list[PurchaseRecord]:
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


def _append_tx(conn: sqlite3.Connection, plan: CommitPlan) -> list[StoredNotice]:
    """One commit's writes, run by the writer thread inside a SAVEPOINT."""
    row = conn.execute("SELECT version FROM auctions WHERE id = ?", (plan.auction_id,)).fetchone()
    stored_version = 0 if row is None else int(row[0])
    if stored_version != plan.expected_version:
        raise ConcurrencyConflict(plan.auction_id, plan.expected_version)
    try:
        conn.executemany(
            _INSERT_EVENT,
            [
                (plan.auction_id, e.version, e.seq, e.type, e.at, e.data.decode())
                for e in plan.events
            ],
        )
    except sqlite3.IntegrityError as e:
        raise ConcurrencyConflict(plan.auction_id, plan.expected_version) from e
    conn.execute(_UPSERT_AUCTION, plan.auction_params())
    stored = _insert_notices(conn, plan) if plan.notices else []
    if plan.purchases:
        conn.executemany(
            _INSERT_PURCHASE,
            [(p.auction_id, p.round, p.user_id, p.price, p.at, p.buy_now) for p in plan.purchases],
        )
    if plan.idempotency:
        try:
            conn.executemany(
                _INSERT_REPLY,
                [(u, r, bytes(reply), plan.at) for u, r, reply in plan.idempotency],
            )
        except sqlite3.IntegrityError as e:
            raise ConcurrencyConflict(
                plan.auction_id, plan.expected_version, reason="request_id"
            ) from e
    if plan.sale is not None:
        conn.execute(_UPSERT_SALE, (plan.sale[0], plan.sale[1].decode()))
    return stored


def _insert_notices(conn: sqlite3.Connection, plan: CommitPlan) -> list[StoredNotice]:
    """The commit's notices: one seq bump per user, then one insert for all."""
    counts = Counter(notice.user_id for notice in plan.notices)
    next_seq: dict[int, int] = {}
    for user_id, count in counts.items():
        last: int = conn.execute(_BUMP_NOTICE_SEQ, (user_id, count)).fetchone()[0]
        next_seq[user_id] = last - count + 1
    rows: list[tuple[int, int, str, str, int]] = []
    stored: list[StoredNotice] = []
    for notice, data in zip(plan.notices, plan.notice_data, strict=True):
        seq = next_seq[notice.user_id]
        next_seq[notice.user_id] = seq + 1
        rows.append((notice.user_id, seq, notice.kind, data.decode(), notice.at))
        stored.append(StoredNotice(notice.user_id, seq, notice.kind, loads(data), notice.at))
    conn.executemany(_INSERT_NOTICE, rows)
    return stored


def _as_json(rows: list[Any]) -> tuple[str]:
    """The one parameter of a `json_each` statement: the rows as a JSON array (text)."""
    return (dumps(rows).decode(),)


def _append_together(conn: sqlite3.Connection, plans: list[CommitPlan]) -> list[tuple[bool, Any]]:
    """Several commits' writes with one statement per table (the writer's fast path).

    The transaction holds SQLite's write lock, so the versions and notice seqs
    read here cannot change before the writes below. A commit whose version
    is taken is refused alone, as `_append_tx` would refuse it; any statement
    that fails (a request id stored already) raises, and the writer undoes
    everything written here and runs each commit through `_append_tx`.
    """
    ids = dumps(sorted({p.auction_id for p in plans})).decode()
    version: dict[int, int] = dict(conn.execute(_VERSIONS, (ids,)).fetchall())
    answers: list[tuple[bool, Any]] = []
    accepted: list[tuple[int, CommitPlan]] = []
    for plan in plans:
        if version.get(plan.auction_id, 0) != plan.expected_version:
            answers.append((False, ConcurrencyConflict(plan.auction_id, plan.expected_version)))
            continue
        version[plan.auction_id] = plan.new_version
        accepted.append((len(answers), plan))
        answers.append((True, []))
    if not accepted:
        return answers
    events = [
        (p.auction_id, e.version, e.seq, e.type, e.at, e.data.decode())
        for _, p in accepted
        for e in p.events
    ]
    conn.execute(_INSERT_EVENTS, _as_json(events))
    conn.execute(_UPSERT_AUCTIONS, _as_json([p.auction_params() for _, p in accepted]))
    users = sorted({n.user_id for _, p in accepted for n in p.notices})
    if users:
        last: dict[int, int] = dict(conn.execute(_NOTICE_SEQS, (dumps(users).decode(),)))
        rows: list[tuple[int, int, str, str, int]] = []
        for index, p in accepted:
            stored: list[StoredNotice] = []
            for notice, data in zip(p.notices, p.notice_data, strict=True):
                seq = last.get(notice.user_id, 0) + 1
                last[notice.user_id] = seq
                rows.append((notice.user_id, seq, notice.kind, data.decode(), notice.at))
                stored.append(
                    StoredNotice(notice.user_id, seq, notice.kind, loads(data), notice.at)
                )
            answers[index] = (True, stored)
        conn.execute(_SET_NOTICE_SEQS, _as_json([(u, last[u]) for u in users]))
        conn.execute(_INSERT_NOTICES, _as_json(rows))
    purchases = [
        (x.auction_id, x.round, x.user_id, x.price, x.at, x.buy_now)
        for _, p in accepted
        for x in p.purchases
    ]
    if purchases:
        conn.executemany(_INSERT_PURCHASE, purchases)
    replies = [
        (u, r, bytes(reply).decode(), p.at) for _, p in accepted for u, r, reply in p.idempotency
    ]
    if replies:
        conn.execute(_INSERT_REPLIES, _as_json(replies))
    sales = [(p.sale[0], p.sale[1].decode()) for _, p in accepted if p.sale is not None]
    if sales:
        conn.executemany(_UPSERT_SALE, sales)
    return answers
