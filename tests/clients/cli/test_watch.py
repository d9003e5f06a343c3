"""The watch view draws the book's auctions, ticks from the server clock, flashes changes."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from auctioneer.clients.book import AuctionBook
from auctioneer.clients.cli.watch import FLASH_SECONDS, WatchView
from auctioneer.clients.session import Event, parse_time

__all__: list[str] = []

NOW = parse_time("2026-11-21T10:00:00.000Z") or 0.0


def auction(**over: Any) -> dict[str, Any]:
    base = {
        "id": 1,
        "name": "Brass clock",
        "status": "open",
        "starting_bid": 1000,
        "min_increment": 100,
        "current_bid": 12550,
        "leader": "#7",
        "bid_count": 3,
        "ends_at": "2026-11-21T10:01:05.000Z",
        "seq": 4,
        "buy_now": None,
        "sale_id": None,
        "minimum_bid": 12650,  # as the server states it
    }
    return {**base, **over}


def draw(view: WatchView) -> str:
    console = Console(width=110, record=True, force_terminal=False, color_system=None)
    console.print(view.render())
    return console.export_text()


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_the_list_shows_price_leader_and_the_countdown_from_the_server_clock() -> None:
    book = AuctionBook()
    book.put(auction())
    book.put(
        auction(
            id=2,
            name="Vase",
            status="scheduled",
            current_bid=None,
            leader=None,
            starts_at="2026-11-21T10:10:00.000Z",
            ends_at=None,
        )
    )
    text = draw(WatchView(book, server_clock=lambda: NOW))
    assert "Brass clock" in text and "125.50" in text and "#7" in text
    assert "1:05" in text
    assert "in 10:00" in text
    assert text.index("Brass clock") < text.index("Vase")  # open lots first


def test_one_auction_shows_its_last_bids_and_next_minimum() -> None:
    book = AuctionBook()
    bids = [
        {
            "seq": 4,
            "amount": 12550,
            "bidder": "#7",
            "auto": True,
            "at": "2026-11-21T09:59:59.000Z",
            "round": 1,
        }
    ]
    book.put(auction(), bids)
    text = draw(WatchView(book, auction_id=1, server_clock=lambda: NOW))
    assert "#1 Brass clock" in text
    assert "126.50" in text  # the next valid bid
    assert "#7 (auto)" in text


def test_a_bid_event_updates_the_view_and_flashes_for_a_moment() -> None:
    book = AuctionBook()
    book.put(auction())
    clock = Clock()
    view = WatchView(book, auction_id=1, server_clock=lambda: NOW, local_clock=clock)
    event = Event(
        "bid_placed",
        "auction:1",
        5,
        "2026-11-21T10:00:00.000Z",
        {
            "amount": 13000,
            "bidder": "#9",
            "current_bid": 13000,
            "leader": "#9",
            "auto": False,
            "ends_at": "2026-11-21T10:02:00.000Z",
        },
    )
    book.absorb_event(event)
    view.on_event(event)
    assert view.flashing() == {1}
    text = draw(view)
    assert "130.00" in text and "#9" in text and "2:00" in text
    clock.t += FLASH_SECONDS + 0.1
    assert view.flashing() == frozenset()


def test_an_unknown_auction_shows_that_it_is_loading() -> None:
    assert "loading" in draw(WatchView(AuctionBook(), auction_id=5))


def test_a_closed_auction_shows_its_winner() -> None:
    book = AuctionBook()
    book.put(auction(status="closed", winner="#7", price=12550))
    assert "#7         3  sold" in draw(WatchView(book))  # the winner under Leader


def test_the_list_keeps_only_the_latest_finished_auctions_under_the_live_ones() -> None:
    book = AuctionBook()
    for i in range(1, 16):
        book.put(auction(id=i, status="closed", winner="#1", price=100))
    book.put(auction(id=99))
    ids = [a["id"] for a in WatchView(book).visible()]
    assert ids == [99, *range(15, 5, -1)]
