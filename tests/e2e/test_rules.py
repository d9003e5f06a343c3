"""Retries and personal notices, end to end.

docs/protocol.md rule 10: a write retried with the same `id` by the same user
returns the first reply and changes nothing more. `user:me` carries
`outbid`, `won`, `auction_lost` and `auto_bid_exhausted`, with its own
gapless seq; winners find the sale in `get_purchases`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.e2e.support import House, new_auction
from tests.helpers.wire_clients import MS

BIDDERS = 3
REGULARS = 2


async def test_a_bid_retried_with_the_same_id_by_the_same_user_is_placed_once(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    aid = auction["id"]
    ann_ws = await house.regular(0, "ws")
    ann_tcp = await house.regular(0, "tcp")
    first = await ann_ws.request("place_bid", id="bid-1", auction_id=aid, amount=1000)
    assert first["ok"] is True
    again = await ann_ws.request("place_bid", id="bid-1", auction_id=aid, amount=1000)
    assert again == first
    # On another connection of the same user, and even with another amount: the first reply.
    elsewhere = await ann_tcp.request("place_bid", id="bid-1", auction_id=aid, amount=2500)
    assert elsewhere == first
    # The same id from another user is another request.
    bob = await house.regular(1, "tcp")
    theirs = await bob.request("place_bid", id="bid-1", auction_id=aid, amount=1100)
    assert theirs["ok"] is True and theirs["result"]["auction"]["current_bid"] == 1100
    state = (await admin.ok("get_auction", auction_id=aid))["auction"]
    assert state["bid_count"] == 2 and state["current_bid"] == 1100


async def test_retries_sent_at_once_get_one_bid_and_identical_replies(house: House) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    ann = await house.regular(0, "tcp")
    ann_ws = await house.regular(0, "ws")
    clients = (ann, ann, ann, ann_ws, ann_ws)
    request = {"id": "burst", "action": "place_bid", "auction_id": auction["id"], "amount": 1000}
    await asyncio.gather(*(client.send(request) for client in clients))
    replies = [await client.next_reply() for client in clients]  # same id: raw replies
    assert all(r["id"] == "burst" for r in replies)
    results = [r["result"] for r in replies]
    assert all(r["ok"] for r in replies), replies
    assert all(r == results[0] for r in results)
    bids = (await admin.ok("get_bids", auction_id=auction["id"]))["bids"]
    assert len(bids) == 1


async def test_an_http_write_retried_with_the_same_idempotency_key_is_applied_once(
    house: House,
) -> None:
    admin = await house.admin_client("http")
    key = "create-once"
    first = await admin.request(
        "create_auction", idempotency_key=key, name="once", starting_bid=100, duration_s=60
    )
    again = await admin.request(
        "create_auction", idempotency_key=key, name="twice", starting_bid=100, duration_s=60
    )
    assert first["ok"] and again["result"] == first["result"]
    ann = await house.regular(0, "http")
    aid = first["result"]["auction"]["id"]
    bid = await ann.request("place_bid", idempotency_key="b", auction_id=aid, amount=100)
    retry = await ann.request("place_bid", idempotency_key="b", auction_id=aid, amount=100)
    assert bid["ok"] and retry["result"] == bid["result"]
    names = [a["name"] for a in (await admin.ok("get_auctions"))["auctions"]]
    assert names.count("once") == 1 and "twice" not in names
    state = (await admin.ok("get_auction", auction_id=aid))["auction"]
    assert state["bid_count"] == 1


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["event"] for e in events]


async def test_bidders_get_outbid_exhausted_won_and_lost_notices_and_the_winner_a_purchase(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    ann, bob, carol = await house.bidders(3, "ws")
    auction = await new_auction(admin, duration_s=3)
    aid = auction["id"]
    for client in (ann, bob, carol):
        assert await client.ok("subscribe", topic="user:me") == {"topic": "user:me", "seq": 0}
    await ann.ok("place_bid", auction_id=aid, amount=1000)
    await carol.ok("place_bid", auction_id=aid, amount=1100)  # ann: outbid
    await ann.ok("start_auto_bid", auction_id=aid, max_amount=1500)  # ann leads at 1200
    await bob.ok("place_bid", auction_id=aid, amount=1500)  # ann's maximum answers: 1500
    state = (await bob.ok("place_bid", auction_id=aid, amount=1600))["auction"]
    assert state["leader"] == f"#{bob.user['paddle']}"  # ann's maximum is exhausted

    closed = await bob.next_event("won", topic="user:me", timeout=20_000 * MS)
    assert closed["data"]["auction_id"] == aid and closed["data"]["price"] == 1600
    await carol.next_event("auction_lost", topic="user:me", timeout=10_000 * MS)
    live: list[dict[str, Any]] = []
    while not live or live[-1]["event"] != "auction_lost":
        live.append(await ann.next_event(topic="user:me", timeout=10_000 * MS))
    assert all(e["data"]["auction_id"] == aid for e in live)

    # The notices are stored: get_notices, and user:me with since, give the same list.
    ann_all = (await ann.ok("get_notices"))["notices"]
    names = [n["event"] for n in ann_all]
    assert "auto_bid_exhausted" in names and names[0] == "outbid" and names[-1] == "auction_lost"
    assert [n["seq"] for n in ann_all] == list(range(1, len(ann_all) + 1))
    assert kinds(live) == names
    back = await house.connect("tcp")
    await back.ok("auth", token=ann.token)
    assert (await back.ok("subscribe", topic="user:me", since=0))["seq"] == len(ann_all)
    pushed = await back.collect_events(len(ann_all), topic="user:me")
    assert kinds(pushed) == names and [e["seq"] for e in pushed] == [n["seq"] for n in ann_all]

    purchases = (await bob.ok("get_purchases"))["purchases"]
    assert [(p["auction_id"], p["price"], p["buy_now"]) for p in purchases] == [(aid, 1600, False)]
    assert (await ann.ok("get_purchases"))["purchases"] == []
    everyone = (await admin.ok("get_purchases"))["purchases"]
    assert [p["username"] for p in everyone if p["auction_id"] == aid] == [bob.username]
    final = (await admin.ok("get_auction", auction_id=aid))["auction"]
    assert final["closed_at"] == final["ends_at"] == auction["ends_at"]
    assert (final["winner_username"], final["close_reason"]) == (bob.username, "ended")


async def test_auto_bids_answer_manual_bids_at_once_and_equal_maxima_favour_the_first(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    ann, bob = await house.regular(0, "ws"), await house.regular(1, "tcp")
    auction = await new_auction(admin)
    aid, topic = auction["id"], f"auction:{auction['id']}"
    watcher = await house.connect("ws")
    await watcher.ok("subscribe", topic=topic)

    opened = (await ann.ok("start_auto_bid", auction_id=aid, max_amount=5000))["auction"]
    assert (opened["current_bid"], opened["leader"]) == (
        1000,
        f"#{ann.user['paddle']}",
    )  # opening bid
    raised = (await ann.ok("start_auto_bid", auction_id=aid, max_amount=6000))["auction"]
    assert raised["current_bid"] == 1000 and raised["bid_count"] == 1  # the leader may raise
    answered = (await bob.ok("place_bid", auction_id=aid, amount=1500))["auction"]
    assert (answered["current_bid"], answered["leader"]) == (1600, f"#{ann.user['paddle']}")
    events = [await watcher.next_event("bid_placed", topic=topic) for _ in range(3)]
    assert [(e["data"]["amount"], e["data"]["auto"]) for e in events] == [
        (1000, True),
        (1500, False),  # the manual bid first, then the answer
        (1600, True),
    ]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    # Equal maxima: the earlier auto-bid leads at that maximum.
    tied = (await bob.ok("start_auto_bid", auction_id=aid, max_amount=6000))["auction"]
    assert (tied["current_bid"], tied["leader"]) == (6000, f"#{ann.user['paddle']}")
    notices = (await bob.ok("get_notices"))["notices"]
    assert "auto_bid_exhausted" in [n["event"] for n in notices]


async def test_an_unsubscribed_topic_sends_nothing_more(house: House) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    topic = f"auction:{auction['id']}"
    watcher = await house.connect("tcp")
    await watcher.ok("subscribe", topic=topic)
    ann = await house.regular(0, "tcp")
    await ann.ok("place_bid", auction_id=auction["id"], amount=1000)
    assert (await watcher.next_event("bid_placed", topic=topic))["data"]["amount"] == 1000
    assert await watcher.ok("unsubscribe", topic=topic) == {}
    bob = await house.regular(1, "tcp")
    await bob.ok("place_bid", auction_id=auction["id"], amount=1100)
    assert await watcher.quiet(topic=topic, wait=300 * MS) == []


async def test_get_bids_pages_newest_first_with_before_seq_and_a_default_of_100(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin, starting_bid=100, min_increment=1)
    aid = auction["id"]
    ann, bob = await house.regular(0, "tcp"), await house.regular(1, "tcp")
    for i in range(120):
        await (ann if i % 2 == 0 else bob).ok("place_bid", auction_id=aid, amount=100 + i)
    newest = (await ann.ok("get_bids", auction_id=aid))["bids"]
    assert len(newest) == 100
    assert [b["amount"] for b in newest] == list(range(219, 119, -1))
    older = (await ann.ok("get_bids", auction_id=aid, before_seq=newest[-1]["seq"]))["bids"]
    assert [b["amount"] for b in older] == list(range(119, 99, -1))
    assert (await ann.ok("get_bids", auction_id=aid, before_seq=older[-1]["seq"]))["bids"] == []
    detail = await ann.ok("get_auction", auction_id=aid)
    assert detail["bids"] == newest[:50]  # get_auction: the last 50, newest first
