"""The desktop apps under a real X server (Xvfb) against a real server.

Both apps run in one Tk interpreter (the admin in the root, the bidder in a
Toplevel), each with its own connection, and are driven through the Tk API:
entries filled, buttons invoked, Enter pressed, then the event loop pumped
until the other window shows the change. Logins come from the command line's
token store, as they do for a user who ran `auctioneer login`.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import ttkbootstrap as tb

from auctioneer.clients.cli.config import TokenStore
from auctioneer.clients.connection import Client
from auctioneer.clients.tk.admin import AdminApp
from auctioneer.clients.tk.bidder import BidderApp
from auctioneer.clients.tk.bridge import Bridge
from auctioneer.clients.tk.launch import make_root
from tests.clients.live import PASSWORD, Live, unique
from tests.helpers.server import RunningServer

from .conftest import pump, pump_until

__all__: list[str] = []


def quick_bridge(url: str) -> Bridge:
    return Bridge(url, backoff_delays=lambda: itertools.repeat(0.2))


@dataclass
class Desk:
    root: tb.App
    admin: AdminApp
    bidder: BidderApp
    admin_live: Live
    bidder_live: Live
    bidder_name: str

    def row(self, app: AdminApp | BidderApp, auction_id: int) -> dict[str, str]:
        return app.table.row(str(auction_id))


def _stores(live: Live) -> TokenStore:
    return TokenStore(live.config / "auctioneer")


@pytest.fixture(scope="module")
def desk(
    xvfb: str, live_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    """One admin app and one bidder app for the whole module (each test makes its own auctions)."""
    tmp_path = tmp_path_factory.mktemp("desk")
    admin_live = Live(live_server, tmp_path / "admin-config")
    admin_live.admin_login()
    bidder_live = Live(live_server, tmp_path / "bidder-config")
    name = bidder_live.bidder()
    root = make_root()
    admin = AdminApp(
        root,
        server=admin_live.url,
        token_store=_stores(admin_live),
        bridge=quick_bridge(admin_live.url),
    )
    top = tb.Toplevel(title="bidder")
    bidder = BidderApp(
        top,
        server=bidder_live.url,
        token_store=_stores(bidder_live),
        bridge=quick_bridge(bidder_live.url),
    )
    admin.confirm = bidder.confirm = lambda _text: True
    admin.start()
    bidder.start()
    try:
        pump_until(root, lambda: admin.user and bidder.user, what="both apps logged in")
        yield Desk(root, admin, bidder, admin_live, bidder_live, name)
    finally:
        bidder.dispose()
        admin.dispose()
        root.destroy()
        gc.collect()  # Tk images die here, on the Tk thread, not in some later thread


def _shows(desk: Desk, app: AdminApp | BidderApp, auction_id: int) -> None:
    pump_until(desk.root, lambda: str(auction_id) in app.table.ids(), what=f"#{auction_id} listed")


def test_the_window_titles_begin_with_auctioneer(desk: Desk) -> None:
    assert desk.admin.window.title().startswith("Auctioneer")
    assert desk.bidder.window.title().startswith("Auctioneer")
    assert desk.bidder.user is not None and desk.bidder.user["username"] == desk.bidder_name


def test_the_apps_timers_do_not_multiply(desk: Desk) -> None:
    def pending() -> int:
        return len(desk.root.tk.splitlist(desk.root.tk.call("after", "info")))

    pump(desk.root, 0.3)
    before = pending()
    pump(desk.root, 1.2)  # several countdown ticks
    assert pending() <= before + 2 < 40


def test_an_auction_the_admin_creates_shows_in_the_bidder_app_within_a_second(desk: Desk) -> None:
    name = unique("Desk lamp ")
    form = desk.admin.form
    form.fields.clear()
    form.fields.set("name", name)
    form.fields.set("starting_bid", "125.50")
    form.fields.set("duration_s", "5m")
    form.create_button.invoke()
    started = time.monotonic()
    pump_until(
        desk.root,
        lambda: any(desk.bidder.table.row(i).get("name") == name for i in desk.bidder.table.ids()),
        timeout=5,
        what="the new auction in the bidder's table",
    )
    assert time.monotonic() - started < 1.0
    rid = next(i for i in desk.bidder.table.ids() if desk.bidder.table.row(i)["name"] == name)
    assert desk.bidder.table.row(rid)["minimum_bid"] == "125.50"
    pump_until(desk.root, lambda: rid in desk.admin.table.ids(), what="the admin's own table")
    assert desk.admin.table.row(rid)["status"] == "open"
    assert "Created" in str(form.result.cget("text"))


def test_the_form_says_what_is_wrong_next_to_the_field(desk: Desk) -> None:
    form = desk.admin.form
    form.fields.clear()
    form.fields.set("name", "Lamp")
    form.fields.set("starting_bid", "12.345")
    form.fields.set("duration_s", "soon")
    form.create_button.invoke()
    assert "two decimals" in form.fields.message("starting_bid")
    assert "not a duration" in form.fields.message("duration_s")
    # A rule only the server knows: its refusal lands next to the field it names.
    form.fields.set("starting_bid", "10.00")
    form.fields.set("duration_s", "5m")
    form.fields.set("reserve", "5.00")
    form.create_button.invoke()
    pump_until(
        desk.root,
        lambda: (
            "reserve" in form.fields.message("reserve").lower()
            or "at least" in form.fields.message("reserve")
        ),
        what="the server's refusal",
    )


def test_a_bid_placed_with_enter_in_the_bidder_app_reaches_the_admin_table(desk: Desk) -> None:
    aid = int(desk.admin_live.auction(starting_bid=1000)["id"])
    _shows(desk, desk.bidder, aid)
    desk.bidder.table.select(str(aid))
    pump_until(
        desk.root,
        lambda: desk.bidder.detail.amount.get() == "10.00",
        what="the lowest valid bid prefilled",
    )
    desk.bidder.detail.amount.focus_force()
    desk.bidder.detail.amount.event_generate("<Return>")
    pump_until(
        desk.root,
        lambda: (
            desk.row(desk.admin, aid).get("current_bid") == "10.00"
            and desk.bidder_name in desk.row(desk.admin, aid).get("leader", "")
        ),
        what="the bid and its bidder's username in the admin table",
    )
    assert desk.row(desk.admin, aid)["bid_count"] == "1"
    pump_until(
        desk.root,
        lambda: aid in desk.bidder.my_bids().get("leading", []),
        what="leading in My bids",
    )


async def _rival_bid(url: str, auction_id: int, amount: int) -> None:
    async with Client(url) as client:
        name = unique("rival")
        await client.register(name, PASSWORD)
        await client.login(name, PASSWORD)
        await client.request("place_bid", auction_id=auction_id, amount=amount)


def test_another_users_bid_updates_the_bidder_app(desk: Desk) -> None:
    aid = int(desk.admin_live.auction(starting_bid=1000)["id"])
    _shows(desk, desk.bidder, aid)
    desk.bidder.open_auction(aid)
    pump_until(desk.root, lambda: desk.bidder.detail.amount.get() == "10.00", what="detail shown")
    desk.bidder.detail.bid_button.invoke()
    pump_until(
        desk.root, lambda: desk.row(desk.bidder, aid).get("current_bid") == "10.00", what="own bid"
    )
    asyncio.run(_rival_bid(desk.bidder_live.url, aid, 1500))
    pump_until(
        desk.root,
        lambda: (
            desk.row(desk.bidder, aid).get("current_bid") == "15.00"
            and len(desk.bidder.detail.history_rows()) == 2
        ),
        what="the rival's bid in the table and the history",
    )
    assert desk.bidder.detail.amount.get() == "16.00"  # the server's minimum_bid, prefilled
    pump_until(
        desk.root,
        lambda: any("outbid" in t and "15.00" in t for t in desk.bidder.toasts.history),
        what="outbid toast",
    )
    pump_until(
        desk.root, lambda: aid in desk.bidder.my_bids().get("outbid", []), what="outbid in My bids"
    )


def test_a_refused_bid_reads_as_a_sentence(desk: Desk) -> None:
    aid = int(desk.admin_live.auction(starting_bid=1000)["id"])
    _shows(desk, desk.bidder, aid)
    desk.bidder.open_auction(aid)
    pump_until(desk.root, lambda: desk.bidder.detail.amount.get() == "10.00", what="detail shown")
    desk.bidder.place_bid("5.00")
    pump_until(
        desk.root,
        lambda: "lowest valid bid is 10.00" in str(desk.bidder.detail.message.cget("text")),
        what="the bid_too_low sentence",
    )
    desk.bidder.place_bid("ten")
    assert "amount like 125.50" in str(desk.bidder.detail.message.cget("text"))


def test_closing_the_auction_shows_won_in_the_winners_app(desk: Desk) -> None:
    made = desk.admin_live.auction(starting_bid=1000)
    aid, name = int(made["id"]), str(made["name"])
    _shows(desk, desk.bidder, aid)
    desk.bidder.open_auction(aid)
    pump_until(desk.root, lambda: desk.bidder.detail.amount.get() == "10.00", what="detail shown")
    desk.bidder.detail.bid_button.invoke()
    pump_until(
        desk.root, lambda: desk.row(desk.admin, aid).get("current_bid") == "10.00", what="the bid"
    )
    desk.admin.table.select(str(aid))
    desk.admin.buttons["Close"].invoke()
    pump_until(
        desk.root, lambda: aid in desk.bidder.my_bids().get("won", []), what="won in My bids"
    )
    pump_until(
        desk.root,
        lambda: any(f"You won {name} for 10.00" in t for t in desk.bidder.toasts.history),
        what="won toast",
    )
    assert desk.row(desk.admin, aid)["status"] == "closed"
    assert "You won" in str(desk.bidder.detail.standing.cget("text"))


def test_the_admin_exports_the_table_as_csv(desk: Desk, tmp_path: Path) -> None:
    aid = int(desk.admin_live.auction(starting_bid=1234)["id"])
    _shows(desk, desk.admin, aid)
    out = tmp_path / "auctions.csv"
    count = desk.admin.export_csv(out)
    lines = out.read_text().splitlines()
    assert count == len(lines) - 1 >= 1
    assert lines[0].startswith("id,name,status")
    assert any(line.startswith(f"{aid},") and ",12.34," in line for line in lines)


def test_tab_goes_from_the_amount_through_the_bid_buttons(desk: Desk) -> None:
    aid = int(desk.admin_live.auction(starting_bid=1000)["id"])
    _shows(desk, desk.bidder, aid)
    desk.bidder.open_auction(aid)
    pump_until(desk.root, lambda: desk.bidder.detail.amount.get() == "10.00", what="detail shown")
    pane = desk.bidder.detail
    order = [pane.amount, pane.bid_button, pane.max_amount, pane.auto_button, pane.stop_button]
    for here, there in itertools.pairwise(order):
        assert here.tk_focusNext() is there


def test_unpublishing_hides_the_auction_from_bidders_and_publishing_brings_it_back(
    desk: Desk,
) -> None:
    aid = int(desk.admin_live.auction()["id"])
    _shows(desk, desk.bidder, aid)
    _shows(desk, desk.admin, aid)
    desk.admin.act("Unpublish", aid)
    pump_until(desk.root, lambda: str(aid) not in desk.bidder.table.ids(), what="hidden")
    pump_until(
        desk.root, lambda: desk.row(desk.admin, aid).get("public") == "private", what="private"
    )
    desk.admin.act("Publish", aid)
    _shows(desk, desk.bidder, aid)
    desk.admin.table.select(str(aid))
    desk.admin.table.tree.focus_force()
    desk.admin.table.tree.event_generate("<Delete>")  # the keyboard way, after the question
    pump_until(
        desk.root,
        lambda: str(aid) not in desk.bidder.table.ids() and str(aid) not in desk.admin.table.ids(),
        what="deleted everywhere",
    )


def test_a_sale_built_in_the_admin_app_runs_in_the_bidders_live_room(desk: Desk) -> None:
    builder = desk.admin.sale
    name = unique("Evening ")
    for lot, start in (("First lot", "20.00"), ("Second lot", "30.00")):
        builder.lot_fields.set("name", f"{lot} {name}")
        builder.lot_fields.set("starting_bid", start)
        builder.lot_fields.set("duration_s", "10m")
        builder.add_button.invoke()
    assert len(builder.lots) == 2
    builder.name.insert(0, name)
    builder.create_button.invoke()
    pump_until(desk.root, lambda: "Created sale" in str(builder.result.cget("text")), what="sale")
    room = desk.bidder.room
    sale = f"Sale {builder.created}"
    pump_until(desk.root, lambda: sale in room.picker.cget("values"), what="the sale offered")
    room.picker.set(sale)  # other tests' sales share the server: pick ours, as a user would
    room.picker.event_generate("<<ComboboxSelected>>")
    pump_until(
        desk.root,
        lambda: room.lot is not None and str(room.lot.get("name", "")).startswith("First lot"),
        what="the live room on the sale's first lot",
    )
    assert "lot 1 of 2" in str(room.lot_label.cget("text"))
    room.bid()  # the lowest valid bid, prefilled
    pump_until(desk.root, lambda: str(room.leader.cget("text")) == "You lead", what="room bid")
    assert room.lot is not None
    desk.admin.act("Close", int(room.lot["id"]))
    pump_until(
        desk.root,
        lambda: room.lot is not None and str(room.lot.get("name", "")).startswith("Second lot"),
        what="the room moves on to the next lot",
    )


def test_an_auto_bid_answers_a_rivals_bid_and_buy_now_sells_at_once(desk: Desk) -> None:
    aid = int(desk.admin_live.auction(starting_bid=1000)["id"])
    _shows(desk, desk.bidder, aid)
    desk.bidder.open_auction(aid)
    pump_until(desk.root, lambda: desk.bidder.detail.amount.get() == "10.00", what="detail shown")
    desk.bidder.detail.max_amount.insert(0, "30.00")
    desk.bidder.detail.auto_button.invoke()
    pump_until(
        desk.root,
        lambda: desk.row(desk.bidder, aid).get("current_bid") == "10.00",
        what="opening auto-bid",
    )
    asyncio.run(_rival_bid(desk.bidder_live.url, aid, 2000))
    pump_until(
        desk.root,
        lambda: (
            desk.row(desk.bidder, aid).get("current_bid") == "21.00"
            and desk.row(desk.bidder, aid).get("leader") == desk.bidder.paddle
        ),
        what="the auto-bid answering at 21.00",
    )
    assert [row[3] for row in desk.bidder.detail.history_rows()][:2] == ["auto", ""]

    made = desk.admin_live.auction(starting_bid=1000, buy_now=5000)
    other = int(made["id"])
    _shows(desk, desk.bidder, other)
    desk.bidder.open_auction(other)
    pump_until(
        desk.root,
        lambda: "50.00" in str(desk.bidder.detail.buy_button.cget("text")),
        what="buy now offered",
    )
    desk.bidder.detail.buy_button.invoke()
    pump_until(
        desk.root, lambda: desk.row(desk.admin, other).get("status") == "closed", what="sold"
    )
    pump_until(
        desk.root, lambda: other in desk.bidder.my_bids().get("won", []), what="won by buy now"
    )


def test_a_failing_handler_is_told_in_a_sentence_not_a_traceback(
    desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    button = tb.Button(desk.root, command=lambda: 1 / 0)
    desk.root.after(0, lambda: button.tk.call(button, "invoke"))
    pump_until(
        desk.root,
        lambda: any("went wrong in the app" in t for t in desk.admin.toasts.history),
        what="the toast",
    )
    assert "Traceback" not in capsys.readouterr().err
    button.destroy()


def test_a_refused_row_action_is_said_next_to_the_buttons(desk: Desk) -> None:
    aid = int(desk.admin_live.auction()["id"])
    _shows(desk, desk.admin, aid)
    desk.admin.act("Cancel", aid)
    pump_until(
        desk.root, lambda: desk.row(desk.admin, aid).get("status") == "cancelled", what="done"
    )
    desk.admin.act("Close", aid)
    pump_until(
        desk.root,
        lambda: "Cannot close" in str(desk.admin.message.cget("text")),
        what="auction_not_open as a sentence",
    )
    asked: list[str] = []
    desk.admin.confirm = lambda text: bool(asked.append(text))  # the user says no
    try:
        desk.admin.act("Delete", aid)
        assert asked and asked[0].startswith(f"Delete #{aid}")
        desk.root.update()
        assert str(aid) in desk.admin.table.ids()  # nothing was sent
    finally:
        desk.admin.confirm = lambda _text: True


def test_the_admin_sees_how_many_follow_an_auction(desk: Desk) -> None:
    aid = int(desk.admin_live.auction()["id"])
    _shows(desk, desk.bidder, aid)
    desk.bidder.open_auction(aid)  # the bidder app follows auction:ID
    pump_until(desk.root, lambda: desk.bidder.detail.auction is not None, what="followed")
    desk.admin._refresh_watchers()  # what its 10 s timer does
    pump_until(
        desk.root, lambda: desk.row(desk.admin, aid).get("watchers") == "1", what="1 watcher"
    )


def test_a_passed_auto_bid_maximum_is_a_notification(desk: Desk) -> None:
    aid = int(desk.admin_live.auction(starting_bid=1000)["id"])
    _shows(desk, desk.bidder, aid)
    desk.bidder.open_auction(aid)
    pump_until(desk.root, lambda: desk.bidder.detail.amount.get() == "10.00", what="detail shown")
    desk.bidder.start_auto_bid("12.00")
    pump_until(
        desk.root, lambda: desk.row(desk.bidder, aid).get("current_bid") == "10.00", what="on"
    )
    asyncio.run(_rival_bid(desk.bidder_live.url, aid, 1500))
    pump_until(
        desk.root,
        lambda: any("maximum of 12.00" in t for t in desk.bidder.toasts.history),
        what="the auto_bid_exhausted toast",
    )
    listed = [
        desk.bidder.note_tree.item(i, "values")[1] for i in desk.bidder.note_tree.get_children()
    ]
    assert any("maximum of 12.00" in str(text) for text in listed)


def test_the_analytics_tab_draws_its_three_charts_from_the_server(desk: Desk) -> None:
    made = desk.admin_live.auction(starting_bid=1000)
    asyncio.run(_rival_bid(desk.admin_live.url, int(made["id"]), 1000))
    desk.admin_live.admin("close_auction", auction_id=made["id"])
    _shows(desk, desk.admin, int(made["id"]))
    desk.admin.tabs.select(3)  # opening the tab refreshes it
    pump_until(
        desk.root,
        lambda: "sell-through" in str(desk.admin.figures.cget("text")),
        what="the figures",
    )
    text = str(desk.admin.figures.cget("text"))
    assert "bids from" in text and "revenue" in text
    for name, canvas in desk.admin.charts.items():
        bars = [i for i in canvas.find_all() if canvas.type(i) == "rectangle"]
        assert bars, f"no bars in the {name} chart"
    desk.admin.tabs.select(0)
