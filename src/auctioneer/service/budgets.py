"""Cross-lot budgets of a sale: `set_budget` and `get_budget`, and each lot's share.

Where the check lives, and why it is race-free (docs/architecture.md
"Cross-lot budgets"): a sale's lots run one after another, each with its own
writer. The engine checks a budget inside the lot, on the figure its log
holds (`SetBudget` -> private `budget_set`: the budget less the bidder's wins
in the sale's other lots), and subtracts the lot's own sales itself. So no
decision reads anything outside its lot. The service only has to hand each
lot the right figure, at two moments, both under one lock per sale:

- when a lot is about to open (`before_open`, called by the scheduler before
  `OpenLot`): every budget of the sale, less the wins of the lots before it,
  all closed by then, so their wins are final;
- when a bidder sets a budget: the table first, then the sale's running lot
  (or, before the sale starts, its first lot, which opens by its own timer).

The lock makes "read the table, tell a lot" atomic against the other
moment, so a budget set while the next lot opens reaches that lot, once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any, cast

from auctioneer.engine.commands import SetBudget
from auctioneer.engine.errors import AuctionError
from auctioneer.engine.state import Auction, Status
from auctioneer.service.actor import Work
from auctioneer.service.auctions import AuctionService
from auctioneer.service.errors import NotFound, Unauthorized
from auctioneer.service.ports import BudgetRecord, BudgetRecords, UserRecord
from auctioneer.service.users import Caller
from auctioneer.wire import codec
from auctioneer.wire import messages as m

__all__ = ["SaleBudgets", "budget_object"]

_RUNNING = (Status.SCHEDULED, Status.OPEN)


def _won(lots: Sequence[Auction], user_id: int) -> list[int]:
    """The prices of the units `user_id` won in these lots."""
    return [s.price for lot in lots for s in lot.sales if s.winner_id == user_id]


def budget_object(
    sale_id: int, record: BudgetRecord | None, lots: Sequence[Auction], user_id: int
) -> dict[str, Any]:
    """`{sale_id, max_lots, max_spend, lots_won, spent, lots_left, spend_left}` (null: no limit)."""
    won = _won(lots, user_id)
    max_lots = record.max_lots if record else None
    max_spend = record.max_spend if record else None
    return {
        "sale_id": sale_id,
        "max_lots": max_lots,
        "max_spend": max_spend,
        "lots_won": len(won),
        "spent": sum(won),
        "lots_left": None if max_lots is None else max(0, max_lots - len(won)),
        "spend_left": None if max_spend is None else max(0, max_spend - sum(won)),
    }


def _user(caller: Caller) -> UserRecord:
    if caller.user is None:
        raise Unauthorized()
    return caller.user


class SaleBudgets:
    """The budget actions, and the share of each lot when it opens."""

    def __init__(self, auctions: AuctionService) -> None:
        self._auctions = auctions
        self._records = cast(BudgetRecords, auctions.store)
        self._locks: dict[int, asyncio.Lock] = {}
        auctions.scheduler.before_open = self.before_open
        auctions.scheduler.sale_lock = self.lock

    def lock(self, sale_id: int) -> asyncio.Lock:
        """The one lock of a sale: budget changes and lot openings take turns."""
        return self._locks.setdefault(sale_id, asyncio.Lock())

    async def _lots(self, sale_id: int) -> list[Auction]:
        """The sale's lots in order (NotFound: no such sale)."""
        ids = await self._auctions.store.sale_lots(sale_id)
        lots = [await self._auctions.state(i) for i in ids]
        found = [lot for lot in lots if lot is not None and lot.spec is not None]
        if not found or all(not lot.spec.public or lot.deleted for lot in found if lot.spec):
            raise NotFound("sale")
        return found

    async def _tell(
        self, lot: Auction, earlier: Sequence[Auction], record: BudgetRecord, now: int | None
    ) -> None:
        """Send the lot what the bidder may still win there (skipped if it closed meanwhile)."""
        won = _won(earlier, record.user_id)
        command = SetBudget(
            bidder_id=record.user_id,
            lots_left=None if record.max_lots is None else record.max_lots - len(won),
            spend_left=None if record.max_spend is None else record.max_spend - sum(won),
        )
        work = Work(command, user_id=record.user_id, now=now, result="empty")
        # closed or deleted since: the next lot reads the table when it opens
        with contextlib.suppress(AuctionError):
            await self._auctions.submit(lot.id, work)

    async def before_open(self, sale_id: int, auction_id: int, at: int) -> None:
        """Give a lot about to open every budget of its sale (the scheduler holds the lock)."""
        records = await self._records.budgets(sale_id)
        if not records:
            return
        lots = await self._lots(sale_id)
        index = next((i for i, lot in enumerate(lots) if lot.id == auction_id), None)
        if index is None:
            return
        for record in records:
            await self._tell(lots[index], lots[:index], record, at)

    # -- actions -------------------------------------------------------------------
    async def set_budget(self, caller: Caller, req: m.SetBudget, rid: str | None) -> bytes:
        user = _user(caller)
        record = BudgetRecord(
            req.sale_id, user.id, req.max_lots, req.max_spend, self._auctions.clock.now_ms()
        )
        async with self.lock(req.sale_id):
            lots = await self._lots(req.sale_id)
            await self._records.set_budget(record)
            running = next(
                (i for i, lot in enumerate(lots) if lot.status in _RUNNING and not lot.deleted),
                None,
            )
            if running is not None:
                await self._tell(lots[running], lots[:running], record, None)
                lots = await self._lots(req.sale_id)
        return codec.encode({"budget": budget_object(req.sale_id, record, lots, user.id)})

    async def get_budget(self, caller: Caller, req: m.GetBudget, rid: str | None) -> bytes:
        user = _user(caller)
        lots = await self._lots(req.sale_id)
        records = await self._records.budgets(req.sale_id)
        record = next((r for r in records if r.user_id == user.id), None)
        return codec.encode({"budget": budget_object(req.sale_id, record, lots, user.id)})

    def table(self) -> dict[str, Any]:
        return {"set_budget": self.set_budget, "get_budget": self.get_budget}
