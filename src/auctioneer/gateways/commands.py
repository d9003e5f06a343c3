"""Server-side commands of the `auctioneer` CLI: `serve` and `user add`."""

from __future__ import annotations

import asyncio
import getpass
from typing import Annotated

import typer

from auctioneer.service.settings import Settings

__all__ = ["register"]

user_app = typer.Typer(help="Manage user accounts (server side, straight to the database).")


def register(app: typer.Typer) -> None:
    """Add `serve` and `user` to the command line."""
    app.command()(serve)
    app.add_typer(user_app, name="user")


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    http_port: Annotated[int | None, typer.Option(help="HTTP/WebSocket port (0 = any).")] = None,
    tcp_port: Annotated[int | None, typer.Option(help="TCP JSON-lines port (0 = any).")] = None,
    db: Annotated[str | None, typer.Option(help="Database URL or SQLite file path.")] = None,
    broker: Annotated[str | None, typer.Option(help="memory:// or redis://HOST:PORT/N")] = None,
    demo: Annotated[bool, typer.Option(help="Load the demo auctions (once per database).")] = False,
    bid_rate: Annotated[
        float | None, typer.Option(help="Bids per second per user (0 = off).")
    ] = None,
    bid_burst: Annotated[float | None, typer.Option(help="Bid burst per user.")] = None,
    login_failures: Annotated[
        int | None, typer.Option(help="Failed logins per username per minute (0 = off).")
    ] = None,
    media: Annotated[
        str | None,
        typer.Option(help="Folder for lot photos (default: next to the SQLite file)."),
    ] = None,
) -> None:
    """Run the auction server (SQLite in this folder and in-process pubsub by default)."""
    from auctioneer.gateways.server import run

    try:
        settings = Settings.load(
            host=host,
            http_port=http_port,
            tcp_port=tcp_port,
            db=db,
            broker=broker,
            demo=demo or None,
            bid_rate=bid_rate,
            bid_burst=bid_burst,
            login_failures=login_failures,
            media=media,
        )
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(run(settings))


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Username (3-32 of A-Z a-z 0-9 _ . -).")],
    password: Annotated[
        str | None, typer.Option(help="Password (asked for when not given).")
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an admin.")] = False,
    db: Annotated[str | None, typer.Option(help="Database URL or SQLite file path.")] = None,
) -> None:
    """Create a user; exits non-zero if the name is taken or invalid."""
    from auctioneer.engine.errors import AuctionError
    from auctioneer.gateways.accounts import add_user

    if password is None:
        password = getpass.getpass("Password: ")
    settings = Settings.load(db=db)
    try:
        user = asyncio.run(add_user(settings, name, password, admin=admin))
    except AuctionError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"created {user.role} {user.username} (paddle #{user.paddle})")
