"""The actions of the house's extensions: terms, invoices, e-mail (docs/protocol.md).

`Api` merges `HouseActions.table()` into its one table of actions, so these
run on every door like the others, with every permission checked here or in
the services they call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from auctioneer.service.emails import EmailService
from auctioneer.service.errors import Unauthorized
from auctioneer.service.house import House
from auctioneer.service.invoices import InvoiceService
from auctioneer.service.ports import UserRecord
from auctioneer.service.users import Caller
from auctioneer.wire import codec
from auctioneer.wire import messages as m

__all__ = ["HouseActions"]

Handler = Callable[[Caller, Any, str | None], Awaitable[bytes]]


class HouseActions:
    """get_house, get_invoices, get_invoice, mark_invoice_paid, and the e-mail actions."""

    def __init__(self, house: House, invoices: InvoiceService, emails: EmailService) -> None:
        self.house = house
        self.invoices = invoices
        self.emails = emails

    def table(self) -> dict[str, Handler]:
        return {
            "get_house": self._get_house,
            "get_invoices": self._get_invoices,
            "get_invoice": self._get_invoice,
            "mark_invoice_paid": self._mark_invoice_paid,
            "set_email": self._set_email,
            "verify_email": self._verify_email,
            "get_email": self._get_email,
            "set_mail_kind": self._set_mail_kind,
        }

    async def _get_house(self, caller: Caller, req: m.GetHouse, rid: str | None) -> bytes:
        return codec.encode({"house": self.house.house_object()})

    async def _get_invoices(self, caller: Caller, req: m.GetInvoices, rid: str | None) -> bytes:
        found = await self.invoices.invoices(caller, unpaid=req.unpaid)
        return codec.encode({"invoices": [i.as_object() for i in found]})

    async def _get_invoice(self, caller: Caller, req: m.GetInvoice, rid: str | None) -> bytes:
        invoice = await self.invoices.invoice(caller, req.purchase_id)
        return codec.encode({"invoice": invoice.as_object()})

    async def _mark_invoice_paid(
        self, caller: Caller, req: m.MarkInvoicePaid, rid: str | None
    ) -> bytes:
        invoice = await self.invoices.mark_paid(caller, req.purchase_id)
        return codec.encode({"invoice": invoice.as_object()})

    async def _set_email(self, caller: Caller, req: m.SetEmail, rid: str | None) -> bytes:
        email = await self.emails.set_email(_user(caller), req.email)
        return codec.encode({"email": email})

    async def _verify_email(self, caller: Caller, req: m.VerifyEmail, rid: str | None) -> bytes:
        user = await self.emails.verify(req.token)
        return codec.encode({"email": await self.emails.email_object(user)})

    async def _get_email(self, caller: Caller, req: m.GetEmail, rid: str | None) -> bytes:
        return codec.encode({"email": await self.emails.email_object(_user(caller))})

    async def _set_mail_kind(self, caller: Caller, req: m.SetMailKind, rid: str | None) -> bytes:
        email = await self.emails.set_kind(_user(caller), req.kind, req.enabled)
        return codec.encode({"email": email})


def _user(caller: Caller) -> UserRecord:
    if caller.user is None:
        raise Unauthorized()
    return caller.user
