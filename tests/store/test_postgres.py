"""PostgreSQL-specific store tests (skipped visibly without AUCTIONEER_TEST_POSTGRES_URL).

Two PostgresStore instances on one database stand for two server processes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
import pytest

from auctioneer.store.errors import ConcurrencyConflict, StoreUnavailable, UsernameTaken
from auctioneer.store.postgres import PostgresStore
from tests.contracts.conftest import _empty_postgres
from tests.store.samples import bid, commit, created


@pytest.fixture
async def two(postgres_dsn: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    await _empty_postgres(postgres_dsn)
    a, b = PostgresStore(postgres_dsn), PostgresStore(postgres_dsn)
    await asyncio.gather(a.open(), b.open())  # concurrent migrations are serialized
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


async def test_two_processes_appending_one_version_conflict_once(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = two
    await a.append(commit(1, 0, [created(1)]))
    results = await asyncio.gather(
        *(s.append(commit(1, 1, [bid(1, 2, 2, 100 + i)])) for i, s in enumerate([a, b] * 5)),
        return_exceptions=True,
    )
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 1
    assert all(isinstance(r, ConcurrencyConflict) for r in results if isinstance(r, BaseException))
    assert len(await b.load_events(1)) == 2


async def test_two_processes_creating_one_auction_conflict_from_the_unique_key(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = two
    results = await asyncio.gather(
        a.append(commit(1, 0, [created(1)])),
        b.append(commit(1, 0, [created(1)])),
        return_exceptions=True,
    )
    conflicts = [r for r in results if isinstance(r, ConcurrencyConflict)]
    assert len(conflicts) == 1


async def test_two_processes_registering_one_name_create_one_user(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = two
    results = await asyncio.gather(
        *(
            s.create_user("Ann" if i % 2 else "aNN", "h", "bidder")
            for i, s in enumerate([a, b] * 4)
        ),
        return_exceptions=True,
    )
    users = [r for r in results if not isinstance(r, BaseException)]
    assert len(users) == 1
    assert all(isinstance(r, UsernameTaken) for r in results if isinstance(r, BaseException))


async def test_notice_seqs_stay_gapless_across_processes(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    from auctioneer.service.ports import NoticeRecord

    a, b = two
    await asyncio.gather(*(s.append(commit(n, 0, [created(n)])) for n, s in [(1, a), (2, b)]))
    writes = []
    for v in range(2, 12):
        for n, s in [(1, a), (2, b)]:
            note = NoticeRecord(7, "outbid", {"auction_id": n}, v)
            writes.append((n, v, s, note))

    async def run(n: int, s: PostgresStore) -> None:
        for m, v, st, note in writes:
            if m == n:
                await st.append(commit(n, v - 1, [bid(n, v, v, 100 * v)], notices=[note]))

    await asyncio.gather(run(1, a), run(2, b))
    assert [x.seq for x in await a.notices(7)] == list(range(1, 21))


async def test_the_store_recovers_after_its_connections_are_killed(
    postgres_dsn: str, two: tuple[PostgresStore, PostgresStore]
) -> None:
    a, _ = two
    await a.append(commit(1, 0, [created(1)]))
    # Several pooled read connections, all about to die: one retry must still do.
    await asyncio.gather(*(a.load_events(1) for _ in range(6)))
    admin = await asyncpg.connect(postgres_dsn)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    # The first write may meet the dead connection and fail, writing nothing;
    # the next one reconnects. Reads retry once on a dead pooled connection.
    with contextlib.suppress(StoreUnavailable):
        await a.append(commit(1, 1, [bid(1, 2, 2, 200)]))
    version = len(await a.load_events(1))
    assert version in (1, 2)
    await a.append(commit(1, version, [bid(1, version + 1, version + 1, 5000)]))
    assert len(await a.load_events(1)) == version + 1


async def test_a_batch_that_meets_a_race_is_redone_one_commit_at_a_time(
    postgres_dsn: str, two: tuple[PostgresStore, PostgresStore]
) -> None:
    a, _ = two
    await a.append(commit(1, 0, [created(1)]))
    admin = await asyncpg.connect(postgres_dsn)
    try:
        await admin.execute("DELETE FROM auctions")  # version 1 exists, the row forgot it
    finally:
        await admin.close()
    results = await asyncio.gather(
        a.append(commit(1, 0, [created(1)])),  # passes the check, fails on the key
        *(a.append(commit(n, 0, [created(n)])) for n in range(2, 12)),
        return_exceptions=True,
    )
    assert isinstance(results[0], ConcurrencyConflict)
    assert isinstance(results[0].__cause__, asyncpg.UniqueViolationError)
    assert [await projected for projected in results[1:]] == [[]] * 10
    assert a.fallbacks >= 1
    assert [r["id"] for r in await a.auction_rows()] == list(range(2, 12))


async def test_an_unreachable_server_is_unavailable_on_open() -> None:
    store = PostgresStore("postgresql://nobody@127.0.0.1:1/none", connect_timeout_s=2)
    with pytest.raises(StoreUnavailable) as caught:
        await store.open()
    assert caught.value.code == "internal"
    with pytest.raises(StoreUnavailable):
        await store.load_events(1)
