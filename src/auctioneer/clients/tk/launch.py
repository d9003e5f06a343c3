"""Opening a desktop app: the window, the theme, and one clear line without a display.

Why here: `auctioneer gui admin|bidder` (in `clients/cli/gui.py`) only names
the app; making the Tk root can fail before anything is drawn (no
``$DISPLAY``, no X server), and that must read as one sentence and an exit
code, not a Tcl traceback.
"""

from __future__ import annotations

import os
import sys
import tkinter as tk

import ttkbootstrap as tb

from auctioneer.clients.cli.config import TokenStore
from auctioneer.clients.tk.shell import THEME, AppShell

__all__ = ["NoDisplay", "make_root", "open_app", "run_app"]

#: 1280x800 is the size the apps are laid out and screenshotted for.
SIZE = (1280, 800)


class NoDisplay(Exception):
    """Tk could not open a window (no display, or the X server refused)."""


def make_root(title: str = "Auctioneer") -> tb.App:
    """The themed Tk root, or `NoDisplay` with the reason.

    Raises:
        NoDisplay: there is no display to draw on.
    """
    if (
        os.name == "posix"
        and sys.platform != "darwin"  # macOS's own Tk needs no $DISPLAY
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        raise NoDisplay(
            "no display: $DISPLAY is not set (start an X server, or use the command line)"
        )
    try:
        return tb.App(title=title, theme=THEME, size=SIZE, minsize=(1024, 640))
    except tk.TclError as e:
        raise NoDisplay(f"cannot open a window: {e}") from None


def open_app(kind: str, window: tk.Tk | tk.Toplevel, server: str, **options: object) -> AppShell:
    """Build (not start) the app of `kind` (``admin`` or ``bidder``) in `window`."""
    if kind == "admin":
        from auctioneer.clients.tk.admin import AdminApp

        return AdminApp(window, server=server, **options)
    from auctioneer.clients.tk.bidder import BidderApp

    return BidderApp(window, server=server, **options)


def run_app(kind: str, server: str) -> None:
    """Open the app of `kind` against `server` and run until its window closes.

    Raises:
        NoDisplay: there is no display.
    """
    root = make_root()
    app = open_app(kind, root, server, token_store=TokenStore())
    app.start()
    try:
        root.mainloop()
    except KeyboardInterrupt:
        pass
    finally:
        app.bridge.stop()
