"""`auctioneer watchlist`, `follow ID`, `unfollow ID`: the user's watchlist.

Why "follow": `auctioneer watch` is the live full-screen view (it watches
the auctions now, for anyone); following an auction puts it on your
watchlist on the server, so it is marked (★) in `auctioneer auctions`, the
web app and the desktop apps, and you get "ending soon" notices (and mail)
for it. The server's actions are `watch_auction`, `unwatch_auction` and
`get_watchlist` (docs/protocol.md "Watchlist").
"""

from __future__ import annotations

import typer

from auctioneer.clients.cli.common import (
    IdArg,
    JsonOpt,
    ServerOpt,
    connected,
    print_json,
    run,
    stdout,
)
from auctioneer.clients.cli.config import DEFAULT_SERVER
from auctioneer.clients.cli.render import auctions_table

__all__ = ["WATCHED_MARK", "register"]

WATCHED_MARK = "★"


def watchlist(server: ServerOpt = DEFAULT_SERVER, json: JsonOpt = False) -> None:
    """List the auctions you follow (your watchlist)."""

    async def main() -> None:
        async with connected(server, login=True) as client:
            result = await client.request("get_watchlist")
            auctions = result["auctions"]
            if json:
                print_json(auctions)
            elif not auctions:
                stdout().print("You follow no auctions. Add one with `auctioneer follow ID`.")
            else:
                watched = frozenset(a["id"] for a in auctions)
                table = auctions_table(
                    auctions, client.server_now(), watched=watched, title="Watchlist"
                )
                stdout().print(table)

    run(main())


def follow(auction_id: IdArg, server: ServerOpt = DEFAULT_SERVER) -> None:
    """Follow an auction: it goes on your watchlist, and you are told when it ends soon."""

    async def main() -> None:
        async with connected(server, login=True) as client:
            await client.request("watch_auction", auction_id=auction_id)
            auction = (await client.request("get_auction", auction_id=auction_id))["auction"]
            stdout().print(f"{WATCHED_MARK} Following #{auction_id} {auction.get('name', '')}.")

    run(main())


def unfollow(auction_id: IdArg, server: ServerOpt = DEFAULT_SERVER) -> None:
    """Stop following an auction (take it off your watchlist)."""

    async def main() -> None:
        async with connected(server, login=True) as client:
            await client.request("unwatch_auction", auction_id=auction_id)
            stdout().print(f"No longer following #{auction_id}.")

    run(main())


def register(app: typer.Typer) -> None:
    for command in (watchlist, follow, unfollow):
        app.command()(command)
