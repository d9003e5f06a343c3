"""The auction, bid and user objects of the protocol, built from engine state."""

from __future__ import annotations

import pytest

from auctioneer.engine import BidPlaced, EditImages, new_auction
from auctioneer.wire.codec import event_data
from auctioneer.wire.timefmt import format_time
from auctioneer.wire.views import (
    ADMIN_ONLY_FIELDS,
    auction_object,
    bid_object,
    image_objects,
    minimum_bid,
    paddle_label,
    public_view,
    user_object,
)
from tests.engine.harness import MS, T0, AuctionHarness, kinds

# Users 1 and 2 bid with paddles 101 and 102 (the harness keeps them apart).
NAMES = {1: "ann", 2: "bob"}


def test_paddle_label_shows_a_paddle_with_a_hash() -> None:
    assert paddle_label(7) == "#7"
    assert paddle_label(None) is None


def test_minimum_bid_is_the_starting_bid_before_any_bid() -> None:
    h = AuctionHarness()
    h.create(starting_bid=1000, min_increment=250)
    assert minimum_bid(h.state) == 1000


def test_minimum_bid_is_the_current_bid_plus_the_increment_after_a_bid() -> None:
    h = AuctionHarness()
    h.create(starting_bid=1000, min_increment=250)
    h.bid(1, 1100)
    assert minimum_bid(h.state) == 1350


def test_minimum_bid_is_none_when_the_auction_is_not_open() -> None:
    assert minimum_bid(new_auction(1)) is None
    scheduled = AuctionHarness()
    scheduled.create(starts_at=T0 + 60 * MS)
    assert minimum_bid(scheduled.state) is None
    closed = AuctionHarness()
    closed.create()
    closed.close()
    assert minimum_bid(closed.state) is None


def test_an_auction_object_has_every_field_of_the_protocol() -> None:
    h = AuctionHarness()
    h.create(name="Lamp", description="Brass", starting_bid=1000, reserve=1500, buy_now=9000)
    h.later(5)
    h.bid(1, 1000)
    obj = auction_object(h.state, names=NAMES)
    assert obj == {
        "id": 1,
        "name": "Lamp",
        "description": "Brass",
        "status": "open",
        "public": True,
        "starting_bid": 1000,
        "min_increment": 100,
        "increments": None,
        "reserve": 1500,
        "reserve_met": False,
        "has_reserve": True,
        "buy_now": 9000,
        "buy_now_available": False,
        "quantity": 1,
        "units_left": 1,
        "round": 1,
        "starts_at": format_time(T0),
        "ends_at": format_time(T0 + 60 * MS),
        "duration_s": 60,
        "countdown_s": None,
        "soft_close_s": None,
        "pass_after_s": None,
        "passes_at": None,
        "max_end": None,
        "max_extension_s": None,
        "end_cap": None,
        "cap_reached": False,
        "current_bid": 1000,
        "minimum_bid": 1100,
        "leader": "#101",
        "leader_username": "ann",
        "bid_count": 1,
        "winner": None,
        "winner_username": None,
        "price": None,
        "sales": [],
        "close_reason": None,
        "closed_at": None,
        "created_at": format_time(T0),
        "sale_id": None,
        "lot": None,
        "deleted": False,
        "images": [],
        "seq": 3,
        "log_hash": None,
    }


def test_a_lot_that_passes_says_when_until_its_first_bid() -> None:
    h = AuctionHarness()
    h.create(countdown_s=10, pass_after_s=60)
    assert auction_object(h.state)["passes_at"] == format_time(T0 + 60 * MS)
    assert auction_object(h.state)["pass_after_s"] == 60
    h.bid(1, 1000)
    assert auction_object(h.state)["passes_at"] is None


def test_reserve_met_is_true_when_there_is_no_reserve() -> None:
    h = AuctionHarness()
    h.create()
    obj = auction_object(h.state)
    assert (obj["reserve"], obj["reserve_met"], obj["has_reserve"]) == (None, True, False)


def test_a_scheduled_auction_shows_its_planned_start() -> None:
    h = AuctionHarness()
    h.create(starts_at=T0 + 60 * MS, duration_s=60)
    obj = auction_object(h.state)
    assert obj["status"] == "scheduled"
    assert obj["starts_at"] == format_time(T0 + 60 * MS)


def test_a_sold_auction_shows_winner_price_and_sales() -> None:
    h = AuctionHarness()
    h.create(quantity=2, starting_bid=1000)
    h.bid(1, 1000)
    h.until_end()
    h.bid(2, 1200)
    h.until_end()
    obj = auction_object(h.state, names=NAMES)
    assert obj["status"] == "closed"
    assert obj["close_reason"] == "sold_out"
    assert obj["closed_at"] == format_time(h.now)
    assert (obj["winner"], obj["winner_username"], obj["price"]) == ("#102", "bob", 1200)
    assert obj["sales"] == [
        {"round": 1, "winner": "#101", "price": 1000},
        {"round": 2, "winner": "#102", "price": 1200},
    ]
    assert obj["units_left"] == 0


def test_without_names_the_usernames_are_none() -> None:
    h = AuctionHarness()
    h.create()
    h.bid(1, 1000)
    h.close()
    obj = auction_object(h.state)
    assert (obj["leader_username"], obj["winner_username"]) == (None, None)
    assert obj["winner"] == "#101"


def test_an_auction_object_needs_a_created_auction() -> None:
    with pytest.raises(AssertionError):
        auction_object(new_auction(1))


def test_the_public_view_strips_every_admin_only_field() -> None:
    h = AuctionHarness()
    h.create(reserve=5000)
    h.bid(1, 1000)
    admin = auction_object(h.state, names=NAMES)
    public = public_view(admin)
    assert set(ADMIN_ONLY_FIELDS) <= set(admin)
    assert not set(ADMIN_ONLY_FIELDS) & set(public)
    assert public == {k: v for k, v in admin.items() if k not in ADMIN_ONLY_FIELDS}
    assert list(public) == [k for k in admin if k not in ADMIN_ONLY_FIELDS]  # same order
    assert "ann" not in str(public)
    assert public["reserve_met"] is False
    assert public["has_reserve"] is True


def test_a_bid_object_shows_the_paddle() -> None:
    h = AuctionHarness()
    h.create()
    h.later(2)
    (bid,) = h.bid(1, 1500)
    assert isinstance(bid, BidPlaced)
    assert bid_object(bid) == {
        "seq": 3,
        "amount": 1500,
        "bidder": "#101",
        "auto": False,
        "at": format_time(T0 + 2 * MS),
        "round": 1,
    }


def test_an_admin_bid_object_adds_the_username() -> None:
    h = AuctionHarness()
    h.create()
    (bid,) = h.bid(2, 1500)
    assert isinstance(bid, BidPlaced)
    assert bid_object(bid, names=NAMES)["username"] == "bob"
    assert bid_object(bid, names={})["username"] is None


def test_a_user_object() -> None:
    assert user_object(user_id=3, username="ann", role="bidder", paddle=7) == {
        "id": 3,
        "username": "ann",
        "role": "bidder",
        "paddle": 7,
    }


def test_a_scheduled_auction_shows_the_end_it_was_planned_with() -> None:
    by_duration = AuctionHarness()
    by_duration.create(starts_at=T0 + 60 * MS, duration_s=120)
    assert auction_object(by_duration.state)["ends_at"] == format_time(T0 + 180 * MS)
    by_end = AuctionHarness()
    by_end.create(starts_at=T0 + 60 * MS, ends_at=T0 + 600 * MS, duration_s=None)
    assert auction_object(by_end.state)["ends_at"] == format_time(T0 + 600 * MS)
    countdown_only = AuctionHarness()
    countdown_only.create(starts_at=T0 + 60 * MS, countdown_s=10, duration_s=None)
    assert auction_object(countdown_only.state)["ends_at"] is None


def test_images_are_listed_in_order_as_urls_of_both_sizes() -> None:
    h = AuctionHarness()
    h.create()
    first, second = "a" * 32, "0123456789abcdef" * 2
    h.send(EditImages(add=(first, second)))
    images = auction_object(h.state)["images"]
    assert images == [
        {"id": first, "thumb": f"/media/{first}-thumb.jpg", "large": f"/media/{first}-large.jpg"},
        {
            "id": second,
            "thumb": f"/media/{second}-thumb.jpg",
            "large": f"/media/{second}-large.jpg",
        },
    ]
    assert public_view(auction_object(h.state))["images"] == images
    assert image_objects(()) == []


def test_buy_now_available_is_stated_in_the_object_and_in_every_event_that_changes_it() -> None:
    h = AuctionHarness()
    h.create(quantity=2, starting_bid=1000, buy_now=9000, duration_s=60)
    assert auction_object(h.state)["buy_now_available"] is True
    placed = h.bid(1, 1000)
    assert auction_object(h.state)["buy_now_available"] is False
    assert event_data(placed[0], h.state)["buy_now_available"] is False
    sold = h.until_end()  # round 1 sold: round 2 offers buy-now again
    assert kinds(sold) == ["unit_sold"]
    assert event_data(sold[0], h.state)["buy_now_available"] is True
    assert auction_object(h.state)["buy_now_available"] is True
    closed = h.buy(4)  # the last unit: closed, nothing offered
    assert kinds(closed) == ["unit_sold", "auction_closed"]
    assert all(event_data(e, h.state)["buy_now_available"] is False for e in closed)
    assert auction_object(h.state)["buy_now_available"] is False


def test_buy_now_is_never_available_without_a_price() -> None:
    h = AuctionHarness()
    h.create(starting_bid=1000)
    assert auction_object(h.state)["buy_now_available"] is False


def test_an_auction_object_shows_its_increment_bands_and_its_cap() -> None:
    h = AuctionHarness()
    h.create(
        starting_bid=50,
        increments=((0, 5), (100, 25)),
        ends_at=T0 + 60 * MS,
        soft_close_s=30,
        max_extension_s=10,
    )
    obj = auction_object(h.state)
    assert obj["increments"] == [{"from": 0, "increment": 5}, {"from": 100, "increment": 25}]
    assert obj["min_increment"] == 5  # the step at the starting bid
    assert obj["end_cap"] == format_time(T0 + 70 * MS) and obj["cap_reached"] is False
    h.later(50)
    h.bid(1, 100)
    obj = auction_object(h.state)
    assert obj["minimum_bid"] == 125
    assert obj["ends_at"] == obj["end_cap"] and obj["cap_reached"] is True
