"""A subscriber survives a server crash: after the restart it resumes with `since`.

Slow (two server starts), so marked; it is the strongest check of the issue's
"keeps subscriptions across a reconnect, no event lost or seen twice".
"""

from __future__ import annotations

import asyncio
import itertools
import socket
from pathlib import Path

import pytest

from auctioneer.clients.connection import Client
from auctioneer.clients.session import Event
from tests.helpers.server import add_user, start_server

from .live import ADMIN, ADMIN_PASSWORD, PASSWORD, close_output, unique

__all__: list[str] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def bids(client: Client, n: int) -> list[Event]:
    out: list[Event] = []
    async with asyncio.timeout(20):
        async for event in client.events():
            if event.name == "bid_placed":
                out.append(event)
                if len(out) == n:
                    break
    return out


@pytest.mark.slow
async def test_a_subscriber_resumes_after_the_server_is_killed_and_restarted(
    tmp_path: Path,
) -> None:
    db = tmp_path / "auctioneer.db"
    ports = ("--http-port", str(free_port()), "--tcp-port", str(free_port()))
    first = start_server(db, *ports)
    servers = [first]
    try:
        add_user(first.db_url, ADMIN, ADMIN_PASSWORD, admin=True)
        url = first.http_url
        async with Client(url) as admin:
            await admin.login(ADMIN, ADMIN_PASSWORD)
            made = await admin.request(
                "create_auction", name=unique("Crash "), starting_bid=100, duration_s=600
            )
        aid = made["auction"]["id"]
        quick = lambda: itertools.repeat(0.2)  # noqa: E731
        watcher = await Client(url, backoff_delays=quick, reconnect_for=60).connect()
        bidder = await Client(url, backoff_delays=quick, reconnect_for=60).connect()
        rival = await Client(url, backoff_delays=quick, reconnect_for=60).connect()
        try:
            for client in (bidder, rival):
                name = unique("crash")
                await client.register(name, PASSWORD)
                await client.login(name, PASSWORD)
            await watcher.follow(aid)
            await bidder.request("place_bid", auction_id=aid, amount=100)
            before = await bids(watcher, 1)
            first.kill()
            servers.append(await asyncio.to_thread(start_server, db, *ports))
            await rival.request("place_bid", auction_id=aid, amount=200)  # re-authenticated
            after = await bids(watcher, 1)
            assert [e.data["amount"] for e in before + after] == [100, 200]
            assert watcher.reconnects >= 1 and rival.reconnects >= 1
            assert after[0].seq is not None and before[0].seq is not None
            assert after[0].seq > before[0].seq
        finally:
            for client in (watcher, bidder, rival):
                await client.close()
    finally:
        for server in servers:
            server.stop()
            close_output(server)
