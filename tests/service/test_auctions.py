"""The auction service: idempotent writes, batches, deadlines, sales, notices, publishing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

from auctioneer import engine
from auctioneer.engine.commands import Tick
from auctioneer.engine.errors import AuctionError, InvalidCommand
from auctioneer.engine.events import AuctionClosed
from auctioneer.engine.state import Status
from auctioneer.pubsub.memory import MemoryBroker
from auctioneer.service.actor import Work
from auctioneer.service.errors import NotFound
from auctioneer.service.ports import Commit, Frame
from auctioneer.service.replies import refusal_bytes
from auctioneer.service.users import Caller
from auctioneer.store import ConcurrencyConflict, StoreUnavailable
from auctioneer.wire import codec
from auctioneer.wire.timefmt import format_time
from auctioneer.wire.topics import AUCTIONS, AUCTIONS_ADMIN, auction_topic, user_topic
from auctioneer.wire.views import auction_object, public_view
from tests.service.conftest import People
from tests.service.stack import START_MS, Stack, lot

MINUTE_MS = 60_000


class Sink:
    """A hub subscriber that keeps what it is given."""

    def __init__(self) -> None:
        self.frames: list[tuple[str, Frame]] = []

    def deliver(self, topic: str, frame: Frame) -> None:
        self.frames.append((topic, frame))

    def events(self, topic: str) -> list[dict[str, Any]]:
        return [codec.decode(f.data) for t, f in self.frames if t == topic]


async def until(predicate: Callable[[], Any], timeout: float = 5.0) -> None:
    """Let the loop run until `predicate()` is true."""
    async with asyncio.timeout(timeout):
        while not await _maybe(predicate()):
            await asyncio.sleep(0.001)


async def _maybe(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) else value


async def status_of(stack: Stack, auction_id: int) -> str:
    state = await stack.auctions.state(auction_id)
    assert state is not None
    return state.status.value


async def kinds(stack: Stack, auction_id: int) -> list[str]:
    return [e.event for e in await stack.store.load_events(auction_id)]


async def restart(stack: Stack) -> Stack:
    """Stop the service and start a new one on the same store and clock."""
    await stack.close(close_store=False)
    return await Stack.build(clock=stack.clock, store=stack.store)


# -- idempotent retries ------------------------------------------------------------


async def test_a_retried_write_returns_the_same_bytes_and_changes_nothing_more(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin)
    first = await stack.raw(people.ann, "place_bid", id="b1", auction_id=1, amount=1000)
    again = await stack.raw(people.ann, "place_bid", id="b1", auction_id=1, amount=1000)
    other = await stack.raw(people.ann, "place_bid", id="b1", auction_id=1, amount=9000)
    assert first == again == other
    assert (await kinds(stack, 1)).count("bid_placed") == 1


async def test_the_same_id_from_another_user_is_another_request(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin)
    await stack.raw(people.ann, "place_bid", id="b1", auction_id=1, amount=1000)
    bob = await stack.call(people.bob, "place_bid", id="b1", auction_id=1, amount=1100)
    assert bob["auction"]["leader"] == "#3"
    assert (await kinds(stack, 1)).count("bid_placed") == 2


async def test_retries_inside_one_batch_get_the_first_reply_and_one_event(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin)
    replies = await asyncio.gather(
        *(stack.raw(people.ann, "place_bid", id="b1", auction_id=1, amount=1000) for _ in range(5))
    )
    assert len(set(replies)) == 1
    assert codec.decode(replies[0])["auction"]["current_bid"] == 1000
    assert (await kinds(stack, 1)).count("bid_placed") == 1


async def test_a_retry_after_a_restart_returns_the_stored_reply(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin)
    first = await stack.raw(people.ann, "place_bid", id="b1", auction_id=1, amount=1000)
    stack = await restart(stack)
    try:
        again = await stack.raw(people.ann, "place_bid", id="b1", auction_id=1, amount=1000)
        assert again == first
        assert (await kinds(stack, 1)).count("bid_placed") == 1
        fresh = await stack.call(people.bob, "place_bid", id="b1", auction_id=1, amount=1100)
        assert fresh["auction"]["current_bid"] == 1100
    finally:
        await stack.close()


@pytest.mark.parametrize(
    ("action", "fields"),
    [
        ("create_auction", lot()),
        ("create_sale", {"name": "Spring", "lots": [lot(), lot()]}),
        ("update_auction", {"auction_id": 1, "name": "Renamed"}),
        ("close_auction", {"auction_id": 1}),
        ("cancel_auction", {"auction_id": 1}),
        ("delete_auction", {"auction_id": 1}),
    ],
)
async def test_admin_writes_are_idempotent_too(
    stack: Stack, people: People, action: str, fields: dict[str, Any]
) -> None:
    await stack.create(people.admin)
    first = await stack.raw(people.admin, action, id="a1", **fields)
    versions = {i: len(await stack.store.load_events(i)) for i in range(1, 5)}
    assert await stack.raw(people.admin, action, id="a1", **fields) == first
    assert {i: len(await stack.store.load_events(i)) for i in range(1, 5)} == versions


async def test_create_sale_retried_after_a_restart_creates_nothing(
    stack: Stack, people: People
) -> None:
    fields = {"name": "Spring", "lots": [lot(), lot()]}
    first = await stack.raw(people.admin, "create_sale", id="s1", **fields)
    stack = await restart(stack)
    try:
        assert await stack.raw(people.admin, "create_sale", id="s1", **fields) == first
        assert await stack.store.load_events(3) == []
    finally:
        await stack.close()


async def refusal(stack: Stack, caller: Caller, action: str, **fields: Any) -> dict[str, Any]:
    with pytest.raises(AuctionError) as caught:
        await stack.raw(caller, action, **fields)
    return caught.value.to_wire()


async def test_a_refused_write_retried_gets_the_same_refusal_even_when_it_would_now_pass(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin)
    await stack.raw(people.bob, "place_bid", id="b0", auction_id=1, amount=1000)
    first = await refusal(stack, people.ann, "place_bid", id="b1", auction_id=1, amount=1000)
    assert first["code"] == "bid_too_low"
    # Rule 10: the same id gets the first reply and changes nothing, whatever it now carries.
    again = await refusal(stack, people.ann, "place_bid", id="b1", auction_id=1, amount=5000)
    assert again == first
    assert (await kinds(stack, 1)).count("bid_placed") == 1
    # Another id is another request.
    placed = await stack.call(people.ann, "place_bid", id="b2", auction_id=1, amount=5000)
    assert placed["auction"]["current_bid"] == 5000


async def test_a_refusal_outlives_a_restart_with_or_without_a_commit_in_its_batch(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin)
    await stack.raw(people.bob, "place_bid", id="b0", auction_id=1, amount=1000)
    alone = await refusal(stack, people.ann, "place_bid", id="b1", auction_id=1, amount=1000)
    # In one batch: a bid that commits and one refused beside it.
    outcomes = await asyncio.gather(
        stack.raw(people.ann, "place_bid", id="b2", auction_id=1, amount=2000),
        stack.raw(people.ann, "place_bid", id="b3", auction_id=1, amount=3000),
        return_exceptions=True,
    )
    beside = outcomes[1]
    assert isinstance(beside, AuctionError) and beside.code == "already_leading"
    stack = await restart(stack)
    try:
        retried = await refusal(stack, people.ann, "place_bid", id="b1", auction_id=1, amount=9000)
        assert retried == alone
        again = await refusal(stack, people.ann, "place_bid", id="b3", auction_id=1, amount=9000)
        assert again == beside.to_wire()
        assert (await kinds(stack, 1)).count("bid_placed") == 2
    finally:
        await stack.close()


async def test_an_id_first_refused_is_refused_again_by_another_write(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin)
    await stack.raw(people.admin, "close_auction", id="c1", auction_id=1)
    first = await refusal(stack, people.admin, "close_auction", id="c2", auction_id=1)
    sale = {"name": "Spring", "lots": [lot()]}
    assert await refusal(stack, people.admin, "create_sale", id="c2", **sale) == first


async def test_stored_replies_past_the_window_are_deleted_when_the_service_starts(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin, duration_s=30 * 24 * 3600)
    await stack.raw(people.ann, "place_bid", id="old", auction_id=1, amount=1000)
    stack.clock.advance(6 * 24 * 3600)
    await stack.raw(people.bob, "place_bid", id="new", auction_id=1, amount=1100)
    stack.clock.advance(1 * 24 * 3600 + 1)  # "old" is now just over 7 days old
    assert people.ann.user is not None and people.bob.user is not None
    stack = await restart(stack)
    try:
        ann, bob = people.ann.user.id, people.bob.user.id

        async def forgotten() -> bool:
            return await stack.store.stored_reply(ann, "old") is None

        await until(forgotten)
        assert await stack.store.stored_reply(bob, "new") is not None
        assert (await kinds(stack, 1)).count("bid_placed") == 2  # only replies go
    finally:
        await stack.close()


async def test_a_sale_is_created_in_one_write_with_its_reply_or_not_at_all(
    stack: Stack, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = {"name": "Spring", "lots": [lot(), lot(), lot()]}
    real_append_all = stack.store.append_all

    async def fails(commits: Any) -> Any:
        raise StoreUnavailable("memory", "the disk is full")

    monkeypatch.setattr(stack.store, "append_all", fails)
    with pytest.raises(AuctionError):
        await stack.raw(people.admin, "create_sale", id="s1", **fields)
    assert [await stack.store.load_events(i) for i in range(1, 4)] == [[], [], []]
    assert await stack.store.stored_reply(people.admin.user.id, "s1") is None

    writes: list[int] = []

    async def counted(commits: Any) -> Any:
        writes.append(len(commits))
        return await real_append_all(commits)

    monkeypatch.setattr(stack.store, "append_all", counted)
    first = codec.decode(await stack.raw(people.admin, "create_sale", id="s1", **fields))
    assert writes == [3]  # three lots and the reply: one transaction
    lots = first["sale"]["lots"]
    assert await stack.store.stored_reply(people.admin.user.id, "s1") is not None
    assert await stack.store.sale_lots(first["sale"]["id"]) == lots
    assert [a["status"] for a in first["auctions"]] == ["open", "scheduled", "scheduled"]
    assert (await stack.call(people.admin, "get_auction", auction_id=lots[0]))["auction"][
        "status"
    ] == "open"


@pytest.mark.parametrize("first", ["result", "refusal"])
async def test_a_sale_whose_id_another_process_stored_meanwhile_gets_that_reply(
    stack: Stack, people: People, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    """Two processes take the same create_sale id at once: the one that loses
    the race creates nothing and answers with the winner's stored reply."""
    admin_id = people.admin.user.id
    theirs = (
        b'{"sale":{"id":99},"auctions":[]}'
        if first == "result"
        else refusal_bytes(InvalidCommand("their refusal"))
    )
    real_append_all = stack.store.append_all
    written: list[list[int]] = []

    async def raced(commits: Any) -> Any:
        written.append([c.auction_id for c in commits])
        await stack.store.save_reply(admin_id, "s1", theirs)  # the other process, first
        return await real_append_all(commits)

    monkeypatch.setattr(stack.store, "append_all", raced)
    fields = {"name": "Spring", "lots": [lot(), lot()]}
    if first == "result":
        assert await stack.raw(people.admin, "create_sale", id="s1", **fields) == theirs
    else:
        with pytest.raises(AuctionError) as refused:
            await stack.raw(people.admin, "create_sale", id="s1", **fields)
        assert refused.value.code == "bad_request"
        assert "their refusal" in str(refused.value)
    [ids] = written
    assert [await stack.store.load_events(i) for i in ids] == [[], []]


# -- batching ------------------------------------------------------------------------


async def test_concurrent_bids_are_decided_in_order_and_committed_in_batches() -> None:
    stack = await Stack.build(bid_rate=0)
    try:
        admin = await stack.person("root", admin=True)
        ann, bob = await stack.person("ann"), await stack.person("bob")
        await stack.create(admin, min_increment=1)
        appends = stack.store.stats.appends
        count = 200
        replies = await asyncio.gather(
            *(
                stack.call(ann if i % 2 == 0 else bob, "place_bid", auction_id=1, amount=1000 + i)
                for i in range(count)
            )
        )
        assert [r["auction"]["current_bid"] for r in replies] == [1000 + i for i in range(count)]
        assert [r["auction"]["bid_count"] for r in replies] == list(range(1, count + 1))
        events = await stack.store.load_events(1)
        bids = [e for e in events if isinstance(e, engine.BidPlaced)]
        assert [b.amount for b in bids] == [1000 + i for i in range(count)]
        assert [b.seq for b in bids] == list(range(3, count + 3))
        assert stack.store.stats.appends - appends < 10  # batched, not one commit per bid
        assert engine.replay(1, events) == await stack.auctions.state(1)
    finally:
        await stack.close()


async def test_a_caller_that_goes_away_cancels_neither_its_write_nor_the_batch(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin, min_increment=1)
    first = asyncio.ensure_future(stack.raw(people.ann, "place_bid", auction_id=1, amount=1000))
    gone = asyncio.ensure_future(stack.raw(people.bob, "place_bid", auction_id=1, amount=1001))
    refused = asyncio.ensure_future(stack.raw(people.bob, "place_bid", auction_id=1, amount=1))
    last = asyncio.ensure_future(stack.raw(people.ann, "place_bid", auction_id=1, amount=1002))
    await asyncio.sleep(0)  # all four are queued on the auction's writer
    gone.cancel()
    refused.cancel()
    assert codec.decode(await first)["auction"]["current_bid"] == 1000
    assert codec.decode(await last)["auction"]["current_bid"] == 1002
    assert gone.cancelled() and refused.cancelled()
    events = await stack.store.load_events(1)
    assert [e.amount for e in events if isinstance(e, engine.BidPlaced)] == [1000, 1001, 1002]


async def test_a_batch_with_rejections_commits_only_the_accepted_bids(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin)
    results = await asyncio.gather(
        stack.raw(people.ann, "place_bid", auction_id=1, amount=1000),
        stack.raw(people.bob, "place_bid", auction_id=1, amount=1000),
        stack.raw(people.bob, "place_bid", auction_id=1, amount=1100),
        stack.raw(people.bob, "place_bid", auction_id=1, amount=1200),
        return_exceptions=True,
    )
    codes = [r.code if isinstance(r, AuctionError) else "ok" for r in results]
    assert codes == ["ok", "bid_too_low", "ok", "already_leading"]
    events = await stack.store.load_events(1)
    assert [e.amount for e in events if isinstance(e, engine.BidPlaced)] == [1000, 1100]
    assert engine.replay(1, events) == await stack.auctions.state(1)


# -- deadlines -----------------------------------------------------------------------


async def test_an_auction_that_ended_while_the_server_was_down_closes_at_its_end(
    stack: Stack, people: People
) -> None:
    created = await stack.create(people.admin, duration_s=60)
    await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    stack.clock.advance(3600)
    stack = await restart(stack)
    try:
        await until(lambda: _closed(stack, 1))
        auction = (await stack.call(people.admin, "get_auction", auction_id=1))["auction"]
        assert auction["closed_at"] == auction["ends_at"] == created["ends_at"]
        assert (auction["winner"], auction["price"], auction["close_reason"]) == (
            "#2",
            1000,
            "ended",
        )
        (purchase,) = await stack.store.purchases()
        assert purchase.at == START_MS + MINUTE_MS
        assert people.ann.user is not None
        notices = await stack.store.notices(people.ann.user.id)
        assert [n.kind for n in notices] == ["won"]
        assert notices[0].at == START_MS + MINUTE_MS
    finally:
        await stack.close()


async def _closed(stack: Stack, auction_id: int) -> bool:
    state = await stack.auctions.state(auction_id)
    return state is not None and state.status in (Status.CLOSED, Status.CANCELLED)


async def test_a_scheduled_auction_missed_while_down_opens_and_closes_at_its_own_times(
    stack: Stack, people: People
) -> None:
    starts = START_MS + 10_000
    await stack.create(people.admin, starts_at=format_time(starts), duration_s=60)
    assert await status_of(stack, 1) == "scheduled"
    stack.clock.advance(3600)
    stack = await restart(stack)
    try:
        await until(lambda: _closed(stack, 1))
        events = await stack.store.load_events(1)
        at = {e.event: e.at for e in events}
        assert at["auction_opened"] == starts
        assert at["auction_closed"] == starts + MINUTE_MS
        state = await stack.auctions.state(1)
        assert state is not None
        assert state.close_reason is not None
        assert state.close_reason.value == "no_bids"
    finally:
        await stack.close()


async def test_a_command_after_a_passed_deadline_first_closes_the_auction_at_its_end(
    stack: Stack, people: People
) -> None:
    created = await stack.create(people.admin, duration_s=60)
    await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    stack.clock.advance(61)  # the real timer is still a minute away
    late = await _refused(stack, people.bob, "place_bid", auction_id=1, amount=5000)
    assert late.code == "auction_not_open"
    auction = (await stack.call(people.admin, "get_auction", auction_id=1))["auction"]
    assert auction["closed_at"] == auction["ends_at"] == created["ends_at"]
    assert (auction["winner"], auction["price"]) == ("#2", 1000)
    assert (await kinds(stack, 1))[-2:] == ["unit_sold", "auction_closed"]


async def _refused(stack: Stack, caller: Caller, action: str, **fields: Any) -> AuctionError:
    with pytest.raises(AuctionError) as caught:
        await stack.raw(caller, action, **fields)
    return caught.value


async def test_a_soft_close_extension_moves_the_deadline(stack: Stack, people: People) -> None:
    await stack.create(people.admin, duration_s=60, soft_close_s=30)
    stack.clock.advance(50)
    placed = await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    assert placed["auction"]["ends_at"] == format_time(START_MS + 80_000)
    stack.clock.advance(20)  # past the original end, before the extended one
    await stack.call(people.bob, "place_bid", auction_id=1, amount=1100)
    assert await status_of(stack, 1) == "open"


async def test_the_timer_opens_a_scheduled_auction(stack: Stack, people: People) -> None:
    await stack.create(people.admin, starts_at=format_time(START_MS + 1), duration_s=60)
    assert await status_of(stack, 1) == "scheduled"
    stack.clock.advance(0.001)
    await until(lambda: _open(stack, 1))
    events = await stack.store.load_events(1)
    assert events[-1].event == "auction_opened"
    assert events[-1].at == START_MS + 1


async def _open(stack: Stack, auction_id: int) -> bool:
    return await status_of(stack, auction_id) == "open"


# -- sales ---------------------------------------------------------------------------


async def test_closing_a_lot_opens_the_next_at_the_close_time(stack: Stack, people: People) -> None:
    await stack.call(
        people.admin, "create_sale", name="Spring", lots=[lot(name="One"), lot(name="Two")]
    )
    assert [await status_of(stack, i) for i in (1, 2)] == ["open", "scheduled"]
    stack.clock.advance(10)
    await stack.call(people.admin, "close_auction", auction_id=1)
    await until(lambda: _open(stack, 2))
    second = (await stack.call(people.admin, "get_auction", auction_id=2))["auction"]
    assert second["starts_at"] == format_time(START_MS + 10_000)
    assert second["ends_at"] == format_time(START_MS + 70_000)


async def test_lots_missed_while_down_run_one_after_another_at_their_own_times(
    stack: Stack, people: People
) -> None:
    await stack.call(
        people.admin, "create_sale", name="Spring", lots=[lot(), lot(duration_s=120), lot()]
    )
    await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    stack.clock.advance(3600)
    stack = await restart(stack)
    try:
        await until(lambda: _closed(stack, 3))
        times = {}
        for auction_id in (1, 2, 3):
            events = await stack.store.load_events(auction_id)
            times[auction_id] = {e.event: e.at for e in events}
        assert times[1]["auction_closed"] == START_MS + MINUTE_MS
        assert times[2]["auction_opened"] == START_MS + MINUTE_MS
        assert times[2]["auction_closed"] == START_MS + 3 * MINUTE_MS
        assert times[3]["auction_opened"] == START_MS + 3 * MINUTE_MS
        assert times[3]["auction_closed"] == START_MS + 4 * MINUTE_MS
    finally:
        await stack.close()


async def test_countdown_lots_nobody_bids_on_pass_after_the_sales_minute(
    stack: Stack, people: People
) -> None:
    countdown = {"countdown_s": 10}
    created = await stack.call(
        people.admin, "create_sale", name="Live", lots=[lot(**countdown) for _ in range(3)]
    )
    assert [a["pass_after_s"] for a in created["auctions"]] == [60, 60, 60]  # the default
    assert created["auctions"][0]["passes_at"] == format_time(START_MS + MINUTE_MS)
    stack.clock.advance(3600)
    stack = await restart(stack)
    try:
        await until(lambda: _closed(stack, 3))
        for auction_id in (1, 2, 3):
            events = {e.event: e for e in await stack.store.load_events(auction_id)}
            assert events["auction_opened"].at == START_MS + (auction_id - 1) * MINUTE_MS
            closed = events["auction_closed"]
            assert isinstance(closed, AuctionClosed)
            assert closed.at == START_MS + auction_id * MINUTE_MS
            assert closed.reason.value == "no_bids"
    finally:
        await stack.close()


async def test_a_sale_sets_its_own_pass_time_and_a_lot_may_override_it(
    stack: Stack, people: People
) -> None:
    lots = [lot(countdown_s=10), lot(countdown_s=10, pass_after_s=5)]
    created = await stack.call(people.admin, "create_sale", name="Live", lots=lots, pass_after_s=30)
    assert [a["pass_after_s"] for a in created["auctions"]] == [30, 5]
    never = await stack.call(
        people.admin, "create_sale", name="Slow", lots=[lot(countdown_s=10)], pass_after_s=None
    )
    assert never["auctions"][0]["pass_after_s"] is None
    assert never["auctions"][0]["passes_at"] is None


async def test_a_cancelled_later_lot_is_skipped(stack: Stack, people: People) -> None:
    await stack.call(people.admin, "create_sale", name="Spring", lots=[lot(), lot()])
    await stack.call(people.admin, "cancel_auction", auction_id=2)
    await stack.call(people.admin, "close_auction", auction_id=1)
    for _ in range(20):
        await asyncio.sleep(0)
    assert await status_of(stack, 2) == "cancelled"


# -- notices and purchases -------------------------------------------------------------


async def test_an_ended_auction_stores_won_lost_notices_and_the_purchase(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin, name="Lamp")
    await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    await stack.call(people.bob, "place_bid", auction_id=1, amount=1100)
    stack.clock.advance(60)
    await stack.call(people.admin, "update_auction", auction_id=1, description="sold")
    assert people.ann.user is not None and people.bob.user is not None
    ann = [(n.kind, n.data) for n in await stack.store.notices(people.ann.user.id)]
    bob = [(n.kind, n.data) for n in await stack.store.notices(people.bob.user.id)]
    assert [k for k, _ in ann] == ["outbid", "auction_lost"]
    assert [k for k, _ in bob] == ["won"]
    assert bob[0][1]["price"] == 1100
    assert ann[1][1]["price"] == 1100
    purchases = await stack.store.purchases(people.bob.user.id)
    assert [(p.auction_id, p.price, p.at, p.buy_now) for p in purchases] == [
        (1, 1100, START_MS + MINUTE_MS, False)
    ]
    assert await stack.store.purchases(people.ann.user.id) == []


# -- publishing ------------------------------------------------------------------------


async def test_a_write_publishes_its_events_summaries_and_notices(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin, reserve=5000)
    await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    await asyncio.sleep(0)  # its events are published right after the reply
    assert people.ann.user is not None
    sink = Sink()
    topics = [auction_topic(1), AUCTIONS, AUCTIONS_ADMIN, user_topic(people.ann.user.id)]
    for topic in topics:
        await stack.hub.attach(topic, sink)
    await stack.call(people.bob, "place_bid", auction_id=1, amount=1100)
    await asyncio.sleep(0)  # publishing follows the replies
    (bid,) = sink.events(auction_topic(1))
    assert (bid["event"], bid["seq"], bid["topic"]) == ("bid_placed", 4, "auction:1")
    assert bid["data"]["amount"] == 1100
    (public,) = sink.events(AUCTIONS)
    assert (public["event"], public["topic"], public["seq"]) == ("auction_summary", "auctions", 4)
    assert "reserve" not in public["data"]
    (admin,) = sink.events(AUCTIONS_ADMIN)
    assert admin["topic"] == "auctions"
    assert admin["data"]["reserve"] == 5000
    (outbid,) = sink.events(user_topic(people.ann.user.id))
    assert (outbid["event"], outbid["topic"], outbid["seq"]) == ("outbid", "user:me", 1)


async def test_results_summaries_and_rows_are_the_plain_encodings_of_each_state(
    stack: Stack, people: People
) -> None:
    """Each state is rendered once per batch and reused: the bytes must not change."""
    await stack.create(people.admin, reserve=5000, min_increment=1)
    sink = Sink()
    for topic in (AUCTIONS, AUCTIONS_ADMIN):
        await stack.hub.attach(topic, sink)
    bidders = [people.ann, people.bob] * 3
    results = await asyncio.gather(
        *(
            stack.raw(who, "place_bid", auction_id=1, amount=1000 + i)
            for i, who in enumerate(bidders)
        ),
        stack.raw(people.admin, "close_auction", auction_id=1),
    )
    await asyncio.sleep(0)
    events = await stack.store.load_events(1)
    names = await stack.users.names({u.id for u in (people.ann.user, people.bob.user) if u})
    by_version = {}
    state = engine.new_auction(1)
    for event in events:
        state = engine.evolve(state, event)
        by_version[state.version] = state
    bids = [e for e in events if isinstance(e, engine.BidPlaced)]
    chain = await stack.store.log_hashes(1)  # each state shows its head
    for result, bid in zip(results[:-1], bids, strict=True):
        at = by_version[bid.version]
        public = public_view(auction_object(at, names=names, log_hash=chain[at.seq]))
        assert result == codec.encode({"auction": public})
    admin = auction_object(state, names=names, log_hash=chain[state.seq])
    assert results[-1] == codec.encode({"auction": admin})
    summaries = [f.data for t, f in sink.frames if t == AUCTIONS_ADMIN]
    assert summaries[-1] == codec.encode_event(
        "auction_summary", admin, topic=AUCTIONS, seq=state.seq
    )
    public_summaries = [f.data for t, f in sink.frames if t == AUCTIONS]
    assert public_summaries[-1] == codec.encode_event(
        "auction_summary", public_view(admin), topic=AUCTIONS, seq=state.seq
    )
    assert await stack.store.auction_row(1) == admin


class RemoteBroker(MemoryBroker):
    """Stands for Redis: other processes may listen, so every frame must go out."""

    delivers_inline = False


@pytest.mark.parametrize(
    ("broker", "beyond_the_auction"),
    [(MemoryBroker, set()), (RemoteBroker, {"user", AUCTIONS, AUCTIONS_ADMIN})],
)
async def test_frames_nobody_can_hear_are_not_even_encoded_but_a_remote_broker_gets_all(
    broker: type[MemoryBroker], beyond_the_auction: set[str]
) -> None:
    stack = await Stack.build(broker=broker)
    try:
        admin = await stack.person("root", admin=True)
        ann, bob = await stack.person("ann"), await stack.person("bob")
        await stack.create(admin)
        await asyncio.sleep(0.01)
        posted: list[str] = []
        real_post = stack.hub.post

        def post(topic: str, frame: Frame) -> None:
            posted.append("user" if topic.startswith("user:") else topic)
            real_post(topic, frame)

        stack.hub.post = post  # type: ignore[method-assign]
        await stack.call(ann, "place_bid", auction_id=1, amount=1000)
        await stack.call(bob, "place_bid", auction_id=1, amount=1100)  # ann is outbid
        await asyncio.sleep(0.01)
        assert auction_topic(1) in posted
        assert set(posted) - {auction_topic(1)} == beyond_the_auction
    finally:
        await stack.close()


async def test_private_auctions_are_summarised_only_to_admins(stack: Stack, people: People) -> None:
    sink = Sink()
    for topic in (AUCTIONS, AUCTIONS_ADMIN):
        await stack.hub.attach(topic, sink)
    await stack.create(people.admin, public=False)
    await asyncio.sleep(0)
    assert sink.events(AUCTIONS) == []
    assert len(sink.events(AUCTIONS_ADMIN)) == 1


async def test_hiding_an_auction_tells_the_public_feed_and_marks_the_frame(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin)
    await asyncio.sleep(0)  # its events are published right after the reply
    sink = Sink()
    for topic in (AUCTIONS, auction_topic(1)):
        await stack.hub.attach(topic, sink)
    await stack.call(people.admin, "update_auction", auction_id=1, public=False)
    await asyncio.sleep(0)
    assert [e["event"] for e in sink.events(AUCTIONS)] == ["auction_hidden"]
    assert sink.events(AUCTIONS)[0]["data"] == {"auction_id": 1}
    ((_, frame),) = [(t, f) for t, f in sink.frames if t == auction_topic(1)]
    assert frame.hides
    await stack.call(people.admin, "update_auction", auction_id=1, name="Still hidden")
    await asyncio.sleep(0)
    assert len(sink.events(AUCTIONS)) == 1  # no second notice while it stays hidden
    assert not sink.frames[-1][1].hides


async def test_deleting_marks_its_frame_as_hiding(stack: Stack, people: People) -> None:
    await stack.create(people.admin)
    await asyncio.sleep(0)  # its events are published right after the reply
    sink = Sink()
    await stack.hub.attach(auction_topic(1), sink)
    await stack.call(people.admin, "delete_auction", auction_id=1)
    await asyncio.sleep(0)
    assert [(codec.decode(f.data)["event"], f.hides) for _, f in sink.frames] == [
        ("auction_closed", False),
        ("auction_deleted", True),
    ]


async def test_frames_for_a_catch_up_come_from_the_cache_or_the_store_alike(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin)
    for i, caller in enumerate([people.ann, people.bob, people.ann]):
        await stack.call(caller, "place_bid", auction_id=1, amount=1000 + 100 * i)
    await asyncio.sleep(0)
    cached = await stack.auctions.frames(1, 2, 5)
    assert [f.seq for f in cached] == [3, 4, 5]
    assert await stack.auctions.frames(1, 5, 5) == []
    stack = await restart(stack)
    try:
        stored = await stack.auctions.frames(1, 2, 5)
        assert [f.data for f in stored] == [f.data for f in cached]
        assert [f.seq for f in await stack.auctions.frames(1, 0, 2)] == [1, 2]
    finally:
        await stack.close()


async def test_notice_frames_are_the_stored_notices_in_a_seq_range(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin)
    for i, caller in enumerate([people.ann, people.bob, people.ann, people.bob]):
        await stack.call(caller, "place_bid", auction_id=1, amount=1000 + 100 * i)
    assert people.ann.user is not None
    frames = await stack.auctions.notice_frames(people.ann.user.id, 0, 1)
    assert [codec.decode(f.data)["seq"] for f in frames] == [1]
    assert [f.seq for f in await stack.auctions.notice_frames(people.ann.user.id, 1, 9)] == [2]


# -- failures --------------------------------------------------------------------------


async def test_a_stale_cached_state_is_decided_again_on_the_stored_one() -> None:
    # Two server processes on one store, with a broker between them as deployed.
    stack = await Stack.build(broker=RemoteBroker)
    admin, ann, bob = (
        await stack.person("root", admin=True),
        await stack.person("ann"),
        await stack.person("bob"),
    )
    await stack.create(admin)
    await stack.auctions.state(1)  # cached here before the other process writes
    other = await Stack.build(clock=stack.clock, store=stack.store, broker=RemoteBroker)
    try:
        await other.raw(ann, "place_bid", auction_id=1, amount=1000)
        # Accepted on the stale state (no bid yet), refused on the stored one.
        low = await _refused(stack, bob, "place_bid", auction_id=1, amount=1000)
        assert low.code == "bid_too_low"
        assert stack.auctions.conflicts_retried == 1
        await other.raw(bob, "place_bid", auction_id=1, amount=2000)
        # Refused on the stale state (ann leads there), accepted on the stored one.
        placed = await stack.call(ann, "place_bid", auction_id=1, amount=3000)
        assert (placed["auction"]["bid_count"], placed["auction"]["current_bid"]) == (3, 3000)
        assert stack.auctions.conflicts_retried == 2
        assert engine.replay(1, await stack.store.load_events(1)) == await stack.auctions.state(1)
    finally:
        await other.close(close_store=False)
        await stack.close()


async def test_a_refusal_on_committed_state_is_answered_before_the_batch_commits(
    stack: Stack, people: People
) -> None:
    """One process (in-process broker): its cache is the truth, so no need to wait."""
    await stack.create(people.admin)
    await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    gate = asyncio.Event()
    real_append = stack.store.append

    async def held(commit: Commit) -> Any:
        await gate.wait()
        return await real_append(commit)

    stack.store.append = held  # type: ignore[method-assign]
    try:
        low = asyncio.ensure_future(stack.raw(people.bob, "place_bid", auction_id=1, amount=1))
        high = asyncio.ensure_future(stack.raw(people.bob, "place_bid", auction_id=1, amount=2000))
        on_top = asyncio.ensure_future(stack.raw(people.ann, "place_bid", auction_id=1, amount=1))
        await until(low.done)
        assert isinstance(low.exception(), AuctionError)  # while the batch still commits
        assert not high.done() and not on_top.done()  # this one rests on the uncommitted bid
        gate.set()
        assert codec.decode(await high)["auction"]["current_bid"] == 2000
        with pytest.raises(AuctionError):
            await on_top
    finally:
        stack.store.append = real_append  # type: ignore[method-assign]


async def test_a_request_first_written_by_another_process_gets_its_reply(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin)
    await stack.auctions.state(1)  # cached here before the other process writes
    other = await Stack.build(clock=stack.clock, store=stack.store)
    try:
        first = await other.raw(people.ann, "place_bid", id="r1", auction_id=1, amount=1000)
        assert await stack.raw(people.ann, "place_bid", id="r1", auction_id=1, amount=1000) == (
            first
        )
        assert (await kinds(stack, 1)).count("bid_placed") == 1
    finally:
        await other.close(close_store=False)


async def test_a_batch_that_keeps_losing_races_gets_conflict(
    stack: Stack, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    await stack.create(people.admin)
    tries: list[int] = []

    async def always_taken(commit: Commit) -> Any:
        tries.append(commit.expected_version)
        raise ConcurrencyConflict(commit.auction_id, commit.expected_version)

    monkeypatch.setattr(stack.store, "append", always_taken)
    lost = await _refused(stack, people.ann, "place_bid", auction_id=1, amount=1000)
    assert lost.to_wire() == {"code": "conflict", "message": "Try again"}
    assert len(tries) == 3
    monkeypatch.undo()
    placed = await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    assert placed["auction"]["bid_count"] == 1


async def test_a_store_failure_is_internal_and_nothing_is_cached(
    stack: Stack, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    await stack.create(people.admin)
    await stack.store.close()
    with caplog.at_level(logging.CRITICAL, logger="auctioneer.service.auctions"):
        error = await _refused(stack, people.ann, "place_bid", auction_id=1, amount=1000)
    assert error.code == "internal"
    await stack.store.open()
    placed = await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    assert placed["auction"]["bid_count"] == 1


async def test_work_for_an_auction_that_does_not_exist_is_not_found(stack: Stack) -> None:
    with pytest.raises(NotFound):
        await stack.auctions.submit(42, Work(Tick()))
    assert await stack.auctions.state(42) is None


async def test_stop_finishes_writes_and_refuses_new_ones(stack: Stack, people: People) -> None:
    await stack.create(people.admin, duration_s=60)
    pending = asyncio.ensure_future(stack.raw(people.ann, "place_bid", auction_id=1, amount=1000))
    await asyncio.sleep(0)
    await stack.auctions.stop()
    assert codec.decode(await pending)["auction"]["current_bid"] == 1000
    with pytest.raises(RuntimeError):
        await stack.raw(people.bob, "place_bid", auction_id=1, amount=1100)


async def test_a_lot_cancelled_before_its_turn_is_skipped_for_the_next(
    stack: Stack, people: People
) -> None:
    await stack.call(people.admin, "create_sale", name="Spring", lots=[lot(), lot(), lot()])
    await stack.call(people.admin, "cancel_auction", auction_id=2)
    stack.clock.advance(5)
    await stack.call(people.admin, "close_auction", auction_id=1)
    await until(lambda: _open(stack, 3))
    third = (await stack.call(people.admin, "get_auction", auction_id=3))["auction"]
    assert third["starts_at"] == format_time(START_MS + 5_000)
    assert await status_of(stack, 2) == "cancelled"


async def test_a_shutdown_right_after_a_lot_closes_opens_the_next_lot_on_restart(
    stack: Stack, people: People
) -> None:
    await stack.call(people.admin, "create_sale", name="Spring", lots=[lot(), lot()])
    stack.clock.advance(5)
    await stack.call(people.admin, "close_auction", auction_id=1)
    stack = await restart(stack)  # before the next lot's opening could run
    try:
        await until(lambda: _open(stack, 2))
        second = (await stack.call(people.admin, "get_auction", auction_id=2))["auction"]
        assert second["starts_at"] == format_time(START_MS + 5_000)
    finally:
        await stack.close()


async def test_a_timer_whose_write_fails_is_logged_and_the_end_still_comes_at_its_time(
    stack: Stack, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    created = await stack.create(people.admin, duration_s=60)
    await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    stack.clock.advance(120)
    await stack.close(close_store=False)
    stack = await Stack.build(clock=stack.clock, store=stack.store)  # its timer is due now
    try:
        await stack.store.close()  # before the timer's Tick can write
        with caplog.at_level(logging.ERROR, logger="auctioneer.service.auctions"):
            await until(lambda: "timer command failed" in caplog.text)
        await stack.store.open()
        late = await _refused(stack, people.bob, "place_bid", auction_id=1, amount=2000)
        assert late.code == "auction_not_open"
        auction = (await stack.call(people.admin, "get_auction", auction_id=1))["auction"]
        assert auction["closed_at"] == created["ends_at"]
        assert auction["winner"] == "#2"
    finally:
        await stack.close()


async def test_a_crash_between_a_lots_close_and_the_next_opening_is_repaired_on_start(
    stack: Stack, people: People
) -> None:
    await stack.call(people.admin, "create_sale", name="Spring", lots=[lot(), lot()])
    await stack.close(close_store=False)
    # What a process that died right after committing lot 1's close leaves behind.
    store, clock = stack.store, stack.clock
    clock.advance(5)
    before = engine.replay(1, await store.load_events(1))
    events = engine.decide(before, engine.CloseAuction(), clock.now_ms())
    after = engine.replay(1, [*await store.load_events(1), *events])
    assert after.spec is not None
    await store.append(
        Commit(
            auction_id=1,
            expected_version=before.version,
            events=events,
            row=auction_object(after),
            status=after.status.value,
            public=after.spec.public,
            deleted=after.deleted,
            sale_id=after.sale_id,
        )
    )
    clock.advance(30)
    stack = await Stack.build(clock=clock, store=store)
    try:
        await until(lambda: _open(stack, 2))
        second = (await stack.call(people.admin, "get_auction", auction_id=2))["auction"]
        assert second["starts_at"] == format_time(START_MS + 5_000)
        assert second["ends_at"] == format_time(START_MS + 65_000)
    finally:
        await stack.close()


async def test_a_retry_after_the_reply_cache_was_cleared_still_gets_the_first_reply(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin)
    first = await stack.raw(people.admin, "update_auction", id="u1", auction_id=1, name="New")
    # What 200,000 idempotent writes in one process do: the next write clears the cache.
    stack.auctions.replies._cache.update({(999, str(i)): b"{}" for i in range(200_001)})
    await stack.raw(people.bob, "place_bid", id="x", auction_id=1, amount=1000)
    retry, other = await asyncio.gather(
        stack.raw(people.admin, "update_auction", id="u1", auction_id=1, name="New"),
        stack.raw(people.ann, "place_bid", id="y", auction_id=1, amount=1100),
        return_exceptions=True,
    )
    assert retry == first
    assert isinstance(other, bytes)


async def test_a_bid_at_the_exact_end_is_too_late_and_one_ms_before_is_in_time(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin, duration_s=60)
    await stack.create(people.admin, duration_s=60)
    stack.clock.advance(59.999)
    placed = await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    assert placed["auction"]["bid_count"] == 1
    stack.clock.advance(0.001)
    late = await _refused(stack, people.bob, "place_bid", auction_id=2, amount=1000)
    assert late.code == "auction_not_open"
    state = await stack.auctions.state(2)
    assert state is not None
    assert state.closed_at == START_MS + MINUTE_MS


async def test_a_command_after_a_multi_unit_round_ended_lands_in_the_next_round(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin, quantity=2, duration_s=60)
    await stack.call(people.ann, "place_bid", auction_id=1, amount=1500)
    stack.clock.advance(61)
    placed = await stack.call(people.bob, "place_bid", auction_id=1, amount=1000)
    auction = placed["auction"]
    assert (auction["round"], auction["current_bid"], auction["units_left"]) == (2, 1000, 1)
    assert auction["sales"] == [{"round": 1, "winner": "#2", "price": 1500}]
    assert auction["ends_at"] == format_time(START_MS + 2 * MINUTE_MS)
    (sold,) = [e for e in await stack.store.load_events(1) if isinstance(e, engine.UnitSold)]
    assert sold.at == START_MS + MINUTE_MS
