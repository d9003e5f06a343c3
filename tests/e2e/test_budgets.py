"""Cross-lot budgets of a sale through a real server: set_budget, get_budget, and the lots."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Template
from tests.e2e.support import House, stop_server
from tests.helpers.server import start_server

BIDDERS = 2
REGULARS = 0
LOT = {"starting_bid": 100, "min_increment": 50}  # each lot waits for its first bid


async def _sale(admin: Any) -> list[int]:
    # Lot 2 has a few seconds between bids for the budget to change mid-lot.
    lots = [{"name": f"Lot {i}", **LOT, "countdown_s": s} for i, s in ((1, 1), (2, 4), (3, 1))]
    made = await admin.ok("create_sale", name="Budgets", lots=lots, pass_after_s=600)
    return [a["id"] for a in made["auctions"]]


async def test_a_budget_limits_lots_and_money_across_a_sale(house: House) -> None:
    admin = await house.admin_client("tcp")
    lot1, lot2, lot3 = await _sale(admin)
    sale_id = (await admin.ok("get_auction", auction_id=lot1))["auction"]["sale_id"]
    ann, bob = await house.bidders(2, "ws")
    watcher = await house.connect("ws")
    for lot in (lot1, lot2, lot3):
        await watcher.ok("subscribe", topic=f"auction:{lot}")
    await ann.ok("subscribe", topic="user:me")

    budget = (await ann.ok("set_budget", sale_id=sale_id, max_lots=1))["budget"]
    assert budget == {
        "sale_id": sale_id, "max_lots": 1, "max_spend": None, "lots_won": 0, "spent": 0,
        "lots_left": 1, "spend_left": None,
    }  # fmt: skip
    await ann.ok("place_bid", auction_id=lot1, amount=100)
    await watcher.next_event("auction_closed", topic=f"auction:{lot1}")  # ann won lot 1 at 1.00
    await watcher.next_event("auction_opened", topic=f"auction:{lot2}")

    # One lot won: the budget allows no more, whatever the price.
    refused = await ann.request("place_bid", auction_id=lot2, amount=100)
    assert refused["error"]["code"] == "budget_exceeded"
    assert refused["error"]["lots_left"] == 0
    got = (await ann.ok("get_budget", sale_id=sale_id))["budget"]
    assert (got["lots_won"], got["spent"], got["lots_left"]) == (1, 100, 0)

    # Raised mid-lot: the running lot learns it at once. 3.00 in all leaves 2.00.
    await ann.ok("set_budget", sale_id=sale_id, max_lots=2, max_spend=300)
    refused = await ann.request("start_auto_bid", auction_id=lot2, max_amount=250)
    assert refused["error"] == {
        "code": "budget_exceeded",
        "message": "Your budget for this sale has 2.00 left",
        "lots_left": 1,
        "spend_left": 200,
    }
    await ann.ok("start_auto_bid", auction_id=lot2, max_amount=200)  # leads at 1.00
    # Lowered to 2.50 in all (1.50 left here): the proxy bids at most that ...
    await ann.ok("set_budget", sale_id=sale_id, max_lots=2, max_spend=250)
    after = (await bob.ok("place_bid", auction_id=lot2, amount=150))["auction"]
    assert after["current_bid"] == 150  # ann's proxy holds 1.50 (its tie, set earlier)
    assert after["leader"] == f"#{ann.user['paddle']}"
    # ... and once outbid beyond it, it is withdrawn and ann is told.
    await bob.ok("place_bid", auction_id=lot2, amount=200)
    notice = await ann.next_event("budget_reached", topic="user:me")
    assert notice["data"]["auction_id"] == lot2 and notice["data"]["sale_id"] == sale_id
    await watcher.next_event("auction_closed", topic=f"auction:{lot2}")  # bob won lot 2
    await watcher.next_event("auction_opened", topic=f"auction:{lot3}")

    # Lot 3 got ann's budget as it opened: 1.50 left of 2.50.
    refused = await ann.request("place_bid", auction_id=lot3, amount=200)
    assert refused["error"]["code"] == "budget_exceeded" and refused["error"]["spend_left"] == 150
    await ann.ok("place_bid", auction_id=lot3, amount=150)
    await watcher.next_event("auction_closed", topic=f"auction:{lot3}")
    got = (await ann.ok("get_budget", sale_id=sale_id))["budget"]
    assert (got["lots_won"], got["spent"], got["lots_left"], got["spend_left"]) == (2, 250, 0, 0)


async def test_budget_requests_are_checked(house: House) -> None:
    admin = await house.admin_client("http")
    lot1, _, _ = await _sale(admin)
    sale_id = (await admin.ok("get_auction", auction_id=lot1))["auction"]["sale_id"]
    anonymous = await house.connect("http")
    assert await anonymous.error("get_budget", sale_id=sale_id) == "unauthorized"
    (bidder,) = await house.bidders(1, "http")
    assert await bidder.error("set_budget", sale_id=999_999, max_lots=1) == "not_found"
    assert await bidder.error("set_budget", sale_id=sale_id, max_spend=-5) == "invalid_amount"
    assert await bidder.error("set_budget", sale_id=sale_id, max_lots=1.5) == "bad_request"
    removed = (await bidder.ok("set_budget", sale_id=sale_id))["budget"]
    assert removed["max_lots"] is None and removed["max_spend"] is None


async def test_a_lot_that_opens_at_start_up_gets_its_budgets(
    db_copy: Path, template: Template
) -> None:
    """The previous lot ended while the server was down: the lot that opens
    after the restart still gets the sale's budgets from the table."""
    server = await asyncio.to_thread(start_server, db_copy, "--bid-rate", "0")
    house = House(server, template.admin, regulars=template.accounts[:2])
    try:
        admin = await house.admin_client("tcp")
        lots = [{"name": n, **LOT, "countdown_s": 1} for n in ("x", "y")]
        made = await admin.ok("create_sale", name="Restart", lots=lots, pass_after_s=600)
        (lot1, lot2), sale_id = [a["id"] for a in made["auctions"]], made["sale"]["id"]
        ann = await house.connect("ws", house.regulars[0])
        await ann.ok("set_budget", sale_id=sale_id, max_spend=300)
        await ann.ok("place_bid", auction_id=lot1, amount=200)  # lot 1 ends a second later
        await house.close_all()
        await asyncio.to_thread(stop_server, house.server, signal.SIGKILL)
        await asyncio.sleep(1.2)  # lot 1's end passes while the server is down
        house.server = await asyncio.to_thread(start_server, server.db_url, "--bid-rate", "0")
        ann = await house.connect("tcp", house.regulars[0])
        for _ in range(100):  # lot 1 closes at start-up, then lot 2 opens (bounded wait)
            if (await ann.ok("get_auction", auction_id=lot2))["auction"]["status"] == "open":
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("lot 2 did not open after the restart")
        refused = await ann.request("place_bid", auction_id=lot2, amount=150)
        assert refused["error"]["code"] == "budget_exceeded"
        assert refused["error"]["spend_left"] == 100
    finally:
        await house.close_all()
        await asyncio.to_thread(stop_server, house.server)
