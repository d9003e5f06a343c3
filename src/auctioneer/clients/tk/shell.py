"""What both desktop apps share: the window's chrome, the login, the connection.

Why a base class: the admin and the bidder app differ in what they show, not
in how they log in (the command line's stored login for that server, or
``AUCTIONEER_TOKEN``, else a dialog), how a lost connection looks (a banner,
then a fresh listing once the client library has reconnected and resumed
each topic with ``since``), or how an error reads (`messages.explain`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tkinter as tk
from collections.abc import Callable
from typing import Any

import ttkbootstrap as tb
from ttkbootstrap.dialogs import Messagebox

from auctioneer.clients.cli.config import ENV_TOKEN, Login, TokenStore
from auctioneer.clients.errors import RequestFailed
from auctioneer.clients.session import Event
from auctioneer.clients.tk.auctions import STATUSES
from auctioneer.clients.tk.bridge import Bridge, Status
from auctioneer.clients.tk.messages import explain
from auctioneer.clients.tk.widgets import PAD, Banner, LoginDialog, Toasts

__all__ = ["AppShell", "BANNER_TEXT", "THEME"]

log = logging.getLogger(__name__)

#: The ttkbootstrap theme of both apps.
THEME = "bootstrap-light"

BANNER_TEXT: dict[str, str] = {
    Status.RECONNECTING: "Connection lost: reconnecting…",
    Status.OFFLINE: "Cannot reach the server: retrying…",
    Status.CLOSED: "Disconnected from the server.",
}


class AppShell:
    """A window with a header, a connection banner, toasts and a logged-in client.

    Args:
        window: the Tk root or a Toplevel the app fills.
        server: the server URL; it also picks the stored login.
        token_store: where the command line keeps logins (tests pass their own).
        bridge: the network worker (tests may pass one with a quick backoff).
    """

    kind = "App"
    allow_register = False

    def __init__(
        self,
        window: tk.Tk | tk.Toplevel,
        *,
        server: str,
        token_store: TokenStore | None = None,
        bridge: Bridge | None = None,
    ) -> None:
        self.window = window
        self.server = server
        self.tokens = token_store or TokenStore()
        self.bridge = bridge or Bridge(server)
        self.user: dict[str, Any] | None = None
        self.login_dialog: LoginDialog | None = None
        self.confirm: Callable[[str], bool] = self._ask_yes_no
        self._timers: dict[str, str] = {}
        self._ever_connected = False
        window.title(f"Auctioneer: {self.kind}")
        window.minsize(1024, 640)
        style = tb.Style()
        style.configure("Treeview", rowheight=26, font=("TkDefaultFont", 10))
        style.configure("Treeview.Heading", font=("TkDefaultFont", 10, "bold"))

        self.frame = tb.Frame(window)
        self.frame.pack(fill="both", expand=True)
        header = tb.Frame(self.frame, padding=(PAD * 2, PAD * 1.5), bootstyle="primary")
        header.pack(fill="x")
        tb.Label(
            header,
            text=f"Auctioneer  ·  {self.kind}",
            font=("TkDefaultFont", 16, "bold"),
            bootstyle="@primary",
        ).pack(side="left")
        self.status_label = tb.Label(header, text="connecting…", bootstyle="@primary")
        self.status_label.pack(side="right")
        self.user_label = tb.Label(
            header, text="", bootstyle="@primary", font=("TkDefaultFont", 11, "bold")
        )
        self.user_label.pack(side="right", padx=(0, PAD * 3))
        self.banner = Banner(self.frame)
        self.body = tb.Frame(self.frame, padding=(PAD * 2, PAD * 1.5))
        self.body.pack(fill="both", expand=True)
        self.toasts = Toasts(window)
        self.bridge.on_event = self._on_bridge_event
        self.bridge.on_status = self._on_bridge_status
        window.protocol("WM_DELETE_WINDOW", self.close)
        # A bug in a button's handler must not print a traceback in place of an
        # answer: log it, and tell the user in a sentence.
        if isinstance(window, tk.Tk):
            window.report_callback_exception = self._callback_failed

    # -- life cycle ------------------------------------------------------------

    def filter_bar(self, master: tk.Misc, *, search_width: int) -> tb.Frame:
        """The Search box and Status filter above an auctions table (both apps);
        each change redraws the table (`render`). Returns the bar, for more buttons."""
        filters = tb.Frame(master)
        filters.pack(fill="x", pady=(0, PAD))
        tb.Label(filters, text="Search").pack(side="left")
        self.search = tb.Entry(filters, width=search_width)
        self.search.pack(side="left", padx=(PAD, PAD * 2))
        self.search.bind("<KeyRelease>", lambda _e: self.render())
        tb.Label(filters, text="Status").pack(side="left")
        self.status_filter = tb.Combobox(
            filters, values=["any", *STATUSES], width=11, state="readonly"
        )
        self.status_filter.set("any")
        self.status_filter.pack(side="left", padx=(PAD, 0))
        self.status_filter.bind("<<ComboboxSelected>>", lambda _e: self.render())
        return filters

    def render(self) -> None:
        """Redraw what the window shows (each app draws its own)."""

    def start(self) -> None:
        """Connect in the background; log in once connected."""
        self.bridge.start(self.window)

    def close(self) -> None:
        """Stop the timers and the connection, then close the window."""
        self.dispose()
        self.window.destroy()

    def dispose(self) -> None:
        """Stop the timers and the connection; the window stays (for tests and embedding)."""
        for after_id in self._timers.values():
            with contextlib.suppress(tk.TclError):
                self.window.after_cancel(after_id)
        self._timers.clear()
        self.toasts.dispose()
        self.bridge.stop()

    def every(self, ms: int, name: str, func: Callable[[], None]) -> None:
        """Call `func` every `ms` milliseconds until `dispose()` (one timer per `name`)."""

        def run() -> None:
            self._timers[name] = self.window.after(ms, run)
            func()

        if name in self._timers:  # asked again (a second login): one timer still
            with contextlib.suppress(tk.TclError):
                self.window.after_cancel(self._timers[name])
        self._timers[name] = self.window.after(ms, run)

    def soon(self, name: str, func: Callable[[], None]) -> None:
        """Call `func` once when Tk is idle; several calls before then run it once."""
        if name in self._timers:
            return

        def run() -> None:
            self._timers.pop(name, None)
            func()

        self._timers[name] = self.window.after_idle(run)

    # -- connection ------------------------------------------------------------

    def _on_bridge_status(self, status: str) -> None:
        text = BANNER_TEXT.get(status)
        if text is not None:
            self.banner.show(text, before=self.body)
            self.status_label.configure(text=status)
            return
        if status != Status.CONNECTED:
            return
        self.banner.hide()
        self.status_label.configure(text="● live")
        if not self._ever_connected:
            self._ever_connected = True
            self.on_connected()
            self._authenticate()
        else:
            self.on_reconnected()

    def _authenticate(self) -> None:
        stored = self.tokens.get(self.server)
        if stored is None:
            self.ask_login("")
            return

        def refused(error: BaseException) -> None:
            if isinstance(error, RequestFailed) and error.code == "unauthorized":
                if not os.environ.get(ENV_TOKEN):
                    self.tokens.delete(self.server)
                self.ask_login("Your login has expired: please log in again.")
            else:
                self.ask_login(explain(error))

        self.bridge.call(lambda c: c.auth(stored.token), self._logged_in, refused)

    def ask_login(self, note: str) -> None:
        """Open the login dialog (once)."""
        if self.login_dialog is not None and self.login_dialog.winfo_exists():
            self.login_dialog.failed(note)
            return
        self.login_dialog = LoginDialog(
            self.window,
            title=f"Auctioneer: log in ({self.kind})",
            on_submit=self._submit_login,
            allow_register=self.allow_register,
            note=f"Log in to {self.server}.",
        )
        if note:
            self.login_dialog.failed(note)

    def _submit_login(self, mode: str, username: str, password: str) -> None:
        async def work(client: Any) -> dict[str, Any]:
            if mode == "register":
                await client.register(username, password)
            return dict(await client.login(username, password))

        def ok(result: dict[str, Any]) -> None:
            login = Login.from_reply(result)
            self.tokens.save(self.server, login)
            if self.login_dialog is not None:
                self.login_dialog.destroy()
                self.login_dialog = None
            self._logged_in(dict(result.get("user") or {}))

        def failed(error: BaseException) -> None:
            if self.login_dialog is not None and self.login_dialog.winfo_exists():
                self.login_dialog.failed(explain(error))

        self.bridge.call(work, ok, failed)

    def _logged_in(self, user: dict[str, Any]) -> None:
        problem = self.refuse_user(user)
        if problem:
            self.ask_login(problem)
            return
        self.user = user
        paddle = user.get("paddle")
        who = str(user.get("username", ""))
        self.user_label.configure(text=f"{who}  #{paddle}" if paddle is not None else who)
        self.on_login()

    # -- hooks for the apps ----------------------------------------------------

    def refuse_user(self, user: dict[str, Any]) -> str:
        """A reason this user may not use the app ("" when fine)."""
        return ""

    def on_connected(self) -> None:
        """First connected, before any login: load what anyone may see."""

    def on_login(self) -> None:
        """Logged in: load and subscribe."""

    def on_reconnected(self) -> None:
        """Back after a lost connection (topics already resumed): refresh listings.

        Called whether or not a user is logged in yet.
        """

    def on_event(self, event: Event) -> None:
        """One pushed event, on the Tk thread."""

    def _on_bridge_event(self, event: Event) -> None:
        self.on_event(event)

    # -- feedback --------------------------------------------------------------

    def show_error(self, error: BaseException | str, *, label: tb.Label | None = None) -> str:
        """Say what went wrong, in words, next to `label` or as a toast."""
        text = error if isinstance(error, str) else explain(error)
        if isinstance(error, RequestFailed) and error.code == "unauthorized" and self.user:
            # The login ended elsewhere (logout, revoked): ask for a new one.
            self.user = None
            self.user_label.configure(text="")
            self.ask_login("Your login is not valid any more: please log in again.")
        if label is not None:
            label.configure(text=text, bootstyle="danger")
        else:
            self.toasts.show(text, style="danger")
        return text

    def _callback_failed(self, kind: type[BaseException], error: BaseException, tb: Any) -> None:
        log.error("UI callback failed", exc_info=(kind, error, tb))
        self.show_error(f"Something went wrong in the app: {error or kind.__name__}.")

    def report(self, error: BaseException) -> None:
        """An error callback for requests whose failure has no better place: a toast."""
        self.show_error(error)

    def _ask_yes_no(self, text: str) -> bool:
        answer = Messagebox.yesno(text, "Auctioneer", parent=self.window)
        return answer in ("Yes", "yes", True)
