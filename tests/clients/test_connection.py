"""The async Client: replies by id, errors as exceptions, events kept across reconnects.

These run against `fake_server.FakeServer` so a test can cut the connection
exactly where it wants; the end-to-end tests run against the real server.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator

import pytest

from auctioneer.clients.connection import Client
from auctioneer.clients.errors import ConnectFailed, ConnectionLost, RequestFailed, RequestTimeout
from auctioneer.clients.session import Event

from .fake_server import FakeServer

__all__: list[str] = []

MS = 0.001


def quick() -> Iterator[float]:
    return itertools.repeat(20 * MS)


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    s = FakeServer()
    await s.start()
    yield s
    await s.stop()


async def next_events(client: Client, n: int) -> list[Event]:
    out: list[Event] = []
    async with asyncio.timeout(5):
        async for event in client.events():
            out.append(event)
            if len(out) == n:
                break
    return out


async def test_a_request_returns_its_result_and_an_error_reply_raises(server: FakeServer) -> None:
    async with Client(server.url) as client:
        assert (await client.request("ping"))["server_time"]
        with pytest.raises(RequestFailed) as info:
            await client.request("fail")
        assert info.value.code == "bid_too_low"


async def test_connecting_to_nothing_fails_with_a_clear_error() -> None:
    probe = FakeServer()
    await probe.start()
    url = probe.url
    await probe.stop()
    with pytest.raises(ConnectFailed, match="cannot reach"):
        await Client(url, connect_timeout=1).connect()


async def test_a_request_without_reply_times_out(server: FakeServer) -> None:
    server.silent.add("ping")
    async with Client(server.url, request_timeout=50 * MS) as client:
        with pytest.raises(RequestTimeout):
            await client.request("ping")


async def test_events_resume_after_a_reconnect_with_nothing_lost_or_repeated(
    server: FakeServer,
) -> None:
    async with Client(server.url, token="T", backoff_delays=quick) as client:
        await client.subscribe("auction:1")
        server.publish("auction:1", "bid_placed", amount=100)
        assert [e.seq for e in await next_events(client, 1)] == [1]
        await server.drop_all()
        server.publish("auction:1", "bid_placed", push=False, amount=200)  # missed while away
        server.publish("auction:1", "bid_placed", push=False, amount=300)
        await asyncio.wait_for(client.request("ping"), 5)  # resent after the reconnect
        server.publish("auction:1", "bid_placed", amount=400)
        assert [e.data["amount"] for e in await next_events(client, 3)] == [200, 300, 400]
        assert client.reconnects == 1
        resub = [r for r in server.requests if r["action"] == "subscribe"][-1]
        assert resub["since"] == 1
        assert [r["action"] for r in server.requests].count("auth") == 2


async def test_a_gap_in_the_live_stream_is_filled_by_resubscribing(server: FakeServer) -> None:
    async with Client(server.url) as client:
        await client.subscribe("auction:1")
        server.publish("auction:1", "bid_placed", push=False, amount=100)
        server.publish("auction:1", "bid_placed", amount=200)
        assert [e.data["amount"] for e in await next_events(client, 2)] == [100, 200]


async def test_without_reconnect_a_dropped_connection_fails_the_client(server: FakeServer) -> None:
    client = await Client(server.url, reconnect=False).connect()
    try:
        await server.drop_all()
        assert [e async for e in client.events()] == []
        with pytest.raises(ConnectionLost):
            await client.request("ping")
    finally:
        await client.close()


async def test_ping_returns_the_round_trip_and_sets_the_server_clock(server: FakeServer) -> None:
    async with Client(server.url) as client:
        assert 0 <= await client.ping() < 5
        assert client.server_now() < 1_800_000_000  # the fake's clock is fixed in 2026


async def test_a_ping_interval_keeps_pinging_until_close(server: FakeServer) -> None:
    async with Client(server.url, ping_interval=30 * MS):
        await asyncio.sleep(150 * MS)
    pings = [r for r in server.requests if r["action"] == "ping"]
    assert len(pings) >= 2


async def test_a_refused_token_on_connect_raises_and_closes(server: FakeServer) -> None:
    server.silent.add("auth")
    client = Client(server.url, token="T", request_timeout=50 * MS)
    with pytest.raises(RequestTimeout):
        await client.connect()
    with pytest.raises(ConnectionLost):
        await client.request("ping")


def test_a_tcp_client_pings_by_default_well_inside_the_servers_idle_timeout() -> None:
    from auctioneer.clients.connection import TCP_PING_INTERVAL_S
    from auctioneer.service.settings import Settings

    assert Settings().idle_timeout_s / 2 > TCP_PING_INTERVAL_S
    assert Client("tcp://127.0.0.1:1")._ping_interval == TCP_PING_INTERVAL_S
    assert Client("tcp://127.0.0.1:1", ping_interval=5)._ping_interval == 5
    assert Client("http://127.0.0.1:1")._ping_interval is None  # the server pings WebSockets
