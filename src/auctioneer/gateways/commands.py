"""Server-side commands of the `auctioneer` CLI: `serve` and `user add|disable|enable|role|
passwd|revoke` (straight to the database; running servers pick a change up within seconds).
"""

from __future__ import annotations

import asyncio
import getpass
from typing import Annotated, Any

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
    cluster_host: Annotated[
        str | None,
        typer.Option(help="PostgreSQL houses: address the other processes reach this one at."),
    ] = None,
    cluster_port: Annotated[
        int | None, typer.Option(help="Port of that internal door (0 = any).")
    ] = None,
    demo: Annotated[bool, typer.Option(help="Load the demo auctions (once per database).")] = False,
    bid_rate: Annotated[
        float | None, typer.Option(help="Bids per second per user (0 = off).")
    ] = None,
    bid_burst: Annotated[float | None, typer.Option(help="Bid burst per user.")] = None,
    login_failures: Annotated[
        int | None,
        typer.Option(help="Failed logins per username and address per minute (0 = off)."),
    ] = None,
    media: Annotated[
        str | None,
        typer.Option(help="Folder for lot photos (default: next to the SQLite file)."),
    ] = None,
    settings_file: Annotated[
        str | None, typer.Option("--settings", help="TOML file of settings (docs/invoices.md).")
    ] = None,
    house_name: Annotated[str | None, typer.Option(help="The house's name on invoices.")] = None,
    house_address: Annotated[
        str | None, typer.Option(help='The house\'s address, lines split by " | ".')
    ] = None,
    currency: Annotated[str | None, typer.Option(help="Currency code, e.g. EUR.")] = None,
    premium: Annotated[
        str | None,
        typer.Option(help='Buyer\'s premium %: "20", or bands "25,20@100000" (from minor units).'),
    ] = None,
    tax_on_premium: Annotated[str | None, typer.Option(help="Tax % on the premium.")] = None,
    tax_on_hammer: Annotated[str | None, typer.Option(help="Tax % on the hammer price.")] = None,
    smtp: Annotated[
        str | None, typer.Option(help="Send mail through smtp://HOST:PORT or smtps://HOST:PORT.")
    ] = None,
    smtp_security: Annotated[
        str | None, typer.Option(help="auto (STARTTLS if offered), starttls, ssl or none.")
    ] = None,
    smtp_user: Annotated[str | None, typer.Option(help="SMTP login name.")] = None,
    smtp_password: Annotated[
        str | None, typer.Option(help="SMTP password (or AUCTIONEER_SMTP_PASSWORD).")
    ] = None,
    smtp_ca_file: Annotated[
        str | None,
        typer.Option(help="Trust the SMTP server's certificate only if these CAs (PEM) sign it."),
    ] = None,
    mail_from: Annotated[str | None, typer.Option(help="From: address of the mails.")] = None,
    public_url: Annotated[
        str | None, typer.Option(help="Base URL of links in mails (default: the HTTP door).")
    ] = None,
    registrations: Annotated[
        int | None, typer.Option(help="Registrations per address per minute (0 = off).")
    ] = None,
    password_hashes: Annotated[
        int | None, typer.Option(help="Password hashes (Argon2) computed at once.")
    ] = None,
    max_connections_per_address: Annotated[
        int | None, typer.Option(help="Open connections per client address (0 = no cap).")
    ] = None,
    header_timeout: Annotated[
        float | None, typer.Option(help="Seconds for an HTTP request's headers to arrive.")
    ] = None,
    idle_timeout: Annotated[
        float | None, typer.Option(help="Seconds a silent TCP client stays connected (0 = ever).")
    ] = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Proxies (IPs or networks, comma-separated) trusted for X-Forwarded-For."
        ),
    ] = None,
    allowed_origins: Annotated[
        str | None,
        typer.Option(help="WebSocket origins allowed besides this server's own (comma-separated)."),
    ] = None,
    behind_tls: Annotated[
        bool, typer.Option("--behind-tls", help="HTTPS ends at a proxy in front: send HSTS.")
    ] = False,
    metrics_token: Annotated[
        str | None,
        typer.Option(
            help="Serve GET /metrics to a scraper sending this bearer token "
            "(or AUCTIONEER_METRICS_TOKEN; unset = no /metrics)."
        ),
    ] = None,
) -> None:
    """Run the auction server (SQLite in this folder and in-process pubsub by default)."""
    from auctioneer.gateways.server import PortInUse, run

    try:
        settings = Settings.load(
            host=host,
            http_port=http_port,
            tcp_port=tcp_port,
            db=db,
            broker=broker,
            cluster_host=cluster_host,
            cluster_port=cluster_port,
            demo=demo or None,
            bid_rate=bid_rate,
            bid_burst=bid_burst,
            login_failures=login_failures,
            media=media,
            settings_file=settings_file,
            house_name=house_name,
            house_address=house_address,
            currency=currency,
            premium=premium,
            tax_on_premium=tax_on_premium,
            tax_on_hammer=tax_on_hammer,
            smtp=smtp,
            smtp_security=smtp_security,
            smtp_user=smtp_user,
            smtp_password=smtp_password,
            smtp_ca_file=smtp_ca_file,
            mail_from=mail_from,
            public_url=public_url,
            registrations=registrations,
            password_hashes=password_hashes,
            max_connections_per_address=max_connections_per_address,
            header_timeout_s=header_timeout,
            idle_timeout_s=idle_timeout,
            forwarded_allow_ips=forwarded_allow_ips,
            allowed_origins=allowed_origins,
            behind_tls=behind_tls or None,
            metrics_token=metrics_token,
        )
        from auctioneer.service.house import House

        House.from_settings(settings)  # fail fast, naming the setting
        if settings.smtp:
            from auctioneer.gateways.smtp import SmtpConfig

            SmtpConfig.from_settings(settings)
        from auctioneer.gateways.guard import OriginPolicy, TrustedProxies

        TrustedProxies(settings.forwarded_allow_ips)  # fail fast, naming the key
        OriginPolicy(settings.allowed_origins)
        from auctioneer.service.watchlist import parse_ending_soon

        parse_ending_soon(settings.ending_soon)
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    try:
        code = run(settings)
    except PortInUse as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code)


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


def _manage(name: str, db: str | None, done: str, **changes: Any) -> None:
    from auctioneer.engine.errors import AuctionError
    from auctioneer.gateways.accounts import manage_user

    try:
        settings = Settings.load(db=db)
        user = asyncio.run(manage_user(settings, name, **changes))
    except (AuctionError, ValueError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None
    state = "disabled" if user.disabled else "enabled"
    typer.echo(f"{done}: {user.username} ({user.role}, {state}, paddle #{user.paddle})")


_NAME = Annotated[str, typer.Argument(help="The username.")]
_DB = Annotated[str | None, typer.Option(help="Database URL or SQLite file path.")]


@user_app.command("disable")
def user_disable(name: _NAME, db: _DB = None) -> None:
    """Take an account back: no login, and every session ends (tokens die at once)."""
    _manage(name, db, "disabled", disabled=True)


@user_app.command("enable")
def user_enable(name: _NAME, db: _DB = None) -> None:
    """Let a disabled account log in again."""
    _manage(name, db, "enabled", disabled=False)


@user_app.command("role")
def user_role(
    name: _NAME,
    role: Annotated[str, typer.Argument(help="admin or bidder.")],
    db: _DB = None,
) -> None:
    """Make a user an admin or a bidder (running sessions follow within seconds)."""
    _manage(name, db, "role set", role=role)


@user_app.command("passwd")
def user_passwd(
    name: _NAME,
    password: Annotated[
        str | None, typer.Option(help="The new password (asked for when not given).")
    ] = None,
    db: _DB = None,
) -> None:
    """Set a user's password; every session of the user ends."""
    if password is None:
        password = getpass.getpass("New password: ")
    _manage(name, db, "password set", password=password)


@user_app.command("revoke")
def user_revoke(name: _NAME, db: _DB = None) -> None:
    """Log a user out everywhere: every token of the user stops working."""
    _manage(name, db, "sessions revoked", revoke=True)
