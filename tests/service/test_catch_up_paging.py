"""A catch-up from seq 0 of a long log is read and encoded a page at a time (issue 20, item 7)."""

from __future__ import annotations

import asyncio

from auctioneer.service.publisher import CATCH_UP_PAGE, FRAME_CACHE
from auctioneer.wire import codec
from tests.service.stack import Stack


async def test_a_long_catch_up_comes_whole_and_in_order_while_the_loop_keeps_turning() -> None:
    stack = await Stack.build(bid_rate=0)
    admin = await stack.person("root", admin=True)
    ann, bob = await stack.person("ann"), await stack.person("bob")
    await stack.create(admin, duration_s=3600)
    bids = max(FRAME_CACHE, 2 * CATCH_UP_PAGE) + 50  # past the frame cache: from the store
    for i in range(bids):
        await stack.raw(ann if i % 2 else bob, "place_bid", auction_id=1, amount=1000 + 100 * i)
    state = await stack.auctions.state(1)
    assert state is not None and state.seq > 2 * CATCH_UP_PAGE
    turns = 0
    done = False

    async def ticker() -> None:
        nonlocal turns
        while not done:
            turns += 1
            await asyncio.sleep(0)

    task = asyncio.get_running_loop().create_task(ticker())
    try:
        frames = await stack.auctions.frames(1, 0, state.seq)
    finally:
        done = True
        await task
        await stack.close()
    assert [f.seq for f in frames] == list(range(1, state.seq + 1))
    last = codec.decode(frames[-1].data)
    assert last["event"] == "bid_placed" and last["data"]["amount"] == 1000 + 100 * (bids - 1)
    # Other work ran between the pages (the memory store itself never yields).
    assert turns >= state.seq // CATCH_UP_PAGE


async def test_a_catch_up_that_ends_early_in_a_long_log_stops_reading_there() -> None:
    stack = await Stack.build(bid_rate=0)
    admin = await stack.person("root", admin=True)
    ann, bob = await stack.person("ann"), await stack.person("bob")
    await stack.create(admin, duration_s=3600)
    for i in range(CATCH_UP_PAGE + 20):
        await stack.raw(ann if i % 2 else bob, "place_bid", auction_id=1, amount=1000 + 100 * i)
    stack.auctions.publisher._frames.clear()  # as after a restart: the store answers
    reads = 0
    load = stack.store.load_events

    async def counting(*args: object, **kwargs: object) -> object:
        nonlocal reads
        reads += 1
        return await load(*args, **kwargs)  # type: ignore[arg-type]

    stack.store.load_events = counting  # type: ignore[method-assign]
    try:
        frames = await stack.auctions.frames(1, 3, 10)
    finally:
        await stack.close()
    assert [f.seq for f in frames] == list(range(4, 11))
    assert reads == 1
