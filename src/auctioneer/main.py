"""The `auctioneer` command: server commands and client commands in one Typer app.

Why here and not in `clients/cli`: `serve` and `user add` belong to the server
side (they build the service), while the client commands must reach the server
only over the wire. This module is the one place that knows both.
"""

from __future__ import annotations

import typer

__all__ = ["app"]

app = typer.Typer(
    name="auctioneer",
    help="Auctioneer: a real-time auction house.",
    no_args_is_help=True,
    add_completion=False,
)


def _register() -> None:
    from auctioneer.gateways.commands import register as register_server

    register_server(app)
    try:
        from auctioneer.clients.cli.commands import register as register_client
    except ImportError:  # pragma: no cover - the client CLI arrives with issue 4
        return
    register_client(app)


_register()
