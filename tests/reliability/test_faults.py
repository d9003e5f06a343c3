"""Faults that are not about ownership: Redis away for a while, PostgreSQL restarted.

Each test runs its own PostgreSQL cluster and Redis on free ports
(tests/helpers/private_services.py), so stopping them disturbs nobody else.
- Redis down: commands still work, subscribers on the writing process go on
  live, subscribers on another process get what they missed from the store
  once Redis is back (no gap, no duplicate); the log and `/readyz` say so.
- PostgreSQL restarted: the server reconnects by itself.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.support import stop_server, unique
from tests.helpers.private_services import PrivatePostgres, PrivateRedis, postgres_bin
from tests.helpers.server import RunningServer, add_user, start_server
from tests.helpers.wire_clients import TcpClient

pytestmark = pytest.mark.skipif(
    postgres_bin() is None or shutil.which("redis-server") is None,
    reason="postgres/redis: server binaries not installed",
)
PASSWORD = "fault-password-1"
BACK_S = 15.0  # Redis or PostgreSQL back -> the server notices within this


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def redis(tmp_path: Any) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _eventually(check: Callable[[], Any], seconds: float = BACK_S) -> None:
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.1)


async def _ready(server: RunningServer) -> tuple[int, Any]:
    async with httpx.AsyncClient(timeout=10) as http:
        reply = await http.get(server.http_url + "/readyz")
        return reply.status_code, reply.json()


async def _client(server: RunningServer, name: str = "", token: str = "") -> TcpClient:
    """A connection logged in as `name`, or authenticated with a token (no Argon2)."""
    client = await TcpClient.open(server.tcp_host, server.tcp_port)
    if token:
        await client.ok("auth", token=token)
    else:
        client.token = (await client.ok("login", username=name, password=PASSWORD))["token"]
    return client


def _seqs(events: list[dict[str, Any]]) -> list[int]:
    return [e["seq"] for e in events if "seq" in e]


async def test_redis_down_commands_go_on_and_subscribers_catch_up(
    postgres: PrivatePostgres, redis: PrivateRedis
) -> None:
    admin, bidder, other = unique("boss"), unique("b"), unique("b")
    for name in (admin, bidder, other):
        add_user(postgres.url, name, PASSWORD, admin=name == admin)
    writer = start_server(postgres.url, "--broker", redis.url)
    try:
        reader = start_server(postgres.url, "--broker", redis.url)
    except BaseException:
        stop_server(writer)
        raise
    clients: list[TcpClient] = []
    try:
        boss = await _client(writer, admin)
        hands = [await _client(writer, bidder), await _client(writer, other)]
        near = await _client(writer, token=hands[0].token)
        far = await _client(reader, token=hands[0].token)
        clients += [boss, *hands, near, far]
        auction = (
            await boss.ok("create_auction", name="lot", starting_bid=1000, min_increment=100,
                          duration_s=3600)
        )["auction"]  # fmt: skip
        topic = f"auction:{auction['id']}"
        start = (await near.ok("subscribe", topic=topic))["seq"]
        assert (await far.ok("subscribe", topic=topic))["seq"] == start
        amounts = iter(range(1000, 2000, 100))

        async def bid(number: int) -> None:
            await hands[number % 2].ok("place_bid", auction_id=auction["id"], amount=next(amounts))

        await bid(0)
        await far.collect_events(1, topic=topic)

        redis.stop()
        for number in (1, 2, 3):  # the write path never waits for the broker
            await bid(number)
        assert await _ready(writer) == (503, {"status": "unavailable", "down": ["broker"]})
        assert any("redis broker unreachable" in line for line in writer.output)

        redis.start()
        await _eventually(lambda: _is_ready(writer))
        await _eventually(lambda: _is_ready(reader))
        await bid(4)
        # Every bid once, in order, on both processes: 5 bids, one event each.
        seen_near = _seqs(await near.collect_events(5, topic=topic))
        seen_far = _seqs(await far.collect_events(4, topic=topic))
        assert seen_near == list(range(start + 1, start + 6))
        assert seen_far == list(range(start + 2, start + 6))
        assert not await near.quiet(topic=topic) and not await far.quiet(topic=topic)
        assert any("redis broker is back" in line for line in writer.output)
    finally:
        for client in clients:
            await client.close()
        stop_server(writer)
        stop_server(reader)


async def _is_ready(server: RunningServer) -> bool:
    return (await _ready(server))[0] == 200


async def test_postgres_restarted_the_server_reconnects(postgres: PrivatePostgres) -> None:
    admin = unique("boss")
    add_user(postgres.url, admin, PASSWORD, admin=True)
    server = start_server(postgres.url)
    try:
        boss = await _client(server, admin)
        auction = (
            await boss.ok("create_auction", name="lot", starting_bid=1000, min_increment=100,
                          duration_s=3600)
        )["auction"]  # fmt: skip
        postgres.stop()
        assert await _ready(server) == (503, {"status": "unavailable", "down": ["store"]})
        postgres.start()
        await _eventually(lambda: _is_ready(server))

        async def writes() -> bool:
            reply = await boss.request("get_auction", auction_id=auction["id"])
            return bool(reply["ok"])

        await _eventually(writes)
        result = await boss.ok("update_auction", auction_id=auction["id"], name="lot again")
        assert result["auction"]["name"] == "lot again"
        await boss.close()
    finally:
        stop_server(server)
