"""The apps' picture of the auctions: rows, countdowns, sorting, filtering, folding."""

from __future__ import annotations

from typing import Any

from auctioneer.clients.session import Event, format_time
from auctioneer.clients.tk.auctions import (
    LiveAuctions,
    admin_row,
    bidder_row,
    countdown,
    matches,
    photo_text,
    sorted_auctions,
)

__all__: list[str] = []

NOW = 1_800_000_000.0


def auction(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 1,
        "name": "Lamp",
        "status": "open",
        "starting_bid": 1000,
        "min_increment": 100,
        "current_bid": None,
        "leader": None,
        "bid_count": 0,
        "ends_at": format_time(NOW + 65),
        "public": True,
        "seq": 2,
    }
    return {**base, **fields}


def test_the_countdown_follows_the_server_clock_given() -> None:
    a = auction()
    assert countdown(a, NOW) == "1:05"
    assert countdown(a, NOW + 60) == "0:05"
    assert countdown(a, NOW + 600) == "0:00"
    assert countdown(auction(status="scheduled", starts_at=format_time(NOW + 30)), NOW) == "in 0:30"
    assert countdown(auction(status="closed"), NOW) == "ended"
    assert countdown(auction(ends_at=None, countdown_s=10), NOW) == "on 1st bid"
    assert countdown(auction(cap_reached=True), NOW) == "1:05 final"  # the soft-close cap


def test_the_bidder_row_shows_the_servers_minimum_bid() -> None:
    row = bidder_row(auction(current_bid=1500, minimum_bid=1750, leader="#4", bid_count=2), NOW)
    assert row == ("1", "Lamp", "open", "15.00", "17.50", "#4", "2", "1:05")
    assert bidder_row(auction(status="scheduled"), NOW)[4] == "-"


def test_the_admin_row_names_the_leader_and_counts_watchers() -> None:
    row = admin_row(
        auction(
            current_bid=1500,
            leader="#4",
            leader_username="ann",
            watchers=3,
            watchlist_count=2,
            public=False,
        ),
        NOW,
    )
    assert row[3:5] == ("15.00", "ann (#4)")
    assert row[-4:] == ("3", "2", "private", "0")
    assert admin_row(auction(), NOW)[-4:-2] == ("-", "-")  # a summary: no counts


def test_photos_are_counted_for_admins_and_named_by_url_for_bidders() -> None:
    photos = [
        {"id": "a", "thumb": "/media/a-thumb.jpg", "large": "/media/a-large.jpg"},
        {"id": "b", "thumb": "/media/b-thumb.jpg", "large": "/media/b-large.jpg"},
    ]
    assert admin_row(auction(images=photos), NOW)[-1] == "2"
    assert photo_text(auction(images=photos), "http://127.0.0.1:8000") == (
        "2 photos:\nhttp://127.0.0.1:8000/media/a-large.jpg\n"
        "http://127.0.0.1:8000/media/b-large.jpg"
    )
    assert photo_text(auction(images=photos[:1]), "tcp://127.0.0.1:65432").startswith("1 photo:")
    assert photo_text(auction(), "http://127.0.0.1:8000") == ""
    ids = [
        a["id"]
        for a in sorted_auctions([auction(id=1, images=photos), auction(id=2)], column="images")
    ]
    assert ids == [2, 1]


def test_sorting_is_numeric_and_puts_missing_values_last() -> None:
    items = [auction(id=1, current_bid=900), auction(id=2), auction(id=3, current_bid=10_000)]
    ids = [a["id"] for a in sorted_auctions(items, column="current_bid")]
    assert ids == [1, 3, 2]
    ids = [a["id"] for a in sorted_auctions(items, column="current_bid", descending=True)]
    assert ids == [3, 1, 2]
    left = [
        auction(id=1, ends_at=format_time(NOW + 5)),
        auction(id=2, ends_at=format_time(NOW + 1)),
    ]
    assert [a["id"] for a in sorted_auctions(left, column="left", server_now=NOW)] == [2, 1]


def test_the_filter_takes_a_status_and_words() -> None:
    a = auction(name="Oil painting", leader_username="ann")
    assert matches(a, status="open", text="oil ANN")
    assert not matches(a, status="closed")
    assert not matches(a, text="watch")


def _event(name: str, seq: int, topic: str = "auction:1", **data: Any) -> Event:
    return Event(name, topic, seq, format_time(NOW), {"auction_id": 1, **data})


def test_events_fold_in_and_the_bid_history_grows_newest_first() -> None:
    live = LiveAuctions()
    live.put(auction(), bids=[])
    live.absorb_event(
        "bid_placed",
        "auction:1",
        _event(
            "bid_placed",
            3,
            amount=1000,
            bidder="#4",
            current_bid=1000,
            leader="#4",
            minimum_bid=1100,
            bid_count=1,
        ),
    )
    live.absorb_event(
        "bid_placed",
        "auction:1",
        _event(
            "bid_placed",
            4,
            amount=1100,
            bidder="#5",
            current_bid=1100,
            leader="#5",
            minimum_bid=1200,
            bid_count=2,
        ),
    )
    held = live.get(1)
    assert held is not None
    assert (held["current_bid"], held["leader"], held["minimum_bid"]) == (1100, "#5", 1200)
    assert [b["amount"] for b in held["bids"]] == [1100, 1000]


def test_a_summary_that_arrived_first_still_leaves_the_bid_in_the_history() -> None:
    live = LiveAuctions()
    live.put(auction(), bids=[])
    summary = auction(current_bid=1000, leader="#4", seq=3, bid_count=1)
    live.absorb_event(
        "auction_summary", "auctions", Event("auction_summary", "auctions", 3, None, summary)
    )
    live.absorb_event(
        "bid_placed",
        "auction:1",
        _event("bid_placed", 3, amount=1000, bidder="#4", current_bid=1000, leader="#4"),
    )
    held = live.get(1)
    assert held is not None and [b["amount"] for b in held["bids"]] == [1000]


def test_older_replies_do_not_undo_newer_state_but_watchers_are_kept() -> None:
    live = LiveAuctions()
    live.put(auction(seq=5, current_bid=2000))
    live.replace_all([auction(seq=4, current_bid=1500, watchers=7, watchlist_count=2)])
    held = live.get(1)
    assert held is not None and (held["current_bid"], held["watchers"]) == (2000, 7)
    live.put(auction(seq=6, current_bid=2100))  # a summary: no watchers field
    held = live.get(1)
    assert held is not None and (held["watchers"], held["watchlist_count"]) == (7, 2)


def test_the_bidders_picture_drops_auctions_that_turn_private_or_go_away() -> None:
    live = LiveAuctions(public_only=True)
    live.replace_all([auction(id=1), auction(id=2)])
    live.put(auction(id=1, public=False, seq=9))
    live.absorb_event(
        "auction_hidden",
        "auctions",
        Event("auction_hidden", "auctions", None, None, {"auction_id": 2}),
    )
    assert live.visible() == []


def test_the_live_room_shows_the_open_lot_of_the_newest_running_sale() -> None:
    from auctioneer.clients.tk.room import current_lot, live_sale, sale_ids

    lots = [
        {"id": 1, "sale_id": 1, "lot": 1, "status": "closed"},
        {"id": 2, "sale_id": 1, "lot": 2, "status": "open"},
        {"id": 3, "sale_id": 2, "lot": 1, "status": "closed"},
        {"id": 4, "sale_id": 2, "lot": 2, "status": "closed"},
        {"id": 5, "sale_id": 3, "lot": 2, "status": "scheduled"},
        {"id": 6, "sale_id": 3, "lot": 1, "status": "scheduled"},
    ]
    assert sale_ids(lots) == [3, 2, 1]
    assert live_sale(lots, sale_ids(lots)) == 1  # the only one running
    assert live_sale(lots[2:], [3, 2]) == 3  # none running: the newest
    assert current_lot(lots, 1) == (lots[1], 2)
    assert current_lot(lots, 3) == (lots[5], 2)  # the next scheduled, by lot number
    assert current_lot(lots, 2) == (lots[3], 2)  # all closed: the last
    assert current_lot(lots, 9) == (None, 0)
