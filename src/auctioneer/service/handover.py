"""Taking up and handing back buckets of auctions (service/ownership.py).

Taking up, as the new owner: forget whatever this process held of those
auctions (read copies, or its own state from an earlier time it owned them:
the old owner may have written since), learn the request ids the old owner
recorded (a retry must get its first reply here too), and only then let the
writers decide (a gate they wait at); then rebuild every unfinished auction
from the log, set its timer, and open the sale lots whose turn came.

Handing back: the buckets already count as not owned, so new commands are
forwarded and commands still queued here follow them (the writer hands each
batch on); wait until the writers of those auctions are idle (their last
commits durable, answered and published), then cancel their timers and
forget their states. Only then is the lease given back.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from auctioneer.engine.state import Auction, Status
from auctioneer.service.ownership import bucket_of

if TYPE_CHECKING:
    from auctioneer.service.auctions import AuctionService

__all__ = ["Handover"]


class Handover:
    """The service's side of an ownership move."""

    def __init__(self, service: AuctionService) -> None:
        self._service = service
        self.gate: asyncio.Future[None] | None = None  # writers wait while set

    async def gain(self, buckets: set[int]) -> None:
        service = self._service
        loop = asyncio.get_running_loop()
        gate = self.gate = loop.create_future()
        try:
            service.forget(lambda auction_id: bucket_of(auction_id) in buckets)
            if not service.ownership.solo:
                await service.replies.refresh()
        finally:
            if self.gate is gate:
                self.gate = None
            gate.set_result(None)
        waiting: list[Auction] = []
        for auction_id in await service.store.unfinished_auction_ids():
            if bucket_of(auction_id) not in buckets:
                continue
            state = await service.state(auction_id)
            if state is not None and service.ownership.owns(auction_id):
                service.scheduler.schedule(state)
                if state.waits_for_previous and state.status is Status.SCHEDULED:
                    waiting.append(state)
        await service.scheduler.resume_sales(waiting)

    async def lose(self, buckets: set[int]) -> None:
        service = self._service

        def moving(auction_id: int) -> bool:
            return bucket_of(auction_id) in buckets

        await service.settle(moving)
        service.forget(moving)
