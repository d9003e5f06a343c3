"""How PostgreSQL appends are written: one commit at a time, or a whole batch.

`append_one` writes one commit inside the writer's SAVEPOINT for it: the
plain path, and the fallback of the fast path.

`append_batch` is the fast path of group commit: a whole batch of appends in
a fixed number of statements, whatever its size.

Per commit, the plain path costs about six round trips (SAVEPOINT, version
check, events, row, RELEASE, ...), so a batch of 200 bids would spend most of
its time waiting on the network. Here the batch locks its auction rows at
once (in id order, so two processes cannot deadlock on them), checks every
commit's version and request ids in Python, refuses the commits that lost
(they write nothing), and writes the rest with one `unnest` insert per table.

If a statement still fails (another process inserted the same new auction or
request id first, a deadlock), the caller rolls the transaction back and runs
the batch again on the plain path, where each commit has its own SAVEPOINT
and fails alone.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import asyncpg

from auctioneer.service.ports import StoredNotice
from auctioneer.store.base import CommitPlan
from auctioneer.store.errors import ConcurrencyConflict
from auctioneer.store.records import loads

__all__ = ["append_batch", "append_one"]

# -- one commit -----------------------------------------------------------------

_LOCK_AUCTION = "SELECT version FROM auctions WHERE id = $1 FOR UPDATE"
_INSERT_EVENT = (
    "INSERT INTO events"
    " (auction_id, version, seq, type, at, data, user_id, request_id, decision, hash)"
    " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)"
)
_UPSERT_AUCTION = """
INSERT INTO auctions (id, status, public, deleted, sale_id, lot, row, version, seq)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
ON CONFLICT (id) DO UPDATE SET
    status = excluded.status,
    public = excluded.public,
    deleted = excluded.deleted,
    sale_id = excluded.sale_id,
    lot = COALESCE(excluded.lot, auctions.lot),
    row = excluded.row,
    version = excluded.version,
    seq = GREATEST(auctions.seq, excluded.seq)
"""
_INSERT_NOTICE = """
WITH next AS (
    INSERT INTO notice_seqs (user_id, last_seq) VALUES ($1, 1)
    ON CONFLICT (user_id) DO UPDATE SET last_seq = notice_seqs.last_seq + 1
    RETURNING last_seq
)
INSERT INTO notices (user_id, seq, kind, data, at)
SELECT $1, next.last_seq, $2, $3::jsonb, $4 FROM next
RETURNING seq
"""
_INSERT_PURCHASE = (
    "INSERT INTO purchases (auction_id, round, user_id, price, at, buy_now)"
    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (auction_id, round) DO NOTHING"
)
_INSERT_REQUESTS = """
INSERT INTO requests (user_id, request_id, auction_id, version, reply, at)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::integer[], $5::text[],
                     $6::bigint[])
ON CONFLICT (user_id, request_id) DO NOTHING
"""
_INSERT_REPLY = "INSERT INTO idempotency (user_id, request_id, reply, at) VALUES ($1, $2, $3, $4)"
_UPSERT_ONE_SALE = (
    "INSERT INTO sales (id, row) VALUES ($1, $2::jsonb)"
    " ON CONFLICT (id) DO UPDATE SET row = excluded.row"
)

# -- a batch --------------------------------------------------------------------

_LOCK_AUCTIONS = (
    "SELECT id, version FROM auctions WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE"
)
_TAKEN_REPLIES = """
SELECT i.user_id, i.request_id
FROM idempotency AS i
JOIN unnest($1::bigint[], $2::text[]) AS k (user_id, request_id)
  ON i.user_id = k.user_id AND i.request_id = k.request_id
"""
_INSERT_EVENTS = """
INSERT INTO events (auction_id, version, seq, type, at, data, user_id, request_id, decision,
                    hash)
SELECT * FROM unnest($1::bigint[], $2::integer[], $3::integer[], $4::text[], $5::bigint[],
                     $6::jsonb[], $7::bigint[], $8::text[], $9::smallint[], $10::bytea[])
"""
_UPSERT_AUCTIONS = """
INSERT INTO auctions (id, status, public, deleted, sale_id, lot, row, version, seq)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::boolean[], $4::boolean[], $5::bigint[],
                     $6::integer[], $7::jsonb[], $8::integer[], $9::integer[])
ON CONFLICT (id) DO UPDATE SET
    status = excluded.status,
    public = excluded.public,
    deleted = excluded.deleted,
    sale_id = excluded.sale_id,
    lot = COALESCE(excluded.lot, auctions.lot),
    row = excluded.row,
    version = excluded.version,
    seq = GREATEST(auctions.seq, excluded.seq)
"""
_BUMP_NOTICE_SEQS = """
INSERT INTO notice_seqs (user_id, last_seq)
SELECT * FROM unnest($1::bigint[], $2::integer[]) AS n (user_id, count) ORDER BY user_id
ON CONFLICT (user_id) DO UPDATE SET last_seq = notice_seqs.last_seq + excluded.last_seq
RETURNING user_id, last_seq
"""
_INSERT_NOTICES = """
INSERT INTO notices (user_id, seq, kind, data, at)
SELECT * FROM unnest($1::bigint[], $2::integer[], $3::text[], $4::jsonb[], $5::bigint[])
"""
_INSERT_PURCHASES = """
INSERT INTO purchases (auction_id, round, user_id, price, at, buy_now)
SELECT a, r, u, p, t, b
FROM unnest($1::bigint[], $2::integer[], $3::bigint[], $4::bigint[], $5::bigint[],
            $6::boolean[]) WITH ORDINALITY AS x (a, r, u, p, t, b, i)
ORDER BY i
ON CONFLICT (auction_id, round) DO NOTHING
"""
_INSERT_REPLIES = """
INSERT INTO idempotency (user_id, request_id, reply, at)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::bigint[])
"""
_UPSERT_SALES = """
INSERT INTO sales (id, row) SELECT * FROM unnest($1::bigint[], $2::jsonb[])
ON CONFLICT (id) DO UPDATE SET row = excluded.row
"""


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows to per-column lists, the arguments of an `unnest` insert."""
    return [[row[i] for row in rows] for i in range(width)]


async def append_batch(
    conn: asyncpg.Connection, plans: list[CommitPlan]
) -> list[list[StoredNotice] | ConcurrencyConflict]:
    """Write every plan that still fits, inside the caller's transaction.

    Returns, per plan in order, its stored notices or the ConcurrencyConflict
    that refused it. Raises asyncpg errors: the caller rolls back and falls
    back to one SAVEPOINT per commit.
    """
    ids = sorted({p.auction_id for p in plans})
    version = {r[0]: r[1] for r in await conn.fetch(_LOCK_AUCTIONS, ids)}
    keys = [(u, r) for p in plans for u, r, _ in p.idempotency]
    taken: set[tuple[int, str]] = set()
    if keys:
        rows = await conn.fetch(_TAKEN_REPLIES, [k[0] for k in keys], [k[1] for k in keys])
        taken = {(r[0], r[1]) for r in rows}

    results: list[list[StoredNotice] | ConcurrencyConflict] = []
    accepted: list[tuple[int, CommitPlan]] = []
    for plan in plans:
        if version.get(plan.auction_id, 0) != plan.expected_version:
            results.append(ConcurrencyConflict(plan.auction_id, plan.expected_version))
            continue
        mine = [(u, r) for u, r, _ in plan.idempotency]
        if len(set(mine)) != len(mine) or taken.intersection(mine):
            results.append(
                ConcurrencyConflict(plan.auction_id, plan.expected_version, reason="request_id")
            )
            continue
        taken.update(mine)
        version[plan.auction_id] = plan.new_version
        accepted.append((len(results), plan))
        results.append([])
    if not accepted:
        return results
    plans = [plan for _, plan in accepted]

    events = [(*e.log_params(p.auction_id), e.hash) for p in plans for e in p.events]
    if events:
        await conn.execute(_INSERT_EVENTS, *_columns(events, 10))

    # One row per auction: the last commit's state (ON CONFLICT may touch a row once).
    latest: dict[int, tuple[Any, ...]] = {}
    for p in plans:
        before = latest.get(p.auction_id)
        lot = p.lot if p.lot is not None else (before[5] if before else None)
        seq = max(p.last_seq, before[8] if before else 0)
        latest[p.auction_id] = (
            p.auction_id,
            p.status,
            p.public,
            p.deleted,
            p.sale_id,
            lot,
            p.row.decode(),
            p.new_version,
            seq,
        )
    await conn.execute(_UPSERT_AUCTIONS, *_columns(list(latest.values()), 9))

    counts = Counter(n.user_id for p in plans for n in p.notices)
    if counts:
        users = sorted(counts)
        bumped = await conn.fetch(_BUMP_NOTICE_SEQS, users, [counts[u] for u in users])
        next_seq = {r[0]: r[1] - counts[r[0]] + 1 for r in bumped}
        notice_rows: list[tuple[Any, ...]] = []
        for index, p in accepted:
            stored: list[StoredNotice] = []
            for notice, data in zip(p.notices, p.notice_data, strict=True):
                seq = next_seq[notice.user_id]
                next_seq[notice.user_id] = seq + 1
                notice_rows.append((notice.user_id, seq, notice.kind, data.decode(), notice.at))
                stored.append(
                    StoredNotice(notice.user_id, seq, notice.kind, loads(data), notice.at)
                )
            results[index] = stored
        await conn.execute(_INSERT_NOTICES, *_columns(notice_rows, 5))

    purchases = [
        (x.auction_id, x.round, x.user_id, x.price, x.at, x.buy_now)
        for p in plans
        for x in p.purchases
    ]
    if purchases:
        await conn.execute(_INSERT_PURCHASES, *_columns(purchases, 6))

    replies = [(u, r, bytes(reply), p.at) for p in plans for u, r, reply in p.idempotency]
    if replies:
        await conn.execute(_INSERT_REPLIES, *_columns(replies, 4))
    await _insert_requests(conn, plans)

    sales = {p.sale[0]: p.sale[1].decode() for p in plans if p.sale is not None}
    if sales:
        await conn.execute(_UPSERT_SALES, list(sales), list(sales.values()))
    return results


async def append_one(conn: asyncpg.Connection, plan: CommitPlan) -> list[StoredNotice]:
    """One commit's writes, run by the writer inside a SAVEPOINT.

    Raises:
        ConcurrencyConflict: the version or a request id is taken.
        asyncpg errors: the writer translates them.
    """
    stored_version = await conn.fetchval(_LOCK_AUCTION, plan.auction_id)
    if (stored_version or 0) != plan.expected_version:
        raise ConcurrencyConflict(plan.auction_id, plan.expected_version)
    try:
        await conn.executemany(
            _INSERT_EVENT, [(*e.log_params(plan.auction_id), e.hash) for e in plan.events]
        )
    except asyncpg.UniqueViolationError as e:  # another process wrote this version
        raise ConcurrencyConflict(plan.auction_id, plan.expected_version) from e
    await conn.execute(_UPSERT_AUCTION, *plan.auction_params())
    stored: list[StoredNotice] = []
    for notice, data in zip(plan.notices, plan.notice_data, strict=True):
        seq: int = await conn.fetchval(
            _INSERT_NOTICE, notice.user_id, notice.kind, data.decode(), notice.at
        )
        stored.append(StoredNotice(notice.user_id, seq, notice.kind, loads(data), notice.at))
    if plan.purchases:
        await conn.executemany(
            _INSERT_PURCHASE,
            [(p.auction_id, p.round, p.user_id, p.price, p.at, p.buy_now) for p in plan.purchases],
        )
    if plan.idempotency:
        try:
            await conn.executemany(
                _INSERT_REPLY,
                [(u, r, bytes(reply), plan.at) for u, r, reply in plan.idempotency],
            )
        except asyncpg.UniqueViolationError as e:
            raise ConcurrencyConflict(
                plan.auction_id, plan.expected_version, reason="request_id"
            ) from e
    await _insert_requests(conn, [plan])
    if plan.sale is not None:
        await conn.execute(_UPSERT_ONE_SALE, plan.sale[0], plan.sale[1].decode())
    return stored


async def _insert_requests(conn: asyncpg.Connection, plans: list[CommitPlan]) -> None:
    """The accepted requests whose first replies are rebuilt from the log."""
    rows = [
        (r.user_id, r.request_id, r.auction_id, r.version, r.reply, r.at)
        for p in plans
        for r in p.requests
    ]
    if rows:
        await conn.execute(_INSERT_REQUESTS, *_columns(rows, 6))
