"""Rule 3: proxy (auto-bid) bidding, resolved at once, eBay style."""

from __future__ import annotations

from typing import Any

from auctioneer.engine import (
    AuctionNotOpen,
    AutoBidExhausted,
    AutoBidSet,
    BidTooLow,
    InvalidAmount,
    StartAutoBid,
)
from tests.engine.harness import AuctionHarness, bids_of, kinds


def opened(**spec: Any) -> AuctionHarness:
    h = AuctionHarness()
    h.create(starting_bid=1000, min_increment=100, **spec)
    return h


def test_auto_bid_on_an_auction_with_no_bids_opens_at_the_starting_bid() -> None:
    h = opened()
    events = h.auto(1, 5000)
    assert kinds(events) == ["auto_bid_set", "bid_placed"]
    assert isinstance(events[0], AutoBidSet) and events[0].seq is None
    assert bids_of(events) == [(1, 1000, True)]


def test_proxy_outbids_manual_bid_by_one_increment() -> None:
    h = opened()
    h.auto(1, 5000)
    events = h.bid(2, 2000)
    assert bids_of(events) == [(2, 2000, False), (1, 2100, True)]
    assert (h.leader, h.price) == (1, 2100)


def test_proxy_answers_a_manual_bid_with_less_than_an_increment_when_its_max_is_close() -> None:
    h = opened()
    h.auto(1, 2050)
    assert bids_of(h.bid(2, 2000)) == [(2, 2000, False), (1, 2050, True)]


def test_proxy_whose_max_equals_the_manual_bid_leads_at_that_amount_because_it_was_earlier() -> (
    None
):
    h = opened()
    h.auto(1, 2000)
    events = h.bid(2, 2000)
    assert bids_of(events) == [(2, 2000, False), (1, 2000, True)]
    assert (h.leader, h.price) == (1, 2000)
    assert "auto_bid_exhausted" not in kinds(events)


def test_manual_bid_above_the_proxy_max_wins_and_exhausts_the_proxy() -> None:
    h = opened()
    h.auto(1, 1500)
    events = h.bid(2, 2000)
    assert kinds(events) == ["bid_placed", "auto_bid_exhausted"]
    exhausted = events[-1]
    assert isinstance(exhausted, AutoBidExhausted)
    assert (exhausted.bidder_id, exhausted.max_amount, exhausted.seq) == (1, 1500, None)
    assert h.leader == 2
    assert h.state.auto_bids[0].exhausted
    assert h.notices_for(1, "auto_bid_exhausted")[0].data == {
        "auction_id": 1,
        "name": "Lamp",
        "max_amount": 1500,
        "current_bid": 2000,
    }


def test_higher_maximum_leads_at_the_other_maximum_plus_one_increment() -> None:
    h = opened()
    h.auto(1, 3000)
    events = h.auto(2, 5000)
    assert bids_of(events) == [(1, 3000, True), (2, 3100, True)]
    assert kinds(events)[-1] == "auto_bid_exhausted"
    assert (h.leader, h.price) == (2, 3100)


def test_higher_maximum_set_first_answers_a_lower_new_maximum() -> None:
    h = opened()
    h.auto(1, 5000)
    events = h.auto(2, 3000)
    assert bids_of(events) == [(2, 3000, True), (1, 3100, True)]
    assert (h.leader, h.price) == (1, 3100)


def test_higher_maximum_leads_at_its_own_maximum_when_that_is_less_than_other_plus_increment() -> (
    None
):
    h = opened()
    h.auto(1, 3000)
    assert bids_of(h.auto(2, 3050)) == [(1, 3000, True), (2, 3050, True)]


def test_equal_maxima_the_earlier_one_leads_at_that_maximum() -> None:
    h = opened()
    h.auto(1, 3000)
    events = h.auto(2, 3000)
    assert bids_of(events) == [(2, 3000, True), (1, 3000, True)]
    assert (h.leader, h.price) == (1, 3000)
    assert h.notices_for(2, "auto_bid_exhausted")


def test_leader_raising_its_maximum_emits_only_the_private_auto_bid_set() -> None:
    h = opened()
    h.auto(1, 3000)
    assert kinds(h.auto(1, 8000)) == ["auto_bid_set"]
    assert h.price == 1000
    assert bids_of(h.bid(2, 5000)) == [(2, 5000, False), (1, 5100, True)]


def test_manual_leader_may_set_a_maximum_to_defend_its_bid() -> None:
    h = opened()
    h.bid(1, 1000)
    assert kinds(h.auto(1, 4000)) == ["auto_bid_set"]
    assert bids_of(h.bid(2, 2000)) == [(2, 2000, False), (1, 2100, True)]


def test_leader_cannot_lower_its_maximum() -> None:
    h = opened()
    h.auto(1, 3000)
    error = h.refuse(StartAutoBid(bidder_id=1, paddle=101, max_amount=2000))
    assert isinstance(error, BidTooLow) and error.minimum == 3000


def test_maximum_below_the_minimum_bid_is_refused_with_the_minimum() -> None:
    h = opened()
    h.bid(1, 2000)
    error = h.refuse(StartAutoBid(bidder_id=2, paddle=102, max_amount=2099))
    assert isinstance(error, BidTooLow) and error.minimum == 2100


def test_maximum_must_be_an_int_of_minor_units() -> None:
    h = opened()
    error = h.refuse(StartAutoBid(bidder_id=2, paddle=102, max_amount=-5))
    assert isinstance(error, InvalidAmount) and error.fields["field"] == "max_amount"


def test_auto_bid_after_the_deadline_is_refused() -> None:
    h = opened(duration_s=10)
    h.later(10)
    assert isinstance(
        h.refuse(StartAutoBid(bidder_id=2, paddle=102, max_amount=5000)), AuctionNotOpen
    )


def test_new_maximum_that_beats_the_manual_leader_bids_one_increment_over_it() -> None:
    h = opened()
    h.bid(1, 1500)
    assert bids_of(h.auto(2, 9000)) == [(2, 1600, True)]


def test_proxy_war_between_a_proxy_and_repeated_manual_bids() -> None:
    h = opened()
    h.auto(1, 2500)
    assert bids_of(h.bid(2, 1500)) == [(2, 1500, False), (1, 1600, True)]
    assert bids_of(h.bid(2, 2400)) == [(2, 2400, False), (1, 2500, True)]
    assert kinds(h.bid(2, 2600)) == ["bid_placed", "auto_bid_exhausted"]
    assert h.leader == 2


def test_exhausted_bidder_may_set_a_new_higher_maximum() -> None:
    h = opened()
    h.auto(1, 1500)
    h.bid(2, 2000)
    assert bids_of(h.auto(1, 4000)) == [(1, 2100, True)]
    assert not h.state.auto_bids[-1].exhausted


def test_stop_auto_bid_withdraws_the_maximum_and_keeps_the_standing_bid() -> None:
    h = opened()
    h.auto(1, 5000)
    assert kinds(h.stop(1)) == ["auto_bid_stopped"]
    assert h.state.auto_bids == ()
    assert (h.leader, h.price) == (1, 1000)
    assert bids_of(h.bid(2, 1100)) == [(2, 1100, False)]


def test_stop_auto_bid_without_a_maximum_does_nothing() -> None:
    h = opened()
    assert h.stop(3) == []


def test_a_lower_new_maximum_above_the_minimum_pushes_the_leading_proxy_up() -> None:
    h = opened()
    h.bid(9, 1000)
    h.auto(1, 3000)
    h.auto(2, 4000)
    assert (h.leader, h.price) == (2, 3100)
    events = h.auto(3, 3500)
    assert bids_of(events) == [(3, 3500, True), (2, 3600, True)]


def test_leader_setting_the_same_maximum_again_changes_nothing() -> None:
    h = opened()
    h.auto(1, 3000)
    assert h.auto(1, 3000) == []
