"""Increment bands and the soft-close cap through a real server (HTTP, WebSocket, TCP)."""

from __future__ import annotations

from tests.e2e.support import House

BIDDERS = 0
REGULARS = 2
BANDS = [
    {"from": 0, "increment": 5},
    {"from": 100, "increment": 25},
    {"from": 500, "increment": 50},
]


async def test_an_auction_with_bands_states_the_banded_minimum_and_proxies_follow_it(
    house: House,
) -> None:
    admin = await house.admin_client("http")
    created = await admin.ok(
        "create_auction", name="Banded", starting_bid=50, duration_s=600, increments=BANDS
    )
    auction = created["auction"]
    assert auction["increments"] == BANDS and auction["min_increment"] == 5
    aid = auction["id"]
    ann = await house.regular(0, "ws")
    bob = await house.regular(1, "tcp")
    after = (await ann.ok("place_bid", auction_id=aid, amount=95))["auction"]
    assert after["minimum_bid"] == 100
    reply = await bob.request("place_bid", auction_id=aid, amount=99)
    assert reply["error"]["code"] == "bid_too_low" and reply["error"]["minimum"] == 100
    await ann.ok("start_auto_bid", auction_id=aid, max_amount=5000)
    after = (await bob.ok("place_bid", auction_id=aid, amount=480))["auction"]
    # ann's proxy answers 4.80 with 4.80 + 0.25, and the next bid needs 0.50 more
    assert after["current_bid"] == 505 and after["minimum_bid"] == 555
    listed = (await bob.ok("get_auctions"))["auctions"]
    assert next(a for a in listed if a["id"] == aid)["increments"] == BANDS


async def test_a_broken_increment_table_is_refused_and_creates_nothing(house: House) -> None:
    admin = await house.admin_client("tcp")
    before = len((await admin.ok("get_auctions"))["auctions"])
    broken = [{"from": 0, "increment": 5}, {"from": 0, "increment": 25}]
    reply = await admin.request(
        "create_auction", name="Broken", starting_bid=50, duration_s=60, increments=broken
    )
    assert reply["error"]["code"] == "bad_request"
    assert reply["error"]["field"] == "increments" and reply["error"]["band"] == 1
    reply = await admin.request(
        "create_auction",
        name="Broken",
        starting_bid=50,
        duration_s=60,
        increments=[{"from": 0, "increment": 1.5}],
    )
    assert reply["error"]["code"] == "invalid_amount"
    assert len((await admin.ok("get_auctions"))["auctions"]) == before


async def test_a_capped_soft_close_stops_at_the_cap_and_says_final(house: House) -> None:
    admin = await house.admin_client("ws")
    auction = (
        await admin.ok(
            "create_auction",
            name="Capped",
            starting_bid=100,
            duration_s=60,
            soft_close_s=120,  # every bid would extend by two minutes ...
            max_extension_s=10,  # ... but the end moves at most ten seconds in all
        )
    )["auction"]
    assert auction["max_extension_s"] == 10 and auction["cap_reached"] is False
    assert auction["end_cap"] is not None and auction["end_cap"] > auction["ends_at"]
    aid = auction["id"]
    watcher = await house.connect("ws")
    await watcher.ok("subscribe", topic=f"auction:{aid}")
    ann = await house.regular(0, "tcp")
    after = (await ann.ok("place_bid", auction_id=aid, amount=100))["auction"]
    assert after["ends_at"] == after["end_cap"] == auction["end_cap"]
    assert after["cap_reached"] is True
    assert (await watcher.next_event("bid_placed"))["data"]["amount"] == 100
    extended = await watcher.next_event("auction_extended")
    assert extended["data"]["cap_reached"] is True
    assert extended["data"]["ends_at"] == auction["end_cap"]
    bob = await house.regular(1, "http")
    again = (await bob.ok("place_bid", auction_id=aid, amount=200))["auction"]
    assert again["ends_at"] == auction["end_cap"]  # final: no more extensions
    assert [e["event"] for e in await watcher.quiet(wait=0.2)] == ["bid_placed"]
