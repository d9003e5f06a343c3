"""The HTTP routes of the house: terms, invoice documents (HTML, PDF, CSV), e-mail links.

In-process: the real ASGI app over the real service stack (memory store,
manual clock), reached through httpx's ASGI transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from auctioneer.gateways.asgi.app import create_app
from auctioneer.service.users import Caller
from tests.service.stack import PASSWORD, Stack


@dataclass
class Door:
    stack: Stack
    http: httpx.AsyncClient
    tokens: dict[str, str]

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


@pytest.fixture
async def door() -> AsyncIterator[Door]:
    stack = await Stack.build(premium="20", tax_on_hammer="5", currency="gbp")
    tokens = {}
    for name, admin in (("root", True), ("ann", False), ("bob", False)):
        await stack.person(name, admin=admin)
        tokens[name], _ = await stack.users.login(Caller(), name, PASSWORD)
    app = create_app(stack.api, stack.settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://house") as http:
        yield Door(stack, http, tokens)
    await stack.close()


async def buy(door: Door) -> str:
    created = await door.http.post(
        "/api/auctions",
        json={"name": "Clock", "starting_bid": 1000, "buy_now": 20_000, "duration_s": 60},
        headers=door.auth("root"),
    )
    auction_id = created.json()["auction"]["id"]
    bought = await door.http.post(f"/api/auctions/{auction_id}/buy-now", headers=door.auth("ann"))
    assert bought.status_code == 200
    purchases = (await door.http.get("/api/purchases", headers=door.auth("ann"))).json()
    pid: str = purchases["purchases"][0]["id"]
    return pid


async def test_the_house_terms_are_public(door: Door) -> None:
    reply = await door.http.get("/api/house")
    assert reply.status_code == 200
    house = reply.json()["house"]
    assert house["premium_text"] == "+ 20% buyer's premium"
    assert house["currency"] == "GBP"


async def test_the_invoice_is_printable_html_or_pdf_for_the_buyer(door: Door) -> None:
    pid = await buy(door)
    page = await door.http.get(f"/api/purchases/{pid}/invoice", headers=door.auth("ann"))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "private, no-store"
    # 200.00 + 20% premium (40.00) + 5% tax on the hammer (10.00)
    assert "GBP 250.00" in page.text
    pdf = await door.http.get(f"/api/purchases/{pid}/invoice.pdf", headers=door.auth("ann"))
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    also = await door.http.get(
        f"/api/purchases/{pid}/invoice?format=pdf", headers=door.auth("root")
    )
    assert also.content.startswith(b"%PDF-")


async def test_others_cannot_read_an_invoice(door: Door) -> None:
    pid = await buy(door)
    anonymous = await door.http.get(f"/api/purchases/{pid}/invoice")
    assert anonymous.status_code == 401
    other = await door.http.get(f"/api/purchases/{pid}/invoice.pdf", headers=door.auth("bob"))
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "not_found"
    bad = await door.http.get("/api/purchases/nope/invoice", headers=door.auth("ann"))
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "purchase_id")
    fmt = await door.http.get(f"/api/purchases/{pid}/invoice?format=doc", headers=door.auth("ann"))
    assert fmt.status_code == 400


async def test_admins_mark_paid_and_export_csv(door: Door) -> None:
    pid = await buy(door)
    refused = await door.http.post(f"/api/purchases/{pid}/invoice/paid", headers=door.auth("ann"))
    assert refused.status_code == 403
    unpaid = await door.http.get("/api/invoices?unpaid=true", headers=door.auth("root"))
    assert [i["purchase_id"] for i in unpaid.json()["invoices"]] == [pid]
    paid = await door.http.post(f"/api/purchases/{pid}/invoice/paid", headers=door.auth("root"))
    assert paid.json()["invoice"]["paid"] is True
    unpaid = await door.http.get("/api/invoices?unpaid=true", headers=door.auth("root"))
    assert unpaid.json()["invoices"] == []
    csv = await door.http.get("/api/invoices.csv", headers=door.auth("root"))
    assert csv.headers["content-type"].startswith("text/csv")
    rows = csv.text.splitlines()
    assert len(rows) == 2 and rows[1].startswith(f"INV-{pid},{pid},")
    assert rows[1].endswith("Z")  # paid_at
    mine = await door.http.get("/api/invoices.csv", headers=door.auth("bob"))
    assert len(mine.text.splitlines()) == 1  # bob bought nothing


async def test_an_address_is_verified_by_its_link_and_unsubscribed_by_a_post(door: Door) -> None:
    given = await door.http.put(
        "/api/email", json={"email": "ann@example.test"}, headers=door.auth("ann")
    )
    assert given.json()["email"] == {
        "address": "ann@example.test",
        "verified": False,
        "kinds": {
            "outbid": True,
            "won": True,
            "auction_lost": True,
            "auto_bid_exhausted": True,
            "ending_soon": True,
        },
    }
    (mail,) = await door.stack.store.pending_mail()
    link = await door.http.get(f"/api/email/verify?token={mail.data['token']}")
    assert link.status_code == 200 and "Address verified" in link.text
    again = await door.http.get(f"/api/email/verify?token={mail.data['token']}")
    assert again.status_code == 400
    state = (await door.http.get("/api/email", headers=door.auth("ann"))).json()["email"]
    assert state["verified"] is True

    from auctioneer.service.emails import unsubscribe_token

    record = await door.stack.store.email_of(mail.user_id)
    assert record is not None
    token = unsubscribe_token(mail.user_id, "outbid", record.secret)
    page = await door.http.get(f"/api/email/unsubscribe?token={token}")
    assert page.status_code == 200 and "<form" in page.text
    state = (await door.http.get("/api/email", headers=door.auth("ann"))).json()["email"]
    assert state["kinds"]["outbid"] is True  # a GET changes nothing
    done = await door.http.post(f"/api/email/unsubscribe?token={token}")
    assert done.status_code == 200
    state = (await door.http.get("/api/email", headers=door.auth("ann"))).json()["email"]
    assert state["kinds"]["outbid"] is False and state["kinds"]["won"] is True
    forged_token = token[:-1] + ("1" if token.endswith("0") else "0")
    forged = await door.http.post(f"/api/email/unsubscribe?token={forged_token}")
    assert forged.status_code == 400
