"""SQLite-specific store tests: crash durability, group commit, locking, open errors."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import orjson
import pytest
from bench.wal_pages import page_owners, wal_frames

from auctioneer.engine.events import BidPlaced
from auctioneer.service.ports import NoticeRecord, PurchaseRecord
from auctioneer.store import sqlite as sqlite_module
from auctioneer.store.errors import ConcurrencyConflict, StoreUnavailable
from auctioneer.store.records import event_data
from auctioneer.store.sqlite import SQLiteStore
from tests.store.samples import T0, bid, commit, created, every_event

CHILD = Path(__file__).with_name("_crash_child.py")


async def test_a_sigkilled_writer_loses_no_acknowledged_append(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    auctions, wanted = 20, 400
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(db), str(auctions)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acked: dict[int, int] = {}
    try:
        assert proc.stdout is not None
        assert await asyncio.to_thread(proc.stdout.readline) == "ready\n"
        count = 0
        while count < wanted:
            line = await asyncio.to_thread(proc.stdout.readline)
            assert line.startswith("ack "), line
            _, auction, ack_version = line.split()
            acked[int(auction)] = max(acked.get(int(auction), 0), int(ack_version))
            count += 1
        proc.send_signal(signal.SIGKILL)  # mid-stream: more appends are in flight
    finally:
        proc.kill()
        await asyncio.to_thread(proc.wait)
        if proc.stdout is not None:
            proc.stdout.close()
        if proc.stderr is not None:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    store = SQLiteStore(db)
    await store.open()
    try:
        behind = dict(await store.unprojected())
        for a, version in acked.items():
            events = await store.load_events(a)
            assert [e.version for e in events] == list(range(1, len(events) + 1))
            assert len(events) >= version, f"auction {a}: acked v{version}, found {len(events)}"
            # The row is a projection written behind the log: it may lag, and
            # then `unprojected` names the auction and how far its row goes.
            row = await store.auction_row(a)
            projected = 0 if row is None else row["version"]
            assert projected <= len(events)
            assert behind.get(a, len(events)) == projected
    finally:
        await store.close()


async def test_many_concurrent_appends_share_few_transactions(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "gc.db")
    await store.open()
    try:
        await asyncio.gather(*(store.append(commit(a, 0, [created(a)])) for a in range(1, 201)))

        async def bidder(a: int) -> None:
            for v in range(2, 7):
                await store.append(commit(a, v - 1, [bid(a, v, v, 100 * v)]))

        before = store.stats.append_transactions
        await asyncio.gather(*(bidder(a) for a in range(1, 201)))
        used = store.stats.append_transactions - before
        # 1,000 appends from 200 concurrent writers, 5 rounds each.
        assert used <= 50, used
    finally:
        await store.close()


async def test_a_conflicting_commit_fails_alone_in_its_batch(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "batch.db")
    await store.open()
    try:
        await asyncio.gather(*(store.append(commit(a, 0, [created(a)])) for a in range(1, 21)))
        before = store.stats.append_transactions
        good = [store.append(commit(a, 1, [bid(a, 2, 2, 500)])) for a in range(1, 21)]
        stale = [store.append(commit(a, 0, [created(a)])) for a in range(1, 21)]
        results = await asyncio.gather(*good, *stale, return_exceptions=True)
        assert [await r for r in results[:20]] == [[]] * 20  # their projections: no notices
        assert all(isinstance(r, ConcurrencyConflict) for r in results[20:])
        assert store.stats.append_transactions - before <= 3
        for a in range(1, 21):
            events = await store.load_events(a)
            assert [e.version for e in events] == [1, 2]
            assert isinstance(events[1], BidPlaced)
    finally:
        await store.close()


async def _hold_the_writer(store: SQLiteStore) -> tuple[threading.Event, asyncio.Task[None]]:
    """Keep the writer busy in a job of its own, so the appends queued meanwhile
    reach it together, as one batch."""
    gate, started = threading.Event(), threading.Event()

    def hold(conn: sqlite3.Connection) -> None:
        started.set()
        gate.wait(10)

    task = asyncio.ensure_future(store._write(hold))
    assert await asyncio.to_thread(started.wait, 10)
    return gate, task


async def test_appends_queued_together_are_written_together_each_answered_alone(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "together.db")
    await store.open()
    try:
        user = await store.create_user("ann", "h", "bidder")
        for a in (1, 2, 3):
            await store.append(commit(a, 0, [created(a)]))
        outbid = NoticeRecord(user.id, "outbid", {"auction_id": 1}, T0)
        sale = {"id": 9, "name": "Spring"}
        gate, held = await _hold_the_writer(store)
        before = (store.stats.append_transactions, store.stats.conflicts)
        tasks = [
            asyncio.ensure_future(store.append(c))
            for c in (
                commit(
                    1,
                    1,
                    [bid(1, 2, 2, 100)],
                    notices=[outbid],
                    purchases=[PurchaseRecord(1, 1, user.id, 100, T0)],
                    idempotency=[(user.id, "r1", b"first")],
                ),
                commit(1, 2, [bid(1, 3, 3, 200)], notices=[outbid]),  # after the one above
                commit(2, 0, [created(2)]),  # stale: refused alone
                commit(4, 0, [created(4)], sale_id=9, lot=1, extra={"sale": sale}),
                commit(3, 1, [bid(3, 2, 2, 100)], notices=[outbid, outbid]),
            )
        ]
        await asyncio.sleep(0)  # all five are queued behind the held job
        gate.set()
        await held
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert store.stats.append_transactions - before[0] == 1  # the log rows, together
        projected = [await r for r in results if isinstance(r, asyncio.Future)]
        assert [[n.seq for n in r] for r in projected] == [[1], [2], [], [3, 4]]
        assert isinstance(results[2], ConcurrencyConflict) and results[2].reason == "version"
        assert store.stats.conflicts - before[1] == 1
        assert store.stats.largest_batch >= 4
        assert [e.version for e in await store.load_events(1)] == [1, 2, 3]
        assert [e.version for e in await store.load_events(2)] == [1]
        assert [n.seq for n in await store.notices(user.id)] == [1, 2, 3, 4]
        assert await store.last_notice_seq(user.id) == 4
        assert await store.stored_reply(user.id, "r1") == b"first"
        assert await store.purchases(user.id) == [PurchaseRecord(1, 1, user.id, 100, T0)]
        assert await store.sale_row(9) == sale
        assert await store.sale_lots(9) == [4]
        assert (await store.auction_row(1) or {})["version"] == 3
    finally:
        await store.close()


TRICKY = 'quote " backslash \\ newline \n tab \t nul-ish \x01 é 漢 🦊 </script>'


def _tricky_commits(user_id: int) -> list:
    """One commit per auction with every event type and awkward text everywhere."""
    out = []
    for a in (1, 2, 3):
        c = commit(
            a,
            0,
            every_event(a),
            notices=[NoticeRecord(user_id, "outbid", {"auction_id": a, "title": TRICKY}, T0 + a)],
            purchases=[PurchaseRecord(a, 1, user_id, 10**12 + a, T0, True)],
            idempotency=[(user_id, f"r{a} {TRICKY}", ("!" + TRICKY).encode())],
            extra={"sale": {"id": 5, "name": TRICKY}},
            sale_id=5,
        )
        c.row["name"] = TRICKY
        out.append(c)
    return out


def _table_rows(path: Path) -> dict[str, list[tuple]]:
    tables = ("events", "auctions", "notices", "requests", "purchases", "idempotency", "sales")
    with sqlite3.connect(path) as conn:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}


async def test_appends_written_together_store_exactly_what_one_by_one_stores(
    tmp_path: Path,
) -> None:
    """Rows travel as JSON text through json_each: every value (quotes, control
    characters, non-BMP text, big integers, reply bytes) must arrive as it
    was, whether a commit is written alone or in a batch with others."""
    alone, batched = SQLiteStore(tmp_path / "alone.db"), SQLiteStore(tmp_path / "batched.db")
    for store in (alone, batched):
        await store.open()
    try:
        user = await alone.create_user("ann", "h", "bidder")
        assert (await batched.create_user("ann", "h", "bidder")).id == user.id
        for c in _tricky_commits(user.id):
            await (await alone.append(c))
        gate, held = await _hold_the_writer(batched)
        before = batched.stats.append_transactions
        tasks = [asyncio.ensure_future(batched.append(c)) for c in _tricky_commits(user.id)]
        await asyncio.sleep(0)
        gate.set()
        await held
        for projected in await asyncio.gather(*tasks):
            await projected
        assert batched.stats.append_transactions - before == 1
        assert batched.stats.largest_batch >= 3
        assert await batched.stored_reply(user.id, f"r2 {TRICKY}") == ("!" + TRICKY).encode()
    finally:
        for store in (alone, batched):
            await store.close()
    rows = _table_rows(tmp_path / "batched.db")
    assert rows == _table_rows(tmp_path / "alone.db")
    # Against the values themselves, not only one path against the other.
    written = {(e.auction_id, e.version): e for c in _tricky_commits(user.id) for e in c.events}
    stored = [(*row[:5], orjson.loads(row[5])) for row in rows["events"]]  # and no cause
    assert stored == [
        (e.auction_id, e.version, e.seq, e.event, e.at, event_data(e))
        for _, e in sorted(written.items())
    ]
    assert {(reply, type(reply)) for *_, reply, _ in rows["idempotency"]} == {
        (("!" + TRICKY).encode(), bytes)
    }
    assert {orjson.loads(row[6])["name"] for row in rows["auctions"]} == {TRICKY}
    assert {orjson.loads(row[3])["title"] for row in rows["notices"]} == {TRICKY}
    assert [row[4] for row in rows["purchases"]] == [10**12 + 1, 10**12 + 2, 10**12 + 3]


async def test_a_taken_request_id_sends_the_batch_one_by_one_and_fails_alone(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "taken.db")
    await store.open()
    try:
        for a in (1, 2):
            await store.append(commit(a, 0, [created(a)]))
        await store.save_reply(7, "dup", b"earlier")
        gate, held = await _hold_the_writer(store)
        before = store.stats.append_transactions
        taken = store.append(commit(1, 1, [bid(1, 2, 2, 100)], idempotency=[(7, "dup", b"x")]))
        fresh = store.append(commit(2, 1, [bid(2, 2, 2, 100)], idempotency=[(7, "new", b"y")]))
        tasks = [asyncio.ensure_future(taken), asyncio.ensure_future(fresh)]
        await asyncio.sleep(0)
        gate.set()
        await held
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(results[0], ConcurrencyConflict) and results[0].reason == "request_id"
        assert await results[1] == []
        assert store.stats.append_transactions - before == 1
        assert [e.version for e in await store.load_events(1)] == [1]
        assert [e.version for e in await store.load_events(2)] == [1, 2]
        assert await store.stored_reply(7, "dup") == b"earlier"
        assert await store.stored_reply(7, "new") == b"y"
    finally:
        await store.close()


async def test_close_finishes_the_appends_already_queued(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "close.db")
    await store.open()
    tasks = [asyncio.create_task(store.append(commit(a, 0, [created(a)]))) for a in range(1, 51)]
    await asyncio.sleep(0)  # every task has queued its commit
    await store.close()
    # Each append's log rows were written, and close wrote their projections too.
    assert [t.result().result() for t in tasks] == [[]] * 50
    again = SQLiteStore(tmp_path / "close.db")
    await again.open()
    try:
        assert len(await again.auction_rows()) == 50
        assert await again.unprojected() == []
    finally:
        await again.close()


async def test_a_write_lock_held_elsewhere_makes_writes_unavailable_not_reads(
    tmp_path: Path,
) -> None:
    db = tmp_path / "locked.db"
    store = SQLiteStore(db, busy_timeout_ms=50)
    await store.open()
    other = sqlite3.connect(db, isolation_level=None)
    try:
        await store.append(commit(1, 0, [created(1)]))
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(StoreUnavailable) as caught:
            await store.append(commit(1, 1, [bid(1, 2, 2, 100)]))
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
        assert len(await store.load_events(1)) == 1  # WAL: reads go on
        other.execute("ROLLBACK")
        await store.append(commit(1, 1, [bid(1, 2, 2, 100)]))
        assert len(await store.load_events(1)) == 2
    finally:
        other.close()
        await store.close()


async def test_a_version_taken_behind_the_row_is_a_conflict_from_the_integrity_error(
    tmp_path: Path,
) -> None:
    db = tmp_path / "pk.db"
    store = SQLiteStore(db)
    await store.open()
    try:
        await store.append(commit(1, 0, [created(1)]))
        raw = sqlite3.connect(db, isolation_level=None)
        raw.execute("DELETE FROM auctions")  # the row (a projection) no longer says version 1
        raw.close()
        with pytest.raises(ConcurrencyConflict) as caught:
            await store.append(commit(1, 0, [created(1)]))
        assert caught.value.reason == "version"  # the log itself says so
    finally:
        await store.close()


@pytest.mark.parametrize("kind", ["directory", "not a database"])
async def test_opening_an_unusable_file_is_unavailable(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "bad.db"
    if kind == "directory":
        path.mkdir()
    else:
        path.write_bytes(b"this is not an SQLite file at all, just some bytes" * 100)
    store = SQLiteStore(path)
    with pytest.raises(StoreUnavailable) as caught:
        await store.open()
    assert str(path) in str(caught.value)
    with pytest.raises(StoreUnavailable):
        await store.load_events(1)


async def test_the_writer_syncs_fully_and_leaves_the_database_in_wal_mode(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "wal.db")
    await store.open()
    try:
        # Peek at the writer connection through its queue (2 = FULL).
        sync = await store._write(lambda c: c.execute("PRAGMA synchronous").fetchone()[0])
        assert sync == 2
    finally:
        await store.close()
    raw = sqlite3.connect(tmp_path / "wal.db")
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


async def test_the_log_is_read_through_its_one_key_without_sorting(tmp_path: Path) -> None:
    """Migration 0003 dropped the seq indexes: every read of the log must walk
    the primary key (a scan or a sort would grow with the whole table)."""
    store = SQLiteStore(tmp_path / "plan.db")
    await store.open()
    await store.close()
    queries = {
        sqlite_module._LOAD_EVENTS: (1, 0, 500),
        sqlite_module._BIDS: {"auction_id": 1, "before": 9, "limit": 5},
    }
    raw = sqlite3.connect(tmp_path / "plan.db")
    try:
        indexes = raw.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'events'")
        assert {name for (name,) in indexes} == {"events"}
        for sql, params in queries.items():
            plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params)]
            assert plan[0].startswith("SEARCH events USING PRIMARY KEY (auction_id=?"), plan
            assert not any("TEMP B-TREE" in step for step in plan), plan
    finally:
        raw.close()


_TEMP_FILE_PROBE = """
import asyncio, sys
from auctioneer.store.sqlite import SQLiteStore
from tests.store.samples import bid, commit, created

async def main() -> None:
    store = SQLiteStore(sys.argv[1])
    await store.open()
    try:
        # Many auctions at once: a few large batches, each in one SAVEPOINT.
        lots = range(1, 301)
        await asyncio.gather(*(store.append(commit(a, 0, [created(a)])) for a in lots))
        await asyncio.gather(*(store.append(commit(a, 1, [bid(a, 2, 2, 100)])) for a in lots))
    finally:
        await store.close()

asyncio.run(main())
"""


def test_the_writer_never_spills_a_batch_to_a_temporary_file(tmp_path: Path) -> None:
    """A batch's undo journal stays in memory: no file is created per transaction.

    SQLite reads its temporary directory from SQLITE_TMPDIR once, when it
    starts, hence a child process; a file created there (and deleted at once,
    as SQLite does) still changes the directory's modification time.
    """
    temp = tmp_path / "sqlite-tmp"
    temp.mkdir()
    before = temp.stat().st_mtime_ns
    env = {**os.environ, "SQLITE_TMPDIR": str(temp)}
    done = subprocess.run(
        [sys.executable, "-c", _TEMP_FILE_PROBE, str(tmp_path / "spill.db")],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    written = sqlite3.connect(tmp_path / "spill.db")
    try:
        assert written.execute("SELECT count(*) FROM events").fetchone() == (600,)
    finally:
        written.close()
    assert list(temp.iterdir()) == []
    assert temp.stat().st_mtime_ns == before, "SQLite created (and removed) a temporary file"


def _pages_written(path: Path, since: int) -> set[str]:
    """The b-trees (tables and indexes) whose pages the WAL received after byte `since`."""
    owners = page_owners(path)
    wal = path.parent / (path.name + "-wal")
    return {owners.get(frame.page, "?") for frame in wal_frames(wal, since)}


async def test_the_auction_indexes_are_written_only_when_their_columns_change(
    tmp_path: Path,
) -> None:
    """Status, sale and lot are indexed: a bid leaves their pages alone, a close does not."""
    path = tmp_path / "moves.db"
    store = SQLiteStore(path)
    await store.open()
    try:
        wal = path.parent / (path.name + "-wal")

        await (await store.append(commit(1, 0, [created(1, sale_id=5, lot=2)], sale_id=5, lot=2)))

        before = wal.stat().st_size
        await (await store.append(commit(1, 1, [bid(1, 2, 2, 100)], sale_id=5, lot=None)))
        written = _pages_written(path, before)
        assert "events" in written and "auctions" in written  # the test sees this commit
        assert not written & {"auctions_status", "auctions_sale"}

        before = wal.stat().st_size
        await (await store.append(commit(1, 2, [bid(1, 3, 3, 200)], status="closed", sale_id=5)))
        assert "auctions_status" in _pages_written(path, before)
    finally:
        await store.close()
    raw = sqlite3.connect(path)
    try:
        row = raw.execute("SELECT status, sale_id, lot, version FROM auctions").fetchone()
        assert row == ("closed", 5, 2, 3)  # the lot is kept once set
        by_status = raw.execute("SELECT id FROM auctions WHERE status = 'closed'").fetchall()
        assert by_status == [(1,)]  # and the index agrees with the row
    finally:
        raw.close()


async def test_two_commits_of_one_auction_in_a_batch_leave_the_newest_status(
    tmp_path: Path,
) -> None:
    """Written together, the later commit's status, sale and lot are the ones kept."""
    path = tmp_path / "newest.db"
    store = SQLiteStore(path)
    await store.open()
    try:
        await store.append(commit(1, 0, [created(1)], status="scheduled"))
        gate, held = await _hold_the_writer(store)
        tasks = [
            asyncio.ensure_future(store.append(c))
            for c in (
                commit(1, 1, [bid(1, 2, 2, 100)], status="open", sale_id=3, lot=1),
                commit(1, 2, [bid(1, 3, 3, 200)], status="closed", sale_id=4, lot=2),
            )
        ]
        await asyncio.sleep(0)  # both queued behind the held job: one batch
        gate.set()
        await held
        await asyncio.gather(*tasks)
    finally:
        await store.close()
    raw = sqlite3.connect(path)
    try:
        row = raw.execute("SELECT status, sale_id, lot, version FROM auctions").fetchone()
        assert row == ("closed", 4, 2, 3)
        assert raw.execute("SELECT id FROM auctions WHERE status = 'closed'").fetchall() == [(1,)]
    finally:
        raw.close()


def test_the_version_and_notice_seq_checks_seek_one_row_per_key(tmp_path: Path) -> None:
    """Each append checks its auctions' log versions and its users' last notice
    seqs: a seek to the end of each key, never a walk over an auction's whole
    log (that grew with the log and cost the spread benchmark a fifth)."""
    from auctioneer.store import sqlite_append

    with sqlite3.connect(tmp_path / "plan.db") as conn:
        conn.execute(
            "CREATE TABLE events (auction_id INTEGER, version INTEGER,"
            " PRIMARY KEY (auction_id, version)) WITHOUT ROWID"
        )
        conn.execute(
            "CREATE TABLE notices (user_id INTEGER, seq INTEGER,"
            " PRIMARY KEY (user_id, seq)) WITHOUT ROWID"
        )
        for sql in (sqlite_append._LOG_VERSIONS, sqlite_append._LAST_NOTICE_SEQS):
            plan = " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, ("[1]",)))
            assert "CORRELATED SCALAR SUBQUERY" in plan and "PRIMARY KEY" in plan, plan
            rows = conn.execute(sql, ("[1, 2]",)).fetchall()
            assert rows == [(1, None), (2, None)]
