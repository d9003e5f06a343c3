"""The bidder's live room: one sale, its current lot big on screen, one-click bids.

Why follow a sale: a sale's lots run one after another (`create_sale`), so
the room shows whichever lot is open now and moves on by itself when the
`auctions` feed says the next one opened. Which lot is current is read from
the server's statuses, never guessed from times.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import ttkbootstrap as tb

from auctioneer.clients.cli.render import minimum_bid
from auctioneer.clients.money import AmountError, format_amount, parse_amount
from auctioneer.clients.tk.auctions import countdown
from auctioneer.clients.tk.widgets import PAD, set_columns

if TYPE_CHECKING:
    from auctioneer.clients.tk.bidder import BidderApp

__all__ = ["LiveRoom", "current_lot", "live_sale", "sale_ids"]


def sale_ids(auctions: Iterable[Mapping[str, Any]]) -> list[int]:
    """The sales that have a lot in `auctions`, newest first."""
    return sorted({int(a["sale_id"]) for a in auctions if a.get("sale_id")}, reverse=True)


def live_sale(auctions: Iterable[Mapping[str, Any]], sales: list[int]) -> int:
    """The sale to show until the user picks one: the newest with an open lot, else the newest."""
    running = {a.get("sale_id") for a in auctions if a.get("status") == "open"}
    return next((s for s in sales if s in running), sales[0])


def current_lot(
    auctions: Iterable[Mapping[str, Any]], sale_id: int
) -> tuple[Mapping[str, Any] | None, int]:
    """The sale's lot to show (open, else the next scheduled, else the last) and its lot count."""
    lots = sorted(
        (a for a in auctions if a.get("sale_id") == sale_id), key=lambda a: int(a.get("lot") or 0)
    )
    for status in ("open", "scheduled"):
        for lot in lots:
            if lot.get("status") == status:
                return lot, len(lots)
    return (lots[-1] if lots else None), len(lots)


class LiveRoom(tb.Frame):
    """The live-room tab of the bidder app."""

    def __init__(self, master: tk.Misc, *, app: BidderApp) -> None:
        super().__init__(master, padding=PAD * 3)
        self.app = app
        self.sale: int | None = None
        self.picked = False  # the user chose a sale: stay on it
        self.following: int | None = None
        top = tb.Frame(self)
        top.pack(fill="x")
        tb.Label(top, text="Sale").pack(side="left")
        self.picker = tb.Combobox(top, values=[], width=16, state="readonly")
        self.picker.pack(side="left", padx=PAD)
        self.picker.bind("<<ComboboxSelected>>", lambda _e: self._pick())
        self.lot_label = tb.Label(
            self, text="No sale running", font=("TkDefaultFont", 13), bootstyle="secondary"
        )
        self.lot_label.pack(anchor="w", pady=(PAD * 3, 0))
        self.name = tb.Label(self, text="", font=("TkDefaultFont", 26, "bold"))
        self.name.pack(anchor="w")
        self.price = tb.Label(
            self, text="", font=("TkDefaultFont", 40, "bold"), bootstyle="primary"
        )
        self.price.pack(anchor="w", pady=(PAD, 0))
        self.leader = tb.Label(self, text="", font=("TkDefaultFont", 14))
        self.leader.pack(anchor="w")
        self.left = tb.Label(self, text="", font=("TkDefaultFont", 30, "bold"), bootstyle="danger")
        self.left.pack(anchor="w", pady=(PAD * 2, 0))
        row = tb.Frame(self)
        row.pack(anchor="w", pady=(PAD * 3, 0))
        self.amount = tb.Entry(row, width=14, font=("TkDefaultFont", 14))
        self.amount.pack(side="left")
        self.amount.bind("<Return>", lambda _e: self.bid())
        self.bid_button = tb.Button(row, text="Bid", bootstyle="primary", command=self.bid)
        self.bid_button.pack(side="left", padx=PAD)
        self.message = tb.Label(self, text="")
        self.message.pack(anchor="w", pady=(PAD, 0))
        tb.Label(self, text="Lots in this sale", font=("TkDefaultFont", 11, "bold")).pack(
            anchor="w", pady=(PAD * 3, 0)
        )
        self.lots = tb.Treeview(
            self, columns=("lot", "name", "status", "price"), show="headings", height=6
        )
        set_columns(
            self.lots,
            [
                ("lot", "Lot", 50, "e"),
                ("name", "Name", 360, "w"),
                ("status", "Status", 110, "w"),
                ("price", "Price", 120, "e"),
            ],
        )
        self.lots.pack(anchor="w", pady=(PAD, 0))
        self.lot: Mapping[str, Any] | None = None
        self._prefilled = ""

    def _pick(self) -> None:
        text = self.picker.get().removeprefix("Sale ").strip()
        self.sale = int(text) if text.isdigit() else None
        self.picked = self.sale is not None
        self.render(self.app.bridge.server_now())

    def render(self, server_now: float) -> None:
        auctions = self.app.auctions.visible()
        sales = sale_ids(auctions)
        self.picker.configure(values=[f"Sale {s}" for s in sales])
        if not self.picked and sales:
            self.sale = live_sale(auctions, sales)
            self.picker.set(f"Sale {self.sale}")
        if self.sale is None:
            return
        lot, count = current_lot(auctions, self.sale)
        self.lot = lot
        self._list_lots(auctions)
        if lot is None:
            self.lot_label.configure(text=f"Sale {self.sale}: no lots visible")
            return
        self._follow(int(lot["id"]))
        self.lot_label.configure(
            text=f"Sale {self.sale}  ·  lot {lot.get('lot')} of {count}  ·  {lot.get('status')}"
        )
        self.name.configure(text=str(lot.get("name", "")))
        current = lot.get("current_bid")
        self.price.configure(
            text=format_amount(current)
            if current is not None
            else f"from {format_amount(lot.get('starting_bid'))}"
        )
        me = self.app.paddle
        leader = lot.get("leader")
        self.leader.configure(
            text="You lead" if leader and leader == me else f"Leader: {leader or 'none yet'}"
        )
        lowest = minimum_bid(lot) if lot.get("status") == "open" else None
        self.bid_button.configure(
            text=f"Bid {format_amount(lowest)}" if lowest else "Bid",
            state="normal" if lowest else "disabled",
        )
        typed = self.amount.get().strip()
        if lowest is not None and (not typed or typed == self._prefilled):
            self._prefilled = format_amount(lowest).replace(",", "")
            self.amount.delete(0, "end")
            self.amount.insert(0, self._prefilled)
        self.tick(server_now)

    def _list_lots(self, auctions: list[dict[str, Any]]) -> None:
        self.lots.delete(*self.lots.get_children())
        lots = [a for a in auctions if a.get("sale_id") == self.sale]
        for a in sorted(lots, key=lambda a: int(a.get("lot") or 0)):
            price = a.get("price") if a.get("status") == "closed" else a.get("current_bid")
            self.lots.insert(
                "",
                "end",
                values=(a.get("lot"), a.get("name"), a.get("status"), format_amount(price)),
            )

    def _follow(self, auction_id: int) -> None:
        if self.following == auction_id:
            return
        previous, self.following = self.following, auction_id
        if previous is not None and previous != self.app.selected:
            self.app.bridge.request("unsubscribe", topic=f"auction:{previous}")
        self.app.bridge.call(lambda c: c.follow(auction_id), self._followed)

    def _followed(self, result: dict[str, Any]) -> None:
        self.app.auctions.absorb_result(result)
        self.app.render()

    def tick(self, server_now: float) -> None:
        if self.lot is not None:
            self.left.configure(text=countdown(self.lot, server_now))

    def bid(self) -> None:
        if self.lot is None:
            return
        try:
            amount = parse_amount(self.amount.get())
        except AmountError as e:
            self.message.configure(text=f"Type an amount like 125.50 ({e}).", bootstyle="danger")
            return
        aid = int(self.lot["id"])
        self.app.mine.note_bid(aid)

        def placed(result: dict[str, Any]) -> None:
            self.app.auctions.absorb_result(result)
            self.message.configure(text=f"Bid {format_amount(amount)} placed.", bootstyle="success")
            self.app.render()

        def failed(error: BaseException) -> None:
            self.app.show_error(error, label=self.message)

        self.app.bridge.request("place_bid", placed, failed, auction_id=aid, amount=amount)
