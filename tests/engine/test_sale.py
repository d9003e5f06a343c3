"""Rule 8 of issue 2: sequential sales, the next lot opens when the previous closes."""

from __future__ import annotations

from auctioneer.engine import (
    AuctionClosed,
    InvalidTransition,
    OpenLot,
    PlaceBid,
    Status,
    next_deadline,
    next_lot_number,
    next_lot_opens,
)
from tests.engine.harness import MS, T0, AuctionHarness, kinds


def sale(lots: int, **spec: int | None) -> list[AuctionHarness]:
    """Lot 1 opens now; every later lot waits for the one before it."""
    harnesses = []
    for lot in range(1, lots + 1):
        h = AuctionHarness(auction_id=lot)
        h.create(sale_id=9, lot=lot, waits=lot > 1, **spec)
        harnesses.append(h)
    return harnesses


def test_next_lot_opens_when_the_previous_lot_closes() -> None:
    first, second, third = sale(3, countdown_s=10, duration_s=None)
    assert [h.state.status for h in (first, second, third)] == [
        Status.OPEN,
        Status.SCHEDULED,
        Status.SCHEDULED,
    ]
    assert next_deadline(second.state) is None
    first.bid(1, 1000)
    events = first.until_end()
    closed = events[-1]
    assert isinstance(closed, AuctionClosed)
    assert (closed.sale_id, closed.next_lot) == (9, 2)
    assert next_lot_opens(events) and next_lot_number(events) == 2
    second.at(first.now)
    assert kinds(second.open_lot()) == ["auction_opened"]
    assert second.state.status is Status.OPEN and second.state.ends_at is None


def test_a_lot_closing_with_no_bids_still_opens_the_next() -> None:
    first, _ = sale(2)
    events = first.until_end()
    assert next_lot_number(events) == 2


def test_an_auction_outside_a_sale_opens_no_lot() -> None:
    h = AuctionHarness()
    h.create()
    events = h.until_end()
    assert not next_lot_opens(events) and next_lot_number(events) is None
    assert isinstance(events[-1], AuctionClosed) and events[-1].sale_id is None


def test_cancelling_the_running_lot_opens_the_next() -> None:
    first, _ = sale(2)
    assert next_lot_opens(first.cancel())


def test_a_waiting_lot_cancelled_before_its_turn_opens_nothing_and_refuses_open_lot() -> None:
    _, second, _ = sale(3)
    events = second.cancel()
    assert not next_lot_opens(events)
    assert isinstance(second.refuse(OpenLot()), InvalidTransition)


def test_open_lot_twice_is_refused() -> None:
    _, second = sale(2)
    second.open_lot()
    assert isinstance(second.refuse(OpenLot()), InvalidTransition)


def test_first_lot_may_be_scheduled_by_time() -> None:
    h = AuctionHarness()
    h.create(sale_id=9, lot=1, starts_at=T0 + 60 * MS)
    assert next_deadline(h.state) == T0 + 60 * MS


def test_a_countdown_lot_with_no_bid_passes_unsold_and_opens_the_next() -> None:
    first, second = sale(2, countdown_s=10, duration_s=None, pass_after_s=60)
    assert first.state.ends_at is None
    assert next_deadline(first.state) == T0 + 60 * MS
    first.later(59.999)
    assert first.tick() == []
    first.later(0.001)
    events = first.tick()
    assert kinds(events) == ["auction_closed"]
    closed = events[-1]
    assert isinstance(closed, AuctionClosed)
    assert (closed.reason.value, closed.next_lot) == ("no_bids", 2)
    second.at(first.now)
    second.open_lot()
    assert next_deadline(second.state) == first.now + 60 * MS  # its own minute from its open


def test_a_bid_at_the_pass_time_is_refused_even_before_the_tick() -> None:
    (first,) = sale(1, countdown_s=10, duration_s=None, pass_after_s=30)
    first.later(30)
    assert first.refuse(PlaceBid(bidder_id=1, paddle=101, amount=1000)).code == "auction_not_open"


def test_a_first_bid_before_the_pass_time_starts_the_countdown_and_the_pass_is_gone() -> None:
    (first,) = sale(1, countdown_s=10, duration_s=None, pass_after_s=30)
    first.later(29)
    first.bid(1, 1000)
    assert first.state.ends_at == first.now + 10 * MS
    assert next_deadline(first.state) == first.state.ends_at
    first.later(10)
    assert kinds(first.tick()) == ["unit_sold", "auction_closed"]


def test_the_pass_never_shortens_a_lot_that_has_an_end() -> None:
    (first,) = sale(1, duration_s=300, pass_after_s=30)
    assert next_deadline(first.state) == T0 + 300 * MS
    first.later(60)
    assert first.tick() == []


def test_the_next_round_of_a_multi_unit_countdown_lot_passes_too() -> None:
    (first,) = sale(1, countdown_s=10, duration_s=None, pass_after_s=30, quantity=3)
    first.bid(1, 1000)
    first.later(10)
    assert kinds(first.tick()) == ["unit_sold"]  # round 2 starts with no end and no bid
    assert next_deadline(first.state) == first.now + 30 * MS
    first.later(30)
    assert kinds(first.tick()) == ["auction_closed"]
    assert first.state.units_left == 2
