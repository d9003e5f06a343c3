"""A database of the schema before the log became the write upgrades whole.

(It also predates the hash chain: its logs get their hashes on the first start.)

History is made by the real stack (memory store), written into an SQLite
file at the previous schema exactly as that schema's code kept it (events,
rows, notices with `notice_seqs`, purchases, stored reply bytes), and the
file is then opened by today's store and served by today's stack: every
auction, bid, notice and purchase reads as before, old retries get their
stored replies, nothing is taken for unprojected, and new writes carry on
from where the old ones stopped (ids, versions, notice seqs).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from auctioneer.gateways.audit import audit_store
from auctioneer.service.clock import ManualClock
from auctioneer.service.users import Caller
from auctioneer.store import migrations as migrations_module
from auctioneer.store.migrations import migrate_sqlite, migrations
from auctioneer.store.records import dumps, event_data
from auctioneer.store.sqlite import SQLiteStore
from tests.service.stack import PASSWORD, START_MS, Stack, lot

BEFORE = 20  # the first version of "the log is the write"


async def _history() -> tuple[Stack, dict[str, Any]]:
    stack = await Stack.build(bid_rate=0)
    admin = await stack.person("root", admin=True)
    ann, bob = await stack.person("ann"), await stack.person("bob")
    lamp = await stack.create(admin, **lot(duration_s=600))
    vase = await stack.create(admin, **lot(name="Vase", duration_s=600, buy_now=5000))
    await stack.call(ann, "start_auto_bid", auction_id=lamp["id"], max_amount=2000)
    first = await stack.raw(bob, "place_bid", id="b1", auction_id=lamp["id"], amount=1500)
    await stack.call(bob, "buy_now", auction_id=vase["id"])
    return stack, {"lamp": lamp["id"], "vase": vase["id"], "b1": first}


def _old_database(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    old = [m for m in migrations("sqlite") if m.version < BEFORE]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(migrations_module, "migrations", lambda dialect: old)
        migrate_sqlite(conn, now_ms=0)
    return conn


async def _copy_as_the_old_code_wrote_it(stack: Stack, conn: sqlite3.Connection) -> None:
    store = stack.store
    conn.execute("BEGIN")
    for user_id in (1, 2, 3):
        u = await store.user_by_id(user_id)
        assert u is not None
        conn.execute(
            "INSERT INTO users (id, username, password_hash, role, paddle, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (u.id, u.username, u.password_hash, u.role, u.paddle, u.created_at),
        )
        notices = await store.notices(user_id)
        for n in notices:
            conn.execute(
                "INSERT INTO notices (user_id, seq, kind, data, at) VALUES (?, ?, ?, ?, ?)",
                (n.user_id, n.seq, n.kind, dumps(n.data).decode(), n.at),
            )
        if notices:
            conn.execute(
                "INSERT INTO notice_seqs (user_id, last_seq) VALUES (?, ?)",
                (user_id, notices[-1].seq),
            )
    rows = await store.auction_rows(include_private=True, include_deleted=True)
    for row in rows:
        state = await stack.auctions.state(row["id"])
        assert state is not None and state.spec is not None
        for e in await store.load_events(row["id"]):
            conn.execute(
                "INSERT INTO events (auction_id, version, seq, type, at, data)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (e.auction_id, e.version, e.seq, e.event, e.at, dumps(event_data(e)).decode()),
            )
        conn.execute(
            "INSERT INTO auctions (id, status, public, deleted, sale_id, lot, row, version, seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                state.id,
                state.status.value,
                state.spec.public,
                state.deleted,
                state.sale_id,
                state.lot,
                dumps(row).decode(),
                state.version,
                state.seq,
            ),
        )
    for p in await store.purchases():
        conn.execute(
            "INSERT INTO purchases (auction_id, round, user_id, price, at, buy_now)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (p.auction_id, p.round, p.user_id, p.price, p.at, p.buy_now),
        )
    first = await stack.auctions.stored_reply((3, "b1"))
    conn.execute(
        "INSERT INTO idempotency (user_id, request_id, reply, at) VALUES (3, 'b1', ?, ?)",
        (first, START_MS),
    )
    conn.execute("INSERT INTO counters (kind, last) VALUES ('auction', 2), ('paddle', 3)")
    conn.execute("COMMIT")


async def test_a_database_of_the_previous_schema_upgrades_with_everything_in_it(
    tmp_path: Path,
) -> None:
    old, made = await _history()
    path = tmp_path / "old.db"
    conn = _old_database(path)
    try:
        await _copy_as_the_old_code_wrote_it(old, conn)
    finally:
        conn.close()

    clock = ManualClock(START_MS)
    store = SQLiteStore(path, clock=clock.now_ms)
    await store.open()
    assert await store.unprojected() == []  # the old code wrote every projection with its log
    new = await Stack.build(clock=clock, store=store, bid_rate=0)  # type: ignore[arg-type]
    try:
        callers = {}
        for name in ("root", "ann", "bob"):
            callers[name] = Caller(address="10.0.0.7")
            await new.users.login(callers[name], name, PASSWORD)
        bob_then = (await old.call(old.callers["bob"], "get_notices"))["notices"]
        assert [n["event"] for n in bob_then] == ["outbid", "won"]  # there is history to keep
        for name, caller in callers.items():
            for action in ("get_notices", "get_purchases"):
                assert await new.call(caller, action) == await old.call(old.callers[name], action)
        admin = callers["root"]
        for auction_id in (made["lamp"], made["vase"]):
            for action in ("get_auction", "get_bids"):
                then = await old.call(old.callers["root"], action, auction_id=auction_id)
                now = await new.call(admin, action, auction_id=auction_id)
                assert now == then, (action, auction_id)
        listed = await new.call(admin, "get_auctions")
        assert listed == await old.call(old.callers["root"], "get_auctions")

        # The hash chains of the old logs were computed once, on start, exactly as
        # the write path computes them: the same log, hashes and heads.
        assert await store.unchained() == []
        for auction_id in (made["lamp"], made["vase"]):
            then = await old.call(old.callers["root"], "get_log", auction_id=auction_id)
            assert await new.call(admin, "get_log", auction_id=auction_id) == then
        assert (await audit_store(store)).findings == []

        # An old retry gets its stored first reply and changes nothing.
        again = await new.raw(callers["bob"], "place_bid", id="b1", auction_id=1, amount=1500)
        assert orjson.loads(again) == orjson.loads(made["b1"])
        # New writes carry on: the next id, the next version, the next notice seq.
        lamp = (await new.call(admin, "get_auction", auction_id=made["lamp"]))["auction"]
        await new.call(callers["bob"], "place_bid", auction_id=made["lamp"], amount=2500)
        notices = (await new.call(callers["ann"], "get_notices"))["notices"]
        assert [n["seq"] for n in notices] == list(range(1, len(notices) + 1))
        assert notices[-1]["event"] == "auto_bid_exhausted" or notices[-1]["event"] == "outbid"
        after = (await new.call(admin, "get_auction", auction_id=made["lamp"]))["auction"]
        assert after["seq"] > lamp["seq"] and after["current_bid"] == 2500
        created = await new.create(admin, **lot(name="Clock"))
        assert created["id"] == 3
    finally:
        await new.close()
        await old.close()
