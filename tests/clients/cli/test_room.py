"""The room's choices and lines, without a server: which lot, what it says, when it calls."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from auctioneer.clients.cli.room import Room
from auctioneer.clients.session import ClientSession, Event, parse_time

__all__: list[str] = []

NOW = parse_time("2026-11-21T10:00:00.000Z") or 0.0


class StubClient:
    """What `Room` reads from a client: the session's book, the user, the clock."""

    url = "tcp://127.0.0.1:65432"

    def __init__(self) -> None:
        self.session = ClientSession()
        self.user: dict[str, Any] | None = {"username": "ann", "paddle": 7}
        self.now = NOW

    def server_now(self) -> float:
        return self.now


def lot(aid: int, **over: Any) -> dict[str, Any]:
    base = {"id": aid, "name": f"Lot {aid}", "status": "open", "starting_bid": 1000,
            "min_increment": 100, "current_bid": None, "leader": None, "ends_at": None,
            "countdown_s": 10, "seq": 1}  # fmt: skip
    return {**base, **over}


def room_with(
    *lots: dict[str, Any], fixed: int | None = None
) -> tuple[Room, StubClient, io.StringIO]:
    client = StubClient()
    for a in lots:
        client.session.book.put(a)
    out = io.StringIO()
    room = Room(client, Console(file=out, width=200, color_system=None), auction_id=fixed)  # type: ignore[arg-type]
    return room, client, out


def test_the_current_lot_is_the_open_one_that_ends_first() -> None:
    room, _, _ = room_with(
        lot(1, ends_at="2026-11-21T10:05:00.000Z"),
        lot(2, ends_at="2026-11-21T10:01:00.000Z"),
        lot(3),  # a countdown that has not started yet
        lot(4, status="closed", ends_at="2026-11-21T09:00:00.000Z"),
    )
    assert room._pick() == 2


def test_a_lot_given_with_auction_is_kept() -> None:
    room, _, _ = room_with(lot(1, ends_at="2026-11-21T10:01:00.000Z"), fixed=9)
    assert room._pick() == 9


def test_with_no_open_lot_there_is_no_current_lot() -> None:
    room, _, _ = room_with(lot(1, status="scheduled"))
    assert room._pick() is None


def test_bids_are_announced_with_who_and_the_time_left() -> None:
    room, client, out = room_with(lot(1))
    room.current = 1
    data = {"amount": 1000, "bidder": "#7", "current_bid": 1000, "leader": "#7",
            "ends_at": "2026-11-21T10:00:10.000Z", "auto": False}  # fmt: skip
    event = Event("bid_placed", "auction:1", 2, "2026-11-21T10:00:00.000Z", data)
    client.session.book.absorb_event(event)
    room.on_event(event)
    other = Event(
        "bid_placed", "auction:1", 3, None, {**data, "bidder": "#8", "amount": 1100, "auto": True}
    )
    client.session.book.absorb_event(other)
    room.on_event(other)
    assert out.getvalue().splitlines() == [
        "you bid 10.00; 0:10 left",
        "#8 bid 11.00 (auto); 0:10 left",
    ]


def test_the_lot_is_called_once_at_five_three_and_one_seconds_left() -> None:
    room, client, out = room_with(lot(1, current_bid=1000, ends_at="2026-11-21T10:00:06.000Z"))
    room.current = 1
    said = []
    for left in (5.9, 4.9, 4.5, 2.9, 1.9, 0.9, 0.4):
        client.now = NOW + 6 - left
        room.tick()
        said = out.getvalue().splitlines()
    assert [line.split("...")[0] for line in said] == [
        "going once",
        "going twice",
        "going three times",
    ]


def test_the_hammer_falls_once_for_a_sold_lot() -> None:
    room, _, out = room_with(lot(1), fixed=1)
    room.current = 1
    room.on_event(
        Event(
            "unit_sold",
            "auction:1",
            5,
            None,
            {"round": 1, "winner": "#7", "price": 1500, "units_left": 0},
        )
    )
    room.on_event(
        Event(
            "auction_closed",
            "auction:1",
            6,
            None,
            {"winner": "#7", "price": 1500, "reason": "sold_out"},
        )
    )
    assert out.getvalue().splitlines() == ["SOLD to you for 15.00!"]


def test_an_unsold_lot_says_why() -> None:
    room, _, out = room_with(lot(1), fixed=1)
    room.current = 1
    room.on_event(
        Event(
            "auction_closed",
            "auction:1",
            6,
            None,
            {"winner": None, "price": None, "reason": "no_bids"},
        )
    )
    assert "closed unsold (no_bids)" in out.getvalue()


async def test_typed_lines_quit_help_and_bad_amounts() -> None:
    room, _, out = room_with(lot(1), fixed=1)
    room.current = 1
    assert await room.handle("help") is True
    assert await room.handle("twelve") is True
    assert await room.handle("   ") is True
    assert await room.handle("quit") is False
    text = out.getvalue()
    assert "Type an amount to bid" in text and "Not a bid" in text
