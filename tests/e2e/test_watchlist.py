"""The watchlist and ending-soon notices, end to end: real server processes, real sockets.

The module's server runs with short ending-soon points (the `ending_soon`
setting, `AUCTIONEER_ENDING_SOON=4,2`: 4 and 2 seconds before the end), so
auctions that end in a few seconds exercise the real timers. The restart
test kills a server with SIGKILL between two points and starts it again on
the same database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Template
from tests.e2e.support import House, fresh_db, new_auction, parse_time, stop_server
from tests.helpers.server import RunningServer, start_server
from tests.helpers.wire_clients import MS

BIDDERS = 6
REGULARS = 0
POINTS = {"AUCTIONEER_ENDING_SOON": "4,2"}


@pytest.fixture(scope="module")
def server(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The module's server, with ending-soon points 4 s and 2 s before the end."""
    db = fresh_db(template.db, tmp_path_factory.mktemp("db"))
    running = start_server(db, "--bid-rate", "0", env=POINTS)
    yield running
    stop_server(running)


@pytest.mark.parametrize("kind", ["ws", "tcp", "http"])
async def test_watch_list_and_unwatch_on_every_door(house: House, kind: str) -> None:
    admin = await house.admin_client("tcp")
    first = await new_auction(admin, name="Clock")
    second = await new_auction(admin, name="Vase")
    hidden = await new_auction(admin, public=False)
    ann = await house.bidder(kind)
    for _ in range(2):  # idempotent
        assert await ann.ok("watch_auction", auction_id=second["id"]) == {
            "auction_id": second["id"],
            "watching": True,
        }
    await ann.ok("watch_auction", auction_id=first["id"])
    listed = await ann.ok("get_watchlist")
    assert listed["auction_ids"] == [second["id"], first["id"]]
    assert [a["name"] for a in listed["auctions"]] == ["Vase", "Clock"]
    assert await ann.error("watch_auction", auction_id=hidden["id"]) == "not_found"
    assert await ann.error("watch_auction", auction_id=2**40) == "not_found"
    for _ in range(2):
        reply = await ann.ok("unwatch_auction", auction_id=second["id"])
        assert reply == {"auction_id": second["id"], "watching": False}
    assert (await ann.ok("get_watchlist"))["auction_ids"] == [first["id"]]
    anon = await house.connect(kind)
    assert await anon.error("get_watchlist") == "unauthorized"
    assert await anon.error("watch_auction", auction_id=first["id"]) == "unauthorized"
    counted = (await admin.ok("get_auction", auction_id=first["id"]))["auction"]
    assert counted["watchlist_count"] == 1


async def test_http_statuses_of_the_watchlist_routes(house: House) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    ann = await house.bidder("http")
    put = await ann.raw("PUT", f"/api/watchlist/{auction['id']}")
    assert put.status_code == 200 and put.json()["watching"] is True
    assert (await ann.raw("PUT", "/api/watchlist/abc")).status_code == 404
    assert (await ann.raw("POST", f"/api/watchlist/{auction['id']}")).status_code == 405
    ann.token = None
    assert (await ann.raw("GET", "/api/watchlist")).status_code == 401
    schema = (await ann.raw("GET", "/openapi.json")).json()
    assert {"put", "delete"} <= set(schema["paths"]["/api/watchlist/{auction_id}"])


async def ending_soon(client: Any) -> list[dict[str, Any]]:
    notices = (await client.ok("get_notices"))["notices"]
    return [n for n in notices if n["event"] == "ending_soon"]


async def test_each_point_comes_once_and_a_soft_close_does_not_repeat_it(house: House) -> None:
    admin = await house.admin_client("tcp")
    watcher, bidder, stranger = await house.bidders(3)
    auction = await new_auction(admin, duration_s=6, soft_close_s=4)
    aid = auction["id"]
    await watcher.ok("watch_auction", auction_id=aid)
    await watcher.ok("subscribe", topic="user:me")
    await stranger.ok("subscribe", topic="user:me")
    four = await watcher.next_event("ending_soon", topic="user:me", timeout=10_000 * MS)
    assert four["data"]["threshold_s"] == 4 and four["data"]["auction_id"] == aid
    assert four["data"]["ends_at"] == auction["ends_at"]
    assert parse_time(four["at"]) >= parse_time(auction["ends_at"]) - 4
    two = await watcher.next_event("ending_soon", topic="user:me", timeout=10_000 * MS)
    assert two["data"]["threshold_s"] == 2
    # 2 s before the end: the bid moves the end 4 s on (soft close).
    placed = await bidder.ok("place_bid", auction_id=aid, amount=1000)
    new_end = placed["auction"]["ends_at"]
    assert parse_time(new_end) > parse_time(auction["ends_at"])
    await watcher.ok("subscribe", topic=f"auction:{aid}")
    await watcher.next_event("auction_closed", topic=f"auction:{aid}", timeout=15_000 * MS)
    assert [n["data"]["threshold_s"] for n in await ending_soon(watcher)] == [4, 2]
    assert await stranger.quiet(topic="user:me", wait=100 * MS) == []
    assert await ending_soon(bidder) == []


async def test_each_point_comes_once_across_a_kill_and_a_restart(
    db_copy: Path, template: Template
) -> None:
    env = {"AUCTIONEER_ENDING_SOON": "12,5"}
    server = await asyncio.to_thread(start_server, db_copy, env=env)
    house = House(server, template.admin, regulars=template.accounts[:1])
    try:
        admin = await house.admin_client("tcp")
        auction = await new_auction(admin, duration_s=15)
        aid = auction["id"]
        watcher = await house.regular(0, "ws")
        await watcher.ok("watch_auction", auction_id=aid)
        await watcher.ok("subscribe", topic="user:me")
        first = await watcher.next_event("ending_soon", topic="user:me", timeout=10_000 * MS)
        assert first["data"]["threshold_s"] == 12
        await house.close_all()
        await asyncio.to_thread(stop_server, server, 9)  # SIGKILL
        server = await asyncio.to_thread(start_server, db_copy, env=env)
        house.server = server
        watcher = await house.regular(0, "tcp")
        await watcher.ok("subscribe", topic="user:me", since=first["seq"])
        second = await watcher.next_event("ending_soon", topic="user:me", timeout=15_000 * MS)
        assert second["data"]["threshold_s"] == 5 and second["seq"] == first["seq"] + 1
        assert [n["data"]["threshold_s"] for n in await ending_soon(watcher)] == [12, 5]
        assert await watcher.quiet(topic="user:me", wait=300 * MS) == []
    finally:
        await house.close_all()
        await asyncio.to_thread(stop_server, server)
