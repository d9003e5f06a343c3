"""Identity changes are barriers in a pipeline (docs/protocol.md "Envelope and framing").

A client that sends `auth` and, without waiting, `place_bid` means "bid as
that user": the bid must not run before the auth finished, and a request sent
before a `logout` must not run as anonymous.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from auctioneer.service.clock import ManualClock
from auctioneer.service.ports import TokenRecord
from auctioneer.store.memory import MemoryStore
from tests.gateways.test_connection import PASSWORD, connect
from tests.service.stack import START_MS, Stack, lot


class SlowTokenStore(MemoryStore):
    """Token look-ups take turns of the loop, as a real database read does."""

    async def token(self, token_hash: str) -> TokenRecord | None:
        for _ in range(20):
            await asyncio.sleep(0)
        return await super().token(token_hash)


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    clock = ManualClock(START_MS)
    store = SlowTokenStore(clock=clock.now_ms)
    await store.open()
    built = await Stack.build(clock=clock, store=store)
    yield built
    await built.close()


async def test_a_bid_pipelined_behind_auth_runs_as_the_authenticated_user(stack: Stack) -> None:
    admin = await stack.person("root", admin=True)
    await stack.call(admin, "create_auction", **lot())
    await stack.users.register("ann", PASSWORD)
    first = await connect(stack)
    token = (await first.ok("login", username="ann", password=PASSWORD))["token"]

    client = await connect(stack)
    await client.send({"id": "a", "action": "auth", "token": token})
    await client.send({"id": "b", "action": "place_bid", "auction_id": 1, "amount": 1000})
    replies = {m["id"]: m for m in await client.read(reply_to="b") if "id" in m}

    assert replies["a"]["ok"] is True
    assert replies["b"]["ok"] is True, replies["b"]
    assert replies["b"]["result"]["auction"]["current_bid"] == 1000


async def test_a_bid_pipelined_before_logout_still_runs_as_the_user(stack: Stack) -> None:
    admin = await stack.person("root", admin=True)
    await stack.call(admin, "create_auction", **lot())
    client = await connect(stack, login="ann")
    await client.send({"id": "b", "action": "place_bid", "auction_id": 1, "amount": 1000})
    await client.send({"id": "o", "action": "logout"})
    await client.send({"id": "c", "action": "place_bid", "auction_id": 1, "amount": 1100})
    replies = {m["id"]: m for m in await client.read(reply_to="c") if "id" in m}

    assert replies["b"]["ok"] is True
    assert replies["o"]["ok"] is True
    assert replies["c"]["error"]["code"] == "unauthorized"
