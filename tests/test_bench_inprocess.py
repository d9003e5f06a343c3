"""The in-process bench tools run end to end on a small load (they are measuring
instruments: a broken one would print numbers that mean nothing)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest
from bench import service_bench, wal_pages


@pytest.fixture
def runtime_restored() -> Iterator[None]:
    """`service_bench` tunes the runtime as the server does; give the other tests theirs back."""
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    yield
    gc.unfreeze()
    sys.setswitchinterval(interval)
    gc.set_threshold(*thresholds)


async def test_service_bench_counts_every_bid_of_the_shape_it_was_given(
    runtime_restored: None,
) -> None:
    result = await service_bench.one_run(bids=120, auctions=3, depth=2)
    assert (result.accepted, result.rejected) == (120, 0)
    assert result.frames >= 120  # each auction's watcher saw every accepted bid
    assert 0 < result.transactions <= 120
    assert result.bids_per_transaction <= 3 * 2  # never more than the bids in flight
    assert result.cpu_s > 0 and result.wall_s > 0


async def test_wal_pages_names_what_a_bid_writes(runtime_restored: None) -> None:
    accepted, transactions, pages = await wal_pages.measure(auctions=1, depth=4, bids=80)
    assert accepted == 80 and transactions > 0
    assert pages["events"] >= transactions  # every transaction appends events
    # The auction's row is a projection written behind, once for many commits.
    assert 1 <= pages["auctions"] < transactions / 2
    assert pages["auctions_status"] == 0  # but not the status index (the status never changed)
