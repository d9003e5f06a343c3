"""The admin app's two forms: a new auction, and a sale of lots run one after another.

Why apart from the app: each form is a grid of entries with a message next
to every field; `form.validate_auction` / `validate_sale` decide the
messages, the server's refusals land next to the field they name, and the
app only supplies `submit`.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from typing import Any

import ttkbootstrap as tb

from auctioneer.clients.errors import RequestFailed
from auctioneer.clients.money import format_amount
from auctioneer.clients.tk.form import (
    AUCTION_FIELDS,
    LOT_FIELDS,
    FieldSpec,
    validate_auction,
    validate_sale,
)
from auctioneer.clients.tk.messages import explain
from auctioneer.clients.tk.widgets import PAD

__all__ = ["AuctionForm", "SaleBuilder"]

Submit = Callable[
    [str, dict[str, Any], Callable[[dict[str, Any]], None], Callable[[BaseException], None]], None
]


class _Fields:
    """Entries, hints and messages for a list of `FieldSpec`, in a grid."""

    def __init__(
        self, master: tk.Misc, specs: tuple[FieldSpec, ...], *, first_row: int = 0
    ) -> None:
        self.specs = specs
        self.entries: dict[str, tb.Entry] = {}
        self.flags: dict[str, tk.BooleanVar] = {}
        self.notes: dict[str, tb.Label] = {}
        for i, spec in enumerate(specs, first_row):
            label = spec.label + (" *" if spec.required else "")
            tb.Label(master, text=label).grid(row=i, column=0, sticky="w", pady=3, padx=(0, PAD))
            if spec.kind == "bool":
                var = tk.BooleanVar(master, value=True)
                tb.Checkbutton(
                    master, variable=var, text="listed for bidders", bootstyle="round-toggle"
                ).grid(row=i, column=1, sticky="w")
                self.flags[spec.name] = var
            else:
                entry = tb.Entry(master, width=34 if spec.name in ("name", "description") else 22)
                entry.grid(row=i, column=1, sticky="w", pady=3)
                self.entries[spec.name] = entry
            note = tb.Label(master, text=spec.hint, bootstyle="secondary", wraplength=280)
            note.grid(row=i, column=2, sticky="w", padx=(PAD, 0))
            self.notes[spec.name] = note

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: e.get() for k, e in self.entries.items()}
        out.update({k: v.get() for k, v in self.flags.items()})
        return out

    def set(self, name: str, text: str) -> None:
        entry = self.entries[name]
        entry.delete(0, "end")
        entry.insert(0, text)

    def show_errors(self, errors: dict[str, str]) -> None:
        for spec in self.specs:
            message = errors.get(spec.name)
            self.notes[spec.name].configure(
                text=message or spec.hint, bootstyle="danger" if message else "secondary"
            )

    def message(self, name: str) -> str:
        """The text next to `name` (what the tests read)."""
        return str(self.notes[name].cget("text"))

    def clear(self) -> None:
        for entry in self.entries.values():
            entry.delete(0, "end")


def _server_field_error(error: BaseException) -> tuple[str | None, str]:
    field = error.details.get("field") if isinstance(error, RequestFailed) else None
    return (str(field) if field else None), explain(error)


class AuctionForm(tb.Frame):
    """The "New auction" tab."""

    def __init__(self, master: tk.Misc, *, submit: Submit) -> None:
        super().__init__(master, padding=PAD * 2)
        self.submit = submit
        tb.Label(self, text="New auction", font=("TkDefaultFont", 14, "bold")).grid(
            row=0, column=0, columnspan=3, sticky="w", pady=(0, PAD)
        )
        self.fields = _Fields(self, AUCTION_FIELDS, first_row=1)
        row = len(AUCTION_FIELDS) + 1
        self.create_button = tb.Button(
            self, text="Create auction", bootstyle="primary", command=self.create
        )
        self.create_button.grid(row=row, column=1, sticky="w", pady=(PAD * 2, 0))
        self.result = tb.Label(self, text="", wraplength=520)
        self.result.grid(row=row + 1, column=0, columnspan=3, sticky="w", pady=(PAD, 0))
        self.bind_all_entries()

    def bind_all_entries(self) -> None:
        for entry in self.fields.entries.values():
            entry.bind("<Return>", lambda _e: self.create())

    def create(self) -> None:
        checked = validate_auction(self.fields.values())
        self.fields.show_errors(checked.errors)
        if not checked.ok:
            self.result.configure(text="Fix the fields marked in red.", bootstyle="danger")
            return
        self.result.configure(text="Creating…", bootstyle="secondary")

        def done(result: dict[str, Any]) -> None:
            auction = result.get("auction") or {}
            start = format_amount(auction.get("starting_bid"))
            what = f"#{auction.get('id')} {auction.get('name')} ({auction.get('status')})"
            self.result.configure(text=f"Created {what}, starting at {start}.", bootstyle="success")
            self.fields.clear()

        def failed(error: BaseException) -> None:
            field, text = _server_field_error(error)
            if field in self.fields.notes:
                self.fields.show_errors({field: text})
            self.result.configure(text=text, bootstyle="danger")

        self.submit("create_auction", checked.fields, done, failed)


class SaleBuilder(tb.Frame):
    """The "Sale builder" tab: lots added one by one, then one `create_sale`."""

    def __init__(self, master: tk.Misc, *, submit: Submit) -> None:
        super().__init__(master, padding=PAD * 2)
        self.submit = submit
        self.lots: list[dict[str, Any]] = []
        self.created: int | None = None  # the id of the last sale created
        left = tb.Frame(self)
        left.pack(side="left", fill="y", anchor="n")
        tb.Label(left, text="Sale", font=("TkDefaultFont", 14, "bold")).grid(
            row=0, column=0, columnspan=3, sticky="w"
        )
        tb.Label(left, text="Sale name *").grid(row=1, column=0, sticky="w", pady=3)
        self.name = tb.Entry(left, width=34)
        self.name.grid(row=1, column=1, sticky="w")
        tb.Label(left, text="Starts").grid(row=2, column=0, sticky="w", pady=3)
        self.starts = tb.Entry(left, width=22)
        self.starts.grid(row=2, column=1, sticky="w")
        tb.Label(left, text="now, +10m or a UTC time", bootstyle="secondary").grid(
            row=2, column=2, sticky="w", padx=(PAD, 0)
        )
        tb.Label(left, text="Next lot", font=("TkDefaultFont", 12, "bold")).grid(
            row=3, column=0, columnspan=3, sticky="w", pady=(PAD * 2, 0)
        )
        self.lot_fields = _Fields(left, LOT_FIELDS, first_row=4)
        row = 4 + len(LOT_FIELDS)
        self.add_button = tb.Button(
            left, text="Add lot", bootstyle="secondary", command=self.add_lot
        )
        self.add_button.grid(row=row, column=1, sticky="w", pady=(PAD, 0))
        right = tb.Frame(self, padding=(PAD * 3, 0, 0, 0), width=460)
        right.pack(side="right", fill="both")
        right.pack_propagate(False)
        tb.Label(right, text="Lots, in running order", font=("TkDefaultFont", 12, "bold")).pack(
            anchor="w"
        )
        self.tree = tb.Treeview(
            right, columns=("name", "start", "length"), show="headings", height=10
        )
        for key, text, width in (
            ("name", "Lot", 190),
            ("start", "Starting bid", 112),
            ("length", "Runs", 120),
        ):
            self.tree.heading(key, text=text, anchor="w")
            self.tree.column(key, width=width)
        self.tree.pack(fill="both", expand=True, pady=(PAD, 0))
        buttons = tb.Frame(right)
        buttons.pack(fill="x", pady=(PAD, 0))
        tb.Button(
            buttons, text="Remove lot", bootstyle="secondary-outline", command=self.remove_lot
        ).pack(side="left")
        self.create_button = tb.Button(
            buttons, text="Create sale", bootstyle="primary", command=self.create
        )
        self.create_button.pack(side="right")
        self.result = tb.Label(right, text="", wraplength=520)
        self.result.pack(anchor="w", pady=(PAD, 0))

    def add_lot(self) -> None:
        values = self.lot_fields.values()
        checked = validate_sale("lot", [values])
        errors = {
            k.split(": ", 1)[1]: v for k, v in checked.errors.items() if k.startswith("lot 1: ")
        }
        self.lot_fields.show_errors(errors)
        if errors:
            return
        self.lots.append(values)
        lot = checked.fields["lots"][0]
        parts = [
            values.get("duration_s") or "",
            f"countdown {values.get('countdown_s')}" if values.get("countdown_s") else "",
        ]
        runs = ", ".join(p for p in parts if p)
        self.tree.insert("", "end", values=(lot["name"], format_amount(lot["starting_bid"]), runs))
        self.lot_fields.clear()

    def remove_lot(self) -> None:
        chosen = self.tree.selection()
        if chosen:
            index = self.tree.index(chosen[0])
            self.tree.delete(chosen[0])
            del self.lots[index]

    def create(self) -> None:
        checked = validate_sale(self.name.get(), self.lots, starts_at=self.starts.get())
        if not checked.ok:
            self.result.configure(
                text="; ".join(f"{k}: {v}" for k, v in checked.errors.items()), bootstyle="danger"
            )
            return

        def done(result: dict[str, Any]) -> None:
            sale = result.get("sale") or {}
            self.created = sale.get("id")
            self.result.configure(
                text=f"Created sale #{sale.get('id')} {sale.get('name')} "
                f"with {len(sale.get('lots') or [])} lots.",
                bootstyle="success",
            )
            self.lots.clear()
            self.tree.delete(*self.tree.get_children())
            self.name.delete(0, "end")

        def failed(error: BaseException) -> None:
            self.result.configure(text=explain(error), bootstyle="danger")

        self.submit("create_sale", checked.fields, done, failed)
