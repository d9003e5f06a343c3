"""A sale's lots: created together, in one transaction, all or none.

The lots get fresh ids nobody can have written to yet, so they need no
per-auction writer; the write path (`AuctionService.adopt`) takes each one
up once written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from auctioneer import engine
from auctioneer.engine.commands import CreateAuction
from auctioneer.engine.events import Event
from auctioneer.engine.state import Auction
from auctioneer.service.auction_view import AuctionView
from auctioneer.service.auctions import AuctionService
from auctioneer.service.chain import Head
from auctioneer.service.commits import commit_of, decision_of, notice_records
from auctioneer.service.errors import Conflict, Internal
from auctioneer.service.ports import Frame, NoticeRecord
from auctioneer.service.replies import first_reply

__all__ = ["SaleLots"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Lot:
    """One lot decided: its steps, frames and hash chain, before the sale is written."""

    start: Auction
    view: AuctionView
    steps: list[tuple[Event, Auction]]
    notices: list[NoticeRecord]
    frames: list[Frame]
    heads: list[Head]

    def hashes(self) -> list[bytes | None]:
        return [
            h.last if e.seq is not None else None
            for (e, _), h in zip(self.steps, self.heads, strict=True)
        ]


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
        lots: list[_Lot] = []
        for auction_id, command in zip(ids, commands, strict=True):
            start = engine.new_auction(auction_id)
            events = engine.decide(start, command, now)
            steps = engine.fold_steps(start, events)
            notices = notice_records(engine.notices(start, events), events[-1].at)
            frames, heads = self._service.publisher.render(steps, Head())
            view = AuctionView(steps[-1][1], {}, heads[-1].log_hash)
            lots.append(_Lot(start, view, steps, notices, frames, heads))
        result = reply([lot.view.admin for lot in lots])
        kept = [(*key, result)] if key is not None else []
        commits = [
            commit_of(
                lot.start,
                lot.view,
                lot.steps,
                lot.notices,
                [],
                idempotency=kept if index == len(lots) - 1 else [],
                decisions=[decision_of(1, None)],
                hashes=lot.hashes(),
            )
            for index, lot in enumerate(lots)
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
        for lot, stored_notices in zip(lots, stored, strict=True):
            self._service.adopt(lot.start, lot.view, lot.frames, lot.heads[-1], stored_notices)
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
