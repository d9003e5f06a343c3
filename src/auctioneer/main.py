"""The `auctioneer` command: server commands and client commands in one Typer app.

Why here and not in `clients/cli`: `serve` and `user add` belong to the server
side (they build the service), while the client commands must reach the server
only over the wire. This module is the one place that knows both.
"""

from __future__ import annotations

import sys
from typing import Annotated

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


@app.command()
def audit(
    auction_id: Annotated[
        int | None, typer.Argument(help="With --server: the auction to verify.", min=1)
    ] = None,
    db: Annotated[
        str | None, typer.Option(help="Operator: audit this database offline (URL or file).")
    ] = None,
    auction: Annotated[
        int | None, typer.Option(help="With --db: only this auction.", min=1)
    ] = None,
    server: Annotated[
        str | None, typer.Option(help="Bidder: verify auction ID's public log on this server.")
    ] = None,
) -> None:
    """Check auction logs: the hash chains, and the rules on them (docs/protocol.md).

    `--db URL [--auction ID]`: the operator's audit of a database (every chain,
    and every log replayed against what the database holds). `--server URL ID`:
    any bidder's check of one auction's public log.
    """
    if (db is None) == (server is None):
        raise typer.BadParameter("give --db URL or --server URL (one of them)")
    if db is not None:
        from auctioneer.gateways.audit import audit_db_command

        raise typer.Exit(audit_db_command(db, auction))
    if auction_id is None:
        raise typer.BadParameter("--server needs the auction id: auctioneer audit --server URL ID")
    from auctioneer.clients.cli.verify import verify_command

    raise typer.Exit(verify_command(server or "", auction_id))


_register(sys.argv)
