"""The bidder app survives a server crash: a banner while it is down, then live again.

A server of its own (the shared one must not be killed), on fixed ports so
that the restarted server is found at the same address; `--demo` gives it
open auctions without an admin round trip.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
from pathlib import Path

import ttkbootstrap as tb

from auctioneer.clients.cli.config import TokenStore
from auctioneer.clients.money import format_amount
from auctioneer.clients.tk.bidder import BidderApp
from auctioneer.clients.tk.bridge import Bridge
from auctioneer.clients.tk.launch import make_root
from tests.clients.live import Live, close_output
from tests.clients.test_resume_e2e import free_port
from tests.helpers.server import RunningServer, start_server

from .conftest import pump_until
from .test_apps_e2e import _rival_bid

__all__: list[str] = []


def _open_lot(app: BidderApp) -> tuple[int, int] | None:
    """An open demo auction with a fixed end and no bid yet: (id, starting bid)."""
    for auction in app.auctions.visible():
        if (
            auction.get("status") == "open"
            and auction.get("ends_at")
            and not auction.get("bid_count")
        ):
            return int(auction["id"]), int(auction["starting_bid"])
    return None


def test_the_bidder_app_shows_a_banner_while_the_server_is_down_and_recovers(
    xvfb: str, tmp_path: Path
) -> None:
    db = tmp_path / "auctioneer.db"
    ports = ("--http-port", str(free_port()), "--tcp-port", str(free_port()))
    servers: list[RunningServer] = [start_server(db, *ports, "--demo")]
    root: tb.App | None = None
    app: BidderApp | None = None
    try:
        live = Live(servers[0], tmp_path / "config")
        live.bidder()
        root = make_root()
        bridge = Bridge(live.url, backoff_delays=lambda: itertools.repeat(0.2))
        app = BidderApp(
            root, server=live.url, token_store=TokenStore(live.config / "auctioneer"), bridge=bridge
        )
        app.start()
        pump_until(root, lambda: _open_lot(app) is not None, what="an open demo lot listed")
        aid, start = _open_lot(app) or (0, 0)
        app.open_auction(aid)
        pump_until(
            root,
            lambda: app.detail.amount.get() == format_amount(start).replace(",", ""),
            what="the detail",
        )

        servers[0].kill()
        pump_until(root, lambda: "reconnecting" in app.banner.text, what="the banner")
        servers.append(start_server(db, *ports))
        pump_until(root, lambda: not app.banner.visible, timeout=15, what="the banner gone")
        assert bridge.reconnects >= 1

        asyncio.run(_rival_bid(live.url, aid, start))
        price = format_amount(start)
        pump_until(
            root,
            lambda: (
                app.table.row(str(aid)).get("current_bid") == price
                and len(app.detail.history_rows()) == 1
            ),
            what="a bid after the restart in the table and the history",
        )
        app.place_bid(app.detail.amount.get())  # the server's minimum_bid, prefilled
        pump_until(
            root,
            lambda: app.table.row(str(aid)).get("leader") == app.paddle,
            what="the app's own bid after the restart",
        )
    finally:
        if app is not None:
            app.dispose()
        if root is not None:
            root.destroy()
            gc.collect()
        for server in servers:
            server.stop()
            close_output(server)
