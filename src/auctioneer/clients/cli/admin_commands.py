"""Admin commands (`create`, `sale`, `close`...) and the `bots` launcher.

Why together: they are the auction runner's tools, each a thin shell over one
or two actions; the checking of input lives in `admin.py` and `parsing.py`,
the bots themselves in `clients.bots`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from auctioneer.clients.cli.admin import auction_fields, collect_export, export_csv, load_sale
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
from auctioneer.clients.cli.config import DEFAULT_SERVER
from auctioneer.clients.cli.parsing import parse_amount_range, parse_float_range, plural
from auctioneer.clients.money import AmountError, format_amount

__all__ = ["register"]


def _opt(help_text: str) -> Any:
    return typer.Option(help=help_text)


def create(
    name: Annotated[str, typer.Argument(help="What is sold (1-200 characters).")],
    starting_bid: Annotated[
        str, typer.Option("--starting-bid", help="Lowest first bid, e.g. 10.00.")
    ],
    min_increment: Annotated[str | None, _opt("Smallest raise (default 1.00).")] = None,
    reserve: Annotated[str | None, _opt("Lowest price that sells.")] = None,
    buy_now: Annotated[str | None, _opt("Price to buy at once, before the first bid.")] = None,
    quantity: Annotated[int | None, _opt("Units sold one round after another.")] = None,
    starts_at: Annotated[str | None, _opt("ISO time or +10m (default now).")] = None,
    ends_at: Annotated[str | None, _opt("ISO time or +1h.")] = None,
    duration: Annotated[str | None, _opt("Length, e.g. 90, 5m, 1h30m.")] = None,
    countdown: Annotated[
        str | None, _opt("Each bid sets the end to at least this far ahead.")
    ] = None,
    soft_close: Annotated[str | None, _opt("A late bid extends the end by this much.")] = None,
    pass_after: Annotated[
        str | None, _opt("With no bid by then, a lot with no end yet closes unsold.")
    ] = None,
    increments: Annotated[
        str | None,
        _opt("Increment bands FROM:STEP, e.g. 0:0.05,1:0.25,5:0.50 (overrides --min-increment)."),
    ] = None,
    max_extension: Annotated[
        str | None, _opt("Soft-close cap: late bids add at most this much in all, e.g. 5m.")
    ] = None,
    max_end: Annotated[
        str | None, _opt("Soft-close cap: no bid extends past this ISO time or +2h.")
    ] = None,
    description: Annotated[str | None, _opt("Longer text.")] = None,
    private: Annotated[bool, typer.Option("--private", help="Hidden from bidders.")] = False,
    server: ServerOpt = DEFAULT_SERVER,
    json: JsonOpt = False,
) -> None:
    """Create an auction (admin)."""
    raw = {
        "name": name,
        "starting_bid": starting_bid,
        "min_increment": min_increment,
        "reserve": reserve,
        "buy_now": buy_now,
        "quantity": quantity,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "duration": duration,
        "countdown": countdown,
        "soft_close": soft_close,
        "pass_after": pass_after,
        "increments": increments,
        "max_extension": max_extension,
        "max_end": max_end,
        "description": description,
        "public": False if private else None,
    }

    async def main() -> None:
        fields = auction_fields(raw)
        async with connected(server, login=True) as client:
            auction = (await client.request("create_auction", **fields))["auction"]
        if json:
            print_json(auction)
        else:
            stdout().print(
                f"Created auction #{auction['id']} {auction.get('name', '')} "
                f"({auction.get('status')}, from {format_amount(auction.get('starting_bid'))})."
            )

    run(main())


def sale(
    file: Annotated[Path, typer.Argument(help="YAML or JSON: name, starts_at?, lots.")],
    server: ServerOpt = DEFAULT_SERVER,
    json: JsonOpt = False,
) -> None:
    """Create a sale of lots run one after another (admin)."""

    async def main() -> None:
        fields = load_sale(file)
        async with connected(server, login=True) as client:
            result = await client.request("create_sale", **fields)
        if json:
            print_json(result)
            return
        ids = [str(a["id"]) for a in result.get("auctions", [])]
        sale_obj = result.get("sale") or {}
        name = sale_obj.get("name", fields["name"])
        stdout().print(
            f'Created sale #{sale_obj.get("id", "?")} "{name}": {plural(len(ids), "lot")} '
            f"({', '.join('#' + i for i in ids)})."
        )

    run(main())


def _simple(action: str, verb: str, done: str, extra: dict[str, Any] | None = None) -> Any:
    def command(auction_id: IdArg, server: ServerOpt = DEFAULT_SERVER) -> None:
        async def main() -> None:
            async with connected(server, login=True) as client:
                result = await client.request(action, auction_id=auction_id, **(extra or {}))
            auction = result.get("auction") or {}
            tail = ""
            if auction.get("status") == "closed":
                winner = auction.get("winner")
                tail = (
                    f": sold to {winner} for {format_amount(auction.get('price'))}"
                    if winner
                    else ""
                )
                tail = tail or f": {auction.get('reason') or 'no sale'}"
            stdout().print(f"Auction #{auction_id} {done}{tail}.")

        run(main())

    command.__doc__ = f"{verb} (admin)."
    return command


def export(
    auction_id: Annotated[
        int | None, typer.Argument(help="One auction; all when left out.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or json.")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default stdout).")
    ] = None,
    server: ServerOpt = DEFAULT_SERVER,
) -> None:
    """Export auctions, bids, winners and purchases as CSV or JSON."""
    if fmt not in ("csv", "json"):
        run(_raise(CliError(f"unknown format {fmt!r}: use csv or json", EXIT_INPUT)))

    async def main() -> None:
        async with connected(server) as client:
            data = await collect_export(client, auction_id)
        if fmt == "csv":
            text = export_csv(data)
        else:
            import orjson

            text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
            exported = plural(len(data["auctions"]), "auction")
            print(f"Exported {exported} to {output}.", file=sys.stderr)

    run(main())


def bots(
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="How many bidders.")] = 5,
    probability: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Chance to bid each turn.")
    ] = 0.7,
    max_price: Annotated[
        str, typer.Option(help="Maximum per lot, or a range: 150 or 50-150.")
    ] = "100-500",
    think: Annotated[str, typer.Option(help="Seconds between turns, a range: 0.5-2.")] = "0.5-2",
    strategy: Annotated[str, typer.Option(help="random, sniper or proxy.")] = "random",
    auction: Annotated[list[int] | None, typer.Option("--auction", help="Only these lots.")] = None,
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed, for a repeatable run.")] = None,
    server: ServerOpt = DEFAULT_SERVER,
    json: JsonOpt = False,
) -> None:
    """Run automated bidders, each with its own account (also a load generator)."""
    from auctioneer.clients.bots.progress import run_with_progress
    from auctioneer.clients.bots.runner import BotConfig
    from auctioneer.clients.bots.strategies import STRATEGIES

    async def main() -> None:
        if strategy not in STRATEGIES:
            raise CliError(
                f"unknown strategy {strategy!r}: use {', '.join(STRATEGIES)}", EXIT_INPUT
            )
        try:
            prices = parse_amount_range(max_price)
        except AmountError as e:
            raise CliError(f"--max-price: {e}", EXIT_INPUT) from None
        try:
            think_range = parse_float_range(think)
        except ValueError as e:
            raise CliError(f"--think: {e}", EXIT_INPUT) from None
        config = BotConfig(
            server=server,
            count=count,
            probability=probability,
            max_price=prices,
            think=think_range,
            strategy=strategy,
            auctions=tuple(auction or ()),
            duration=duration,
            seed=seed,
        )
        tally = await run_with_progress(config, stdout(), show_live=not json)
        if json:
            print_json(tally.as_dict())

    run(main())


async def _raise(error: Exception) -> None:
    raise error


def register(app: typer.Typer) -> None:
    """Add the admin commands and `bots` to `app`."""
    app.command()(create)
    app.command()(sale)
    close = "Close an auction now: the leader wins if the reserve is met"
    app.command("close")(_simple("close_auction", close, "closed"))
    cancel = "Cancel an auction: it closes with no winner"
    app.command("cancel")(_simple("cancel_auction", cancel, "cancelled"))
    publish = "Publish an auction: bidders can see it"
    app.command("publish")(_simple("update_auction", publish, "published", {"public": True}))
    app.command("unpublish")(
        _simple("update_auction", "Hide an auction from bidders", "unpublished", {"public": False})
    )
    delete = "Delete an auction: cancelled if running, hidden from every listing"
    app.command("delete")(_simple("delete_auction", delete, "deleted"))
    app.command()(export)
    app.command()(bots)
