"""`auctioneer budget SALE`: your budget across a sale's lots (docs/protocol.md
"Budgets across a sale"). Without limits it shows the budget; with
`--max-lots` and/or `--max-spend` it sets it; `--clear` removes it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from auctioneer.clients.cli.common import (
    EXIT_INPUT,
    CliError,
    JsonOpt,
    ServerOpt,
    connected,
    print_json,
    run,
    stdout,
)
from auctioneer.clients.cli.config import DEFAULT_SERVER
from auctioneer.clients.cli.parsing import plural
from auctioneer.clients.money import AmountError, format_amount, parse_amount

__all__ = ["budget", "budget_text", "register"]


def budget_text(b: dict[str, Any]) -> str:
    """``Sale 3: won 1 lot for 25.00; limit 2 lots (1 left), 100.00 (75.00 left).``"""
    won = f"won {plural(int(b['lots_won']), 'lot')} for {format_amount(b['spent'])}"
    limits = []
    if b.get("max_lots") is not None:
        limits.append(f"{plural(int(b['max_lots']), 'lot')} ({b['lots_left']} left)")
    if b.get("max_spend") is not None:
        limits.append(f"{format_amount(b['max_spend'])} ({format_amount(b['spend_left'])} left)")
    limit = "limit " + ", ".join(limits) if limits else "no budget"
    return f"Sale {b['sale_id']}: {won}; {limit}."


def budget(
    sale_id: Annotated[int, typer.Argument(help="The sale (see `auctioneer auctions`).")],
    max_lots: Annotated[
        int | None, typer.Option("--max-lots", help="Win at most this many lots of the sale.")
    ] = None,
    max_spend: Annotated[
        str | None, typer.Option("--max-spend", help="Spend at most this across the sale.")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove your budget.")] = False,
    server: ServerOpt = DEFAULT_SERVER,
    json: JsonOpt = False,
) -> None:
    """Show or set your budget across a sale's lots (auto-bids stop once it is reached)."""
    fields: dict[str, Any] = {"sale_id": sale_id}
    try:
        if max_lots is not None:
            if max_lots < 0:
                raise CliError("--max-lots must be 0 or more", EXIT_INPUT)
            fields["max_lots"] = max_lots
        if max_spend is not None:
            fields["max_spend"] = parse_amount(max_spend)
    except AmountError as e:
        raise CliError(f"--max-spend: {e}", EXIT_INPUT) from None
    setting = clear or len(fields) > 1

    async def main() -> None:
        async with connected(server, login=True) as client:
            action = "set_budget" if setting else "get_budget"
            result = (await client.request(action, **fields))["budget"]
        if json:
            print_json(result)
        else:
            stdout().print(budget_text(result))

    run(main())


def register(app: typer.Typer) -> None:
    app.command()(budget)
