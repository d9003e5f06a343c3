"""Personal notices: outbid, won, auction_lost, auto_bid_exhausted."""

from __future__ import annotations

import json

from auctioneer.engine import NOTICE_KINDS, Notice, new_auction, notices
from tests.engine.harness import AuctionHarness


def test_outbid_tells_the_displaced_leader_the_new_current_bid() -> None:
    h = AuctionHarness()
    h.create(name="Brass lamp")
    h.bid(1, 1000)
    h.bid(2, 1500)
    assert h.notices_for(1) == [
        Notice(1, "outbid", {"auction_id": 1, "name": "Brass lamp", "amount": 1500, "round": 1})
    ]
    assert h.notices_for(2) == []


def test_a_proxy_answering_at_once_is_no_outbid_for_its_owner() -> None:
    h = AuctionHarness()
    h.create()
    h.auto(1, 5000)
    h.bid(2, 2000)
    assert h.notices_for(1) == []
    assert [n.kind for n in h.notices_for(2)] == ["outbid"]
    assert h.notices_for(2)[0].data["amount"] == 2100


def test_a_proxy_beaten_by_a_new_maximum_is_outbid_then_exhausted() -> None:
    h = AuctionHarness()
    h.create()
    h.auto(1, 3000)
    h.auto(2, 5000)
    assert [n.kind for n in h.notices_for(1)] == ["outbid", "auto_bid_exhausted"]
    assert h.notices_for(1)[1].data == {
        "auction_id": 1,
        "name": "Lamp",
        "max_amount": 3000,
        "current_bid": 3100,
    }


def test_won_and_auction_lost_when_the_round_closes() -> None:
    h = AuctionHarness()
    h.create()
    h.bid(1, 1000)
    h.bid(2, 1100)
    h.bid(3, 1200)
    h.until_end()
    assert h.notices_for(3) == [
        Notice(
            3, "won", {"auction_id": 1, "name": "Lamp", "price": 1200, "round": 1, "buy_now": False}
        )
    ]
    for loser in (1, 2):
        assert h.notices_for(loser, "auction_lost") == [
            Notice(
                loser,
                "auction_lost",
                {"auction_id": 1, "name": "Lamp", "price": 1200, "round": 1, "reason": "ended"},
            )
        ]


def test_auction_lost_without_a_sale_carries_no_price() -> None:
    h = AuctionHarness()
    h.create(reserve=5000)
    h.bid(1, 1000)
    h.until_end()
    (lost,) = h.notices_for(1, "auction_lost")
    assert lost.data["price"] is None and lost.data["reason"] == "reserve_not_met"


def test_cancel_tells_every_bidder_of_the_round() -> None:
    h = AuctionHarness()
    h.create()
    h.bid(1, 1000)
    h.bid(2, 1100)
    h.cancel()
    assert {n.user_id for n in h.sent if n.kind == "auction_lost"} == {1, 2}
    assert all(n.data["reason"] == "cancelled" for n in h.sent if n.kind == "auction_lost")


def test_multi_unit_rounds_notify_each_rounds_losers() -> None:
    h = AuctionHarness()
    h.create(quantity=2)
    h.bid(1, 1000)
    h.bid(2, 1100)
    h.until_end()
    (lost,) = h.notices_for(1, "auction_lost")
    assert (lost.data["round"], lost.data["reason"], lost.data["price"]) == (1, "ended", 1100)
    h.bid(1, 1000)
    h.until_end()
    assert h.notices_for(1, "won")[0].data["round"] == 2
    assert [n.kind for n in h.notices_for(2)] == ["won"]


def test_buy_now_on_a_multi_unit_lot_tells_nobody_lost_when_nobody_bid() -> None:
    h = AuctionHarness()
    h.create(quantity=2, buy_now=9000)
    h.buy(5)
    assert [n.kind for n in h.sent] == ["won"]
    assert h.sent[0].data["buy_now"] is True


def test_every_unit_sold_tells_its_winner_and_buy_now_rounds_have_no_losers() -> None:
    h = AuctionHarness()
    h.create(quantity=3, buy_now=9000)
    h.buy(5)
    h.bid(1, 1000)
    h.until_end()
    assert [n.kind for n in h.sent] == ["won", "won"]


def test_notices_from_creation_know_the_name_and_are_json() -> None:
    h = AuctionHarness()
    assert notices(new_auction(1), []) == []
    h.create(name="Clock")
    h.bid(1, 1000)
    h.bid(2, 1100)
    h.until_end()
    assert {n.kind for n in h.sent} <= set(NOTICE_KINDS)
    for notice in h.sent:
        assert notice.data["name"] == "Clock"
        json.dumps(notice.data)
