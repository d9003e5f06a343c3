"""Rule 4 and deadlines: countdown, soft close, extensions, next_deadline."""

from __future__ import annotations

from auctioneer.engine import AuctionExtended, BidPlaced, Status, next_deadline
from tests.engine.harness import MS, T0, AuctionHarness, kinds


def test_countdown_without_an_end_starts_at_the_first_bid() -> None:
    h = AuctionHarness()
    h.create(countdown_s=10)
    assert h.state.ends_at is None
    assert next_deadline(h.state) is None
    h.later(100)
    (placed,) = h.bid(1, 1000)
    assert isinstance(placed, BidPlaced) and placed.ends_at == T0 + 110 * MS
    assert next_deadline(h.state) == T0 + 110 * MS


def test_countdown_resets_on_every_bid_and_announces_the_extension() -> None:
    h = AuctionHarness()
    h.create(countdown_s=10)
    h.bid(1, 1000)
    h.later(4)
    events = h.bid(2, 1100)
    assert kinds(events) == ["bid_placed", "auction_extended"]
    assert isinstance(events[1], AuctionExtended)
    assert events[1].ends_at == T0 + 14 * MS == h.state.ends_at


def test_countdown_round_is_sold_when_ten_seconds_pass_without_a_bid() -> None:
    h = AuctionHarness()
    h.create(countdown_s=10)
    h.bid(1, 1000)
    h.later(9.999)
    assert h.tick() == []
    h.later(0.001)
    assert kinds(h.tick()) == ["unit_sold", "auction_closed"]


def test_countdown_never_shortens_a_fixed_end() -> None:
    h = AuctionHarness()
    h.create(duration_s=60, countdown_s=10)
    assert kinds(h.bid(1, 1000)) == ["bid_placed"]
    assert h.state.ends_at == T0 + 60 * MS
    h.later(55)
    events = h.bid(2, 1100)
    assert kinds(events) == ["bid_placed", "auction_extended"]
    assert h.state.ends_at == T0 + 65 * MS


def test_soft_close_bid_inside_the_window_moves_the_end() -> None:
    h = AuctionHarness()
    h.create(duration_s=60, soft_close_s=30)
    h.later(50)
    events = h.bid(1, 1000)
    assert kinds(events) == ["bid_placed", "auction_extended"]
    assert h.state.ends_at == T0 + 80 * MS


def test_soft_close_bid_outside_the_window_leaves_the_end() -> None:
    h = AuctionHarness()
    h.create(duration_s=60, soft_close_s=30)
    h.later(30)
    assert kinds(h.bid(1, 1000)) == ["bid_placed"]
    assert h.state.ends_at == T0 + 60 * MS


def test_soft_close_extends_for_a_proxy_answer_too() -> None:
    h = AuctionHarness()
    h.create(duration_s=60, soft_close_s=30)
    h.auto(1, 5000)
    h.later(59)
    events = h.bid(2, 2000)
    assert kinds(events) == ["bid_placed", "auction_extended", "bid_placed"]
    assert h.state.ends_at == T0 + 89 * MS


def test_a_late_tick_closes_at_the_deadline_not_before() -> None:
    h = AuctionHarness()
    h.create(duration_s=60)
    h.later(59)
    assert h.tick() == []
    h.later(3600)
    assert kinds(h.tick()) == ["auction_closed"]
    assert h.state.status is Status.CLOSED


def test_next_deadline_for_a_waiting_lot_is_none() -> None:
    h = AuctionHarness()
    h.create(sale_id=1, lot=2, waits=True)
    assert h.state.status is Status.SCHEDULED
    assert next_deadline(h.state) is None


def test_next_deadline_of_a_deleted_auction_is_none() -> None:
    h = AuctionHarness()
    h.create()
    h.delete()
    assert next_deadline(h.state) is None
