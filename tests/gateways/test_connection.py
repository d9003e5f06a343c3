"""One client connection driven directly: raw JSON in with receive(), out through a test Sink."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import orjson
import pytest

from auctioneer import __version__
from auctioneer.engine.events import Event
from auctioneer.gateways.connection import Connection
from auctioneer.gateways.errors import MessageTooLarge
from auctioneer.pubsub.memory import MemoryBroker
from auctioneer.service.ports import Commit, Frame, StoredNotice
from auctioneer.service.users import Caller
from auctioneer.store.memory import MemoryStore
from auctioneer.wire import messages as m
from auctioneer.wire.timefmt import format_time
from tests.service.stack import PASSWORD, START_MS, Stack

QUIET_S = 0.01  # how long the connection must stay quiet before a read is over


async def _turns(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


class YieldingStore(MemoryStore):
    """The memory store, but every read and write gives the loop a turn, as real I/O does.

    That lets bids commit and publish while a subscriber is between its listen
    and its catch-up read: the seam the connection must get right.
    """

    async def append(self, commit: Commit) -> list[StoredNotice]:
        await asyncio.sleep(0)
        return await super().append(commit)

    async def load_events(
        self, auction_id: int, after_version: int = 0, *, limit: int | None = None
    ) -> list[Event]:
        await _turns(8)
        return await super().load_events(auction_id, after_version, limit=limit)

    async def bids(
        self, auction_id: int, *, before_seq: int | None = None, limit: int = 100
    ) -> list[Event]:
        await _turns(20)
        return await super().bids(auction_id, before_seq=before_seq, limit=limit)

    async def last_notice_seq(self, user_id: int) -> int:
        await _turns(4)
        return await super().last_notice_seq(user_id)

    async def notices(self, user_id: int, after_seq: int = 0) -> list[StoredNotice]:
        await _turns(8)
        return await super().notices(user_id, after_seq)


@contextlib.contextmanager
def held(stack: Stack, client: Client, action: str | None = None) -> Iterator[Callable[[], None]]:
    """Hold the client's requests (of `action`, or all) at the API until `release()`."""
    gate = asyncio.Event()
    original = stack.api.handle

    async def waiting(
        caller: Caller, name: str, request: m.Request, request_id: str | None = None
    ) -> bytes:
        if caller is client.conn.caller and action in (None, name):
            await gate.wait()
        return await original(caller, name, request, request_id)

    stack.api.handle = waiting  # type: ignore[method-assign,assignment]
    try:
        yield gate.set
    finally:
        stack.api.handle = original  # type: ignore[method-assign]
        gate.set()


class HoppingBroker(MemoryBroker):
    """The memory broker with the hops of a remote one: a listen and each publish
    take turns of the loop, so frames can arrive while a subscriber catches up."""

    delivers_inline = False

    async def publish(self, topic: str, frame: Frame) -> None:
        await asyncio.sleep(0)
        await super().publish(topic, frame)

    async def listen(self, topic: str) -> None:
        await asyncio.sleep(0)
        await asyncio.sleep(0)


class Client:
    """A test client on one Connection: sends raw JSON, reads what is sent back.

    It is the connection's Sink, and a paused one outside `read()`, as a
    transport is while its buffer is full: so a test can play a client that
    stops reading.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.counter = 0
        self.inbox: list[dict[str, Any]] = []
        self.seen = 0
        self.closed_with: str | None = None
        conn.pause_writing()
        conn.sink = self

    def write(self, items: list[bytes | Frame]) -> None:
        for item in items:
            self.inbox.append(orjson.loads(item.data if isinstance(item, Frame) else item))

    def closed(self, reason: str) -> None:
        self.closed_with = reason

    async def send(self, message: dict[str, Any] | bytes | str) -> None:
        raw = message if isinstance(message, bytes | str) else orjson.dumps(message)
        await self.conn.receive(raw)

    async def read(self, *, reply_to: str | None = None) -> list[dict[str, Any]]:
        """Everything sent since the last read, once the connection has gone quiet.

        Quiet means no new message for QUIET_S and for many turns of the loop
        (so a loaded machine cannot end a read in the middle of a chain of
        awaits); with `reply_to`, the read also waits for that reply.
        """
        loop = asyncio.get_running_loop()
        self.conn.resume_writing()
        try:
            async with asyncio.timeout(10):
                count, quiet_since = len(self.inbox), loop.time()
                while True:
                    for _ in range(50):
                        await asyncio.sleep(0)
                    if len(self.inbox) != count:
                        count, quiet_since = len(self.inbox), loop.time()
                        continue
                    waiting = reply_to is not None and not any(
                        m.get("id") == reply_to for m in self.inbox[self.seen :]
                    )
                    done = self.closed_with is not None
                    if not waiting and (done or loop.time() - quiet_since >= QUIET_S):
                        break
                    await asyncio.sleep(0.001)
        finally:
            self.conn.pause_writing()
        new, self.seen = self.inbox[self.seen :], len(self.inbox)
        return new

    async def call(self, action: str, **fields: Any) -> dict[str, Any]:
        """Send one request and return its reply (events read meanwhile are dropped)."""
        self.counter += 1
        rid = f"c{self.counter}"
        await self.send({"id": rid, "action": action, **fields})
        for message in await self.read(reply_to=rid):
            if message.get("id") == rid:
                return message
        raise AssertionError(f"no reply to {action}")

    async def ok(self, action: str, **fields: Any) -> Any:
        reply = await self.call(action, **fields)
        assert reply["ok"], reply
        return reply["result"]


def events(messages: list[dict[str, Any]], topic: str | None = None) -> list[dict[str, Any]]:
    return [m for m in messages if "event" in m and topic in (None, m.get("topic"))]


def seqs(messages: list[dict[str, Any]], topic: str) -> list[int]:
    return [m["seq"] for m in events(messages, topic)]


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    stack = await Stack.build()
    # Latest-mode timing is the hub's (tests/pubsub); here the newest frame
    # reaches the connection on the next turn of the loop, as the reads expect.
    stack.hub.latest_interval_s = 0.0
    yield stack
    await stack.close()


@pytest.fixture
async def admin(stack: Stack) -> Caller:
    return await stack.person("root", admin=True)


async def connect(stack: Stack, login: str | None = None, **options: Any) -> Client:
    """A connection with the welcome already read; logged in as `login` if given."""
    client = Client(Connection(stack.api, stack.hub, address="10.1.1.1", **options))
    (welcome,) = await client.read()
    assert welcome["event"] == "welcome"
    if login is not None:
        if await stack.store.user_by_name(login) is None:
            await stack.users.register(login, PASSWORD)
        await client.ok("login", username=login, password=PASSWORD)
    return client


async def bid(stack: Stack, who: str, amount: int, auction_id: int = 1) -> dict[str, Any]:
    """Place a bid for `who` outside the connections under test."""
    caller = stack.callers.get(who)
    if caller is None:
        if await stack.store.user_by_name(who) is None:
            await stack.users.register(who, PASSWORD)
        caller = stack.callers[who] = Caller()
        await stack.users.login(caller, who, PASSWORD)
    result: dict[str, Any] = await stack.call(
        caller, "place_bid", auction_id=auction_id, amount=amount
    )
    await _turns(3)  # its events are published just after its reply
    return result


# -- requests and replies ----------------------------------------------------------


async def test_the_first_message_is_the_welcome(stack: Stack) -> None:
    client = Client(Connection(stack.api, stack.hub))
    assert await client.read() == [
        {
            "event": "welcome",
            "data": {
                "protocol": 1,
                "server_time": format_time(START_MS),
                "server": f"auctioneer {__version__}",
            },
        }
    ]


async def test_a_reply_echoes_the_id_and_no_id_means_none(stack: Stack) -> None:
    client = await connect(stack)
    await client.send({"id": "r1", "action": "ping"})
    await client.send({"action": "ping"})
    await client.send('{"action":"ping","id":"text"}')
    assert await client.read() == [
        {"id": "r1", "ok": True, "result": {"server_time": format_time(START_MS)}},
        {"ok": True, "result": {"server_time": format_time(START_MS)}},
        {"id": "text", "ok": True, "result": {"server_time": format_time(START_MS)}},
    ]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "bad_request"),
        (b"[1,2]", "bad_request"),
        (b'{"action": "place_bid", "auction_id": 1, "amount": NaN}', "bad_request"),
        (b'{"id":"r","action":"place_bid","auction_id":1,"amount":1.5}', "invalid_amount"),
        (b'{"id":"r","action":"fly"}', "unknown_action"),
        (b"\xff\xfe", "bad_request"),
        (b'{"id":"\\ud800","action":"ping"}', "bad_request"),
        (b'{"id":"r","action":"\\ud800"}', "bad_request"),
    ],
)
async def test_a_bad_request_gets_an_error_and_the_connection_goes_on(
    stack: Stack, raw: bytes, code: str
) -> None:
    client = await connect(stack)
    await client.send(raw)
    await client.send({"id": "after", "action": "ping"})
    error, after = await client.read()
    assert error["ok"] is False
    assert error["error"]["code"] == code
    assert after["id"] == "after"
    assert not client.conn.closed


async def test_an_error_reply_echoes_the_id_and_carries_the_error_fields(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin)
    client = await connect(stack, "ann")
    reply = await client.call("place_bid", auction_id=1, amount=5)
    assert reply == {
        "id": "c2",
        "ok": False,
        "error": {"code": "bid_too_low", "message": "Bid must be at least 10.00", "minimum": 1000},
    }


async def test_pipelined_replies_come_back_in_request_order() -> None:
    clock_stack = await Stack.build(store=await _open(YieldingStore()))
    try:
        await clock_stack.create(await clock_stack.person("boss", admin=True))
        client = await connect(clock_stack)
        for i in range(30):
            # get_auction waits on the store; ping answers at once.
            action = "get_auction" if i % 3 == 0 else "ping"
            await client.send({"id": f"r{i}", "action": action, "auction_id": 1})
        replies = await client.read()
        assert [r["id"] for r in replies] == [f"r{i}" for i in range(30)]
        assert all(r["ok"] for r in replies)
    finally:
        await clock_stack.close()


async def _open(store: MemoryStore) -> MemoryStore:
    await store.open()
    return store


async def test_a_client_may_have_only_max_in_flight_requests_running(stack: Stack) -> None:
    client = await connect(stack, max_in_flight=2)
    with held(stack, client) as release:
        await client.send({"id": "1", "action": "ping"})
        await client.send({"id": "2", "action": "ping"})
        third = asyncio.create_task(client.send({"id": "3", "action": "ping"}))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not third.done()  # waits until an earlier request is answered
        release()
        await asyncio.wait_for(third, 1)
    assert [r["id"] for r in await client.read()] == ["1", "2", "3"]


async def test_login_on_one_connection_and_auth_on_another(stack: Stack) -> None:
    await stack.users.register("ann", PASSWORD)
    first = await connect(stack)
    login = await first.ok("login", username="ann", password=PASSWORD)
    second = await connect(stack)
    assert await second.ok("auth", token=login["token"]) == {"user": login["user"]}
    assert second.conn.caller.user is not None


async def test_an_unexpected_failure_is_answered_internal_and_the_connection_goes_on(
    stack: Stack, admin: Caller, caplog: pytest.LogCaptureFixture
) -> None:
    await stack.create(admin)
    client = await connect(stack, "ann")
    await stack.auctions.stop()  # the writers refuse new work: not an AuctionError
    with caplog.at_level(logging.CRITICAL, logger="auctioneer.gateways.connection"):
        await client.send({"id": "b1", "action": "place_bid", "auction_id": 1, "amount": 1000})
        await client.send({"id": "p", "action": "ping"})
        failed, ping = await client.read()
    assert failed["ok"] is False
    assert failed["error"]["code"] == "internal"
    assert ping["id"] == "p"


async def test_an_internal_error_reply_still_echoes_the_id(
    stack: Stack, admin: Caller, caplog: pytest.LogCaptureFixture
) -> None:
    await stack.create(admin)
    client = await connect(stack, "ann")
    await stack.auctions.stop()
    with caplog.at_level(logging.CRITICAL, logger="auctioneer.gateways.connection"):
        reply = await client.call("place_bid", auction_id=1, amount=1000)
    assert reply["error"]["code"] == "internal"


# -- subscriptions ----------------------------------------------------------------


async def test_subscribe_replies_with_the_seq_then_sends_live_events(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin)
    client = await connect(stack)
    assert await client.ok("subscribe", topic="auction:1") == {"topic": "auction:1", "seq": 2}
    await bid(stack, "ann", 1000)
    (live,) = await client.read()
    assert (live["event"], live["topic"], live["seq"]) == ("bid_placed", "auction:1", 3)
    assert live["data"]["bidder"] == "#2"
    assert "id" not in live


async def test_subscribe_with_since_sends_reply_then_catch_up_then_live(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin)
    for i, who in enumerate(["ann", "bob", "ann"]):
        await bid(stack, who, 1000 + 100 * i)
    client = await connect(stack)
    await client.send({"id": "s", "action": "subscribe", "topic": "auction:1", "since": 2})
    messages = await client.read(reply_to="s")
    assert messages[0] == {"id": "s", "ok": True, "result": {"topic": "auction:1", "seq": 5}}
    assert seqs(messages, "auction:1") == [3, 4, 5]
    await bid(stack, "bob", 1300)
    assert seqs(await client.read(), "auction:1") == [6]


@pytest.mark.parametrize(("since", "expected"), [(0, [1, 2, 3]), (3, []), (99, [])])
async def test_since_is_clamped_to_the_topics_seq(
    stack: Stack, admin: Caller, since: int, expected: list[int]
) -> None:
    await stack.create(admin)
    await bid(stack, "ann", 1000)
    client = await connect(stack)
    await client.send({"action": "subscribe", "topic": "auction:1", "since": since})
    reply, *rest = await client.read()
    assert reply["result"] == {"topic": "auction:1", "seq": 3}
    assert seqs(rest, "auction:1") == expected


async def test_the_catch_up_after_a_restart_comes_from_the_store() -> None:
    stack = await Stack.build()
    boss = await stack.person("boss", admin=True)
    await stack.create(boss)
    await bid(stack, "ann", 1000)
    await stack.close(close_store=False)
    stack = await Stack.build(clock=stack.clock, store=stack.store)
    try:
        client = await connect(stack)
        await client.send({"action": "subscribe", "topic": "auction:1", "since": 0})
        messages = await client.read()
        assert [m.get("event") for m in messages[1:]] == [
            "auction_created",
            "auction_opened",
            "bid_placed",
        ]
    finally:
        await stack.close()


@pytest.mark.parametrize("catch_up_from", ["cache", "store"])
async def test_events_published_during_the_catch_up_come_once_and_in_order(
    catch_up_from: str,
) -> None:
    stack = await Stack.build(store=await _open(YieldingStore()), broker=HoppingBroker, bid_rate=0)
    try:
        boss = await stack.person("boss", admin=True)
        ann, bob = await stack.person("ann"), await stack.person("bob")
        await stack.create(boss, min_increment=1)
        await stack.call(ann, "place_bid", auction_id=1, amount=1000)
        if catch_up_from == "store":  # a new process: no frame cache yet
            stack = await Stack.build(
                clock=stack.clock, store=stack.store, broker=HoppingBroker, bid_rate=0
            )
        count = 120

        async def bidding() -> None:
            for i in range(count):
                caller = bob if i % 2 == 0 else ann
                await stack.call(caller, "place_bid", auction_id=1, amount=1001 + i)

        clients: list[tuple[Client, int]] = []

        async def subscribing() -> None:
            for n in range(40):
                client = await connect(stack)
                if n % 2:  # a request ahead holds the subscribe reply back a little
                    await client.send({"id": "ahead", "action": "get_auction", "auction_id": 1})
                since = n % 4  # some from the start, some from a little later
                await client.send({"action": "subscribe", "topic": "auction:1", "since": since})
                clients.append((client, since))
                for _ in range(n % 5 + 1):
                    await asyncio.sleep(0)

        await asyncio.gather(bidding(), subscribing())
        final = count + 3
        for client, since in clients:
            messages = await client.read()
            assert all(m["ok"] for m in messages if "ok" in m)
            assert seqs(messages, "auction:1") == list(range(since + 1, final + 1))
    finally:
        await stack.close()


async def test_notices_published_during_the_catch_up_come_once_and_in_order() -> None:
    stack = await Stack.build(store=await _open(YieldingStore()), broker=HoppingBroker, bid_rate=0)
    try:
        boss = await stack.person("boss", admin=True)
        ann, bob = await stack.person("ann"), await stack.person("bob")
        await stack.create(boss, min_increment=1)
        rounds = 60

        async def bidding(first: int, last: int) -> None:
            for i in range(first, last):  # every bob bid outbids ann: one notice each
                await stack.call(ann, "place_bid", auction_id=1, amount=1000 + 2 * i)
                await stack.call(bob, "place_bid", auction_id=1, amount=1001 + 2 * i)

        await bidding(0, 3)  # so every `since` below is within the topic's seq

        clients: list[tuple[Client, int]] = []
        logged_in = [await connect(stack, "ann") for _ in range(30)]  # no threads later

        async def subscribing() -> None:
            for n, client in enumerate(logged_in):
                since = n % 3
                await client.send({"action": "subscribe", "topic": "user:me", "since": since})
                clients.append((client, since))
                for _ in range(n % 7 + 1):
                    await asyncio.sleep(0)

        await asyncio.gather(bidding(3, rounds), subscribing())
        for client, since in clients:
            assert seqs(await client.read(), "user:me") == list(range(since + 1, rounds + 1))
    finally:
        await stack.close()


async def test_subscribing_to_a_private_auction_is_not_found_for_bidders(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin, public=False)
    for client in (await connect(stack), await connect(stack, "ann")):
        reply = await client.call("subscribe", topic="auction:1")
        assert reply["error"]["code"] == "not_found"
        reply = await client.call("subscribe", topic="auction:2")
        assert reply["error"]["code"] == "not_found"
    assert stack.hub.subscribers("auction:1") == frozenset()
    root = await connect(stack)
    await root.ok("login", username="root", password=PASSWORD)
    assert (await root.ok("subscribe", topic="auction:1"))["seq"] == 2


async def test_a_bad_topic_is_a_bad_request(stack: Stack) -> None:
    client = await connect(stack)
    for topic in ("auction:0", "user:7", "auctions:admin", "bids"):
        reply = await client.call("subscribe", topic=topic)
        assert reply["error"]["code"] == "bad_request"
        assert reply["error"]["field"] == "topic"


async def test_the_auctions_feed_replies_seq_0_and_ignores_since(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin, reserve=5000)
    client = await connect(stack)
    assert await client.ok("subscribe", topic="auctions", since=1) == {
        "topic": "auctions",
        "seq": 0,
    }
    assert await client.read() == []
    await bid(stack, "ann", 1000)
    (summary,) = await client.read()
    assert (summary["event"], summary["topic"], summary["seq"]) == (
        "auction_summary",
        "auctions",
        3,
    )
    assert summary["data"]["current_bid"] == 1000
    assert "reserve" not in summary["data"]


async def test_admins_get_the_admin_summaries_under_the_auctions_name(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin, reserve=5000)
    await stack.create(admin, public=False)
    client = await connect(stack, "root")
    await client.ok("subscribe", topic="auctions")
    await bid(stack, "ann", 1000)
    await stack.call(admin, "update_auction", auction_id=2, name="Secret")
    first, second = await client.read()
    assert first["topic"] == second["topic"] == "auctions"
    assert (first["data"]["reserve"], first["data"]["leader_username"]) == (5000, "ann")
    assert second["data"]["name"] == "Secret"


async def test_user_me_needs_a_login(stack: Stack) -> None:
    client = await connect(stack)
    reply = await client.call("subscribe", topic="user:me")
    assert reply["error"]["code"] == "unauthorized"


async def test_user_me_catches_up_on_notices_then_goes_live(stack: Stack, admin: Caller) -> None:
    await stack.create(admin)
    await stack.person("ann")
    await bid(stack, "ann", 1000)
    await bid(stack, "bob", 1100)  # ann's first outbid
    client = await connect(stack)
    await client.ok("login", username="ann", password=PASSWORD)
    await client.send({"action": "subscribe", "topic": "user:me", "since": 0})
    await bid(stack, "ann", 1200)
    await bid(stack, "bob", 1300)  # the second, live
    messages = await client.read()
    assert messages[0]["result"] == {"topic": "user:me", "seq": 1}
    notices = events(messages, "user:me")
    assert [(n["event"], n["seq"], n["data"]["amount"]) for n in notices] == [
        ("outbid", 1, 1100),
        ("outbid", 2, 1300),
    ]


async def test_another_users_notices_never_arrive(stack: Stack, admin: Caller) -> None:
    await stack.create(admin)
    bob_client = await connect(stack, "bob")
    await bob_client.ok("subscribe", topic="user:me")
    await bid(stack, "ann", 1000)
    await bid(stack, "bob", 1100)
    assert events(await bob_client.read()) == []


async def test_unsubscribe_stops_the_feed(stack: Stack, admin: Caller) -> None:
    await stack.create(admin)
    client = await connect(stack)
    await client.ok("subscribe", topic="auction:1")
    await client.ok("subscribe", topic="auctions")
    assert await client.ok("unsubscribe", topic="auction:1") == {}
    assert await client.ok("unsubscribe", topic="auction:77") == {}  # never subscribed
    await bid(stack, "ann", 1000)
    assert [m["topic"] for m in await client.read()] == ["auctions"]
    assert stack.hub.subscribers("auction:1") == frozenset()
    reply = await client.call("unsubscribe", topic="nope")
    assert reply["error"]["code"] == "bad_request"


async def test_an_admin_unsubscribes_from_auctions_by_its_wire_name(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin)
    client = await connect(stack, "root")
    await client.ok("subscribe", topic="auctions")
    await client.ok("unsubscribe", topic="auctions")
    await bid(stack, "ann", 1000)
    assert await client.read() == []
    assert stack.hub.subscribers("auctions:admin") == frozenset()


async def test_subscribing_again_replaces_the_subscription_without_duplicates(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin)
    client = await connect(stack)
    await client.ok("subscribe", topic="auction:1")
    await client.ok("subscribe", topic="auction:1", since=1)
    await bid(stack, "ann", 1000)
    assert seqs(await client.read(), "auction:1") == [3]
    assert len(stack.hub.subscribers("auction:1")) == 1


async def test_making_an_auction_private_ends_a_bidders_feed_but_not_an_admins(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin)
    bidder = await connect(stack, "ann")
    root = await connect(stack, "root")
    for client in (bidder, root):
        await client.ok("subscribe", topic="auction:1")
    await stack.call(admin, "update_auction", auction_id=1, public=False)
    await stack.call(admin, "close_auction", auction_id=1)
    assert [m["event"] for m in await bidder.read()] == ["auction_updated"]
    assert [m["event"] for m in await root.read()] == ["auction_updated", "auction_closed"]
    assert stack.hub.subscribers("auction:1") == frozenset({root.conn})


async def test_a_writer_gets_its_reply_before_the_events_its_write_caused(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin)
    await bid(stack, "bob", 1000)
    client = await connect(stack, "ann")
    await client.ok("subscribe", topic="auction:1")
    await client.ok("subscribe", topic="auctions")
    await client.send({"id": "b", "action": "place_bid", "auction_id": 1, "amount": 1100})
    messages = await client.read()
    assert [m.get("id") or m["event"] for m in messages] == ["b", "bid_placed", "auction_summary"]


async def test_a_pipelined_writer_gets_its_reply_before_the_events_its_write_caused(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin)
    client = await connect(stack, "ann")
    await client.ok("subscribe", topic="auction:1")
    with held(stack, client, "get_auction") as release:
        await client.send({"id": "read", "action": "get_auction", "auction_id": 1})
        await client.send({"id": "b", "action": "place_bid", "auction_id": 1, "amount": 1000})
        for _ in range(20):
            await asyncio.sleep(0)  # the bid commits while the read is still running
        release()
        messages = await client.read()
    assert [m.get("id") or m["event"] for m in messages] == ["read", "b", "bid_placed"]


# -- slow consumers ----------------------------------------------------------------


async def test_a_full_feed_subscriber_that_does_not_read_is_dropped(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin, min_increment=1)
    client = await connect(stack, queue_limit=5)
    dropped: list[bool] = []
    client.conn.on_overflow = lambda: dropped.append(True)
    await client.ok("subscribe", topic="auction:1")
    for i in range(5):
        await bid(stack, "ann" if i % 2 == 0 else "bob", 1000 + i)
    assert not client.conn.closed  # exactly at the limit
    await bid(stack, "bob", 2000)
    assert client.conn.closed
    assert dropped == [True]
    assert "resume with since" in (client.conn.close_reason or "")
    assert await client.read() == []


async def test_a_reader_that_keeps_up_is_never_dropped(stack: Stack, admin: Caller) -> None:
    await stack.create(admin, min_increment=1)
    client = await connect(stack, queue_limit=2)
    await client.ok("subscribe", topic="auction:1")
    got: list[int] = []
    for i in range(20):
        await bid(stack, "ann" if i % 2 == 0 else "bob", 1000 + i)
        got += seqs(await client.read(), "auction:1")
    assert got == list(range(3, 23))
    assert not client.conn.closed


async def test_a_long_catch_up_does_not_count_as_lag(stack: Stack, admin: Caller) -> None:
    await stack.create(admin, min_increment=1)
    for i in range(10):
        await bid(stack, "ann" if i % 2 == 0 else "bob", 1000 + i)
    client = await connect(stack, queue_limit=3)
    await client.send({"action": "subscribe", "topic": "auction:1", "since": 0})
    assert seqs(await client.read(), "auction:1") == list(range(1, 13))
    assert not client.conn.closed


async def test_latest_mode_keeps_only_the_newest_frame_and_is_never_dropped(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin, min_increment=1)
    client = await connect(stack, queue_limit=3)
    await client.ok("subscribe", topic="auction:1", mode="latest")
    for i in range(10):
        await bid(stack, "ann" if i % 2 == 0 else "bob", 1000 + i)
    await _turns(20)  # the hub's last flush lands while the client is not reading
    (latest,) = await client.read()
    assert (latest["seq"], latest["data"]["amount"]) == (12, 1009)
    assert not client.conn.closed
    await bid(stack, "ann", 1100)
    assert seqs(await client.read(), "auction:1") == [13]


@pytest.mark.parametrize("who", [None, "ann"])
async def test_latest_mode_on_feeds_about_many_things_delivers_every_frame(
    stack: Stack, admin: Caller, who: str | None
) -> None:
    """One frame per topic would drop other auctions' summaries or notices, so never there."""
    for _ in range(2):
        await stack.create(admin, min_increment=1)
    client = await connect(stack, login=who)
    topic = "user:me" if who else "auctions"
    await client.ok("subscribe", topic=topic, mode="latest")
    await bid(stack, "ann", 1000, auction_id=1)
    await bid(stack, "ann", 1000, auction_id=2)
    await bid(stack, "bob", 1100, auction_id=1)  # ann outbid on 1
    await bid(stack, "bob", 1100, auction_id=2)  # and on 2
    await _turns(20)
    got = events(await client.read(), topic)
    if who:
        outbid = [("outbid", 1), ("outbid", 2)]
        assert [(m["event"], m["data"]["auction_id"]) for m in got] == outbid
    else:
        assert [(m["data"]["id"], m["data"]["current_bid"]) for m in got] == [
            (1, 1000),
            (2, 1000),
            (1, 1100),
            (2, 1100),
        ]


async def test_latest_mode_catch_up_sends_only_the_newest_missed_frame(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin)
    await bid(stack, "ann", 1000)
    client = await connect(stack)
    await client.send({"action": "subscribe", "topic": "auction:1", "since": 0, "mode": "latest"})
    assert seqs(await client.read(), "auction:1") == [3]


async def test_live_frames_buffered_past_the_limit_before_the_reply_drop_the_subscriber(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin, min_increment=1)
    client = await connect(stack, queue_limit=3)
    with held(stack, client):
        # A request ahead holds the subscribe reply back; live frames pile up meanwhile.
        await client.send({"id": "slow", "action": "ping"})
        await client.send({"id": "s", "action": "subscribe", "topic": "auction:1"})
        while not stack.hub.subscribers("auction:1"):  # attached, reply still held
            await asyncio.sleep(0)
        for i in range(3):
            await bid(stack, "ann" if i % 2 == 0 else "bob", 1000 + i)
        assert not client.conn.closed  # exactly at the limit
        await bid(stack, "bob", 1100)
        assert client.conn.closed


async def test_a_reply_that_completes_after_the_close_is_dropped(stack: Stack) -> None:
    client = await connect(stack)
    with held(stack, client) as release:
        await client.send({"id": "late", "action": "ping"})
        client.conn.close("gone")
        release()
        for _ in range(5):
            await asyncio.sleep(0)
    assert await client.read() == []


# -- logout, close, errors that close ---------------------------------------------------


async def test_logout_drops_user_me_and_turns_the_admin_feed_public(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin)
    client = await connect(stack, "root")
    await client.ok("subscribe", topic="user:me")
    await client.ok("subscribe", topic="auctions")
    await client.ok("subscribe", topic="auction:1")
    await client.ok("logout")
    assert stack.hub.subscribers("user:1") == frozenset()
    assert stack.hub.subscribers("auctions:admin") == frozenset()
    await bid(stack, "root2", 1000)
    messages = await client.read()
    assert [m["topic"] for m in messages] == ["auction:1", "auctions"]
    (summary,) = events(messages, "auctions")
    assert "reserve" not in summary["data"] and "leader_username" not in summary["data"]


async def test_logout_drops_a_bidders_notices(stack: Stack, admin: Caller) -> None:
    await stack.create(admin)
    client = await connect(stack, "ann")
    await client.ok("subscribe", topic="user:me")
    await bid(stack, "ann", 1000)
    await client.ok("logout")
    await bid(stack, "bob", 1100)  # would be ann's outbid notice
    assert events(await client.read(), "user:me") == []
    reply = await client.call("place_bid", auction_id=1, amount=2000)
    assert reply["error"]["code"] == "unauthorized"


async def test_logout_elsewhere_also_ends_user_me_on_this_connection(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin)
    first = await connect(stack, "ann")
    token_holder = await connect(stack)
    login = await first.ok("login", username="ann", password=PASSWORD)
    await token_holder.ok("auth", token=login["token"])
    await token_holder.ok("subscribe", topic="user:me")
    await bid(stack, "ann", 1000)
    await first.ok("logout")  # the token dies: token_holder is anonymous now
    assert token_holder.conn.caller.user is None
    await bid(stack, "bob", 1100)  # ann's outbid notice
    assert events(await token_holder.read(), "user:me") == []


async def test_logout_ends_an_admins_feed_of_a_private_auction(stack: Stack, admin: Caller) -> None:
    await stack.create(admin, public=False)
    client = await connect(stack, "root")
    await client.ok("subscribe", topic="auction:1")
    await client.ok("logout")
    await stack.call(admin, "close_auction", auction_id=1)
    assert events(await client.read(), "auction:1") == []


async def test_auth_as_another_user_does_not_keep_the_old_users_notices(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin)
    await stack.users.register("bob", PASSWORD)
    bob_token = (await (await connect(stack)).ok("login", username="bob", password=PASSWORD))[
        "token"
    ]
    client = await connect(stack, "ann")
    await client.ok("subscribe", topic="user:me")
    await client.ok("auth", token=bob_token)
    await bid(stack, "ann", 1000)
    await bid(stack, "carl", 1100)  # ann's outbid notice: not for bob's connection
    assert events(await client.read(), "user:me") == []


async def test_reject_and_close_answers_after_earlier_replies_then_closes(
    stack: Stack,
) -> None:
    client = await connect(stack)
    await client.send({"id": "1", "action": "ping"})
    client.conn.reject_and_close(MessageTooLarge(65_536))
    assert await client.read() == [
        {"id": "1", "ok": True, "result": {"server_time": format_time(START_MS)}},
        {
            "ok": False,
            "error": {
                "code": "message_too_large",
                "message": "Message larger than 65536 bytes",
                "limit": 65_536,
            },
        },
    ]
    assert client.conn.closed
    assert client.closed_with == "closed after a protocol error"


async def test_a_closed_connection_ignores_requests_and_finish_releases_everything(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin)
    client = await connect(stack, "ann")
    await client.ok("subscribe", topic="auction:1")
    await client.ok("subscribe", topic="user:me")
    client.conn.close("bye")
    client.conn.close("again")  # the first reason stays
    assert client.conn.close_reason == "bye"
    await client.send({"id": "x", "action": "ping"})
    assert await client.read() == []
    await client.conn.finish()
    assert stack.hub.subscribers("auction:1") == frozenset()
    assert stack.hub.subscribers("user:2") == frozenset()
    await bid(stack, "bob", 1000)


async def test_a_frame_for_a_topic_without_a_subscription_is_ignored(stack: Stack) -> None:
    client = await connect(stack)
    client.conn.deliver("auction:9", Frame(b'{"event":"x"}', 1))
    assert await client.read() == []


async def test_a_failed_catch_up_leaves_no_half_made_subscription(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    client = await connect(stack, "ann")
    user = client.conn.caller.user
    assert user is not None
    await stack.store.close()
    with caplog.at_level(logging.CRITICAL, logger="auctioneer.gateways.connection"):
        reply = await client.call("subscribe", topic="user:me")
    assert reply["error"]["code"] == "internal"
    assert stack.hub.subscribers(f"user:{user.id}") == frozenset()
    await stack.store.open()
    assert (await client.ok("subscribe", topic="user:me"))["seq"] == 0


async def test_a_connection_that_closes_during_a_subscribe_leaves_nothing_attached(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin)
    client = await connect(stack)
    await client.send({"action": "subscribe", "topic": "auction:1"})
    await client.conn.finish()  # the socket closed right after the request arrived
    for _ in range(20):
        await asyncio.sleep(0)
    assert stack.hub.subscribers("auction:1") == frozenset()


async def test_an_event_that_arrives_while_another_subscribe_is_catching_up_is_not_lost() -> None:
    stack = await Stack.build(store=await _open(YieldingStore()))
    try:
        boss = await stack.person("boss", admin=True)
        await stack.create(boss)
        await stack.create(boss)
        await stack.close(close_store=False)
        stack = await Stack.build(clock=stack.clock, store=stack.store)  # nothing cached
        await stack.person("ann")
        client = await connect(stack)
        await client.ok("subscribe", topic="auction:2")
        await client.send({"id": "s1", "action": "subscribe", "topic": "auction:1", "since": 0})
        await bid(stack, "ann", 1000, auction_id=2)  # lands while auction:1 catches up
        messages = await client.read()
        assert seqs(messages, "auction:2") == [3]
        assert seqs(messages, "auction:1") == [1, 2]
    finally:
        await stack.close()


async def test_latest_mode_is_never_dropped_even_while_a_reply_is_owed(
    stack: Stack, admin: Caller
) -> None:
    await stack.create(admin, min_increment=1)
    client = await connect(stack, queue_limit=3)
    await client.ok("subscribe", topic="auction:1", mode="latest")
    with held(stack, client) as release:
        await client.send({"id": "slow", "action": "ping"})
        for i in range(10):
            await bid(stack, "ann" if i % 2 == 0 else "bob", 1000 + i)
        assert not client.conn.closed
        release()
        messages = await client.read()
    assert messages[0]["id"] == "slow"
    assert seqs(messages, "auction:1")[-1] == 12
