"""Invoices: a projection of the purchases, never written, only whether paid.

Every purchase (a won round or a buy-now; one unit, so `(auction_id,
round)` names it: purchase id "42-1") has exactly one invoice, computed on
read from the purchase, the buyer, the auction's name and the house's terms
(`invoice_math.invoice_totals`). Its number is "INV-42-1": derived, so the
same purchase always has the same number, on every server process. Admins
mark invoices paid; that is the only state stored (`HouseRecords`).

Who may see what is decided here, whatever the door: an invoice is for its
buyer and for admins; anyone else hears `not_found` (as for a hidden auction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast

from auctioneer.engine.errors import InvalidCommand
from auctioneer.service.errors import Forbidden, NotFound, Unauthorized
from auctioneer.service.house import House
from auctioneer.service.invoice_math import Totals, invoice_totals
from auctioneer.service.ports import (
    Clock,
    EventStore,
    HouseRecords,
    PaymentRecord,
    PurchaseRecord,
    UserRecord,
)
from auctioneer.service.users import Caller
from auctioneer.wire.timefmt import format_time

__all__ = ["Invoice", "InvoiceService", "parse_purchase_id", "purchase_id"]

_PURCHASE_ID = re.compile(r"^([1-9][0-9]{0,15})-([1-9][0-9]{0,8})$")


def purchase_id(auction_id: int, round: int) -> str:
    """The id of a purchase: "AUCTION-ROUND" (one unit sells per round)."""
    return f"{auction_id}-{round}"


def parse_purchase_id(text: object) -> tuple[int, int]:
    """(auction_id, round) from "42-1".

    Raises:
        InvalidCommand: not of that form (`bad_request`, field `purchase_id`).
    """
    match = _PURCHASE_ID.match(text) if isinstance(text, str) and text.isascii() else None
    if match is None:
        raise InvalidCommand(
            "purchase_id must look like AUCTION-ROUND, e.g. 42-1", field="purchase_id"
        )
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True, slots=True)
class Invoice:
    """One invoice, everything a renderer needs (all money in minor units)."""

    number: str
    purchase_id: str
    auction_id: int
    round: int
    lot_name: str
    buy_now: bool
    buyer_id: int
    buyer_username: str
    buyer_paddle: int
    date: int  # epoch ms of the purchase
    house: House
    totals: Totals
    paid_at: int | None

    @property
    def paid(self) -> bool:
        return self.paid_at is not None

    def as_object(self) -> dict[str, Any]:
        """The wire's invoice object (docs/protocol.md)."""
        t = self.totals
        return {
            "number": self.number,
            "purchase_id": self.purchase_id,
            "auction_id": self.auction_id,
            "round": self.round,
            "name": self.lot_name,
            "buy_now": self.buy_now,
            "buyer": {"username": self.buyer_username, "paddle": self.buyer_paddle},
            "date": format_time(self.date),
            "currency": self.house.currency,
            "hammer": t.hammer,
            "premium": t.premium,
            "tax_on_premium": t.tax_on_premium,
            "tax_on_hammer": t.tax_on_hammer,
            "tax": t.tax,
            "total": t.total,
            "paid": self.paid,
            "paid_at": None if self.paid_at is None else format_time(self.paid_at),
        }


class InvoiceService:
    """Reads invoices for a caller and marks them paid (admins)."""

    def __init__(self, store: EventStore, clock: Clock, house: House) -> None:
        self.store = store
        self.records = cast(HouseRecords, store)
        self.clock = clock
        self.house = house

    async def invoice(self, caller: Caller, pid: str) -> Invoice:
        """The invoice of purchase `pid`, for its buyer or an admin.

        Raises:
            Unauthorized: not logged in.
            InvalidCommand: a malformed id.
            NotFound: no such purchase, or not the caller's.
        """
        user = _user(caller)
        auction_id, round = parse_purchase_id(pid)
        scope = None if caller.is_admin else user.id
        for purchase in await self.store.purchases(scope):
            if (purchase.auction_id, purchase.round) == (auction_id, round):
                paid = {(p.auction_id, p.round): p for p in await self.records.payments()}
                return (await self._build([purchase], paid))[0]
        raise NotFound("purchase")

    async def invoices(self, caller: Caller, *, unpaid: bool = False) -> list[Invoice]:
        """The caller's invoices (admins: everyone's), oldest first.

        Raises:
            Unauthorized: not logged in.
        """
        user = _user(caller)
        purchases = await self.store.purchases(None if caller.is_admin else user.id)
        paid = {(p.auction_id, p.round): p for p in await self.records.payments()}
        if unpaid:
            purchases = [p for p in purchases if (p.auction_id, p.round) not in paid]
        return await self._build(purchases, paid)

    async def mark_paid(self, caller: Caller, pid: str) -> Invoice:
        """Record the invoice paid (admins only); marking it again changes nothing.

        Raises:
            Unauthorized, Forbidden: not an admin.
            NotFound: no such purchase.
        """
        user = _user(caller)
        if not caller.is_admin:
            raise Forbidden()
        invoice = await self.invoice(caller, pid)
        await self.records.mark_paid(
            invoice.auction_id, invoice.round, paid_by=user.id, at=self.clock.now_ms()
        )
        return await self.invoice(caller, pid)

    async def for_purchase(self, user_id: int, pid: str) -> Invoice | None:
        """The invoice of `user_id`'s purchase `pid`, if it exists (for the mailer)."""
        auction_id, round = parse_purchase_id(pid)
        for purchase in await self.store.purchases(user_id):
            if (purchase.auction_id, purchase.round) == (auction_id, round):
                paid = {(p.auction_id, p.round): p for p in await self.records.payments()}
                return (await self._build([purchase], paid))[0]
        return None

    async def _build(
        self, purchases: list[PurchaseRecord], paid: dict[tuple[int, int], PaymentRecord]
    ) -> list[Invoice]:
        buyers = await self.store.users_by_ids(sorted({p.user_id for p in purchases}))
        names: dict[int, str] = {}
        out = []
        for p in purchases:
            if p.auction_id not in names:
                row = await self.store.auction_row(p.auction_id)
                names[p.auction_id] = str(row.get("name", "")) if row else ""
            buyer = buyers.get(p.user_id)
            payment = paid.get((p.auction_id, p.round))
            pid = purchase_id(p.auction_id, p.round)
            out.append(
                Invoice(
                    number=f"INV-{pid}",
                    purchase_id=pid,
                    auction_id=p.auction_id,
                    round=p.round,
                    lot_name=names[p.auction_id] or f"Lot {p.auction_id}",
                    buy_now=p.buy_now,
                    buyer_id=p.user_id,
                    buyer_username=buyer.username if buyer else f"user {p.user_id}",
                    buyer_paddle=buyer.paddle if buyer else 0,
                    date=p.at,
                    house=self.house,
                    totals=invoice_totals(p.price, self.house.terms),
                    paid_at=payment.paid_at if payment else None,
                )
            )
        return out


def _user(caller: Caller) -> UserRecord:
    if caller.user is None:
        raise Unauthorized()
    return caller.user
