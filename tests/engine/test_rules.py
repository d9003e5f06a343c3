"""Increment bands and the soft-close cap, by example."""

from __future__ import annotations

import pytest

from auctioneer.engine import (
    AuctionSpec,
    CreateAuction,
    PlaceBid,
    cap_reached,
    end_cap,
    minimum_bid,
)
from tests.engine.harness import MS, T0, AuctionHarness, bids_of, kinds

EBAY = ((0, 5), (100, 25), (500, 50), (2500, 100))


def test_the_minimum_bid_steps_up_by_band() -> None:
    h = AuctionHarness()
    h.create(starting_bid=50, increments=EBAY)
    assert h.state.spec is not None and h.state.spec.min_increment == 5
    assert minimum_bid(h.state) == 50
    h.bid(1, 95)
    assert minimum_bid(h.state) == 100  # 95 is in the 0.05 band
    h.bid(2, 100)
    assert minimum_bid(h.state) == 125  # 1.00 is in the 0.25 band
    h.bid(1, 2600)
    assert minimum_bid(h.state) == 2700
    assert h.refuse(PlaceBid(bidder_id=2, paddle=102, amount=2699)).fields["minimum"] == 2700


def test_a_proxy_answers_with_the_increment_of_the_runner_ups_band() -> None:
    h = AuctionHarness()
    h.create(starting_bid=50, increments=EBAY)
    h.auto(1, 10_000)
    events = h.bid(2, 480)
    # the proxy answers 480 with 480 + 25 (the 1.00-5.00 band's step)
    assert bids_of(events) == [(2, 480, False), (1, 505, True)]
    events = h.auto(3, 3000)
    assert bids_of(events)[-1] == (1, 3100, True)  # 3000 + 1.00


@pytest.mark.parametrize(
    ("table", "band"),
    [
        (((5, 5),), 0),
        (((0, 5), (100, 0)), 1),
        (((0, 5), (100, 25), (100, 50)), 2),
        (((0, 5), (-1, 5)), 1),
        (tuple((i, 1) for i in range(21)), None),
    ],
)
def test_a_broken_table_is_refused_naming_the_band(
    table: tuple[tuple[int, int], ...], band: int | None
) -> None:
    h = AuctionHarness()
    spec = AuctionSpec(name="Lot", starting_bid=100, duration_s=60, increments=table)
    error = h.refuse(CreateAuction(spec=spec))
    assert error.code == "bad_request" and error.fields["field"] == "increments"
    assert error.fields.get("band") == band


def test_soft_close_stops_at_max_extension_and_says_so() -> None:
    h = AuctionHarness()
    h.create(ends_at=T0 + 60 * MS, soft_close_s=30, max_extension_s=45)
    assert end_cap(h.state) == T0 + 105 * MS and not cap_reached(h.state)
    h.at(T0 + 50 * MS)
    assert kinds(h.bid(1, 1000)) == ["bid_placed", "auction_extended"]
    assert h.state.ends_at == T0 + 80 * MS
    h.at(T0 + 79 * MS)
    h.bid(2, 1100)
    assert h.state.ends_at == T0 + 105 * MS and cap_reached(h.state)  # 109 capped at 105
    h.at(T0 + 100 * MS)
    assert kinds(h.bid(1, 1200)) == ["bid_placed"]  # final: no more extensions
    assert h.state.ends_at == T0 + 105 * MS
    h.at(T0 + 105 * MS)
    assert kinds(h.tick())[-1] == "auction_closed"


def test_max_end_caps_a_countdown_reset() -> None:
    h = AuctionHarness()
    h.create(ends_at=T0 + 60 * MS, countdown_s=20, max_end=T0 + 70 * MS)
    h.at(T0 + 55 * MS)
    h.bid(1, 1000)
    assert h.state.ends_at == T0 + 70 * MS and cap_reached(h.state)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"duration_s": 60, "max_extension_s": 30}, "max_extension_s"),  # nothing extends
        ({"countdown_s": 10, "max_end": T0 + 60 * MS}, "max_end"),  # no stated end
        ({"ends_at": T0 + 60 * MS, "soft_close_s": 5, "max_end": T0 + 50 * MS}, "max_end"),
        ({"duration_s": 60, "soft_close_s": 5, "max_extension_s": 0}, "max_extension_s"),
    ],
)
def test_a_cap_that_cannot_work_is_refused(fields: dict[str, int], field: str) -> None:
    h = AuctionHarness()
    spec = AuctionSpec(name="Lot", starting_bid=100, **fields)
    error = h.refuse(CreateAuction(spec=spec))
    assert error.code == "bad_request" and error.fields["field"] == field
