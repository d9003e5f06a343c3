"""Rules 5-7: rounds of a multi-unit lot, sold out, reserve, buy-now."""

from __future__ import annotations

from auctioneer.engine import (
    AuctionClosed,
    AuctionNotOpen,
    AutoBidExhausted,
    BuyNow,
    BuyNowUnavailable,
    Status,
    UnitSold,
)
from tests.engine.harness import MS, T0, AuctionHarness, bids_of, kinds


def test_each_round_sells_one_unit_and_the_next_starts_at_the_starting_bid() -> None:
    h = AuctionHarness()
    h.create(quantity=3, starting_bid=1000, duration_s=60)
    h.bid(1, 1000)
    h.bid(2, 1500)
    h.later(60)
    events = h.tick()
    assert kinds(events) == ["unit_sold"]
    sold = events[0]
    assert isinstance(sold, UnitSold)
    assert (sold.round, sold.winner_id, sold.price, sold.units_left) == (1, 2, 1500, 2)
    assert sold.next_ends_at == T0 + 120 * MS
    state = h.state
    assert (state.round, state.current_bid, state.leader_id, state.units_left) == (2, None, None, 2)
    assert state.round_bidders == frozenset() and state.bidders == {1, 2}
    assert state.round_started_at == T0 + 60 * MS


def test_last_unit_sold_closes_the_lot_sold_out() -> None:
    h = AuctionHarness()
    h.create(quantity=2, duration_s=60)
    h.bid(1, 1000)
    h.until_end()
    h.bid(2, 1200)
    events = h.until_end()
    assert kinds(events) == ["unit_sold", "auction_closed"]
    closed = events[-1]
    assert isinstance(closed, AuctionClosed)
    assert (closed.reason, closed.winner_id, closed.price) == ("sold_out", 2, 1200)
    assert [(s.round, s.winner_id, s.price) for s in h.state.sales] == [(1, 1, 1000), (2, 2, 1200)]
    assert h.state.units_left == 0 and h.state.status is Status.CLOSED


def test_round_with_no_bids_closes_the_lot_with_units_unsold() -> None:
    h = AuctionHarness()
    h.create(quantity=3, duration_s=60)
    h.bid(1, 1000)
    h.until_end()
    events = h.until_end()
    assert kinds(events) == ["auction_closed"]
    assert isinstance(events[0], AuctionClosed) and events[0].reason == "no_bids"
    assert h.state.units_left == 2 and len(h.state.sales) == 1


def test_round_below_the_reserve_closes_the_lot_reserve_not_met() -> None:
    h = AuctionHarness()
    h.create(quantity=3, starting_bid=1000, reserve=2000, duration_s=60)
    h.bid(1, 2000)
    h.until_end()
    assert h.state.reserve_met is False
    h.bid(2, 1000)
    events = h.until_end()
    assert isinstance(events[-1], AuctionClosed) and events[-1].reason == "reserve_not_met"


def test_countdown_lot_restarts_its_countdown_at_the_next_rounds_first_bid() -> None:
    h = AuctionHarness()
    h.create(quantity=2, countdown_s=10)
    h.bid(1, 1000)
    sold = h.until_end()[0]
    assert isinstance(sold, UnitSold) and sold.next_ends_at is None
    assert h.state.ends_at is None
    h.later(30)
    h.bid(2, 1000)
    assert h.state.ends_at == h.now + 10 * MS


def test_ends_at_lot_gives_every_round_the_length_of_the_first() -> None:
    h = AuctionHarness()
    h.create(quantity=2, ends_at=T0 + 100 * MS)
    h.bid(1, 1000)
    h.later(130)  # the Tick comes 30 s late
    sold = h.tick()[0]
    assert isinstance(sold, UnitSold) and sold.next_ends_at == h.now + 100 * MS


def test_losers_maxima_carry_over_and_bid_at_once_in_the_next_round() -> None:
    h = AuctionHarness()
    h.create(quantity=3, starting_bid=1000, min_increment=100, duration_s=60)
    h.auto(3, 2000)
    h.auto(2, 3000)
    h.auto(1, 5000)
    assert (h.leader, h.price) == (1, 3100)
    events = h.until_end()
    assert kinds(events)[:2] == ["unit_sold", "bid_placed"]
    # Round 2: the winner's maximum is spent; 2 (3000) beats 3 (2000) at 2100.
    assert bids_of(events) == [(3, 2000, True), (2, 2100, True)]
    assert sorted(ab.bidder_id for ab in h.state.auto_bids) == [2, 3]
    assert h.state.round == 2
    events = h.until_end()
    # Round 3: only 3's maximum is left; it opens at the starting bid.
    assert bids_of(events) == [(3, 1000, True)]
    assert kinds(h.until_end()) == ["unit_sold", "auction_closed"]
    assert [s.winner_id for s in h.state.sales] == [1, 2, 3]


def test_three_maxima_at_a_round_start_the_third_bids_nothing_and_is_exhausted() -> None:
    h = AuctionHarness()
    h.create(quantity=2, starting_bid=1000, duration_s=60)
    for bidder, max_amount in ((4, 1500), (3, 2000), (2, 3000), (1, 5000)):
        h.auto(bidder, max_amount)
    events = h.until_end()
    assert bids_of(events) == [(3, 2000, True), (2, 2100, True)]
    exhausted = [e.bidder_id for e in events if isinstance(e, AutoBidExhausted)]
    assert sorted(exhausted) == [3, 4]
    assert h.notices_for(4, "auto_bid_exhausted")[-1].data["current_bid"] == 2100


def test_buy_now_sells_a_single_unit_and_closes_with_buy_now() -> None:
    h = AuctionHarness()
    h.create(starting_bid=1000, buy_now=9000)
    events = h.buy(4)
    assert kinds(events) == ["unit_sold", "auction_closed"]
    sold, closed = events
    assert isinstance(sold, UnitSold) and sold.buy_now and sold.price == 9000
    assert isinstance(closed, AuctionClosed)
    assert (closed.reason, closed.winner_id, closed.price) == ("buy_now", 4, 9000)


def test_buy_now_is_gone_after_the_first_bid_of_the_round() -> None:
    h = AuctionHarness()
    h.create(starting_bid=1000, buy_now=9000)
    h.bid(1, 1000)
    error = h.refuse(BuyNow(bidder_id=4, paddle=104))
    assert isinstance(error, BuyNowUnavailable) and error.code == "buy_now_unavailable"


def test_buy_now_without_a_buy_now_price_is_unavailable() -> None:
    h = AuctionHarness()
    h.create(starting_bid=1000)
    assert isinstance(h.refuse(BuyNow(bidder_id=4, paddle=104)), BuyNowUnavailable)


def test_buy_now_after_the_deadline_is_not_open() -> None:
    h = AuctionHarness()
    h.create(starting_bid=1000, buy_now=9000, duration_s=5)
    h.later(5)
    assert isinstance(h.refuse(BuyNow(bidder_id=4, paddle=104)), AuctionNotOpen)


def test_buy_now_on_a_multi_unit_lot_sells_one_unit_and_starts_the_next_round() -> None:
    h = AuctionHarness()
    h.create(quantity=2, starting_bid=1000, buy_now=9000, duration_s=60)
    h.later(10)
    assert kinds(h.buy(4)) == ["unit_sold"]
    assert (h.state.round, h.state.ends_at) == (2, h.now + 60 * MS)
    h.bid(1, 1000)
    assert isinstance(h.refuse(BuyNow(bidder_id=5, paddle=105)), BuyNowUnavailable)


def test_buy_now_of_the_last_of_several_units_closes_sold_out() -> None:
    h = AuctionHarness()
    h.create(quantity=2, starting_bid=1000, buy_now=9000)
    h.buy(4)
    events = h.buy(5)
    assert isinstance(events[-1], AuctionClosed) and events[-1].reason == "sold_out"
    assert h.state.units_left == 0
