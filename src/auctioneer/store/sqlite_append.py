"""The SQL of an append: the writes one commit (or a batch of them) makes.

Run by the writer thread of `sqlite.py` (its own module, as
`postgres_append.py` is for PostgreSQL: the rest of the store is reads and
small writes).

`append_together` writes several commits with one statement per table, each
commit answered alone (see its docstring); `append_one` is the same for one
commit, inside the caller's SAVEPOINT. Every statement is a constant with
parameters; lists travel as JSON through `json_each`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from auctioneer.service.ports import StoredNotice
from auctioneer.store.base import CommitPlan
from auctioneer.store.errors import ConcurrencyConflict
from auctioneer.store.records import dumps, loads

__all__ = ["append_one", "append_together"]

_NOTICE_SEQS = (
    "SELECT user_id, last_seq FROM notice_seqs WHERE user_id IN (SELECT value FROM json_each(?))"
)
_VERSIONS = "SELECT id, version FROM auctions WHERE id IN (SELECT value FROM json_each(?))"
_INSERT_PURCHASE = (
    "INSERT INTO purchases (auction_id, round, user_id, price, at, buy_now)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_UPSERT_SALE = (
    "INSERT INTO sales (id, row) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET row = excluded.row"
)

# One statement, so one sqlite3_step, per table for a whole batch: `executemany`
# steps once per row and the writer thread takes the GIL back after each step,
# which costs up to a switch interval whenever the event loop holds it; the
# rows travel as one JSON array instead.
_INSERT_EVENTS = """
INSERT INTO events (auction_id, version, seq, type, at, data)
SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 FROM json_each(?)
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


def append_one(conn: sqlite3.Connection, plan: CommitPlan) -> list[StoredNotice]:
    """One commit's writes inside the caller's SAVEPOINT: `append_together` with
    that one commit, its refusal raised.

    Raises:
        ConcurrencyConflict: the version is taken (also when only an event row
            says so), or the request id was stored already; nothing written.
    """
    try:
        [(ok, value)] = append_together(conn, [plan])
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
    notices: list[StoredNotice] = value
    return notices


def _as_json(rows: list[Any]) -> tuple[str]:
    """The one parameter of a `json_each` statement: the rows as a JSON array (text)."""
    return (dumps(rows).decode(),)


def append_together(conn: sqlite3.Connection, plans: list[CommitPlan]) -> list[tuple[bool, Any]]:
    """Several commits' writes with one statement per table (the writer's fast path).

    The transaction holds SQLite's write lock, so the versions and notice seqs
    read here cannot change before the writes below. A commit whose version
    is taken is refused alone; any statement that fails (a request id stored
    already) raises, and the writer undoes everything written here and runs
    each commit through `append_one`, in a SAVEPOINT of its own.
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
    # Each auction's newest row once: UPDATE ... FROM would take any one of several.
    newest = {p.auction_id: p.auction_params() for _, p in accepted}
    conn.execute(_MOVE_AUCTIONS, _as_json(list(newest.values())))
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
