"""The client half of the `auctioneer` command line.

Why `register(app)`: `auctioneer.main` owns the Typer app and adds the server
commands (`serve`, `user`); this module adds every client command to it and
reaches the server only over the wire (the dependency rule of docs/architecture.md). Each
command is a thin shell: parse the input, call the client, print the result;
`common.run` turns every failure into one line and an exit code.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from auctioneer.clients.cli import account, admin_commands, budget, gui, images, watchlist
from auctioneer.clients.cli import invoices as invoice_commands
from auctioneer.clients.cli.admin import ALL_STATUSES
from auctioneer.clients.cli.common import (
    EXIT_INPUT,
    CliError,
    IdArg,
    JsonOpt,
    ServerOpt,
    connected,
    print_json,
    run,
    stdout,
)
from auctioneer.clients.cli.config import DEFAULT_SERVER, DEFAULT_TCP
from auctioneer.clients.cli.render import (
    auction_detail,
    auctions_table,
    price_text,
    purchases_table,
)
from auctioneer.clients.cli.room import Room
from auctioneer.clients.cli.watch import watch as run_watch
from auctioneer.clients.money import AmountError, format_amount, parse_amount

__all__ = ["register"]


def _amount(text: str) -> int:
    try:
        return parse_amount(text)
    except AmountError as e:
        raise CliError(f"invalid amount: {e}", EXIT_INPUT) from None


def _me(user: dict[str, Any] | None) -> str | None:
    return f"#{user['paddle']}" if user and user.get("paddle") is not None else None


def _standing(auction: dict[str, Any], me: str | None) -> str:
    if auction.get("status") == "closed" and auction.get("winner") == me:
        return f"you won at {format_amount(auction.get('price'))}"
    if auction.get("leader") == me:
        return f"you lead at {price_text(auction)}"
    return f"{auction.get('leader') or 'nobody'} leads at {price_text(auction)}"


def auctions(
    server: ServerOpt = DEFAULT_SERVER,
    status: Annotated[
        list[str] | None, typer.Option("--status", "-s", help="scheduled, open, closed, cancelled.")
    ] = None,
    sale: Annotated[int | None, typer.Option("--sale", help="Only the lots of this sale.")] = None,
    watching: Annotated[
        bool, typer.Option("--watching", help="Only the auctions you follow.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """List auctions as a table (★: on your watchlist, when logged in)."""
    statuses = [part for value in status or [] for part in value.split(",") if part]
    for value in statuses:
        if value not in ALL_STATUSES:
            _exit_input(f"--status {value}: use {', '.join(ALL_STATUSES[:-1])} or cancelled")

    async def main() -> None:
        async with connected(server, login=watching) as client:
            result = await client.request("get_auctions", status=statuses or None, sale_id=sale)
            watched: frozenset[int] = frozenset()
            if client.user is not None:
                watched = frozenset((await client.request("get_watchlist"))["auction_ids"])
            rows = result["auctions"]
            if watching:
                rows = [a for a in rows if a["id"] in watched]
            if json:
                print_json(rows)
            elif not rows:
                stdout().print("No auctions.")
            else:
                stdout().print(auctions_table(rows, client.server_now(), watched=watched))

    run(main())


def show(auction_id: IdArg, server: ServerOpt = DEFAULT_SERVER, json: JsonOpt = False) -> None:
    """Show one auction with its bid history."""

    async def main() -> None:
        async with connected(server) as client:
            result = await client.request("get_auction", auction_id=auction_id)
            if json:
                print_json(result)
            else:
                detail = auction_detail(
                    result["auction"],
                    result["bids"],
                    client.server_now(),
                    bid_limit=50,
                    server=server,
                )
                stdout().print(detail)
                house = (await client.request("get_house"))["house"]
                terms = "; ".join(t for t in (house["premium_text"], house["tax_text"]) if t)
                stdout().print(f"Terms: {terms}")  # stated by the server, before any bid

    run(main())


def bid(
    auction_id: IdArg,
    amount: Annotated[str, typer.Argument(help="Your bid, e.g. 125.50.")],
    server: ServerOpt = DEFAULT_SERVER,
) -> None:
    """Bid AMOUNT on an auction."""
    value = _amount_or_exit(amount)

    async def main() -> None:
        async with connected(server, login=True) as client:
            result = await client.request("place_bid", auction_id=auction_id, amount=value)
            stdout().print(
                f"Bid {format_amount(value)} on #{auction_id} accepted: "
                f"{_standing(result['auction'], _me(client.user))}."
            )

    run(main())


def autobid(
    auction_id: IdArg,
    maximum: Annotated[
        str | None, typer.Argument(metavar="MAX", help="Your maximum, e.g. 200.")
    ] = None,
    stop: Annotated[bool, typer.Option("--stop", help="Stop your auto-bid instead.")] = False,
    server: ServerOpt = DEFAULT_SERVER,
) -> None:
    """Let the server bid for you up to MAX (or --stop)."""
    if not stop and maximum is None:
        _exit_input("give a MAX amount, or --stop")
    value = None if stop else _amount_or_exit(maximum or "")

    async def main() -> None:
        async with connected(server, login=True) as client:
            if value is None:
                await client.request("stop_auto_bid", auction_id=auction_id)
                stdout().print(f"Auto-bid on #{auction_id} stopped.")
                return
            result = await client.request("start_auto_bid", auction_id=auction_id, max_amount=value)
            stdout().print(
                f"Auto-bid up to {format_amount(value)} on #{auction_id}: "
                f"{_standing(result['auction'], _me(client.user))}."
            )

    run(main())


def buy(auction_id: IdArg, server: ServerOpt = DEFAULT_SERVER) -> None:
    """Buy an auction now at its buy-now price."""

    async def main() -> None:
        async with connected(server, login=True) as client:
            auction = (await client.request("buy_now", auction_id=auction_id))["auction"]
            price = auction.get("price") or auction.get("buy_now")
            stdout().print(
                f"Bought #{auction_id} {auction.get('name', '')} for {format_amount(price)}."
            )

    run(main())


def purchases(server: ServerOpt = DEFAULT_SERVER, json: JsonOpt = False) -> None:
    """List what you have won or bought (admins: everyone's)."""

    async def main() -> None:
        async with connected(server, login=True) as client:
            rows = (await client.request("get_purchases"))["purchases"]
            if json:
                print_json(rows)
            elif not rows:
                stdout().print("No purchases yet.")
            else:
                stdout().print(purchases_table(rows))

    run(main())


def watch(
    auction_id: Annotated[
        int | None, typer.Argument(help="One auction; all when left out.")
    ] = None,
    server: ServerOpt = DEFAULT_SERVER,
    seconds: Annotated[
        float | None, typer.Option("--for", help="Leave after this many seconds.", hidden=True)
    ] = None,
) -> None:
    """Watch the auctions (or one) live, updated by the server's events."""

    async def main() -> None:
        async with connected(
            server, reconnect=True, ping_interval=30.0, queue_events=False
        ) as client:
            await run_watch(client, auction_id=auction_id, console=stdout(), duration=seconds)

    run(main())


def room(
    host: Annotated[str, typer.Argument(help="TCP host of the server.")] = DEFAULT_TCP[0],
    port: Annotated[int, typer.Argument(help="TCP port of the server.")] = DEFAULT_TCP[1],
    auction_id: Annotated[
        int | None,
        typer.Option("--auction", help="Start on this lot (and follow its sale, if any)."),
    ] = None,
    sale_id: Annotated[
        int | None, typer.Option("--sale", help="Follow this sale (default: the live one).")
    ] = None,
    server: ServerOpt = DEFAULT_SERVER,
) -> None:
    """Join the live room over the TCP socket: type a bid per line, `quit` to leave.

    The room follows one sale: the lot on sale until it ends, then the next lot.
    Bids use your login for --server (see `auctioneer login`).
    """

    async def main() -> None:
        url = f"tcp://{host}:{port}"
        async with connected(
            server, url=url, reconnect=True, ping_interval=30.0, queue_events=False
        ) as client:
            console = Console(highlight=False, soft_wrap=True)  # one line per message, for pipes
            await Room(client, console, auction_id=auction_id, sale_id=sale_id).run()

    run(main())


def _exit_input(message: str) -> None:
    from auctioneer.clients.cli.common import fail

    fail(message, EXIT_INPUT)


def _amount_or_exit(text: str) -> int:
    try:
        return _amount(text)
    except CliError as e:
        _exit_input(str(e))
        raise  # unreachable: fail() exits


def register(app: typer.Typer) -> None:
    """Add every client command to the `auctioneer` app."""
    account.register(app)
    for command in (auctions, show, buy, purchases, watch, room):
        app.command()(command)
    # "-5" is an amount (refused as negative, in the command line's words), not an option.
    for amount_command in (bid, autobid):
        app.command(context_settings={"ignore_unknown_options": True})(amount_command)
    admin_commands.register(app)
    invoice_commands.register(app)
    images.register(app)
    watchlist.register(app)
    budget.register(app)
    gui.register(app)
