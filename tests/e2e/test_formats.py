"""Auction formats over the wire with short timings: multi-unit, buy-now,
sequential sales, countdown and soft close, reserve.

Timers run in the server; the tests wait for its events (never sleep for a
fixed time and hope) and then check the times it reports.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.e2e.support import House, iso_in, new_auction, parse_time
from tests.helpers.wire_clients import MS

BIDDERS = 0
REGULARS = 3
CLOSE_WAIT = 20_000 * MS  # a few seconds of auction plus a busy machine


async def watch(house: House, auction_id: int) -> Any:
    client = await house.connect("ws")
    await client.ok("subscribe", topic=f"auction:{auction_id}", since=0)
    return client


async def until(client: Any, name: str) -> dict[str, Any]:
    return await client.next_event(name, timeout=CLOSE_WAIT)  # type: ignore[no-any-return]


async def test_a_multi_unit_auction_sells_one_unit_per_round_then_closes_with_no_bids(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    ann, bob, carol = [await house.regular(i, "tcp") for i in range(3)]
    auction = await new_auction(admin, quantity=3, buy_now=5000, duration_s=2)
    aid = auction["id"]
    watcher = await watch(house, aid)

    sold = (await ann.ok("buy_now", auction_id=aid))["auction"]  # round 1, at once
    assert (sold["status"], sold["units_left"], sold["round"]) == ("open", 2, 2)
    assert sold["current_bid"] is None and sold["bid_count"] == 0
    unit = await until(watcher, "unit_sold")
    assert unit["data"]["round"] == 1 and unit["data"]["winner"] == f"#{ann.user['paddle']}"
    assert (unit["data"]["price"], unit["data"]["units_left"]) == (5000, 2)

    await bob.ok("place_bid", auction_id=aid, amount=1000)  # round 2
    refused = await carol.request("buy_now", auction_id=aid)
    assert refused["error"]["code"] == "buy_now_unavailable"  # only until a round's first bid
    unit = await until(watcher, "unit_sold")  # round 2 ends after its 2 s
    assert (unit["data"]["round"], unit["data"]["price"]) == (2, 1000)
    assert unit["data"]["winner"] == f"#{bob.user['paddle']}"
    closed = await until(watcher, "auction_closed")  # round 3 ends with no bids
    assert closed["data"]["reason"] == "no_bids"

    final = (await admin.ok("get_auction", auction_id=aid))["auction"]
    assert final["status"] == "closed" and final["units_left"] == 1
    assert final["sales"] == [
        {"round": 1, "winner": f"#{ann.user['paddle']}", "price": 5000},
        {"round": 2, "winner": f"#{bob.user['paddle']}", "price": 1000},
    ]
    assert (final["winner"], final["price"]) == (f"#{bob.user['paddle']}", 1000)
    mine = [p for p in (await ann.ok("get_purchases"))["purchases"] if p["auction_id"] == aid]
    assert [(p["round"], p["price"], p["buy_now"]) for p in mine] == [(1, 5000, True)]
    theirs = [p for p in (await bob.ok("get_purchases"))["purchases"] if p["auction_id"] == aid]
    assert [(p["round"], p["price"], p["buy_now"]) for p in theirs] == [(2, 1000, False)]


async def test_buying_the_last_unit_closes_the_auction_as_sold_out(house: House) -> None:
    admin = await house.admin_client("tcp")
    ann, bob, carol = [await house.regular(i, "ws") for i in range(3)]
    auction = await new_auction(admin, quantity=2, buy_now=3000)
    await ann.ok("subscribe", topic="user:me")
    await ann.ok("buy_now", auction_id=auction["id"])
    won = await ann.next_event("won", topic="user:me")  # a buy-now buyer is a winner too
    assert (won["data"]["auction_id"], won["data"]["price"]) == (auction["id"], 3000)
    last = (await bob.ok("buy_now", auction_id=auction["id"]))["auction"]
    assert (last["status"], last["close_reason"], last["units_left"]) == ("closed", "sold_out", 0)
    late = await carol.request("buy_now", auction_id=auction["id"])
    assert late["error"]["code"] == "auction_not_open"

    single = await new_auction(admin, buy_now=3000)
    bought = (await ann.ok("buy_now", auction_id=single["id"]))["auction"]
    assert (bought["close_reason"], bought["price"]) == ("buy_now", 3000)
    assert bought["winner"] == f"#{ann.user['paddle']}"
    no_offer = await new_auction(admin)
    refused = await bob.request("buy_now", auction_id=no_offer["id"])
    assert refused["error"]["code"] == "buy_now_unavailable"


async def test_a_sequential_sale_opens_each_lot_when_the_previous_one_closes(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    ann = await house.regular(0, "tcp")
    lot = {"starting_bid": 500, "duration_s": 1}
    sale = await admin.ok(
        "create_sale",
        name="evening sale",
        lots=[{"name": "first", **lot}, {"name": "second", **lot}, {"name": "third", **lot}],
    )
    first, second, third = sale["auctions"]
    assert [a["status"] for a in sale["auctions"]] == ["open", "scheduled", "scheduled"]
    early = await ann.request("place_bid", auction_id=second["id"], amount=500)
    assert early["error"]["code"] == "auction_not_open"
    await ann.ok("place_bid", auction_id=first["id"], amount=500)
    watcher = await watch(house, second["id"])
    opened = await until(watcher, "auction_opened")
    first_now = (await admin.ok("get_auction", auction_id=first["id"]))["auction"]
    assert (first_now["status"], first_now["close_reason"]) == ("closed", "ended")
    assert first_now["winner"] == f"#{ann.user['paddle']}"
    # The next lot opens when the previous one closes, and runs its own duration.
    assert opened["at"] == first_now["closed_at"]
    assert parse_time(opened["data"]["ends_at"]) - parse_time(opened["at"]) == 1
    second_now = (await ann.ok("place_bid", auction_id=second["id"], amount=600))["auction"]
    assert second_now["lot"] == 2 and second_now["sale_id"] == sale["sale"]["id"]
    third_watch = await watch(house, third["id"])
    await until(third_watch, "auction_opened")
    closed = await until(third_watch, "auction_closed")  # nobody bid on the last lot
    assert closed["data"]["reason"] == "no_bids"
    lots = (await ann.ok("get_auctions", sale_id=sale["sale"]["id"]))["auctions"]
    assert [a["status"] for a in lots] == ["closed"] * 3
    assert [a["price"] for a in lots] == [500, 600, None]


async def test_a_countdown_starts_at_the_first_bid_resets_on_each_bid_and_closes_on_time(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    ann, bob = await house.regular(0, "ws"), await house.regular(1, "tcp")
    auction = await new_auction(admin, duration_s=None, countdown_s=2)
    aid = auction["id"]
    assert auction["status"] == "open" and auction["ends_at"] is None
    watcher = await watch(house, aid)
    await ann.ok("place_bid", auction_id=aid, amount=1000)
    first = await until(watcher, "bid_placed")
    assert parse_time(first["data"]["ends_at"]) == parse_time(first["at"]) + 2
    await bob.ok("place_bid", auction_id=aid, amount=1100)
    second = await until(watcher, "bid_placed")
    assert parse_time(second["data"]["ends_at"]) == parse_time(second["at"]) + 2
    closed = await until(watcher, "auction_closed")
    assert closed["data"]["reason"] == "ended"
    assert closed["data"]["winner"] == f"#{bob.user['paddle']}" and closed["data"]["price"] == 1100
    final = (await admin.ok("get_auction", auction_id=aid))["auction"]
    assert final["closed_at"] == final["ends_at"] == second["data"]["ends_at"]
    assert closed["at"] == final["closed_at"]


async def test_a_scheduled_auction_refuses_bids_until_it_opens_at_its_start(house: House) -> None:
    admin = await house.admin_client("tcp")
    ann = await house.regular(0, "ws")
    ends_at = iso_in(60)
    auction = await new_auction(admin, starts_at=iso_in(1.5), duration_s=None, ends_at=ends_at)
    assert auction["status"] == "scheduled" and auction["minimum_bid"] is None
    watcher = await watch(house, auction["id"])
    early = await ann.request("place_bid", auction_id=auction["id"], amount=1000)
    assert early["error"]["code"] == "auction_not_open"
    opened = await until(watcher, "auction_opened")
    assert opened["at"] == auction["starts_at"]
    assert opened["data"]["ends_at"] == ends_at
    placed = (await ann.ok("place_bid", auction_id=auction["id"], amount=1000))["auction"]
    assert placed["status"] == "open" and placed["current_bid"] == 1000


async def test_a_scheduled_auction_shows_the_end_it_was_given(house: House) -> None:
    admin = await house.admin_client("tcp")
    ends_at = iso_in(3600)
    auction = await new_auction(admin, starts_at=iso_in(600), duration_s=None, ends_at=ends_at)
    assert auction["status"] == "scheduled"
    assert auction["ends_at"] == ends_at
    listed = (await admin.ok("get_auction", auction_id=auction["id"]))["auction"]
    assert listed["ends_at"] == ends_at


async def test_a_bid_inside_the_soft_close_window_extends_the_end(house: House) -> None:
    admin = await house.admin_client("tcp")
    ann = await house.regular(0, "ws")
    auction = await new_auction(admin, duration_s=60, soft_close_s=120)
    watcher = await watch(house, auction["id"])
    after = (await ann.ok("place_bid", auction_id=auction["id"], amount=1000))["auction"]
    bid = await until(watcher, "bid_placed")
    extended = await until(watcher, "auction_extended")
    assert parse_time(extended["data"]["ends_at"]) == parse_time(bid["at"]) + 120
    assert after["ends_at"] == extended["data"]["ends_at"]


async def test_an_auction_closed_below_its_reserve_has_no_winner(house: House) -> None:
    admin = await house.admin_client("tcp")
    ann, bob = await house.regular(0, "ws"), await house.regular(1, "ws")
    unmet = await new_auction(admin, reserve=5000)
    await ann.ok("place_bid", auction_id=unmet["id"], amount=1000)
    closed = (await admin.ok("close_auction", auction_id=unmet["id"]))["auction"]
    assert (closed["close_reason"], closed["winner"], closed["price"]) == (
        "reserve_not_met",
        None,
        None,
    )
    met = await new_auction(admin, reserve=1500)
    watcher = await watch(house, met["id"])
    await ann.ok("place_bid", auction_id=met["id"], amount=1000)
    after = (await bob.ok("place_bid", auction_id=met["id"], amount=1500))["auction"]
    assert after["reserve_met"] is True and "reserve" not in after
    assert (await until(watcher, "reserve_met"))["data"]["current_bid"] == 1500
    closed = (await admin.ok("close_auction", auction_id=met["id"]))["auction"]
    assert (closed["close_reason"], closed["price"]) == ("admin", 1500)
    assert closed["winner_username"] == bob.username


async def test_every_timed_auction_closes_at_its_end_even_when_many_end_together(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    auctions = [await new_auction(admin, duration_s=1) for _ in range(60)]
    last_end = max(parse_time(a["ends_at"]) for a in auctions)
    await asyncio.sleep(max(0.0, last_end - time.time()) + 2.0)
    still_open = []
    for auction in auctions:
        state = (await admin.ok("get_auction", auction_id=auction["id"]))["auction"]
        if state["status"] != "closed":
            still_open.append(auction["id"])
        else:
            assert state["closed_at"] == state["ends_at"] == auction["ends_at"]
            assert state["close_reason"] == "no_bids"
    assert still_open == [], f"{len(still_open)} of 60 auctions never closed"


async def test_a_lot_cancelled_before_its_turn_is_skipped_by_the_sale(house: House) -> None:
    admin = await house.admin_client("tcp")
    lot = {"starting_bid": 500, "duration_s": 1}
    sale = await admin.ok(
        "create_sale", name="short sale", lots=[{"name": n, **lot} for n in ("a", "b", "c")]
    )
    first, second, third = sale["auctions"]
    cancelled = (await admin.ok("cancel_auction", auction_id=second["id"]))["auction"]
    assert cancelled["status"] == "cancelled"
    watcher = await watch(house, third["id"])
    opened = await until(watcher, "auction_opened")
    a = (await admin.ok("get_auction", auction_id=first["id"]))["auction"]
    assert a["status"] == "closed" and opened["at"] == a["closed_at"]
    b = (await admin.ok("get_auction", auction_id=second["id"]))["auction"]
    assert b["status"] == "cancelled" and b["bid_count"] == 0


async def test_each_round_of_a_multi_unit_countdown_starts_its_clock_at_its_first_bid(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    ann, bob = await house.regular(0, "tcp"), await house.regular(1, "tcp")
    auction = await new_auction(admin, quantity=2, duration_s=None, countdown_s=1)
    aid = auction["id"]
    watcher = await watch(house, aid)
    await ann.ok("place_bid", auction_id=aid, amount=1000)
    assert (await until(watcher, "bid_placed"))["data"]["round"] == 1
    unit = await until(watcher, "unit_sold")
    assert unit["data"]["round"] == 1 and unit["data"]["units_left"] == 1
    waiting = (await admin.ok("get_auction", auction_id=aid))["auction"]
    assert (waiting["status"], waiting["round"], waiting["ends_at"]) == ("open", 2, None)
    await bob.ok("place_bid", auction_id=aid, amount=1000)  # round 2 starts from the start
    bid = await until(watcher, "bid_placed")
    assert bid["data"]["round"] == 2
    assert parse_time(bid["data"]["ends_at"]) == parse_time(bid["at"]) + 1
    closed = await until(watcher, "auction_closed")
    assert closed["data"]["reason"] == "sold_out"
    final = (await admin.ok("get_auction", auction_id=aid))["auction"]
    assert [s["round"] for s in final["sales"]] == [1, 2] and final["units_left"] == 0


async def test_bids_racing_the_end_are_either_before_it_or_refused(house: House) -> None:
    """No bid is accepted at or after `ends_at`, even before the close timer has run."""
    admin = await house.admin_client("tcp")
    ann, bob = await house.regular(0, "tcp"), await house.regular(1, "ws")
    auctions = [await new_auction(admin, duration_s=2, min_increment=1) for _ in range(10)]
    first_end = min(parse_time(a["ends_at"]) for a in auctions)
    await asyncio.sleep(max(0.0, first_end - time.time() - 0.15))
    codes: list[str] = []
    for round_ in range(12):  # bursts around the end, alternating bidders
        client = ann if round_ % 2 == 0 else bob
        replies = await asyncio.gather(
            *(
                client.request("place_bid", auction_id=a["id"], amount=1000 + round_)
                for a in auctions
            )
        )
        codes += ["ok" if r["ok"] else r["error"]["code"] for r in replies]
        await asyncio.sleep(25 * MS)
    assert set(codes) <= {"ok", "auction_not_open", "bid_too_low"}, codes
    for auction in auctions:
        state: dict[str, Any] = {}
        for _ in range(100):
            state = (await admin.ok("get_auction", auction_id=auction["id"]))["auction"]
            if state["status"] == "closed":
                break
            await asyncio.sleep(50 * MS)
        assert state["closed_at"] == state["ends_at"] == auction["ends_at"], state
        bids = (await admin.ok("get_bids", auction_id=auction["id"]))["bids"]
        late = [b for b in bids if parse_time(b["at"]) >= parse_time(auction["ends_at"])]
        assert late == [], late
        if bids:
            assert (state["price"], state["winner"]) == (bids[0]["amount"], bids[0]["bidder"])
