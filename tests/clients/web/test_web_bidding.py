"""Bidding on the auction page: the amount box follows the server, toasts stay clear.

Issue 18 item 11, in Chromium at 1200x900 and at a phone's 390x844: after an
accepted bid the amount box holds the new lowest bid (the server's
`minimum_bid`); outbid toasts never cover the bid, auto-bid or buy-now
controls, wherever the page is scrolled. Screenshots go to `screenshot_dir`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.helpers.server import add_user, start_server

from .conftest import ADMIN_NAME, ADMIN_PASSWORD, WebServer, close_output
from .test_web_app import DESKTOP, PASSWORD, PHONE, SECOND, new_page, sign_in, toasts

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """A server of its own: the shared one's analytics are checked exactly elsewhere."""
    server = start_server(tmp_path_factory.mktemp("bidding") / "auctioneer.db")
    try:
        add_user(server.db_url, ADMIN_NAME, ADMIN_PASSWORD, admin=True)
        yield WebServer(server.http_url)
    finally:
        server.stop()
        close_output(server)


def api(base: str, method: str, path: str, token: str | None = None, **body: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    reply = httpx.request(method, base + path, json=body or None, headers=headers, timeout=10)
    assert reply.status_code < 300, reply.text
    return reply.json()


def token_of(base: str, name: str, password: str, *, register: bool = False) -> str:
    if register:
        api(base, "POST", "/api/register", username=name, password=password)
    return str(api(base, "POST", "/api/login", username=name, password=password)["token"])


def controls_clear_of_toasts(page: Page) -> None:
    """No toast box overlaps a bidding control that is on screen."""
    boxes = page.evaluate(
        """() => {
          const rect = (el) => { const r = el.getBoundingClientRect();
            return {l: r.left, r: r.right, t: r.top, b: r.bottom, w: r.width, h: r.height}; };
          const view = (r) => r.w > 0 && r.h > 0 && r.b > 0 && r.t < innerHeight;
          return {
            toasts: [...document.querySelectorAll('.toast')].map(rect).filter(view),
            keep: [...document.querySelectorAll('.bid-panel form, .bid-panel .buy-row')]
              .map(rect).filter(view),
          };
        }"""
    )
    for toast in boxes["toasts"]:
        for keep in boxes["keep"]:
            apart = (
                toast["r"] <= keep["l"]
                or keep["r"] <= toast["l"]
                or toast["b"] <= keep["t"]
                or keep["b"] <= toast["t"]
            )
            assert apart, (toast, keep)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_amount_box_follows_the_server_and_toasts_never_cover_the_controls(
    own_server: WebServer, browser: Browser, screenshot_dir: Path, viewport: dict[str, int]
) -> None:
    base = own_server.url
    suffix = f"{viewport['width']}{int(time.time() * 1000) % 100000}"
    admin = token_of(base, ADMIN_NAME, ADMIN_PASSWORD)
    made = api(base, "POST", "/api/auctions", admin, name=f"Globe {suffix}",
               description="A 1900s terrestrial globe on a brass stand.\n" * 4,
               starting_bid=1000, min_increment=100, buy_now=90_000, duration_s=600)  # fmt: skip
    aid = made["auction"]["id"]
    bob = token_of(base, f"bob{suffix}", PASSWORD, register=True)

    context, ann = new_page(browser, viewport)
    try:
        sign_in(ann, base, f"ann{suffix}", PASSWORD, register=True)
        ann.goto(f"{base}/#/auction/{aid}")
        amount = ann.get_by_label("Bid amount")
        expect(amount).to_have_value("10.00")
        amount.fill("12.00")
        ann.get_by_role("button", name="Place bid").click()
        expect(ann.get_by_label("Current price")).to_have_text("12.00")
        expect(amount).to_have_value("13.00")  # the new lowest bid, as the server states it

        # Bob outbids Ann again and again: each time a toast, wherever Ann has scrolled.
        price = 1300
        for scroll in ("top", "controls at the bottom", "controls at the top", "end"):
            if scroll == "controls at the bottom":
                ann.evaluate(
                    "() => document.querySelector('.bid-panel').scrollIntoView({block: 'end'})"
                )
            elif scroll == "controls at the top":
                ann.evaluate(
                    "() => document.querySelector('.bid-panel').scrollIntoView({block: 'start'})"
                )
            elif scroll == "end":
                ann.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
            api(base, "POST", f"/api/auctions/{aid}/bids", bob, amount=price)
            expect(toasts(ann).locator(".toast").first).to_contain_text("outbid", timeout=SECOND)
            expect(amount).to_have_value(f"{(price + 100) // 100}.00")  # follows others too
            ann.wait_for_timeout(100)  # the next animation frame places the toasts
            controls_clear_of_toasts(ann)
            shot = f"bidding-{viewport['width']}-{scroll.replace(' ', '-')}.png"
            ann.screenshot(path=str(screenshot_dir / shot))
            api(base, "POST", f"/api/auctions/{aid}/bids", token_of(
                base, f"ann{suffix}", PASSWORD), amount=price + 100)  # fmt: skip
            price += 200
    finally:
        context.close()
