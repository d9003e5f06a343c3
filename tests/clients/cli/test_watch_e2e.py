"""`watch` follows a real server's events onto a captured console."""

from __future__ import annotations

import asyncio
import io

from rich.console import Console

from auctioneer.clients.cli.watch import watch
from auctioneer.clients.connection import Client
from auctioneer.clients.session import Phase
from tests.clients.live import PASSWORD, Live, unique

__all__: list[str] = []


async def until(predicate: object, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.02)


async def test_watch_redraws_one_auction_when_a_bid_lands(live: Live) -> None:
    a = (
        await live.as_admin(
            "create_auction", name=unique("Clock "), starting_bid=1000, duration_s=600
        )
    )["auction"]
    topic = f"auction:{a['id']}"
    console = Console(
        file=io.StringIO(), width=120, record=True, color_system=None, force_terminal=True
    )
    async with Client(live.url) as watcher, Client(live.url) as bidder:
        stop = asyncio.Event()
        task = asyncio.create_task(
            watch(watcher, auction_id=a["id"], console=console, stop=stop, screen=False)
        )
        await until(
            lambda: (
                topic in watcher.session.topics
                and watcher.session.topics[topic].phase is Phase.LIVE
            )
        )
        name = unique("w")
        await bidder.register(name, PASSWORD)
        await bidder.login(name, PASSWORD)
        await bidder.request("place_bid", auction_id=a["id"], amount=1234)
        await until(lambda: (watcher.session.book.get(a["id"]) or {}).get("current_bid") == 1234)
        stop.set()
        view = await task
    assert a["id"] in view.flashing()
    text = console.export_text()
    assert a["name"] in text and "12.34" in text
    assert "13.34" in text  # the next valid bid


async def test_watch_of_all_auctions_lists_a_new_one(live: Live) -> None:
    console = Console(
        file=io.StringIO(), width=160, record=True, color_system=None, force_terminal=True
    )
    async with Client(live.url) as watcher:
        stop = asyncio.Event()
        task = asyncio.create_task(watch(watcher, console=console, stop=stop, screen=False))
        await until(lambda: "auctions" in watcher.session.topics)
        made = await live.as_admin(
            "create_auction", name=unique("Fresh "), starting_bid=500, duration_s=600
        )
        aid = made["auction"]["id"]
        await until(lambda: watcher.session.book.get(aid) is not None)
        stop.set()
        view = await task
    assert made["auction"]["name"] in console.export_text()
    assert any(a["id"] == aid for a in view.visible())


def test_the_watch_command_exits_on_an_unknown_auction(live: Live) -> None:
    result = live.cli("watch", "999999")
    assert result.exit_code == 1 and "not_found" in result.stderr
