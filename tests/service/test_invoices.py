"""Invoices as the API serves them: derived from purchases, for the buyer or an admin."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from auctioneer.engine.errors import AuctionError
from auctioneer.service.invoice_pdf import invoice_pdf
from auctioneer.service.invoice_render import invoice_html, invoices_csv
from auctioneer.service.users import Caller
from auctioneer.wire.messages import RequestError
from tests.service.conftest import People
from tests.service.stack import Stack

TERMS = {"premium": "25,20@100000", "tax_on_premium": "20", "house_name": "Ashby & Co."}


@pytest.fixture
async def stack() -> Any:
    stack = await Stack.build(**TERMS)
    yield stack
    await stack.close()


async def bought(stack: Stack, people: People, *, price: int = 150_000, **fields: Any) -> str:
    auction = await stack.create(people.admin, buy_now=price, **fields)
    await stack.call(people.ann, "buy_now", auction_id=auction["id"])
    (purchase,) = (await stack.call(people.ann, "get_purchases"))["purchases"]
    pid: str = purchase["id"]
    return pid


async def code_of(stack: Stack, caller: Caller, action: str, **fields: Any) -> str:
    try:
        await stack.call(caller, action, **fields)
    except RequestError as e:  # refused while parsing, before the service
        return e.error.code
    except AuctionError as e:
        return e.code
    raise AssertionError(f"{action} {fields} was accepted")


async def test_a_purchase_has_an_invoice_with_premium_tax_and_total(
    stack: Stack, people: People
) -> None:
    pid = await bought(stack, people)
    assert pid == "1-1"
    invoice = (await stack.call(people.ann, "get_invoice", purchase_id=pid))["invoice"]
    # 25% of 1,000.00 + 20% of 500.00 = 350.00; 20% tax on it = 70.00.
    assert invoice["number"] == "INV-1-1"
    assert (invoice["hammer"], invoice["premium"], invoice["tax"]) == (150_000, 35_000, 7_000)
    assert invoice["total"] == 192_000
    assert invoice["buyer"] == {"username": "ann", "paddle": 2}
    assert invoice["buy_now"] is True and invoice["paid"] is False
    assert invoice["currency"] == "EUR" and invoice["name"] == "Lamp"


async def test_an_invoice_is_for_its_buyer_and_admins_only(stack: Stack, people: People) -> None:
    pid = await bought(stack, people)
    assert await code_of(stack, people.bob, "get_invoice", purchase_id=pid) == "not_found"
    assert await code_of(stack, people.anon, "get_invoice", purchase_id=pid) == "unauthorized"
    admin_view = await stack.call(people.admin, "get_invoice", purchase_id=pid)
    assert admin_view["invoice"]["buyer"]["username"] == "ann"
    assert (await stack.call(people.bob, "get_invoices"))["invoices"] == []
    assert await code_of(stack, people.ann, "get_invoice", purchase_id="9-1") == "not_found"
    for bad in ("1", "1-0", "x-1", "01-1", "1-1-1", "\uff11-1"):
        assert await code_of(stack, people.ann, "get_invoice", purchase_id=bad) == "bad_request"


async def test_admins_list_unpaid_invoices_and_mark_them_paid_once(
    stack: Stack, people: People
) -> None:
    pid = await bought(stack, people)
    unpaid = (await stack.call(people.admin, "get_invoices", unpaid=True))["invoices"]
    assert [i["purchase_id"] for i in unpaid] == [pid]
    assert await code_of(stack, people.ann, "mark_invoice_paid", purchase_id=pid) == "forbidden"
    stack.clock.advance(5)
    paid = (await stack.call(people.admin, "mark_invoice_paid", purchase_id=pid))["invoice"]
    assert paid["paid"] is True and paid["paid_at"] is not None
    stack.clock.advance(5)
    again = (await stack.call(people.admin, "mark_invoice_paid", purchase_id=pid))["invoice"]
    assert again["paid_at"] == paid["paid_at"]
    assert (await stack.call(people.admin, "get_invoices", unpaid=True))["invoices"] == []
    mine = (await stack.call(people.ann, "get_invoices"))["invoices"]
    assert [i["paid"] for i in mine] == [True]
    missing = await code_of(stack, people.admin, "mark_invoice_paid", purchase_id="7-1")
    assert missing == "not_found"


async def test_a_won_round_gets_an_invoice_at_the_hammer_price(
    stack: Stack, people: People
) -> None:
    auction = await stack.create(people.admin, starting_bid=40_000, duration_s=60)
    await stack.call(people.bob, "place_bid", auction_id=auction["id"], amount=40_000)
    await stack.call(people.admin, "close_auction", auction_id=auction["id"])
    invoices = (await stack.call(people.bob, "get_invoices"))["invoices"]
    assert [(i["hammer"], i["premium"], i["buy_now"]) for i in invoices] == [
        (40_000, 10_000, False)
    ]


async def test_the_html_invoice_escapes_names_and_shows_the_total(
    stack: Stack, people: People
) -> None:
    pid = await bought(stack, people, name="<script>alert(1)</script> Vase")
    (invoice,) = await stack.api.invoices.invoices(people.admin)
    page = invoice_html(invoice)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "EUR 1,920.00" in page and "INV-1-1" in page and "Ashby &amp; Co." in page
    assert "Paddle #2" in page and pid in page


async def test_the_csv_export_has_a_row_per_invoice_and_defuses_formulas(
    stack: Stack, people: People
) -> None:
    await bought(stack, people, name="=HYPERLINK(1)")
    found = await stack.api.invoices.invoices(people.admin)
    lines = invoices_csv(found).splitlines()
    assert lines[0].startswith("number,purchase_id,date,")
    assert len(lines) == 2
    assert ",'=HYPERLINK(1),ann,2,EUR,150000,35000,7000,192000," in lines[1]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
async def test_the_pdf_opens_and_shows_the_total(
    stack: Stack, people: People, tmp_path: Path
) -> None:
    await bought(stack, people)
    (invoice,) = await stack.api.invoices.invoices(people.ann)
    pdf = invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "INVOICE" in text and "INV-1-1" in text
    assert "EUR 1,920.00" in text
    assert "Paddle #2" in text and "ann" in text


async def test_get_house_states_the_premium_before_anyone_bids(stack: Stack) -> None:
    house = (await stack.call(None, "get_house"))["house"]
    assert house["name"] == "Ashby & Co."
    assert house["premium"] == [{"from": 0, "rate_bp": 2500}, {"from": 100000, "rate_bp": 2000}]
    assert house["premium_text"] == "+ buyer's premium of 25% up to EUR 1,000.00, 20% above"
    assert house["tax_text"] == "+ 20% tax on the premium"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
@pytest.mark.skipif(
    not Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").is_file(),
    reason="fonts-dejavu-core is not installed (the PDF falls back to Latin-1 Helvetica)",
)
async def test_the_pdf_prints_names_beyond_latin_1(
    stack: Stack, people: People, tmp_path: Path
) -> None:
    await bought(stack, people, name="Zegar ścienny z Łodzi")
    (invoice,) = await stack.api.invoices.invoices(people.ann)
    path = tmp_path / "pl.pdf"
    path.write_bytes(invoice_pdf(invoice))
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Zegar ścienny z Łodzi" in text
