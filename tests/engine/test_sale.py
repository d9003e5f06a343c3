"""Rule 8 of issue 2: sequential sales, the next lot opens when the previous closes."""

from __future__ import annotations

from auctioneer.engine import (
    AuctionClosed,
    InvalidTransition,
    OpenLot,
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
