"""The WatchRecords contract (service/ports.py), run against every store backend.

The watchlist behaves the same in memory, SQLite and PostgreSQL: idempotent
watch and unwatch, the first `since` kept, lists per user and per auction,
counts, and durable where the backend is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.contracts.conftest import make_store


async def test_watching_twice_keeps_one_pair_and_its_first_time(store: Any) -> None:
    assert await store.watch(5, 10, at=1_000) is True
    assert await store.watch(5, 10, at=2_000) is False
    assert await store.watch(5, 3, at=1_500) is True
    assert await store.watched(5) == [(10, 1_000), (3, 1_500)]
    assert await store.watched(6) == []


async def test_unwatching_removes_only_that_pair_and_twice_is_harmless(store: Any) -> None:
    await store.watch(5, 10, at=1)
    await store.watch(6, 10, at=2)
    assert await store.unwatch(5, 10) is True
    assert await store.unwatch(5, 10) is False
    assert await store.unwatch(9, 99) is False
    assert await store.watched(5) == []
    assert await store.watchers_of(10) == [6]


async def test_watchers_of_an_auction_and_counts_for_many(store: Any) -> None:
    for user in (9, 2, 5):
        await store.watch(user, 10, at=user)
    await store.watch(2, 11, at=1)
    assert await store.watchers_of(10) == [2, 5, 9]
    assert await store.watchers_of(12) == []
    assert await store.watcher_counts([10, 11, 12]) == {10: 3, 11: 1}
    assert await store.watcher_counts([]) == {}


@pytest.mark.parametrize("durable", ["sqlite", "postgres"])
async def test_the_watchlist_survives_reopening(
    durable: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if durable == "postgres":
        from tests.contracts.conftest import _empty_postgres

        await _empty_postgres(request.getfixturevalue("postgres_dsn"))
    store = make_store(durable, tmp_path, request)
    await store.open()
    try:
        await store.watch(4, 7, at=123)
        await store.watch(4, 8, at=124)
        await store.unwatch(4, 8)
    finally:
        await store.close()
    again = make_store(durable, tmp_path, request)
    await again.open()
    try:
        assert await again.watched(4) == [(7, 123)]
        assert await again.watchers_of(7) == [4]
    finally:
        await again.close()
