"""The room's choices and lines, without a server: which sale and lot, what it says, when."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from rich.console import Console

from auctioneer.clients.cli.room import Room, read_lines
from auctioneer.clients.errors import RequestFailed
from auctioneer.clients.session import ClientSession, Event, parse_time

__all__: list[str] = []

NOW = parse_time("2026-11-21T10:00:00.000Z") or 0.0


class StubClient:
    """What `Room` uses of a client, answering reads from its own book of lots."""

    url = "tcp://127.0.0.1:65432"

    def __init__(self) -> None:
        self.session = ClientSession()
        self.user: dict[str, Any] | None = {"username": "ann", "paddle": 7}
        self.now = NOW
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.followed: list[int] = []

    def server_now(self) -> float:
        return self.now

    async def request(self, action: str, /, **fields: Any) -> dict[str, Any]:
        self.sent.append((action, fields))
        book = self.session.book.auctions
        if action == "get_auctions":
            found = [
                a
                for a in book.values()
                if a.get("status") in fields.get("status", [a.get("status")])
                and fields.get("sale_id", a.get("sale_id")) == a.get("sale_id")
            ]
            return {"auctions": sorted(found, key=lambda a: a["id"])}
        if action == "get_auction":
            return {"auction": book[fields["auction_id"]], "bids": []}
        if action == "place_bid":
            a = book[fields["auction_id"]]
            if a.get("status") != "open":
                raise RequestFailed("auction_not_open", "Auction is closed", {}, action)
            return {"auction": {**a, "current_bid": fields["amount"], "leader": "#7"}}
        return {}

    async def follow(self, auction_id: int) -> dict[str, Any]:
        self.followed.append(auction_id)
        return await self.request("get_auction", auction_id=auction_id)

    async def unsubscribe(self, topic: str) -> None:
        self.sent.append(("unsubscribe", {"topic": topic}))


def lot(aid: int, **over: Any) -> dict[str, Any]:
    base = {"id": aid, "name": f"Lot {aid}", "status": "open", "starting_bid": 1000,
            "min_increment": 100, "current_bid": None, "leader": None, "ends_at": None,
            "countdown_s": 10, "minimum_bid": 1000, "seq": 1}  # fmt: skip
    return {**base, **over}


def sale_lot(aid: int, sale: int, number: int, **over: Any) -> dict[str, Any]:
    status = "open" if number == 1 else "scheduled"
    return lot(aid, sale_id=sale, lot=number, status=over.pop("status", status), **over)


def room_with(
    *lots: dict[str, Any], fixed: int | None = None, sale: int | None = None
) -> tuple[Room, StubClient, io.StringIO]:
    client = StubClient()
    for a in lots:
        client.session.book.put(a)
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    room = Room(client, console, auction_id=fixed, sale_id=sale)  # type: ignore[arg-type]
    return room, client, out


def summary(client: StubClient, room: Room, auction: dict[str, Any]) -> None:
    """An `auction_summary` as the client delivers it: into the book, then to the room."""
    event = Event("auction_summary", "auctions", auction["seq"], None, auction)
    client.session.book.absorb_event(event)
    room.on_event(event)


async def settle(room: Room) -> None:
    for _ in range(20):
        await asyncio.sleep(0)
    while room._tasks:
        await asyncio.gather(*room._tasks, return_exceptions=True)


def lines(out: io.StringIO) -> list[str]:
    return out.getvalue().splitlines()


# -- which sale, which lot ------------------------------------------------------------


async def test_the_room_joins_the_live_sale_not_an_auction_outside_it() -> None:
    room, _client, out = room_with(
        lot(1, ends_at="2026-11-21T10:00:30.000Z"),  # ends sooner, but no sale
        sale_lot(2, 4, 1),
        sale_lot(3, 4, 2),
        sale_lot(4, 4, 3),
    )
    await room.start()
    assert (room.sale_id, room.lots, room.current) == (4, [2, 3, 4], 2)
    assert lines(out) == [
        "Lot 1 of 3: #2 Lot 2, opening bid 10.00; the 10 s countdown starts at the first bid."
    ]


async def test_the_room_stays_on_its_lot_while_other_lots_change() -> None:
    room, client, out = room_with(sale_lot(2, 4, 1), sale_lot(3, 4, 2), sale_lot(9, 5, 1))
    await room.start()
    for seq in range(2, 40):  # bots bidding on another sale's lot, and on ours
        summary(client, room, sale_lot(9, 5, 1, current_bid=1000 + seq, seq=seq))
        summary(client, room, sale_lot(2, 4, 1, current_bid=1000 + seq, seq=seq))
    await settle(room)
    assert room.current == 2 and client.followed == [2]
    assert len(lines(out)) == 1


async def test_when_the_lot_ends_the_next_lot_of_the_same_sale_is_announced_once() -> None:
    room, client, out = room_with(
        sale_lot(2, 4, 1), sale_lot(3, 4, 2), sale_lot(9, 5, 1), sale_lot(10, 5, 2)
    )
    await room.start()
    closed = Event("auction_closed", "auction:2", 2, None, {"reason": "no_bids"})
    client.session.book.absorb_event(closed)
    room.on_event(closed)
    summary(client, room, sale_lot(10, 5, 2, status="open", seq=3))  # another sale: ignored
    summary(client, room, sale_lot(3, 4, 2, status="open", seq=3))
    summary(client, room, sale_lot(3, 4, 2, status="open", seq=4))
    await settle(room)
    assert room.current == 3
    assert lines(out) == [
        "Lot 1 of 2: #2 Lot 2, opening bid 10.00; the 10 s countdown starts at the first bid.",
        "Lot 1 of 2 (Lot 2) passed unsold: no bids.",
        "Lot 2 of 2: #3 Lot 3, opening bid 10.00; the 10 s countdown starts at the first bid.",
    ]


async def test_after_the_last_lot_the_room_says_so_and_stays_in_the_sale() -> None:
    room, client, out = room_with(sale_lot(2, 4, 1), sale_lot(9, 5, 1))
    await room.start()
    sold = Event(
        "unit_sold", "auction:2", 2, None, {"winner": "#8", "price": 1000, "units_left": 0}
    )
    closed = Event("auction_closed", "auction:2", 3, None, {"winner": "#8", "reason": "ended"})
    for event in (sold, closed):
        client.session.book.absorb_event(event)
        room.on_event(event)
    await settle(room)
    assert lines(out)[1:] == [
        "SOLD to #8 for 10.00!",
        "That was the last lot of this sale. Thank you!",
    ]
    assert room.current == 2  # typed amounts still go to the lot that was shown


async def test_a_lot_given_with_auction_is_kept_and_its_sale_followed() -> None:
    room, _client, _ = room_with(sale_lot(2, 4, 1), sale_lot(3, 4, 2, status="open"), fixed=3)
    await room.start()
    assert (room.current, room.sale_id) == (3, 4)


async def test_a_sale_given_with_sale_is_followed_even_when_another_runs() -> None:
    room, _, out = room_with(sale_lot(2, 4, 1), sale_lot(9, 5, 1), sale=5)
    await room.start()
    assert room.current == 9 and "Lot 1 of 1: #9" in out.getvalue()


async def test_with_no_sale_the_room_follows_the_open_auction_that_ends_first() -> None:
    room, _, out = room_with(lot(1, ends_at="2026-11-21T10:05:00.000Z"),
                             lot(2, ends_at="2026-11-21T10:01:00.000Z"))  # fmt: skip
    await room.start()
    assert room.current == 2
    assert lines(out) == ["Now selling #2 Lot 2: opening bid 10.00; 1:00 left."]


async def test_with_nothing_open_the_room_waits() -> None:
    room, _, out = room_with(lot(1, status="closed"))
    await room.start()
    assert room.current is None and "No lot is open" in out.getvalue()


# -- typed lines ----------------------------------------------------------------------


async def test_a_typed_amount_bids_on_the_lot_shown_when_it_was_typed() -> None:
    room, client, _out = room_with(sale_lot(2, 4, 1), sale_lot(3, 4, 2, status="open"))
    await room.start()
    room.current = 3  # the room moved on after the line was typed
    assert await room.handle("12.00", 2) is True
    assert ("place_bid", {"auction_id": 2, "amount": 1200}) in client.sent


async def test_a_bid_for_a_lot_that_has_just_ended_is_refused_not_moved() -> None:
    room, client, out = room_with(sale_lot(2, 4, 1, status="closed"), sale_lot(3, 4, 2))
    room.lots = [2, 3]
    room.current = 3
    await room.handle("12.00", 2)
    assert not [s for s in client.sent if s[0] == "place_bid"]
    assert lines(out) == ["Refused: Lot 1 of 2 has ended; nothing was placed."]


async def test_a_server_refusal_for_a_lot_no_longer_open_says_so() -> None:
    room, client, out = room_with(lot(1))
    client.session.book.auctions[1]["status"] = "open"
    room.current = 1

    async def closed(action: str, /, **fields: Any) -> dict[str, Any]:
        raise RequestFailed("auction_not_open", "Auction is closed", {}, action)

    client.request = closed  # type: ignore[method-assign]
    await room.handle("12.00", 1)
    assert lines(out) == ["Refused: #1 is not open for bids now; nothing was placed."]


async def test_typed_lines_quit_help_and_bad_amounts() -> None:
    room, _, out = room_with(lot(1), fixed=1)
    room.current = 1
    assert await room.handle("help") is True
    assert await room.handle("twelve") is True
    assert await room.handle("   ") is True
    assert await room.handle("quit") is False
    text = out.getvalue()
    assert "Type an amount to bid" in text and "Not a bid" in text


async def test_read_lines_ties_each_line_to_the_lot_shown_as_it_is_read() -> None:
    shown = iter([2, 3])
    queue: asyncio.Queue[tuple[str, int | None] | None] = asyncio.Queue()
    read_lines(io.StringIO("10\n11\n"), asyncio.get_running_loop(), queue, lambda: next(shown))
    got = [await asyncio.wait_for(queue.get(), 5) for _ in range(3)]
    assert got == [("10\n", 2), ("11\n", 3), None]


# -- what the room says -----------------------------------------------------------------


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
    assert lines(out) == ["you bid 10.00; 0:10 left", "#8 bid 11.00 (auto); 0:10 left"]


def test_the_lot_is_called_once_at_five_three_and_one_seconds_left() -> None:
    room, client, out = room_with(lot(1, current_bid=1000, ends_at="2026-11-21T10:00:06.000Z"))
    room.current = 1
    for left in (5.9, 4.9, 4.5, 2.9, 1.9, 0.9, 0.4):
        client.now = NOW + 6 - left
        room.tick()
    assert lines(out) == [
        "going once at 10.00... 0:05 left",
        "going twice at 10.00... 0:03 left",
        "going three times at 10.00... 0:01 left",
    ]


def test_a_lot_with_no_bid_is_warned_before_it_passes_unsold() -> None:
    passes = "2026-11-21T10:00:12.000Z"
    room, client, out = room_with(sale_lot(2, 4, 1, passes_at=passes))
    room.lots = [2, 3, 4]
    room.current = 2
    for left in (11.0, 9.5, 9.0, 4.5, 2.9, 0.5):
        client.now = NOW + 12 - left
        room.tick()
    assert lines(out) == [
        "No bid yet at 10.00: Lot 1 of 3 passes unsold in 0:10.",
        "No bid yet at 10.00: Lot 1 of 3 passes unsold in 0:05.",
    ]


def test_a_new_round_of_a_multi_unit_lot_is_announced() -> None:
    room, client, out = room_with(lot(1, quantity=3, units_left=3))
    room.current = 1
    data = {"round": 1, "winner": "#8", "price": 1500, "units_left": 2, "minimum_bid": 1000}
    event = Event("unit_sold", "auction:1", 5, None, data)
    client.session.book.absorb_event(event)
    room.on_event(event)
    assert lines(out) == [
        "SOLD to #8 for 15.00!",
        "Round 2: the next unit (2 units left), opening bid 10.00.",
    ]


def test_the_hammer_falls_once_for_a_sold_lot() -> None:
    room, _, out = room_with(lot(1), fixed=1)
    room.current = 1
    sold = {"round": 1, "winner": "#7", "price": 1500, "units_left": 0}
    room.on_event(Event("unit_sold", "auction:1", 5, None, sold))
    closed = {"winner": "#7", "price": 1500, "reason": "sold_out"}
    room.on_event(Event("auction_closed", "auction:1", 6, None, closed))
    room.on_event(Event("auction_closed", "auction:1", 6, None, closed))
    assert lines(out) == ["SOLD to you for 15.00!"]


def test_an_unsold_lot_says_why() -> None:
    room, _, out = room_with(lot(1), fixed=1)
    room.current = 1
    closed = {"winner": None, "price": None, "reason": "reserve_not_met"}
    room.on_event(Event("auction_closed", "auction:1", 6, None, closed))
    assert lines(out) == ["#1 (Lot 1) not sold: the reserve was not met."]
