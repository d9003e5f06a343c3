"""The bidder's detail pane: one auction, its price chart, bid history and bid entries.

Why its own widget: the pane is the densest part of the bidder app (bid,
auto-bid, buy-now, chart, history) and is drawn from one auction object the
app hands down; what the user does goes back up as calls on the app
("attributes down, messages up").
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Mapping
from typing import Any

import ttkbootstrap as tb

from auctioneer.clients.cli.render import minimum_bid
from auctioneer.clients.money import format_amount
from auctioneer.clients.session import parse_time
from auctioneer.clients.tk.auctions import clock_text, countdown, photo_text
from auctioneer.clients.tk.widgets import PAD, draw_line, set_columns

__all__ = ["DetailPane", "price_points"]


def price_points(auction: Mapping[str, Any]) -> list[tuple[float, int]]:
    """(time, amount) of the current round's bids, oldest first, for the chart."""
    round_ = auction.get("round", 1)
    points = []
    for bid in auction.get("bids") or []:
        at = parse_time(bid.get("at"))
        if at is not None and bid.get("round", round_) == round_ and bid.get("amount") is not None:
            points.append((at, int(bid["amount"])))
    return sorted(points)


class DetailPane(tb.Frame):
    """Shows one auction; the buttons call `on_bid`, `on_auto_bid`, `on_stop_auto`, `on_buy_now`."""

    def __init__(
        self,
        master: tk.Misc,
        *,
        on_bid: Callable[[str], None],
        on_auto_bid: Callable[[str], None],
        on_stop_auto: Callable[[], None],
        on_buy_now: Callable[[], None],
    ) -> None:
        super().__init__(master, padding=(PAD * 2, 0, 0, 0))
        self.auction: Mapping[str, Any] | None = None
        self.me: str | None = None
        self._prefilled: str = ""
        self.title = tb.Label(self, text="Pick an auction", font=("TkDefaultFont", 16, "bold"))
        self.title.pack(anchor="w")
        self.description = tb.Label(self, text="", wraplength=460, bootstyle="secondary")
        self.description.pack(anchor="w", pady=(2, PAD))

        facts = tb.Frame(self)
        facts.pack(fill="x")
        self.price = tb.Label(
            facts, text="-", font=("TkDefaultFont", 22, "bold"), bootstyle="primary"
        )
        self.price.grid(row=0, column=0, sticky="w")
        self.left = tb.Label(facts, text="", font=("TkDefaultFont", 18, "bold"))
        self.left.grid(row=0, column=1, sticky="e")
        facts.columnconfigure(1, weight=1)
        self.facts = tb.Label(facts, text="", bootstyle="secondary", wraplength=460)
        self.facts.grid(row=1, column=0, columnspan=2, sticky="w")
        self.standing = tb.Label(facts, text="", font=("TkDefaultFont", 11, "bold"))
        self.standing.grid(row=2, column=0, columnspan=2, sticky="w", pady=(2, 0))
        # The lot's photos, named by URL (open one in a browser to see it).
        self.photos = tb.Label(facts, text="", bootstyle="secondary", wraplength=460)
        self.photos.grid(row=3, column=0, columnspan=2, sticky="w", pady=(2, 0))
        self.server = ""  # set by the app: photo URLs are made absolute against it

        box = tb.Labelframe(self, text="Bid", padding=PAD)
        box.pack(fill="x", pady=(PAD, 0))
        self.minimum = tb.Label(box, text="", bootstyle="secondary")
        self.minimum.grid(row=0, column=0, columnspan=3, sticky="w", pady=(0, PAD // 2))
        self.amount = tb.Entry(box, width=14, font=("TkDefaultFont", 12))
        self.amount.grid(row=1, column=0, sticky="w")
        self.amount.bind("<Return>", lambda _e: on_bid(self.amount.get()))
        self.amount.bind("<KP_Enter>", lambda _e: on_bid(self.amount.get()))
        self.bid_button = tb.Button(
            box, text="Place bid", bootstyle="primary", command=lambda: on_bid(self.amount.get())
        )
        self.bid_button.grid(row=1, column=1, padx=(PAD, 0), sticky="w")
        self.max_amount = tb.Entry(box, width=14, font=("TkDefaultFont", 12))
        self.max_amount.grid(row=2, column=0, sticky="w", pady=(PAD, 0))
        self.max_amount.bind("<Return>", lambda _e: on_auto_bid(self.max_amount.get()))
        self.auto_button = tb.Button(
            box,
            text="Auto-bid up to",
            bootstyle="info-outline",
            command=lambda: on_auto_bid(self.max_amount.get()),
        )
        self.auto_button.grid(row=2, column=1, padx=(PAD, 0), pady=(PAD, 0), sticky="w")
        self.stop_button = tb.Button(
            box, text="Stop auto-bid", bootstyle="secondary-link", command=on_stop_auto
        )
        self.stop_button.grid(row=2, column=2, padx=(PAD, 0), pady=(PAD, 0), sticky="w")
        self.buy_button = tb.Button(box, text="Buy now", bootstyle="success", command=on_buy_now)
        self.buy_button.grid(row=3, column=0, columnspan=3, sticky="w", pady=(PAD, 0))
        self.message = tb.Label(self, text="", wraplength=460)
        self.message.pack(anchor="w", pady=(PAD // 2, 0))

        self.chart = tk.Canvas(self, height=140, highlightthickness=0, background="#ffffff")
        self.chart.pack(fill="x", pady=(PAD, 0))
        self.history = tb.Treeview(
            self, columns=("at", "bidder", "amount", "auto"), show="headings", height=6
        )
        set_columns(
            self.history,
            [
                ("at", "Time (UTC)", 90, "w"),
                ("bidder", "Bidder", 90, "w"),
                ("amount", "Amount", 100, "e"),
                ("auto", "", 60, "w"),
            ],
        )
        self.history.pack(fill="both", expand=True, pady=(PAD, 0))
        self._enable(False)

    def _enable(self, on: bool, *, buy: bool = False) -> None:
        state = "normal" if on else "disabled"
        for w in (
            self.amount,
            self.bid_button,
            self.max_amount,
            self.auto_button,
            self.stop_button,
        ):
            w.configure(state=state)
        self.buy_button.configure(state="normal" if buy else "disabled")

    def say(self, text: str, style: str = "default") -> None:
        self.message.configure(text=text, bootstyle=style)

    def show(self, auction: Mapping[str, Any] | None, me: str | None, server_now: float) -> None:
        """Draw `auction` (None: nothing picked, or it went away)."""
        changed = (
            auction is None or self.auction is None or auction.get("id") != self.auction.get("id")
        )
        self.auction, self.me = auction, me
        if auction is None:
            self.title.configure(text="Pick an auction")
            self.description.configure(text="")
            self.price.configure(text="-")
            self.facts.configure(text="")
            self.photos.configure(text="")
            self.standing.configure(text="")
            self.minimum.configure(text="")
            self._enable(False)
            self.history.delete(*self.history.get_children())
            draw_line(self.chart, [], title="Price")
            return
        if changed:
            self.say("")
            self.max_amount.delete(0, "end")
        is_open = auction.get("status") == "open"
        lowest = minimum_bid(auction) if is_open else None
        self.title.configure(text=f"#{auction.get('id')}  {auction.get('name', '')}")
        self.description.configure(text=str(auction.get("description") or ""))
        current = auction.get("current_bid")
        self.price.configure(
            text=format_amount(current)
            if current is not None
            else f"from {format_amount(auction.get('starting_bid'))}"
        )
        units = auction.get("units_left")
        facts = [
            str(auction.get("status", "")),
            f"{auction.get('bid_count') or 0} bids",
            f"leader {auction.get('leader') or '-'}"
            + (" (you)" if me and auction.get("leader") == me else ""),
        ]
        if auction.get("ends_at"):
            facts.append(f"ends {clock_text(auction.get('ends_at'))} UTC")
        if (auction.get("quantity") or 1) > 1:
            facts.append(f"round {auction.get('round')}, {units} left")
        if auction.get("has_reserve"):
            facts.append("reserve met" if auction.get("reserve_met") else "reserve not met")
        self.facts.configure(text="  ·  ".join(facts))
        self.photos.configure(text=photo_text(auction, self.server))
        self.standing.configure(text=self._standing(auction, me))
        self.minimum.configure(text=f"Lowest valid bid: {format_amount(lowest)}" if lowest else "")
        typed = self.amount.get().strip()
        if lowest is not None and (changed or not typed or typed == self._prefilled):
            self._prefilled = format_amount(lowest).replace(",", "")
            self.amount.configure(state="normal")
            self.amount.delete(0, "end")
            self.amount.insert(0, self._prefilled)
        buy = is_open and bool(auction.get("buy_now_available"))
        self.buy_button.configure(
            text=f"Buy now for {format_amount(auction.get('buy_now'))}"
            if auction.get("buy_now")
            else "Buy now"
        )
        self._enable(is_open, buy=buy)
        self.tick(server_now)
        self._history(auction, me)
        draw_line(self.chart, price_points(auction), title="Price, this round", fmt=format_amount)

    @staticmethod
    def _standing(auction: Mapping[str, Any], me: str | None) -> str:
        if me is None:
            return ""
        if auction.get("status") in ("closed", "cancelled"):
            if auction.get("winner") == me:
                return f"You won at {format_amount(auction.get('price'))}"
            return "Ended"
        return "You are leading" if auction.get("leader") == me else ""

    def tick(self, server_now: float) -> None:
        if self.auction is not None:
            self.left.configure(text=countdown(self.auction, server_now))

    def _history(self, auction: Mapping[str, Any], me: str | None) -> None:
        self.history.delete(*self.history.get_children())
        for bid in auction.get("bids") or []:
            who = bid.get("bidder") or "-"
            self.history.insert(
                "",
                "end",
                values=(
                    clock_text(bid.get("at")),
                    f"{who} (you)" if who == me else who,
                    format_amount(bid.get("amount")),
                    "auto" if bid.get("auto") else "",
                ),
            )

    def history_rows(self) -> list[tuple[str, ...]]:
        return [tuple(self.history.item(i, "values")) for i in self.history.get_children()]
