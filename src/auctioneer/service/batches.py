"""A batch decided ahead: its commit on its way to the store, its answers held.

The write path (auctions.py) makes one per batch it decides; the auction's
writer (actor.py, `Pending`) finishes them in order, each once its commit is
durable, and takes back the later ones when a commit fails.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from auctioneer.engine.errors import AuctionError
from auctioneer.engine.events import Event
from auctioneer.engine.state import Auction
from auctioneer.service.actor import Work
from auctioneer.service.auction_view import AuctionView
from auctioneer.service.idempotency import Replies
from auctioneer.service.ports import Frame, Projected
from auctioneer.service.replies import is_refusal, refusal

if TYPE_CHECKING:
    from auctioneer.service.auctions import AuctionService

__all__ = ["DecidedBatch", "Outcome"]

Outcome = Auction | bytes | AuctionError


class DecidedBatch:
    """A batch decided ahead: its commit on its way, its answers held (actor.Pending)."""

    __slots__ = (
        "auction_id",
        "commit",
        "done",
        "final",
        "frames",
        "generation",
        "last",
        "notices",
        "refused",
        "rendered",
        "service",
        "start",
        "steps",
        "works",
    )  # fmt: skip

    def __init__(
        self,
        service: AuctionService,
        auction_id: int,
        works: list[Work],
        start: Auction,
        final: AuctionView,
        steps: list[tuple[Event, Auction]],
        frames: list[Frame],
        notices: bool,
        done: list[tuple[Work, Outcome]],
        refused: list[tuple[int, str, bytes]],
        rendered: list[tuple[Work, bytes, int]],
        commit: asyncio.Task[Projected] | None,
        generation: int,
        last: bool,
    ) -> None:
        self.service, self.auction_id, self.works = service, auction_id, works
        self.start, self.final, self.steps, self.notices = start, final, steps, notices
        self.frames = frames  # the public events encoded and hashed, published once durable
        self.done, self.refused, self.rendered = done, refused, rendered
        self.commit, self.generation, self.last = commit, generation, last

    @property
    def settled(self) -> asyncio.Future[Projected] | None:
        return self.commit

    @property
    def rewound(self) -> bool:
        return self.generation != self.service.generation(self.auction_id)

    async def finish(self) -> list[Work]:
        return await self.service.finish_batch(self)

    def keys(self) -> list[tuple[int, str]]:
        """The (user, request id) of every command the batch accepted."""
        return [(w.user_id or 0, w.request_id or "") for w, _, _ in self.rendered]

    def undone(self, *, again: bool = False) -> list[Work]:
        """The batch's commands still unanswered, to decide again."""
        works = [work for work in self.works if not work.future.done()]
        if again:
            for work in works:
                work.attempts += 1
        return works

    def forget_deferred_refusals(self, replies: Replies) -> None:
        """The batch is decided again: its unanswered refusals may turn out otherwise."""
        for work, outcome in self.done:
            if isinstance(outcome, AuctionError) and work.user_id and work.request_id:
                replies.forget((work.user_id, work.request_id))

    def resolve(self, replies: Replies) -> None:
        """Answer every command of the batch (its commit is durable, or it had none)."""
        first: dict[tuple[int, str], bytes] = {}
        for work, outcome in self.done:
            if work.future.done():
                continue
            key = (work.user_id or 0, work.request_id or "")
            if isinstance(outcome, AuctionError):
                work.future.set_exception(outcome)
            elif isinstance(outcome, bytes) and is_refusal(outcome):
                work.future.set_exception(refusal(outcome))
            elif isinstance(outcome, bytes) and outcome:
                first.setdefault(key, outcome)
                work.future.set_result(outcome)
            elif isinstance(outcome, bytes):  # a retry of a request decided before it
                work.future.set_result(first.get(key) or replies.cached(key) or b"{}")
