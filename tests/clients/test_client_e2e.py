"""The client library against a real server, over both doors."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from auctioneer.clients.connection import Client
from auctioneer.clients.errors import RequestFailed
from auctioneer.clients.session import Event
from tests.clients.live import PASSWORD, Live, unique

__all__: list[str] = []


def door(live: Live, kind: str) -> str:
    return live.url if kind == "ws" else f"tcp://{live.server.tcp_host}:{live.server.tcp_port}"


async def bidder(url: str) -> Client:
    client = await Client(url).connect()
    name = unique("lib")
    await client.register(name, PASSWORD)
    await client.login(name, PASSWORD)
    return client


async def collect(client: Client, n: int, timeout: float = 10) -> list[Event]:
    out: list[Event] = []
    async with asyncio.timeout(timeout):
        async for event in client.events():
            if event.name == "bid_placed":
                out.append(event)
            if len(out) == n:
                return out
    return out


@pytest.mark.parametrize("kind", ["ws", "tcp"])
async def test_login_request_and_error_reply_over_each_door(live: Live, kind: str) -> None:
    client = await bidder(door(live, kind))
    try:
        assert client.user is not None and client.user["paddle"] is not None
        assert client.token
        with pytest.raises(RequestFailed) as info:
            await client.request("place_bid", auction_id=999999, amount=100)
        assert info.value.code == "not_found"
        assert 0 <= await client.ping() < 5
        assert abs(client.server_now() - __import__("time").time()) < 5
    finally:
        await client.close()


@pytest.mark.parametrize("kind", ["ws", "tcp"])
async def test_a_dropped_connection_resumes_with_no_event_lost_or_repeated(
    live: Live, kind: str
) -> None:
    made = await live.as_admin(
        "create_auction", name=unique("Resume "), starting_bid=100, duration_s=600
    )
    aid = made["auction"]["id"]
    slow = lambda: itertools.chain([0.5], itertools.repeat(0.1))  # noqa: E731
    watcher = Client(door(live, kind), backoff_delays=slow)
    await watcher.connect()
    a, b = await bidder(live.url), await bidder(live.url)
    try:
        await watcher.subscribe(f"auction:{aid}")
        await a.request("place_bid", auction_id=aid, amount=100)
        first = await collect(watcher, 1)
        assert watcher._transport is not None
        await watcher._transport.close()  # the network drops
        await b.request("place_bid", auction_id=aid, amount=200)
        await a.request("place_bid", auction_id=aid, amount=300)
        rest = await collect(watcher, 2)
        await b.request("place_bid", auction_id=aid, amount=400)
        live_one = await collect(watcher, 1)
        amounts = [e.data["amount"] for e in first + rest + live_one]
        assert amounts == [100, 200, 300, 400]
        seqs = [e.seq for e in first + rest + live_one]
        assert seqs == sorted({s for s in seqs if s is not None})
        assert watcher.reconnects == 1
    finally:
        for c in (watcher, a, b):
            await c.close()
