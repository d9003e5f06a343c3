"""The SQL of an append: the log rows now, the projections behind them.

Run by the writer thread of `sqlite.py` (its own module, as
`postgres_append.py` is for PostgreSQL: the rest of the store is reads and
small writes).

The log is the write (docs/architecture.md): `append_log` writes a batch of
commits' events (one statement for all of them), checks each commit's
version against the log itself, and writes the few replies that cannot be
rebuilt from the log (a sale's). `project` writes what the events imply
(the auctions' rows, the notices with their per-user seqs, the purchases,
the request records) for many commits at once, in a later transaction of
the writer's choosing; the auction's row carries the version it was
projected to, so what a crash left unprojected is found again on start.
`append_one` does both at once, inside the caller's SAVEPOINT (a sale's
lots, and the fallback when a batch fails). Every statement is a constant
with parameters; lists travel as JSON through `json_each`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from auctioneer.service.ports import StoredNotice
from auctioneer.store.base import CommitPlan
from auctioneer.store.errors import ConcurrencyConflict
from auctioneer.store.records import dumps, loads

__all__ = ["append_log", "append_one", "log_one", "project"]

# One MAX per key, each a single seek to the end of its key range: written as
# `... IN (...) GROUP BY`, SQLite walks every row of each auction (or user)
# instead, which grew with the log (68 ms for 24 auctions of 20,000 events,
# against 0.04 ms this way; it took the spread benchmark from ~4,000 to ~3,200
# bids/s before it was found).
_LOG_VERSIONS = """
SELECT value, (SELECT MAX(version) FROM events WHERE auction_id = value) FROM json_each(?)
"""
_LAST_NOTICE_SEQS = """
SELECT value, (SELECT MAX(seq) FROM notices WHERE user_id = value) FROM json_each(?)
"""
_INSERT_PURCHASES = """
INSERT OR IGNORE INTO purchases (auction_id, round, user_id, price, at, buy_now)
SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 FROM json_each(?)
"""
_UPSERT_SALE = (
    "INSERT INTO sales (id, row) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET row = excluded.row"
)

# One statement, so one sqlite3_step, per table for a whole batch: `executemany`
# steps once per row and the writer thread takes the GIL back after each step,
# which costs up to a switch interval whenever the event loop holds it; the
# rows travel as one JSON array instead.
# The hashes (32 raw bytes each, which JSON cannot carry) travel as one blob
# beside the array; a row names its hash's place in it (NULL: a private event).
_INSERT_EVENTS = """
INSERT INTO events (auction_id, version, seq, type, at, data, user_id, request_id, decision,
                    hash)
SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6,
       value->>7, value->>8, substr(?2, value->>9 * 32 + 1, 32)
FROM json_each(?1)
"""
# An auction's row holds its newest state; the lot number is kept once set,
# and the public seq never goes back. The indexed columns (status; sale and
# lot) are not in the upsert's SET: SQLite rewrites an index entry whenever
# its column is assigned, even to the same value, which cost every
# transaction a page of each index (WAL frames, measured); `_MOVE_AUCTIONS`
# sets them only on the rows where they changed.
_UPSERT_AUCTIONS = """
INSERT INTO auctions (id, status, public, deleted, sale_id, lot, row, version, seq)
SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6,
       value->>7, value->>8
FROM json_each(?) WHERE true
ON CONFLICT (id) DO UPDATE SET
    public = excluded.public,
    deleted = excluded.deleted,
    row = excluded.row,
    version = excluded.version,
    seq = MAX(auctions.seq, excluded.seq)
"""
_MOVE_AUCTIONS = """
UPDATE auctions SET
    status = change.value->>1,
    sale_id = change.value->>4,
    lot = COALESCE(change.value->>5, auctions.lot)
FROM json_each(?) AS change
WHERE auctions.id = change.value->>0
  AND (auctions.status IS NOT change.value->>1
       OR auctions.sale_id IS NOT change.value->>4
       OR (change.value->>5 IS NOT NULL AND auctions.lot IS NOT change.value->>5))
"""
_INSERT_NOTICES = """
INSERT INTO notices (user_id, seq, kind, data, at)
SELECT value->>0, value->>1, value->>2, value->>3, value->>4 FROM json_each(?)
"""
_INSERT_REPLIES = """
INSERT INTO idempotency (user_id, request_id, reply, at)
SELECT value->>0, value->>1, CAST(value->>2 AS BLOB), value->>3 FROM json_each(?)
"""
_INSERT_REQUESTS = """
INSERT INTO requests (user_id, request_id, auction_id, version, reply, at)
SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 FROM json_each(?)
"""


def _as_json(rows: list[Any]) -> tuple[str]:
    """The one parameter of a `json_each` statement: the rows as a JSON array (text)."""
    return (dumps(rows).decode(),)


def append_log(conn: sqlite3.Connection, plans: list[CommitPlan]) -> list[tuple[bool, Any]]:
    """Several commits' log rows with one statement (the writer's fast path).

    The transaction holds SQLite's write lock, so the versions read here
    cannot change before the writes below. A commit whose version is taken is
    refused alone (answered `(False, ConcurrencyConflict)`); any statement
    that fails (a request id stored already) raises, and the writer undoes
    everything written here and runs each commit through `append_one`.
    """
    ids = dumps(sorted({p.auction_id for p in plans})).decode()
    version = {a: v or 0 for a, v in conn.execute(_LOG_VERSIONS, (ids,))}
    answers: list[tuple[bool, Any]] = []
    accepted: list[CommitPlan] = []
    for plan in plans:
        if version.get(plan.auction_id, 0) != plan.expected_version:
            answers.append((False, ConcurrencyConflict(plan.auction_id, plan.expected_version)))
            continue
        version[plan.auction_id] = plan.new_version
        accepted.append(plan)
        answers.append((True, None))
    if not accepted:
        return answers
    rows: list[tuple[Any, ...]] = []
    links = bytearray()
    for p in accepted:
        for e in p.events:
            place = None
            if e.hash is not None:
                place = len(links) // 32
                links += e.hash
            rows.append((*e.log_params(p.auction_id), place))
    conn.execute(_INSERT_EVENTS, (*_as_json(rows), bytes(links)))
    replies = [(u, r, bytes(b).decode(), p.at) for p in accepted for u, r, b in p.idempotency]
    if replies:
        conn.execute(_INSERT_REPLIES, _as_json(replies))
    sales = [(p.sale[0], p.sale[1].decode()) for p in accepted if p.sale is not None]
    if sales:
        conn.executemany(_UPSERT_SALE, sales)
    return answers


def project(conn: sqlite3.Connection, plans: list[CommitPlan]) -> list[list[StoredNotice]]:
    """What the commits' events imply, for many commits at once (behind the replies).

    Each auction's newest row is written once, whatever number of its commits
    came; notices get their per-user seqs here, in the order of `plans` (the
    order their events were written). Returns each commit's stored notices.
    """
    newest = {p.auction_id: p.auction_params() for p in plans}
    moves = _as_json(list(newest.values()))
    conn.execute(_UPSERT_AUCTIONS, moves)
    conn.execute(_MOVE_AUCTIONS, moves)
    answers: list[list[StoredNotice]] = [[] for _ in plans]
    users = sorted({n.user_id for p in plans for n in p.notices})
    if users:
        users_json = dumps(users).decode()
        last = {u: seq or 0 for u, seq in conn.execute(_LAST_NOTICE_SEQS, (users_json,))}
        rows: list[tuple[int, int, str, str, int]] = []
        for index, p in enumerate(plans):
            for notice, data in zip(p.notices, p.notice_data, strict=True):
                seq = last.get(notice.user_id, 0) + 1
                last[notice.user_id] = seq
                rows.append((notice.user_id, seq, notice.kind, data.decode(), notice.at))
                answers[index].append(
                    StoredNotice(notice.user_id, seq, notice.kind, loads(data), notice.at)
                )
        conn.execute(_INSERT_NOTICES, _as_json(rows))
    purchases = [
        (x.auction_id, x.round, x.user_id, x.price, x.at, x.buy_now)
        for p in plans
        for x in p.purchases
    ]
    if purchases:
        conn.execute(_INSERT_PURCHASES, _as_json(purchases))
    requests = [
        (r.user_id, r.request_id, r.auction_id, r.version, r.reply, r.at)
        for p in plans
        for r in p.requests
    ]
    if requests:
        conn.execute(_INSERT_REQUESTS, _as_json(requests))
    return answers


def append_one(conn: sqlite3.Connection, plan: CommitPlan) -> list[StoredNotice]:
    """One commit's log rows and projections inside the caller's SAVEPOINT.

    Raises:
        ConcurrencyConflict: as `log_one`; nothing written.
    """
    log_one(conn, plan)
    [notices] = project(conn, [plan])
    return notices


def log_one(conn: sqlite3.Connection, plan: CommitPlan) -> None:
    """One commit's log rows inside the caller's SAVEPOINT: `append_log` with
    that one commit, its refusal raised.

    Raises:
        ConcurrencyConflict: the version is taken (also when only an event row
            says so), or the request id was stored already; nothing written.
    """
    try:
        [(ok, value)] = append_log(conn, [plan])
    except sqlite3.IntegrityError as e:
        taken = str(e)
        if "idempotency." in taken:
            reason = "request_id"
        elif "events." in taken:
            reason = "version"
        else:
            raise
        raise ConcurrencyConflict(plan.auction_id, plan.expected_version, reason=reason) from e
    if not ok:
        raise value
