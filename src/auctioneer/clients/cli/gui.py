"""`auctioneer gui admin | bidder`: open a desktop app.

Why lazy: Tk and ttkbootstrap are loaded only when a window is asked for,
so the rest of the command line starts as fast as before, and a machine
without a display gets one line (exit 3) rather than a traceback.
"""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from auctioneer.clients.cli.common import EXIT_UNREACHABLE, ServerOpt, fail
from auctioneer.clients.cli.config import DEFAULT_SERVER

__all__ = ["AppKind", "gui", "register"]


class AppKind(enum.StrEnum):
    """The two desktop apps."""

    admin = "admin"
    bidder = "bidder"


def gui(
    kind: Annotated[AppKind, typer.Argument(help="admin or bidder")],
    server: ServerOpt = DEFAULT_SERVER,
) -> None:
    """Open the desktop app for admins or bidders (live, Tk + ttkbootstrap)."""
    try:
        from auctioneer.clients.tk.launch import NoDisplay, run_app
    except ImportError as e:  # tkinter missing from this Python
        fail(f"the desktop apps need Tk: {e}", EXIT_UNREACHABLE)
    try:
        run_app(kind.value, server)
    except NoDisplay as e:
        fail(str(e), EXIT_UNREACHABLE)


def register(app: typer.Typer) -> None:
    """Add `gui` to `app`."""
    app.command("gui")(gui)
