"""Concurrency: many clients bidding on one auction at the same instant.

One writer per auction decides each bid against the state the previous one
left: 50 equal bids at once make exactly one leader.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from typing import Any

from tests.e2e.support import PASSWORD, House, new_auction, unique
from tests.helpers.wire_clients import MS

REGULARS = 5
CONNECTIONS_PER_BIDDER = 10  # 50 clients; an account costs an Argon2 hash and check


async def fifty_clients(house: House) -> list[tuple[Any, Any]]:
    """50 connections (WebSocket and TCP alternating) of 5 bidders, 10 each."""
    accounts = house.regulars[:REGULARS]
    clients = []
    for i in range(REGULARS * CONNECTIONS_PER_BIDDER):
        account = accounts[i % REGULARS]
        clients.append((account, await house.connect("ws" if i % 2 else "tcp", account)))
    return clients


async def test_fifty_clients_bidding_the_same_amount_at_once_get_one_acceptance(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    clients = await fifty_clients(house)
    watcher = await house.connect("ws")
    await watcher.ok("subscribe", topic=f"auction:{auction['id']}")

    started = time.perf_counter()
    replies = await asyncio.gather(
        *(c.request("place_bid", auction_id=auction["id"], amount=1000) for _, c in clients)
    )
    elapsed_ms = (time.perf_counter() - started) * 1000

    accepted = [(a, r) for (a, _), r in zip(clients, replies, strict=True) if r["ok"]]
    assert len(accepted) == 1, accepted
    winner = accepted[0][0]
    refused = Counter(r["error"]["code"] for r in replies if not r["ok"])
    assert sum(refused.values()) == 49
    assert set(refused) <= {"bid_too_low", "already_leading"}, refused
    for (account, _), reply in zip(clients, replies, strict=True):
        if reply["ok"]:
            continue
        # The winner's other connections are the leader; everyone else is too low.
        expected = "already_leading" if account is winner else "bid_too_low"
        assert reply["error"]["code"] == expected, reply
        if expected == "bid_too_low":
            assert reply["error"]["minimum"] == 1100

    state = (await admin.ok("get_auction", auction_id=auction["id"]))["auction"]
    assert state["bid_count"] == 1 and state["current_bid"] == 1000
    assert state["leader"] == winner.paddle
    event = await watcher.next_event("bid_placed")
    assert event["data"]["bidder"] == winner.paddle
    assert await watcher.quiet(wait=200 * MS) == []
    print(
        f"\nconcurrency: 50 equal bids at once -> 1 accepted, {dict(refused)}, "
        f"all 50 replies in {elapsed_ms:.0f} ms"
    )


async def test_fifty_clients_bidding_different_amounts_at_once_leave_a_consistent_log(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin, starting_bid=100, min_increment=1)
    clients = await fifty_clients(house)
    amounts = [100 + 7 * i for i in range(50)]
    replies = await asyncio.gather(
        *(
            c.request("place_bid", auction_id=auction["id"], amount=amount)
            for (_, c), amount in zip(clients, amounts, strict=True)
        )
    )
    codes = Counter("ok" if r["ok"] else r["error"]["code"] for r in replies)
    assert set(codes) <= {"ok", "bid_too_low", "already_leading"}, codes
    bids = (await admin.ok("get_bids", auction_id=auction["id"], limit=500))["bids"]
    log = [b["amount"] for b in reversed(bids)]
    assert len(log) == codes["ok"]
    assert all(b - a >= 1 for a, b in itertools.pairwise(log))  # always rising
    state = (await admin.ok("get_auction", auction_id=auction["id"]))["auction"]
    assert state["current_bid"] == log[-1] == max(amounts)  # the top bid is never refused


async def test_buy_now_raced_by_fifty_clients_never_oversells(house: House) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin, quantity=3, buy_now=2500)
    clients = await fifty_clients(house)
    replies = await asyncio.gather(
        *(c.request("buy_now", auction_id=auction["id"]) for _, c in clients)
    )
    codes = Counter("ok" if r["ok"] else r["error"]["code"] for r in replies)
    assert codes["ok"] == 3, codes
    assert set(codes) <= {"ok", "auction_not_open", "buy_now_unavailable"}, codes
    final = (await admin.ok("get_auction", auction_id=auction["id"]))["auction"]
    assert (final["status"], final["close_reason"], final["units_left"]) == (
        "closed",
        "sold_out",
        0,
    )
    assert [s["round"] for s in final["sales"]] == [1, 2, 3]
    buyers = [p for p in (await admin.ok("get_purchases"))["purchases"]]
    mine = [p for p in buyers if p["auction_id"] == auction["id"]]
    assert len(mine) == 3 and all(p["price"] == 2500 and p["buy_now"] for p in mine)


async def test_one_username_registered_from_many_connections_at_once_is_taken_once(
    house: House,
) -> None:
    name = unique("race")
    clients = [await house.connect("tcp" if i % 2 else "ws") for i in range(4)]
    replies = await asyncio.gather(
        *(
            c.request("register", username=name, password=PASSWORD, timeout=60_000 * MS)
            for c in clients
        )
    )
    codes = sorted("ok" if r["ok"] else r["error"]["code"] for r in replies)
    assert codes == ["ok", "username_taken", "username_taken", "username_taken"], replies


async def test_fifty_clients_bidding_on_fifty_auctions_at_once_are_all_accepted(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    auctions = [await new_auction(admin) for _ in range(50)]
    clients = await fifty_clients(house)
    started = time.perf_counter()
    replies = await asyncio.gather(
        *(
            c.request("place_bid", auction_id=a["id"], amount=1000)
            for (_, c), a in zip(clients, auctions, strict=True)
        )
    )
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert all(r["ok"] for r in replies), [r for r in replies if not r["ok"]]
    for (account, _), reply in zip(clients, replies, strict=True):
        assert reply["result"]["auction"]["leader"] == account.paddle
    print(f"\nconcurrency: 50 bids on 50 auctions at once, all accepted in {elapsed_ms:.0f} ms")
