"""Logging in from the apps: the stored login, a dialog without one, register, refusals."""

from __future__ import annotations

import asyncio
import gc
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import ttkbootstrap as tb

from auctioneer.clients.cli.config import Login, TokenStore
from auctioneer.clients.connection import Client
from auctioneer.clients.tk.admin import AdminApp
from auctioneer.clients.tk.bidder import BidderApp
from auctioneer.clients.tk.bridge import Bridge
from auctioneer.clients.tk.launch import make_root
from auctioneer.clients.tk.shell import AppShell
from tests.clients.live import PASSWORD, Live, unique
from tests.helpers.server import RunningServer

from .conftest import pump_until

__all__: list[str] = []


@pytest.fixture
def root(xvfb: str) -> Iterator[tb.App]:
    window = make_root()
    yield window
    window.destroy()
    gc.collect()


def _open(kind: type[AppShell], root: tb.App, url: str, store: TokenStore) -> AppShell:
    bridge = Bridge(url, backoff_delays=lambda: itertools.repeat(0.2))
    app = kind(root, server=url, token_store=store, bridge=bridge)
    app.start()
    return app


def _dialog_note(app: AppShell) -> str:
    dialog = app.login_dialog
    return str(dialog.message.cget("text")) if dialog is not None and dialog.winfo_exists() else ""


def test_without_a_login_the_bidder_browses_and_registers_in_the_dialog(
    root: tb.App, live_server: RunningServer, tmp_path: Path
) -> None:
    live = Live(live_server, tmp_path / "config")
    aid = int(live.auction()["id"])
    store = TokenStore(tmp_path / "tokens")
    app = _open(BidderApp, root, live.url, store)
    assert isinstance(app, BidderApp)
    try:
        pump_until(root, lambda: app.login_dialog is not None, what="the login dialog")
        pump_until(root, lambda: str(aid) in app.table.ids(), what="public auctions, logged out")
        dialog = app.login_dialog
        assert dialog is not None and dialog.register_button is not None
        assert dialog.title().startswith("Auctioneer")
        name = unique("reg")
        dialog.username.insert(0, name)
        dialog.password.insert(0, "short")
        dialog.register_button.invoke()
        pump_until(root, lambda: "password" in _dialog_note(app).lower(), what="the refusal")
        dialog.password.delete(0, "end")
        dialog.password.insert(0, PASSWORD)
        dialog.register_button.invoke()
        pump_until(root, lambda: app.user is not None, what="registered and logged in")
        stored = store.get(live.url)
        assert stored is not None and stored.username == name  # as `auctioneer login` stores it
        assert name in str(app.user_label.cget("text"))
    finally:
        app.dispose()


def test_an_expired_login_opens_the_dialog_and_is_forgotten(
    root: tb.App, live_server: RunningServer, tmp_path: Path
) -> None:
    store = TokenStore(tmp_path / "tokens")
    store.save(live_server.http_url, Login("not-a-valid-token", "ghost"))
    app = _open(BidderApp, root, live_server.http_url, store)
    try:
        pump_until(root, lambda: "expired" in _dialog_note(app), what="the expired-login note")
        assert store.get(live_server.http_url) is None
        assert app.user is None
    finally:
        app.dispose()


def test_the_admin_app_refuses_a_bidders_login(
    root: tb.App, live_server: RunningServer, tmp_path: Path
) -> None:
    live = Live(live_server, tmp_path / "config")
    live.bidder()
    app = _open(AdminApp, root, live.url, TokenStore(live.config / "auctioneer"))
    try:
        pump_until(root, lambda: "not an admin" in _dialog_note(app), what="the refusal")
        assert app.user is None
        assert app.login_dialog is not None and app.login_dialog.register_button is None
    finally:
        app.dispose()


async def _log_out(url: str, token: str) -> None:
    async with Client(url) as client:
        await client.auth(token)
        await client.logout()


def test_a_login_ended_elsewhere_asks_again_and_bidding_goes_on(
    root: tb.App, live_server: RunningServer, tmp_path: Path
) -> None:
    live = Live(live_server, tmp_path / "config")
    name = live.bidder()
    aid = int(live.auction(starting_bid=1000)["id"])
    store = TokenStore(live.config / "auctioneer")
    stored = store.get(live.url)
    assert stored is not None
    app = _open(BidderApp, root, live.url, store)
    assert isinstance(app, BidderApp)
    try:
        pump_until(root, lambda: app.user is not None and str(aid) in app.table.ids(), what="ready")
        asyncio.run(_log_out(live.url, stored.token))  # `auctioneer logout` in another window
        app.open_auction(aid)
        pump_until(root, lambda: app.detail.amount.get() == "10.00", what="the detail pane")
        app.place_bid("10.00")
        pump_until(root, lambda: "log in again" in _dialog_note(app), what="asked to log in again")
        assert app.user is None and app.login_dialog is not None
        app.login_dialog.username.insert(0, name)
        app.login_dialog.password.insert(0, PASSWORD)
        app.login_dialog.login_button.invoke()
        pump_until(root, lambda: app.user is not None, what="logged in again")
        app.place_bid("10.00")
        pump_until(root, lambda: app.table.row(str(aid)).get("leader") == app.paddle, what="bid")
    finally:
        app.dispose()
