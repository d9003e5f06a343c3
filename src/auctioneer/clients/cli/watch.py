"""`auctioneer watch [ID]`: a live view of the auctions, or of one auction.

Why events and not polling: the view subscribes (``auctions`` for the list,
``auction:ID`` for one lot) and redraws when an event lands; the only timer
is the redraw of the countdown, which reads the server's clock through the
client's offset, so every watcher's countdown agrees with the server.

`WatchView` is the state and the drawing, with no I/O, so it is tested by
rendering onto a captured console; `watch()` wires it to a client and a
Rich Live display.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.text import Text

from auctioneer.clients.book import AuctionBook, auction_id_of_topic
from auctioneer.clients.cli.render import auction_detail, auctions_table
from auctioneer.clients.connection import Client
from auctioneer.clients.session import Event

__all__ = ["FLASH_SECONDS", "WatchView", "watch"]

#: How long a changed price stays highlighted.
FLASH_SECONDS = 1.0

#: Finished auctions shown under the live ones in the list view, newest first.
FINISHED_SHOWN = 10

_ORDER = {"open": 0, "scheduled": 1, "closed": 2, "cancelled": 3}


class WatchView:
    """What `watch` shows: the book's auctions, with recent changes flashing.

    Args:
        book: the auctions (the client session's book, kept fresh by events).
        auction_id: one auction, or None for the list.
        server_clock: the server's time now (``client.server_now``).
        local_clock: a monotonic clock for the flashing.
    """

    def __init__(
        self,
        book: AuctionBook,
        *,
        auction_id: int | None = None,
        server_clock: Callable[[], float] = time.time,
        local_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.book = book
        self.auction_id = auction_id
        self.server_clock = server_clock
        self.local_clock = local_clock
        self.changed_at: dict[int, float] = {}
        self.status = "connected"
        self.events_seen = 0

    def on_event(self, event: Event) -> None:
        """Note which auction changed, to flash it."""
        aid = auction_id_of_topic(event.topic)
        if aid is None and event.name == "auction_summary":
            aid = event.data.get("id")
        if isinstance(aid, int):
            self.changed_at[aid] = self.local_clock()
        self.events_seen += 1

    def on_status(self, status: str) -> None:
        self.status = status

    def flashing(self) -> frozenset[int]:
        now = self.local_clock()
        return frozenset(a for a, t in self.changed_at.items() if now - t < FLASH_SECONDS)

    def visible(self) -> list[dict[str, Any]]:
        """The auctions of the list view: open first, then scheduled, then the rest."""
        auctions = [a for a in self.book.auctions.values() if not a.get("deleted")]
        live = [a for a in auctions if a.get("status") in ("open", "scheduled")]
        done = [a for a in auctions if a.get("status") not in ("open", "scheduled")]
        live.sort(key=lambda a: (_ORDER.get(a.get("status", ""), 9), a.get("id", 0)))
        done.sort(key=lambda a: -int(a.get("id", 0)))
        return live + done[:FINISHED_SHOWN]

    def render(self) -> RenderableType:
        now = self.server_clock()
        footer = Text(
            f"{self.status} · server time {time.strftime('%H:%M:%S', time.gmtime(now))} UTC"
            " · Ctrl-C to leave",
            style="dim",
        )
        if self.auction_id is None:
            table = auctions_table(self.visible(), now, flashing=self.flashing(), title="Auctions")
            return Group(table, footer)
        auction = self.book.get(self.auction_id)
        if auction is None:
            return Group(Text(f"auction {self.auction_id}: loading..."), footer)
        flashing = self.auction_id in self.flashing()
        return Group(
            auction_detail(auction, auction.get("bids", []), now, flashing=flashing), footer
        )

    def __rich__(self) -> RenderableType:
        return self.render()


async def watch(
    client: Client,
    *,
    auction_id: int | None = None,
    console: Console | None = None,
    duration: float | None = None,
    stop: asyncio.Event | None = None,
    screen: bool | None = None,
) -> WatchView:
    """Show the live view until Ctrl-C, `duration` seconds, or `stop` is set.

    Raises:
        RequestFailed: the auction does not exist (``not_found``).
    """
    console = console or Console()
    view = WatchView(client.session.book, auction_id=auction_id, server_clock=client.server_now)
    if auction_id is not None:
        await client.request("get_auction", auction_id=auction_id)  # not_found before the screen
    stop = stop or asyncio.Event()
    use_screen = console.is_terminal if screen is None else screen
    with Live(view, console=console, screen=use_screen, refresh_per_second=4) as live:

        def changed(event: Event) -> None:
            view.on_event(event)
            live.refresh()

        client.on_event(changed)
        client.on_status(view.on_status)
        if auction_id is None:
            await client.subscribe("auctions")  # before the listing, so no change is missed
            await client.request("get_auctions")
        else:
            await client.follow(auction_id)
        await client.ping()  # a clock sample better than the welcome's
        # Ctrl-C is how one leaves a watch: asyncio.run cancels us, we end cleanly.
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(stop.wait(), duration)
        live.refresh()
    if not console.is_terminal:
        console.line()  # Live leaves the cursor at the end of its last frame
    return view
