"""Decide ahead, release after: an auction decides on top of commits in flight,
answers strictly in log order, and a failed commit takes back all decided on it.

The store is the memory store with a hand on each append: the test holds a
chosen commit at the door, lets it through, or makes it fail.
"""

from __future__ import annotations

import asyncio
from typing import Any

from auctioneer import engine
from auctioneer.service.ports import Commit, Frame, Projected
from auctioneer.store.errors import StoreUnavailable
from auctioneer.store.memory import MemoryStore
from auctioneer.wire import codec
from auctioneer.wire.topics import auction_topic
from tests.service.stack import START_MS, Stack, lot


class HeldStore(MemoryStore):
    """Appends wait at a gate of their own (by call number) and may be told to fail."""

    def __init__(self) -> None:
        super().__init__(clock=lambda: START_MS)
        self.calls = 0
        self.gates: dict[int, asyncio.Event] = {}
        self.failing: set[int] = set()
        self.arrived = asyncio.Condition()

    async def append(self, commit: Commit) -> Projected:
        self.calls += 1
        call = self.calls
        async with self.arrived:
            self.arrived.notify_all()
        gate = self.gates.get(call)
        if gate is not None:
            await gate.wait()
        if call in self.failing:
            raise StoreUnavailable("memory", f"append {call} failed on purpose")
        return await super().append(commit)

    async def until_calls(self, count: int) -> None:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: self.calls >= count), 5)


class Watcher:
    """A subscriber that keeps every frame of the auction's topic."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    def deliver(self, topic: str, frame: Frame) -> None:
        self.frames.append(codec.decode(frame.data))


async def test_a_failed_commit_answers_nothing_decided_on_it_and_decides_the_rest_again() -> None:
    store = HeldStore()
    await store.open()
    stack = await Stack.build(clock=None, store=store, bid_rate=0)  # type: ignore[arg-type]
    try:
        admin, ann, bob = (
            await stack.person("root", admin=True),
            await stack.person("ann"),
            await stack.person("bob"),
        )
        await stack.create(admin, **lot(min_increment=100))  # append 1
        watcher = Watcher()
        await stack.hub.attach(auction_topic(1), watcher)
        store.gates = {2: asyncio.Event(), 3: asyncio.Event()}
        store.failing = {2}

        first = asyncio.ensure_future(stack.raw(ann, "place_bid", auction_id=1, amount=1000))
        await store.until_calls(2)  # ann's batch is on its way to the store
        second = asyncio.ensure_future(stack.raw(bob, "place_bid", auction_id=1, amount=1100))
        await store.until_calls(3)  # bob's was decided ahead, on top of ann's bid
        assert stack.auctions._ahead[1].current_bid == 1100
        assert (await stack.auctions.state(1)).current_bid is None  # reads see durable state

        store.gates[3].set()  # bob's commit may land first: it is not answered before ann's
        await asyncio.sleep(0.05)
        assert not first.done() and not second.done()

        store.gates[2].set()  # ann's commit fails
        refused = await asyncio.gather(first, return_exceptions=True)
        assert getattr(refused[0], "code", None) == "internal"
        placed = codec.decode(await asyncio.wait_for(second, 5))
        # Bob's bid was decided again on the durable state: the opening bid now.
        auction = placed["auction"]
        assert (auction["current_bid"], auction["bid_count"], auction["leader"]) == (1100, 1, "#3")
        assert store.calls == 4

        events = await store.load_events(1)
        kinds = [type(e).__name__ for e in events]
        assert kinds == ["AuctionCreated", "AuctionOpened", "BidPlaced"]
        assert engine.replay(1, events) == await stack.auctions.state(1)
        await asyncio.sleep(0)  # the publication follows the reply
        published = [(f["event"], f["seq"], f["data"].get("amount")) for f in watcher.frames]
        # Nothing of the lost state, and no gap.
        assert published == [
            ("auction_created", 1, None),
            ("auction_opened", 2, None),
            ("bid_placed", 3, 1100),
        ]
    finally:
        await stack.close()


async def test_batches_are_decided_ahead_and_answered_in_log_order() -> None:
    store = HeldStore()
    await store.open()
    stack = await Stack.build(clock=None, store=store, bid_rate=0)  # type: ignore[arg-type]
    try:
        admin = await stack.person("root", admin=True)
        bidders = [await stack.person(f"b{i}") for i in range(3)]
        await stack.create(admin, **lot(min_increment=100))
        store.gates = {2: asyncio.Event()}
        order: list[int] = []

        async def bid(i: int) -> None:
            await stack.raw(bidders[i], "place_bid", auction_id=1, amount=1000 + 100 * i)
            order.append(i)

        first = asyncio.ensure_future(bid(0))
        await store.until_calls(2)
        rest = [asyncio.ensure_future(bid(i)) for i in (1, 2)]
        await store.until_calls(3)  # decided ahead while the first commit waits
        await asyncio.sleep(0.05)
        assert order == []  # and nothing answered before the first commit
        store.gates[2].set()
        await asyncio.wait_for(asyncio.gather(first, *rest), 5)
        assert order == [0, 1, 2]
        state = await stack.auctions.state(1)
        assert state is not None and (state.current_bid, state.bid_count) == (1200, 3)
    finally:
        await stack.close()
