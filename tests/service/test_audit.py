"""The operator's audit and a bidder's check find one changed amount in a real database.

History is written through the real stack onto a real SQLite file (and a
PostgreSQL database when one is configured); one stored bid amount is then
changed behind the server's back, as a dishonest operator would. The
offline audit (`auctioneer audit --db`) must name that auction and event,
and a server started on the changed database must show a bidder a log
whose chain breaks at the same event.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner

from auctioneer.clients.verify import verify_log
from auctioneer.gateways.audit import audit_store
from auctioneer.main import app
from auctioneer.service.clock import ManualClock
from auctioneer.service.ports import EventStore
from auctioneer.store.postgres import PostgresStore
from auctioneer.store.sqlite import SQLiteStore
from tests.contracts.conftest import postgres_dsn
from tests.service.kinds import every_kind
from tests.service.stack import START_MS, Stack

__all__ = ["postgres_dsn"]  # the session's PostgreSQL database, when one is configured


async def _history(store: EventStore) -> dict[str, int]:
    """Every kind of auction, written through the stack onto `store` (left open)."""
    stack = await Stack.build(clock=ManualClock(START_MS), store=store)  # type: ignore[arg-type]
    try:
        return await every_kind(stack)
    finally:
        await stack.close(close_store=False)


async def _audit_cli(db: str, *more: str) -> Any:
    """`auctioneer audit --db` as a user runs it (its own event loop: in a thread)."""
    return await asyncio.to_thread(CliRunner().invoke, app, ["audit", "--db", db, *more])


async def _bidder_sees_the_break(store: EventStore, auction_id: int, seq: int) -> None:
    """A server started on the changed database shows a log that does not verify."""
    stack = await Stack.build(store=store)  # type: ignore[arg-type]
    try:
        log = await stack.call(None, "get_log", auction_id=auction_id)
        problems = verify_log(log).problems
        assert problems and problems[0].startswith(f"seq {seq} (bid_placed): its hash"), problems
    finally:
        await stack.close(close_store=False)


async def test_one_changed_amount_in_sqlite_is_named_offline_and_by_a_bidder(
    tmp_path: Path,
) -> None:
    db = tmp_path / "house.db"
    store = SQLiteStore(db)
    await store.open()
    ids = await _history(store)
    clean = await audit_store(store)
    assert (clean.findings, clean.auctions) == ([], len(ids))
    await store.close()

    ok = await _audit_cli(str(db))
    assert ok.exit_code == 0, ok.output
    summary = rf"audit: {len(ids)} auctions, \d+ events in .*: all verified\n"
    assert re.fullmatch(summary, ok.stdout)

    target = ids["proxy"]
    with sqlite3.connect(db) as conn:
        seq, version = conn.execute(
            "SELECT seq, version FROM events WHERE auction_id = ? AND type = 'bid_placed'"
            " ORDER BY version LIMIT 1 OFFSET 1",
            (target,),
        ).fetchone()
        conn.execute(
            "UPDATE events SET data = json_set(data, '$.amount', data->>'amount' - 1)"
            " WHERE auction_id = ? AND version = ?",
            (target, version),
        )
    found = await _audit_cli(f"sqlite:///{db}")
    assert found.exit_code == 1
    assert found.stdout.splitlines() == [
        f"auction {target}: seq {seq} (bid_placed, version {version}):"
        " does not match its stored hash",
        found.stdout.splitlines()[-1],
    ]
    assert found.stdout.splitlines()[-1].endswith(": 1 disagree")
    only = await _audit_cli(str(db), "--auction", str(ids["reserve"]))
    assert only.exit_code == 0 and "audit: 1 auctions" in only.stdout

    store = SQLiteStore(db)
    await store.open()
    try:
        await _bidder_sees_the_break(store, target, seq)
    finally:
        await store.close()


async def test_one_changed_amount_in_postgres_is_named_offline_and_by_a_bidder(
    postgres_dsn: str,
) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:  # a database of its own: the audit reads every auction in it
        await conn.execute("DROP SCHEMA IF EXISTS chain_audit CASCADE; CREATE SCHEMA chain_audit")
    finally:
        await conn.close()
    dsn = postgres_dsn + "?options=-csearch_path%3Dchain_audit"
    store = PostgresStore(dsn)
    await store.open()
    try:
        ids = await _history(store)
        assert (await audit_store(store)).findings == []
        target = ids["multi_unit"]
        conn = await asyncpg.connect(dsn)
        try:
            seq, version = await conn.fetchrow(
                "SELECT seq, version FROM events WHERE auction_id = $1 AND type = 'bid_placed'"
                " ORDER BY version DESC LIMIT 1",
                target,
            )
            await conn.execute(
                "UPDATE events SET data = jsonb_set(data, '{amount}', to_jsonb(1999))"
                " WHERE auction_id = $1 AND version = $2",
                target,
                version,
            )
        finally:
            await conn.close()
        report = await audit_store(store)
        assert [str(f) for f in report.findings] == [
            f"auction {target}: seq {seq} (bid_placed, version {version}):"
            " does not match its stored hash"
        ]
        await _bidder_sees_the_break(store, target, seq)
    finally:
        await store.close()


async def test_a_stored_row_that_disagrees_with_its_log_is_named(tmp_path: Path) -> None:
    db = tmp_path / "rows.db"
    store = SQLiteStore(db)
    await store.open()
    ids = await _history(store)
    await store.close()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE auctions SET row = json_set(row, '$.price', 1) WHERE id = ?", (ids["reserve"],)
        )
        conn.execute("UPDATE purchases SET price = 2 WHERE auction_id = ?", (ids["buy_now"],))
    found = await _audit_cli(str(db))
    assert found.exit_code == 1
    lines = found.stdout.splitlines()
    assert lines[0].startswith(f"auction {ids['reserve']}: row at seq ")
    assert lines[0].endswith("price is 1, the log says 1600")
    assert lines[1].startswith(f"auction {ids['buy_now']}: purchases, round 1: stored ")


@pytest.mark.parametrize("url", ["nosuch://x", ""])
async def test_a_bad_database_url_is_one_line_and_exit_code_2(url: str) -> None:
    result = await _audit_cli(url)
    assert result.exit_code == 2
