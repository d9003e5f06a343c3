"""The watchlist: who follows which auction, and who an ending-soon point tells.

`watch_auction`, `unwatch_auction` and `get_watchlist` run on every door
through `Api`'s table (`WatchActions.table()`); every rule about who may is
here. A user may watch only an auction they may see (admins: any; others:
public and not deleted). Watching twice, or unwatching what is not watched,
changes nothing and answers the same. A watched auction that turns private
stays on the list but is not shown, and its points tell only admins.

The pairs live beside the log (`WatchRecords`, migration 0060): watching
decides nothing about the auction. What the log does record is whom each
ending-soon point told (engine/reminders.py): `audience` is read by the
scheduler when a point comes and travels in the `Remind` command.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from auctioneer.engine.state import Auction
from auctioneer.service.errors import NotFound, Unauthorized
from auctioneer.service.ports import Accounts, Clock, UserRecord, WatchRecords
from auctioneer.service.users import Caller
from auctioneer.wire import codec
from auctioneer.wire import messages as m

__all__ = ["DEFAULT_ENDING_SOON", "WatchActions", "audience_of", "parse_ending_soon"]

DEFAULT_ENDING_SOON = (300, 60)  # seconds before a round's end

Handler = Callable[[Caller, Any, str | None], Awaitable[bytes]]
Visible = Callable[[Caller, int], Awaitable[Auction]]
Render = Callable[[Caller, Sequence[int]], Awaitable[list[dict[str, Any]]]]


def parse_ending_soon(text: str) -> tuple[int, ...]:
    """ "300,60" -> (300, 60): distinct whole seconds from 1 to a day, largest first;
    "" or "0" -> () (no ending-soon notices).

    Raises:
        ValueError: saying what is wrong.
    """
    parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
    if parts in ([], ["0"]):
        return ()
    points = set()
    for part in parts:
        if not part.isdigit() or not 1 <= int(part) <= 86_400:
            raise ValueError(
                f"AUCTIONEER_ENDING_SOON: {part!r} is not a number of seconds from 1 to 86400"
            )
        points.add(int(part))
    return tuple(sorted(points, reverse=True))


def audience_factory(
    records: WatchRecords, accounts: Accounts
) -> Callable[[Auction], Awaitable[tuple[int, ...]]]:
    """The scheduler's `audience`: who is told at an ending-soon point of an auction."""

    async def audience(state: Auction) -> tuple[int, ...]:
        return await audience_of(records, accounts, state)

    return audience


async def audience_of(records: WatchRecords, accounts: Accounts, state: Auction) -> tuple[int, ...]:
    """The watchers of `state` who may still see it: all of them while it is
    public, only admins once it is private (deleted auctions have no points)."""
    watchers = await records.watchers_of(state.id)
    if not watchers or (state.spec is not None and state.spec.public and not state.deleted):
        return tuple(watchers)
    users = await accounts.users_by_ids(watchers)
    return tuple(u for u in watchers if u in users and users[u].role == "admin")


class WatchActions:
    """watch_auction, unwatch_auction, get_watchlist (docs/protocol.md "Watchlist")."""

    def __init__(
        self, records: WatchRecords, clock: Clock, visible: Visible, render: Render
    ) -> None:
        self.records = records
        self.clock = clock
        self._visible = visible
        self._render = render

    def table(self) -> dict[str, Handler]:
        return {
            "watch_auction": self._watch,
            "unwatch_auction": self._unwatch,
            "get_watchlist": self._get_watchlist,
        }

    async def _watch(self, caller: Caller, req: m.WatchAuction, rid: str | None) -> bytes:
        user = _user(caller)
        await self._visible(caller, req.auction_id)
        await self.records.watch(user.id, req.auction_id, self.clock.now_ms())
        return codec.encode({"auction_id": req.auction_id, "watching": True})

    async def _unwatch(self, caller: Caller, req: m.UnwatchAuction, rid: str | None) -> bytes:
        user = _user(caller)
        if not await self.records.unwatch(user.id, req.auction_id):
            # Not watched: still `not_found` for an auction the caller may not see,
            # so the answer tells nobody that a hidden id exists.
            await self._visible(caller, req.auction_id)
        return codec.encode({"auction_id": req.auction_id, "watching": False})

    async def _get_watchlist(self, caller: Caller, req: m.GetWatchlist, rid: str | None) -> bytes:
        user = _user(caller)
        pairs = await self.records.watched(user.id)
        ids = []
        for auction_id, _ in pairs:
            try:
                await self._visible(caller, auction_id)
            except NotFound:
                continue  # private or deleted since: kept, not shown
            ids.append(auction_id)
        auctions = await self._render(caller, ids)
        return codec.encode({"auction_ids": ids, "auctions": auctions})

    async def counts(self, auction_ids: Sequence[int]) -> dict[int, int]:
        """How many users watch each auction (for admins' auction objects)."""
        return await self.records.watcher_counts(auction_ids)


def _user(caller: Caller) -> UserRecord:
    if caller.user is None:
        raise Unauthorized()
    return caller.user
