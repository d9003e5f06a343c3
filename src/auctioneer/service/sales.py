"""A sale's lots: created together, in one transaction, all or none.

The lots get fresh ids nobody can have written to yet, so they need no
per-auction writer; the write path (`AuctionService.adopt`) takes each one
up once written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from auctioneer import engine
from auctioneer.engine.commands import CreateAuction
from auctioneer.engine.events import Event
from auctioneer.engine.state import Auction
from auctioneer.service.auction_view import AuctionView
from auctioneer.service.auctions import AuctionService
from auctioneer.service.commits import commit_of, decision_of, notice_records
from auctioneer.service.errors import Conflict, Internal
from auctioneer.service.ports import NoticeRecord
from auctioneer.service.replies import first_reply

__all__ = ["SaleLots"]

log = logging.getLogger(__name__)


class SaleLots:
    """Creates a sale's lots through the auction service's store and caches."""

    def __init__(self, service: AuctionService) -> None:
        self._service = service

    async def create(
        self,
        commands: Sequence[CreateAuction],
        *,
        key: tuple[int, str] | None,
        reply: Callable[[list[dict[str, Any]]], bytes],
    ) -> bytes:
        """Create several auctions (a sale's lots) in one transaction: all or none.

        The lots get fresh ids nobody can have written to yet, so they need no
        per-auction writer. `reply` builds the result from the lots' admin
        objects; it is stored under `key` in the same transaction, so a crash
        leaves either the whole sale with its reply or nothing at all.

        Raises:
            AuctionError: a lot the rules refuse (nothing is created, no id taken).
        """
        self.validate(commands)
        ids = await self._service.store.allocate_ids("auction", len(commands))
        now = self._service.clock.now_ms()
        lots: list[tuple[Auction, AuctionView, list[tuple[Event, Auction]], list[NoticeRecord]]]
        lots = []
        for auction_id, command in zip(ids, commands, strict=True):
            start = engine.new_auction(auction_id)
            events = engine.decide(start, command, now)
            steps = engine.fold_steps(start, events)
            notices = notice_records(engine.notices(start, events), events[-1].at)
            lots.append((start, AuctionView(steps[-1][1], {}), steps, notices))
        result = reply([view.admin for _, view, _, _ in lots])
        kept = [(*key, result)] if key is not None else []
        commits = [
            commit_of(
                start,
                view,
                steps,
                notices,
                [],
                idempotency=kept if index == len(lots) - 1 else [],
                decisions=[decision_of(1, None)],
            )
            for index, (start, view, steps, notices) in enumerate(lots)
        ]
        try:
            stored = await self._service.store.append_all(commits)
        except Exception as e:
            if _is_conflict(e) and key is not None:  # the same request, stored meanwhile
                first = await self._service.stored_reply(key, admin=True, ask_store=True)
                if first is not None:
                    return first_reply(first)
            if not _is_conflict(e):
                log.exception("creating %d lots failed", len(commits))
            raise (Conflict("Try again") if _is_conflict(e) else Internal()) from e
        if key is not None:
            self._service.replies.remember(*key, result)
        for (start, view, steps, _), stored_notices in zip(lots, stored, strict=True):
            self._service.adopt(start, view, steps, stored_notices)
        return result

    def validate(self, commands: Iterable[CreateAuction]) -> None:
        """Check every lot against the create rules now, before any id is taken.

        Raises:
            AuctionError: the first lot the rules refuse.
        """
        now = self._service.clock.now_ms()
        for command in commands:
            engine.validate_create(command, now)


def _is_conflict(e: BaseException) -> bool:
    return getattr(e, "code", None) == "conflict"
