"""Thin Tk widgets shared by both apps: table, banner, toasts, charts, login dialog.

Why thin: every decision (what a row says, how it sorts, what an error means)
is made in the pure modules next to this one; these classes only put it on
screen with ttkbootstrap's themed widgets ("attributes down, messages up").
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ttkbootstrap as tb

from auctioneer.clients.tk.analytics import bar_layout
from auctioneer.clients.tk.auctions import Column

__all__ = [
    "Banner",
    "set_columns",
    "LoginDialog",
    "SortableTable",
    "Toasts",
    "draw_bars",
    "draw_line",
]

PAD = 8


def set_columns(tree: tb.Treeview, specs: Sequence[tuple[str, str, int, str]]) -> None:
    """Give `tree` its headings: (key, heading, width, anchor) each."""
    for key, text, width, anchor in specs:
        where: Any = anchor  # typeshed wants a Literal; ours come from tables
        tree.heading(key, text=text, anchor=where)
        tree.column(key, width=width, anchor=where)


class SortableTable(tb.Frame):
    """A Treeview with a scrollbar whose headings sort (click again: reverse).

    Rows are identified by a string id (the auction id); `show(rows)` puts
    exactly those rows, in that order, reusing existing items.
    """

    def __init__(
        self,
        master: tk.Misc,
        columns: Sequence[Column],
        *,
        on_sort: Callable[[str], None] | None = None,
        height: int = 14,
    ) -> None:
        super().__init__(master)
        self.columns = list(columns)
        self._column_index = {c.key: i for i, c in enumerate(self.columns)}
        self._shown: dict[str, tuple[tuple[str, ...], str]] = {}
        self.tree = tb.Treeview(
            self,
            columns=[c.key for c in self.columns],
            show="headings",
            height=height,
            selectmode="browse",
        )
        set_columns(self.tree, [(c.key, c.heading, c.width, c.anchor) for c in self.columns])
        for c in self.columns:
            if on_sort is not None:
                self.tree.heading(c.key, command=self._sorter(on_sort, c.key))
            self.tree.column(c.key, stretch=c.key == "name")
        bar = tb.Scrollbar(self, orient="vertical", command=self.tree.yview)
        self.tree.configure(yscrollcommand=bar.set)
        self.tree.pack(side="left", fill="both", expand=True)
        bar.pack(side="right", fill="y")

    @staticmethod
    def _sorter(on_sort: Callable[[str], None], key: str) -> Callable[[], None]:
        return lambda: on_sort(key)

    def show(
        self, rows: Sequence[tuple[str, Sequence[str]]], tags: Mapping[str, str] | None = None
    ) -> None:
        """Show `rows` (id, values) in order; items not listed are removed.

        What is on screen is cached, so a redraw costs Tcl calls only for rows
        that changed, and a re-order only when the order changed: an admin
        table of thousands of auctions stays responsive under a bid storm.
        """
        wanted = {rid for rid, _ in rows}
        for rid in [r for r in self._shown if r not in wanted]:
            self.tree.delete(rid)
            del self._shown[rid]
        for index, (rid, values) in enumerate(rows):
            cells = (tuple(str(v) for v in values), (tags or {}).get(rid, ""))
            held = self._shown.get(rid)
            if held is None:
                self.tree.insert("", index, iid=rid, values=list(cells[0]), tags=(cells[1],))
            elif held != cells:
                self.tree.item(rid, values=list(cells[0]), tags=(cells[1],))
            self._shown[rid] = cells
        order = [rid for rid, _ in rows]
        if list(self.tree.get_children()) != order:
            for index, rid in enumerate(order):
                self.tree.move(rid, "", index)

    def set_cell(self, rid: str, column: str, text: str) -> None:
        """Change one cell (the ticking countdown) if it differs from what is shown."""
        held = self._shown.get(rid)
        if held is None:
            return
        where = self._column_index[column]
        if held[0][where] != text:
            self.tree.set(rid, column, text)
            values = list(held[0])
            values[where] = text
            self._shown[rid] = (tuple(values), held[1])

    def selected(self) -> str | None:
        chosen = self.tree.selection()
        return chosen[0] if chosen else None

    def select(self, rid: str) -> None:
        if self.tree.exists(rid):
            self.tree.selection_set(rid)
            self.tree.focus(rid)
            self.tree.see(rid)

    def row(self, rid: str) -> dict[str, str]:
        """The row's cells by column key (what the tests and CSV read)."""
        if not self.tree.exists(rid):
            return {}
        return {c.key: str(self.tree.set(rid, c.key)) for c in self.columns}

    def ids(self) -> list[str]:
        return list(self.tree.get_children())


class Banner(tb.Frame):
    """A full-width strip that says the connection is down (hidden otherwise)."""

    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, bootstyle="warning", padding=(PAD * 2, PAD))
        self.label = tb.Label(
            self, text="", bootstyle="@warning", font=("TkDefaultFont", 11, "bold")
        )
        self.label.pack(side="left")
        self.visible = False

    def show(self, text: str, *, before: tk.Misc) -> None:
        self.label.configure(text=text)
        if not self.visible:
            self.pack(fill="x", before=before)
            self.visible = True

    def hide(self) -> None:
        if self.visible:
            self.pack_forget()
            self.visible = False

    @property
    def text(self) -> str:
        return str(self.label.cget("text")) if self.visible else ""


class Toasts:
    """Short messages stacked in the window's bottom-right corner, each for a few seconds."""

    def __init__(self, master: tk.Misc, *, seconds: float = 5.0) -> None:
        self.master = master
        self.ms = int(seconds * 1000)
        self.shown: list[tb.Frame] = []
        self.history: list[str] = []
        self._timers: dict[tb.Frame, str] = {}

    def show(self, text: str, *, style: str = "info") -> None:
        self.history.append(text)
        toast = tb.Frame(self.master, bootstyle=style, padding=(PAD * 2, PAD + 2))
        tb.Label(
            toast, text=text, bootstyle=f"@{style}", wraplength=380, font=("TkDefaultFont", 11)
        ).pack()
        self.shown.append(toast)
        self._place()
        self._timers[toast] = toast.after(self.ms, lambda: self._drop(toast))

    def dispose(self) -> None:
        """Cancel the timers that would hide the toasts (the window is closing)."""
        for toast, after_id in self._timers.items():
            with contextlib.suppress(tk.TclError):
                toast.after_cancel(after_id)
        self._timers.clear()

    def texts(self) -> list[str]:
        out = []
        for toast in self.shown:
            for child in toast.winfo_children():
                out.append(str(child.cget("text")))
        return out

    def _drop(self, toast: tb.Frame) -> None:
        self._timers.pop(toast, None)
        if toast in self.shown:
            self.shown.remove(toast)
            toast.destroy()
            self._place()

    def _place(self) -> None:
        y = -PAD * 2
        for toast in reversed(self.shown[-4:]):
            toast.update_idletasks()
            toast.place(relx=1.0, rely=1.0, x=-PAD * 2, y=y, anchor="se")
            toast.lift()
            y -= toast.winfo_reqheight() + PAD
        for toast in self.shown[:-4]:
            toast.place_forget()


def _colors(canvas: tk.Canvas) -> tuple[str, str, str]:
    style = tb.Style()
    colors = style.colors
    return (
        str(colors.get("primary") or "#2780e3"),
        str(colors.get("fg") or "#333333"),
        str(colors.get("border") or "#cccccc"),
    )


def _start_chart(
    canvas: tk.Canvas, title: str, has_data: bool, empty: str
) -> tuple[int, int, tuple[str, str, str]]:
    """Clear `canvas`, draw its title (and `empty` when there is no data);
    its size and the theme's colours (primary, foreground, border)."""
    canvas.delete("all")
    width = max(int(canvas.winfo_width()), int(canvas.cget("width")))
    height = max(int(canvas.winfo_height()), int(canvas.cget("height")))
    colors = _colors(canvas)
    fg = colors[1]
    canvas.create_text(
        PAD, PAD, text=title, anchor="nw", fill=fg, font=("TkDefaultFont", 10, "bold")
    )
    if not has_data:
        canvas.create_text(width / 2, height / 2, text=empty, fill=fg)
    return width, height, colors


def draw_bars(
    canvas: tk.Canvas,
    values: Sequence[tuple[str, int]],
    *,
    title: str,
    fmt: Callable[[int], str] = str,
) -> None:
    """A bar chart of `values` (label, value) filling `canvas`."""
    width, height, (primary, fg, border) = _start_chart(canvas, title, bool(values), "No data yet")
    if not values:
        return
    bars = bar_layout(values, width, height)
    canvas.create_line(bars[0].x0 - 4, bars[0].y1, bars[-1].x1 + 4, bars[0].y1, fill=border)
    step = max(1, len(bars) // 6)
    for i, bar in enumerate(bars):
        canvas.create_rectangle(bar.x0, bar.y0, bar.x1, bar.y1, fill=primary, outline="")
        canvas.create_text(
            (bar.x0 + bar.x1) / 2,
            bar.y0 - 2,
            text=fmt(bar.value),
            anchor="s",
            fill=fg,
            font=("TkDefaultFont", 8),
        )
        if i % step == 0:
            canvas.create_text(
                (bar.x0 + bar.x1) / 2,
                bar.y1 + 3,
                text=bar.label,
                anchor="n",
                fill=fg,
                font=("TkDefaultFont", 8),
            )


def draw_line(
    canvas: tk.Canvas,
    points: Sequence[tuple[float, int]],
    *,
    title: str,
    fmt: Callable[[int], str] = str,
) -> None:
    """A step line of (time, value) points: the price over time."""
    width, height, (primary, fg, border) = _start_chart(canvas, title, bool(points), "No bids yet")
    if not points:
        return
    pad_x, pad_top, pad_bottom = 60.0, 28.0, 16.0
    t0, t1 = points[0][0], points[-1][0]
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    span_t = (t1 - t0) or 1.0
    span_v = (hi - lo) or 1

    def xy(t: float, v: int) -> tuple[float, float]:
        x = pad_x + (width - pad_x - PAD * 2) * ((t - t0) / span_t if t1 > t0 else 1.0)
        y = (
            height
            - pad_bottom
            - (height - pad_top - pad_bottom) * ((v - lo) / span_v if hi > lo else 0.5)
        )
        return x, y

    canvas.create_line(pad_x, height - pad_bottom, width - PAD, height - pad_bottom, fill=border)
    canvas.create_text(
        pad_x - 6, xy(t0, hi)[1], text=fmt(hi), anchor="e", fill=fg, font=("TkDefaultFont", 8)
    )
    if hi > lo:
        canvas.create_text(
            pad_x - 6, xy(t0, lo)[1], text=fmt(lo), anchor="e", fill=fg, font=("TkDefaultFont", 8)
        )
    coords: list[float] = []
    for i, (t, v) in enumerate(points):
        x, y = xy(t, v)
        if i:
            coords.extend((x, coords[-1]))  # a step: the price holds until the next bid
        coords.extend((x, y))
    if len(coords) >= 4:
        canvas.create_line(*coords, fill=primary, width=2)
    for t, v in points:
        x, y = xy(t, v)
        canvas.create_oval(x - 3, y - 3, x + 3, y + 3, fill=primary, outline="")


class LoginDialog(tb.Toplevel):
    """Log in (or register, in the bidder app) with a user name and a password.

    Args:
        on_submit: called with ``(mode, username, password)``, mode ``login``
            or ``register``; the caller answers with `failed(text)` or
            destroys the dialog.
        allow_register: show the "Register" button.
    """

    def __init__(
        self,
        master: tk.Misc,
        *,
        title: str,
        on_submit: Callable[[str, str, str], None],
        allow_register: bool,
        note: str = "",
    ) -> None:
        super().__init__(title=title, transient=master, resizable=(False, False))
        # A hairline edge, for window managers (or none, under Xvfb) that draw no frame.
        self.configure(highlightthickness=1, highlightbackground="#adb5bd")
        self.on_submit = on_submit
        body = tb.Frame(self, padding=PAD * 3)
        body.pack(fill="both", expand=True)
        tb.Label(body, text=title, font=("TkDefaultFont", 14, "bold")).grid(
            row=0, column=0, columnspan=2, sticky="w", pady=(0, PAD)
        )
        if note:
            tb.Label(body, text=note, wraplength=320, bootstyle="secondary").grid(
                row=1, column=0, columnspan=2, sticky="w", pady=(0, PAD)
            )
        tb.Label(body, text="User name").grid(row=2, column=0, sticky="w", pady=4)
        self.username = tb.Entry(body, width=28)
        self.username.grid(row=2, column=1, sticky="ew", pady=4)
        tb.Label(body, text="Password").grid(row=3, column=0, sticky="w", pady=4)
        self.password = tb.Entry(body, width=28, show="•")
        self.password.grid(row=3, column=1, sticky="ew", pady=4)
        self.message = tb.Label(body, text="", bootstyle="danger", wraplength=320)
        self.message.grid(row=4, column=0, columnspan=2, sticky="w", pady=(PAD, 0))
        buttons = tb.Frame(body)
        buttons.grid(row=5, column=0, columnspan=2, sticky="e", pady=(PAD * 2, 0))
        self.login_button = tb.Button(
            buttons, text="Log in", bootstyle="primary", command=lambda: self._submit("login")
        )
        self.login_button.pack(side="right")
        self.register_button: tb.Button | None = None
        if allow_register:
            self.register_button = tb.Button(
                buttons,
                text="Register",
                bootstyle="secondary-outline",
                command=lambda: self._submit("register"),
            )
            self.register_button.pack(side="right", padx=(0, PAD))
        self.bind("<Return>", lambda _e: self._submit("login"))
        self._centre_over(master)
        self.username.focus_set()

    def _centre_over(self, master: tk.Misc) -> None:
        self.update_idletasks()
        top = master.winfo_toplevel()
        x = top.winfo_rootx() + (top.winfo_width() - self.winfo_reqwidth()) // 2
        y = top.winfo_rooty() + (top.winfo_height() - self.winfo_reqheight()) // 3
        self.geometry(f"+{max(x, 0)}+{max(y, 0)}")

    def _submit(self, mode: str) -> None:
        self.message.configure(text="Logging in…" if mode == "login" else "Registering…")
        self.on_submit(mode, self.username.get().strip(), self.password.get())

    def failed(self, text: str) -> None:
        self.message.configure(text=text)
