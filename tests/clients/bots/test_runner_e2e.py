"""Bots against a real server: each lot goes to the highest maximum that bid."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from auctioneer.clients.bots.runner import BotConfig, new_tally, run_bots
from tests.clients.live import Live, close_output, unique
from tests.helpers.server import start_server

__all__: list[str] = []


async def test_twenty_bots_on_three_lots_sell_each_to_the_highest_maximum_that_bid(
    live: Live,
) -> None:
    ids = []
    for _ in range(3):
        made = await live.as_admin(
            "create_auction",
            name=unique("Bot lot "),
            starting_bid=1000,
            min_increment=250,
            countdown_s=3,
        )
        ids.append(made["auction"]["id"])
    config = BotConfig(
        server=live.url,
        count=20,
        probability=0.7,
        max_price=(1000, 4000),
        think=(0.05, 0.25),
        strategy="random",
        auctions=tuple(ids),
        duration=45,
        seed=20261121,
    )
    tally = await run_bots(config)
    print(tally.as_dict())  # shown when the test fails
    assert [b.error for b in tally.bots if b.error] == []
    assert tally.rejected["internal"] == 0
    assert tally.accepted > 0
    for aid in ids:
        final = (await live.as_admin("get_auction", auction_id=aid))["auction"]
        assert final["status"] == "closed", final
        bidders = [b for b in tally.bots if b.sent[aid]]
        top = max(b.maxima[aid] for b in bidders)
        winner = tally.bot_by_paddle(final["winner"])
        assert winner is not None, final
        assert winner.maxima[aid] == top
        assert final["price"] <= top
        assert (aid, 1) in winner.won
    assert tally.won == 3


async def test_proxy_bots_leave_the_bidding_to_the_server(live: Live) -> None:
    made = await live.as_admin(
        "create_auction",
        name=unique("Proxy lot "),
        starting_bid=1000,
        min_increment=100,
        countdown_s=3,
    )
    aid = made["auction"]["id"]
    config = BotConfig(
        server=live.url, count=3, max_price=(2000, 6000), think=(0.05, 0.1), strategy="proxy",
        auctions=(aid,), duration=30, seed=3,
    )  # fmt: skip
    tally = await run_bots(config)
    final = (await live.as_admin("get_auction", auction_id=aid))["auction"]
    winner = tally.bot_by_paddle(final["winner"])
    assert winner is not None and winner.maxima[aid] == max(b.maxima[aid] for b in tally.bots)
    assert sum(sum(b.sent.values()) for b in tally.bots) == 3  # one auto-bid each


async def _until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_online_drops_while_the_server_is_down_and_comes_back_with_it(
    tmp_path: Path,
) -> None:
    """Issue 18 item 12: the "Online" count follows the connections, not the start-up."""
    db = tmp_path / "bots.db"
    server = await asyncio.to_thread(start_server, db)
    config = BotConfig(server=server.http_url, count=3, think=(0.05, 0.1), duration=120, seed=7)
    tally = new_tally(config)
    stop = asyncio.Event()
    bots = asyncio.create_task(run_bots(config, stop=stop, tally=tally))

    def online() -> int:
        return sum(1 for b in tally.bots if b.connected)

    again = None
    try:
        await _until(lambda: online() == 3, 30, "three bots online")
        await asyncio.to_thread(server.stop)
        await _until(lambda: online() == 0, 15, "the bots to go offline with the server")
        http_port = server.http_url.rsplit(":", 1)[1]
        again = await asyncio.to_thread(
            start_server, db, "--http-port", http_port, "--tcp-port", str(server.tcp_port)
        )
        await _until(lambda: online() == 3, 30, "the bots back online")
    finally:
        stop.set()
        await bots
        close_output(server)
        if again is not None:
            await asyncio.to_thread(again.stop)
            close_output(again)
    assert [b.error for b in tally.bots if b.error] == []
