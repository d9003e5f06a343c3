"""The client's fold of auction events mirrors what the wire says."""

from __future__ import annotations

from typing import Any

from auctioneer.clients.book import AuctionBook, apply_event, auction_id_of_topic
from auctioneer.clients.session import Event

__all__: list[str] = []


def e(name: str, seq: int, **data: Any) -> Event:
    return Event(name, "auction:1", seq, "2026-11-21T10:00:00.000Z", data)


BASE: dict[str, Any] = {
    "id": 1,
    "status": "open",
    "current_bid": None,
    "leader": None,
    "bid_count": 0,
    "units_left": 2,
    "round": 1,
    "seq": 1,
}


def test_applying_an_event_leaves_the_input_unchanged() -> None:
    before = dict(BASE)
    apply_event(BASE, e("bid_placed", 2, amount=100, bidder="#1"))
    assert before == BASE


def test_a_sold_unit_starts_the_next_round_with_no_bids() -> None:
    a = apply_event(BASE, e("bid_placed", 2, amount=100, bidder="#1", current_bid=100, leader="#1"))
    a = apply_event(a, e("unit_sold", 3, round=1, winner="#1", price=100, units_left=1))
    assert (a["round"], a["current_bid"], a["leader"], a["units_left"]) == (2, None, None, 1)
    assert a["sales"] == [{"round": 1, "winner": "#1", "price": 100}]


def test_the_minimum_bid_is_the_servers_and_never_recomputed() -> None:
    a = apply_event(
        {**BASE, "minimum_bid": 100, "starting_bid": 100, "min_increment": 10},
        e("bid_placed", 2, amount=100, bidder="#1", minimum_bid=125),
    )
    assert a["minimum_bid"] == 125
    a = apply_event(a, e("bid_placed", 3, amount=125, bidder="#2"))  # an older server: unknown
    assert a["minimum_bid"] is None
    a = apply_event(a, e("unit_sold", 4, round=1, winner="#2", price=125, units_left=1,
                         minimum_bid=100, passes_at="2026-11-21T10:01:00.000Z"))  # fmt: skip
    assert (a["minimum_bid"], a["passes_at"]) == (100, "2026-11-21T10:01:00.000Z")
    a = apply_event(a, e("auction_closed", 5, reason="no_bids"))
    assert (a["minimum_bid"], a["passes_at"]) == (None, None)


def test_closing_records_the_winner_and_the_reason() -> None:
    a = apply_event(BASE, e("auction_closed", 2, winner="#1", price=100, reason="ended"))
    assert (a["status"], a["winner"], a["reason"]) == ("closed", "#1", "ended")
    c = apply_event(BASE, e("auction_closed", 2, winner=None, price=None, reason="cancelled"))
    assert c["status"] == "cancelled"


def test_extensions_and_reserve_change_only_their_fields() -> None:
    a = apply_event(BASE, e("auction_extended", 2, ends_at="2026-11-21T10:00:10.000Z"))
    a = apply_event(a, e("reserve_met", 3))
    assert (a["ends_at"], a["reserve_met"], a["seq"]) == ("2026-11-21T10:00:10.000Z", True, 3)


def test_the_book_ignores_stale_replies_and_events() -> None:
    book = AuctionBook()
    book.put({**BASE, "seq": 5, "current_bid": 500})
    book.put({**BASE, "seq": 4, "current_bid": 400})
    book.absorb_event(e("bid_placed", 5, amount=450))
    held = book.get(1)
    assert held is not None and held["current_bid"] == 500


def test_topic_names_give_auction_ids() -> None:
    assert auction_id_of_topic("auction:42") == 42
    assert auction_id_of_topic("auctions") is None
    assert auction_id_of_topic("auction:x") is None
