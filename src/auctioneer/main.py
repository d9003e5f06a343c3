"""The `auctioneer` command: server commands and client commands in one Typer app.

Why here and not in `clients/cli`: `serve` and `user add` belong to the server
side (they build the service), while the client commands must reach the server
only over the wire. This module is the one place that knows both.
"""

from __future__ import annotations

import sys

import typer

__all__ = ["app"]

# The server's own commands: run as `auctioneer serve ...` the client commands
# (and the HTTP/WebSocket client libraries and rich they import) are not
# loaded at all, which saves a server process about a third of its start.
_SERVER_COMMANDS = ("serve", "user")

app = typer.Typer(
    name="auctioneer",
    help="Auctioneer: a real-time auction house.",
    no_args_is_help=True,
    add_completion=False,
)


def _register(argv: list[str]) -> None:
    from auctioneer.gateways.commands import register as register_server

    register_server(app)
    if argv[1:2] and argv[1] in _SERVER_COMMANDS:
        return
    try:
        from auctioneer.clients.cli.commands import register as register_client
    except ImportError:  # pragma: no cover - the client CLI arrives with issue 4
        return
    register_client(app)


_register(sys.argv)
