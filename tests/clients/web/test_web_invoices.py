"""Invoices in a real browser against a real server with a buyer's premium.

A bidder sees the premium on the auction page before bidding, buys, and
opens the invoice from "My bids"; the admin sees it among the unpaid
invoices and marks it paid. Its own server (the premium and tax are
settings of `auctioneer serve`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.helpers.server import add_user, start_server

from .conftest import ADMIN_NAME, ADMIN_PASSWORD, close_output

pytestmark = pytest.mark.browser

SECOND = 1000
DESKTOP = {"width": 1200, "height": 900}
BUYER, BUYER_PASSWORD = "vera", "vera-pass-123"


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(HTTP URL, admin token) of a fresh server with 20% premium and 10% tax on it."""
    db = tmp_path_factory.mktemp("web-invoices") / "auctioneer.db"
    server = start_server(
        db, "--premium", "20", "--tax-on-premium", "10", "--house-name", "Vane & Sons"
    )
    try:
        add_user(server.db_url, ADMIN_NAME, ADMIN_PASSWORD, admin=True)
        reply = httpx.post(
            f"{server.http_url}/api/login",
            json={"username": ADMIN_NAME, "password": ADMIN_PASSWORD},
            timeout=60,
        )
        yield server.http_url, reply.json()["token"]
    finally:
        server.stop()
        close_output(server)


def new_page(browser: Browser) -> tuple[BrowserContext, Page, list[str]]:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10 * SECOND)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    return context, page, errors


def log_in(page: Page, base: str, name: str, password: str) -> None:
    page.goto(f"{base}/#/login")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_buyer_sees_the_premium_buys_and_opens_the_invoice_an_admin_marks_it_paid(
    house: tuple[str, str], browser: Browser, screenshot_dir: Path
) -> None:
    base, token = house
    created = httpx.post(
        f"{base}/api/auctions",
        json={"name": "Walnut desk", "starting_bid": 5000, "buy_now": 10_000, "duration_s": 3600},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()["auction"]
    registered = httpx.post(
        f"{base}/api/register",
        json={"username": BUYER, "password": BUYER_PASSWORD},
        timeout=60,
    )
    assert registered.status_code == 201

    context, page, errors = new_page(browser)
    log_in(page, base, BUYER, BUYER_PASSWORD)
    page.goto(f"{base}/#/auction/{created['id']}")
    note = page.locator(".premium-note")
    expect(note).to_have_text("+ 20% buyer's premium; + 10% tax on the premium")
    page.get_by_role("button", name="Buy now").click()
    expect(page.get_by_text("You bought it for 100.00.")).to_be_visible()

    page.goto(f"{base}/#/my-bids")
    won = page.locator(".group-won li", has_text="Walnut desk")
    expect(won.get_by_role("link", name="Invoice")).to_be_visible()  # beside the lot won
    expect(won.get_by_role("link", name="PDF")).to_have_attribute(
        "href", "/api/purchases/1-1/invoice.pdf"
    )
    row = page.locator("li.invoice", has_text="INV-1-1")
    expect(row).to_contain_text("EUR 122.00")  # 100.00 + 20.00 premium + 2.00 tax
    expect(row).to_contain_text("unpaid")
    with context.expect_page() as opened:
        row.get_by_role("link", name="Invoice").click()
    invoice = opened.value
    invoice.wait_for_load_state()
    expect(invoice.locator("#invoice-total")).to_have_text("EUR 122.00")
    expect(invoice.locator("#invoice-number")).to_have_text("INV-1-1")
    invoice.screenshot(path=str(screenshot_dir / "invoice.png"), full_page=True)

    # E-mail: give an address (unverified until its link is followed), turn a kind off.
    page.get_by_label("E-mail address").fill("vera@example.test")
    page.get_by_role("button", name="Save address").click()
    expect(page.locator(".email-status")).to_have_text(
        "vera@example.test — not verified yet: follow the link we mailed you"
    )
    page.get_by_label("When someone outbids me").uncheck()
    expect(page.get_by_label("When someone outbids me")).not_to_be_checked()
    vera_token = page.evaluate("localStorage.getItem('auctioneer.token')")
    email = httpx.get(
        f"{base}/api/email", headers={"Authorization": f"Bearer {vera_token}"}, timeout=10
    ).json()["email"]
    assert email["kinds"]["outbid"] is False and email["kinds"]["won"] is True
    page.screenshot(path=str(screenshot_dir / "my-bids-invoices.png"), full_page=True)
    assert errors == []
    context.close()

    context, admin, errors = new_page(browser)
    log_in(admin, base, ADMIN_NAME, ADMIN_PASSWORD)
    admin.goto(f"{base}/#/admin")
    unpaid = admin.locator("#invoices li.invoice", has_text="INV-1-1")
    expect(unpaid).to_contain_text(f"({BUYER}, paddle #2)")
    unpaid.get_by_role("button", name="Mark paid").click()
    expect(admin.get_by_text("Invoice INV-1-1 is marked paid.")).to_be_visible()
    expect(admin.locator("#invoices")).to_contain_text("Every invoice is paid.")
    assert errors == []
    context.close()
    mine = httpx.get(
        f"{base}/api/invoices", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()["invoices"]
    assert [i["paid"] for i in mine] == [True]
