"""`auctioneer gui admin`: every auction, live, with the admin's actions and analytics.

Why live: the seed's admin app re-read the list every few seconds; this one
follows the `auctions` feed (admins get every auction, private ones too,
with leader and winner usernames) and re-reads the list only after a
reconnect, and every few seconds for `watchers`, which only listings carry.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Mapping
from pathlib import Path
from tkinter import filedialog
from typing import Any

import ttkbootstrap as tb

from auctioneer.clients.money import format_amount
from auctioneer.clients.session import Event
from auctioneer.clients.tk.admin_forms import AuctionForm, SaleBuilder
from auctioneer.clients.tk.analytics import compute_analytics, csv_text
from auctioneer.clients.tk.auctions import (
    ADMIN_COLUMNS,
    LiveAuctions,
    admin_row,
    countdown,
    matches,
    sorted_auctions,
)
from auctioneer.clients.tk.shell import AppShell
from auctioneer.clients.tk.widgets import PAD, SortableTable, draw_bars

__all__ = ["ACTIONS", "AdminApp"]

TICK_MS = 250
WATCHERS_EVERY_MS = 10_000

#: Row actions: button text, wire action, extra fields, the question asked first.
ACTIONS: dict[str, tuple[str, dict[str, Any], str]] = {
    "Close": (
        "close_auction",
        {},
        "Close #{id} {name} now? The leader wins if the reserve is met.",
    ),
    "Cancel": ("cancel_auction", {}, "Cancel #{id} {name}? It closes with no winner."),
    "Publish": ("update_auction", {"public": True}, "Make #{id} {name} public?"),
    "Unpublish": (
        "update_auction",
        {"public": False},
        "Make #{id} {name} private? Bidders stop seeing it.",
    ),
    "Delete": (
        "delete_auction",
        {},
        "Delete #{id} {name}? It is cancelled if running and hidden everywhere.",
    ),
}


class AdminApp(AppShell):
    """The admin's window (see the module docstring)."""

    kind = "Admin"

    def __init__(self, window: tk.Tk | tk.Toplevel, **options: Any) -> None:
        super().__init__(window, **options)
        self.auctions = LiveAuctions(public_only=False)
        self.sort_column, self.sort_descending = "id", True
        self.tabs = tb.Notebook(self.body, bootstyle="primary")
        self.tabs.pack(fill="both", expand=True)

        listing = tb.Frame(self.tabs, padding=PAD)
        self.tabs.add(listing, text="  Auctions  ")
        filters = self.filter_bar(listing, search_width=28)
        tb.Button(
            filters, text="Export CSV…", bootstyle="secondary-outline", command=self.ask_export
        ).pack(side="right")
        self.table = SortableTable(listing, ADMIN_COLUMNS, on_sort=self.sort_by, height=18)
        self.table.pack(fill="both", expand=True)
        # Per row, also with the mouse (right click) and the keyboard (Delete).
        self.row_menu = tk.Menu(self.table.tree, tearoff=False)
        for label in ACTIONS:
            self.row_menu.add_command(label=f"{label}…", command=self._action(label))
        self.table.tree.bind("<Button-3>", self._row_menu)
        self.table.tree.bind("<Delete>", lambda _e: self.act("Delete"))
        actions = tb.Frame(listing)
        actions.pack(fill="x", pady=(PAD, 0))
        self.buttons: dict[str, tb.Button] = {}
        styles = {
            "Close": "warning",
            "Cancel": "secondary",
            "Publish": "success-outline",
            "Unpublish": "secondary-outline",
            "Delete": "danger",
        }
        for label in ACTIONS:
            button = tb.Button(
                actions,
                text=label,
                bootstyle=styles[label],
                command=lambda name=label: self.act(name),
            )
            button.pack(side="left", padx=(0, PAD))
            self.buttons[label] = button
        self.message = tb.Label(actions, text="Pick a row, then an action.", bootstyle="secondary")
        self.message.pack(side="left", padx=(PAD * 2, 0))

        self.form = AuctionForm(self.tabs, submit=self._submit)
        self.tabs.add(self.form, text="  New auction  ")
        self.sale = SaleBuilder(self.tabs, submit=self._submit)
        self.tabs.add(self.sale, text="  Sale builder  ")

        stats = tb.Frame(self.tabs, padding=PAD * 2)
        self.tabs.add(stats, text="  Analytics  ")
        top = tb.Frame(stats)
        top.pack(fill="x")
        self.figures = tb.Label(top, text="", font=("TkDefaultFont", 11))
        self.figures.pack(side="left")
        tb.Button(
            top, text="Refresh", bootstyle="secondary-outline", command=self.refresh_analytics
        ).pack(side="right")
        charts = tb.Frame(stats)
        charts.pack(fill="both", expand=True, pady=(PAD, 0))
        self.charts: dict[str, tk.Canvas] = {}
        for i, key in enumerate(("bids", "sell", "revenue")):
            canvas = tk.Canvas(
                charts,
                height=260,
                width=380,
                highlightthickness=1,
                highlightbackground="#dee2e6",
                background="#ffffff",
            )
            canvas.grid(
                row=0 if i < 2 else 1,
                column=i % 2 if i < 2 else 0,
                columnspan=1 if i < 2 else 2,
                sticky="nsew",
                padx=4,
                pady=4,
            )
            self.charts[key] = canvas
        charts.columnconfigure(0, weight=1)
        charts.columnconfigure(1, weight=1)
        self.tabs.bind("<<NotebookTabChanged>>", lambda _e: self._tab_changed())
        self.every(TICK_MS, "tick", self._tick)

    # -- data ------------------------------------------------------------------

    def refuse_user(self, user: dict[str, Any]) -> str:
        if user.get("role") != "admin":
            return f"{user.get('username')} is not an admin: log in with an admin account."
        return ""

    def on_login(self) -> None:
        self.bridge.request("subscribe", topic="auctions")
        self._load()
        self.every(WATCHERS_EVERY_MS, "watchers", self._refresh_watchers)

    def on_reconnected(self) -> None:
        if self.user is not None:
            self._load()

    def _load(self) -> None:
        def loaded(result: dict[str, Any]) -> None:
            self.auctions.replace_all(result.get("auctions") or [])
            self.render()

        self.bridge.request("get_auctions", on_ok=loaded, on_error=self.report)

    def _refresh_watchers(self) -> None:
        if self.bridge.status == "connected":
            self._load()

    def on_event(self, event: Event) -> None:
        if self.auctions.absorb_event(event.name, event.topic, event) is not None:
            self.render()

    def _submit(
        self,
        action: str,
        fields: dict[str, Any],
        ok: Callable[[dict[str, Any]], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        def done(result: dict[str, Any]) -> None:
            self.auctions.absorb_result(result)
            self.render()
            ok(result)

        self.bridge.request(action, done, failed, **fields)

    # -- the table -------------------------------------------------------------

    def shown(self) -> list[Mapping[str, Any]]:
        """The auctions the table shows, filtered and in its order."""
        status = self.status_filter.get()
        picked = [
            a
            for a in self.auctions.visible()
            if matches(a, status="" if status == "any" else status, text=self.search.get())
        ]
        return sorted_auctions(
            picked,
            column=self.sort_column,
            descending=self.sort_descending,
            server_now=self.bridge.server_now(),
        )

    def render(self) -> None:
        self.soon("render", self._render_now)

    def _render_now(self) -> None:
        now = self.bridge.server_now()
        rows = self.shown()
        self.table.show(
            [(str(a["id"]), admin_row(a, now)) for a in rows],
            {str(a["id"]): str(a.get("status")) for a in rows},
        )
        tree = self.table.tree
        tree.tag_configure("open", foreground="#198754")
        tree.tag_configure("scheduled", foreground="#0d6efd")
        tree.tag_configure("closed", foreground="#6c757d")
        tree.tag_configure("cancelled", foreground="#dc3545")

    def _tick(self) -> None:
        now = self.bridge.server_now()
        for rid in self.table.ids():
            auction = self.auctions.get(int(rid))
            if auction is not None:
                self.table.set_cell(rid, "left", countdown(auction, now))

    def sort_by(self, column: str) -> None:
        if self.sort_column == column:
            self.sort_descending = not self.sort_descending
        else:
            self.sort_column, self.sort_descending = column, False
        self.render()

    # -- row actions -----------------------------------------------------------

    def _action(self, label: str) -> Callable[[], None]:
        return lambda: self.act(label)

    def _row_menu(self, event: tk.Event[tk.Misc]) -> None:
        row = self.table.tree.identify_row(event.y)
        if row:
            self.table.select(row)
            self.row_menu.tk_popup(event.x_root, event.y_root)

    def act(self, label: str, auction_id: int | None = None) -> None:
        """Run the row action `label` on the picked row (or `auction_id`), after asking."""
        rid = auction_id if auction_id is not None else (int(self.table.selected() or 0) or None)
        auction = self.auctions.get(rid) if rid is not None else None
        if rid is None or auction is None:
            self.message.configure(text="Pick a row first.", bootstyle="warning")
            return
        action, extra, question = ACTIONS[label]
        if not self.confirm(question.format(id=rid, name=auction.get("name", ""))):
            return

        def done(result: dict[str, Any]) -> None:
            self.auctions.absorb_result(result)
            if action == "delete_auction":
                self.auctions.remove(rid)
            self.message.configure(text=f"{label}: done for #{rid}.", bootstyle="success")
            self.render()

        def failed(error: BaseException) -> None:
            self.show_error(error, label=self.message)

        self.bridge.request(action, done, failed, auction_id=rid, **extra)

    # -- CSV and analytics -----------------------------------------------------

    def ask_export(self) -> None:
        path = filedialog.asksaveasfilename(
            parent=self.window,
            defaultextension=".csv",
            initialfile="auctions.csv",
            filetypes=[("CSV", "*.csv")],
        )
        if path:
            self.export_csv(Path(path))

    def export_csv(self, path: Path) -> int:
        """Write the table's auctions (as filtered and sorted) to `path`; returns the row count."""
        rows = self.shown()
        try:
            path.write_text(csv_text(rows), encoding="utf-8")
        except OSError as e:
            self.show_error(f"Could not write {path}: {e.strerror}.", label=self.message)
            return 0
        self.message.configure(
            text=f"Exported {len(rows)} auctions to {path}.", bootstyle="success"
        )
        return len(rows)

    def _tab_changed(self) -> None:
        if self.tabs.index("current") == 3:
            self.refresh_analytics()

    def refresh_analytics(self) -> None:
        """Fetch every auction's bids, then draw the three charts."""
        auctions = [dict(a) for a in self.auctions.visible()][:200]

        async def work(client: Any) -> dict[int, list[dict[str, Any]]]:
            out: dict[int, list[dict[str, Any]]] = {}
            for a in auctions:
                if a.get("bid_count"):
                    reply = await client.request("get_bids", auction_id=a["id"], limit=500)
                    out[int(a["id"])] = list(reply.get("bids") or [])
            return out

        self.bridge.call(work, lambda bids: self.draw_analytics(auctions, bids), self.report)

    def draw_analytics(
        self, auctions: list[dict[str, Any]], bids: dict[int, list[dict[str, Any]]]
    ) -> None:
        figures = compute_analytics(auctions, bids)
        through = "-" if figures.sell_through is None else f"{figures.sell_through:.0%}"
        parts = [
            f"{figures.auctions} auctions ({figures.open} open)",
            f"{figures.total_bids} bids from {figures.unique_bidders} bidders",
            f"sell-through {through}",
            f"revenue {format_amount(figures.revenue)}",
        ]
        self.figures.configure(text="   ·   ".join(parts))
        draw_bars(self.charts["bids"], figures.bids_over_time, title="Bids over time (UTC)")
        unsold = figures.finished - figures.sold
        draw_bars(
            self.charts["sell"],
            [
                ("sold", figures.sold),
                ("not sold", unsold),
                ("running", figures.auctions - figures.finished),
            ],
            title=f"Sell-through: {through} of finished auctions sold",
        )
        draw_bars(
            self.charts["revenue"],
            figures.revenue_by_auction,
            title="Revenue by auction",
            fmt=format_amount,
        )
