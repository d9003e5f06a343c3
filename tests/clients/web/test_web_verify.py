""" "Verify this auction" on the auction page: the chain and the rules, checked in Chromium.

The page downloads the public log and hashes it with the Web Crypto API
(js/lib/verify.js); the same module is also run directly on a log with one
amount changed, and its canonical text is compared with the Python client's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from auctioneer.clients.verify import canonical
from tests.helpers.server import add_user, start_server

from .conftest import ADMIN_NAME, ADMIN_PASSWORD, WebServer, close_output
from .test_web_app import PASSWORD, new_page
from .test_web_bidding import api, token_of

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """A server of its own: the shared one's analytics are checked exactly elsewhere."""
    server = start_server(tmp_path_factory.mktemp("verify") / "auctioneer.db")
    try:
        add_user(server.db_url, ADMIN_NAME, ADMIN_PASSWORD, admin=True)
        yield WebServer(server.http_url)
    finally:
        server.stop()
        close_output(server)


@pytest.fixture(scope="module")
def closed_auction(own_server: WebServer) -> int:
    """An auction with a reserve, bids from two people, an extension, closed."""
    base = own_server.url
    admin = token_of(base, ADMIN_NAME, ADMIN_PASSWORD)
    ann = token_of(base, "ann", PASSWORD, register=True)
    bob = token_of(base, "bob", PASSWORD, register=True)
    fields = {"name": "Brass lamp", "starting_bid": 1000, "reserve": 1500, "duration_s": 3}
    created = api(base, "POST", "/api/auctions", admin, **fields, soft_close_s=60)
    auction_id = int(created["auction"]["id"])
    for token, amount in ((ann, 1000), (bob, 1600), (ann, 1700)):
        api(base, "POST", f"/api/auctions/{auction_id}/bids", token, amount=amount)
    api(base, "POST", f"/api/auctions/{auction_id}/close", admin)
    return auction_id


def _verify_in(page: Page, script: str) -> dict[str, object]:
    result: dict[str, object] = page.evaluate(
        "async (log) => { const m = await import('/js/lib/verify.js'); " + script + " }"
    )
    return result


def test_verify_this_auction_says_verified_on_a_good_log(
    own_server: WebServer, browser: Browser, closed_auction: int, screenshot_dir: Path
) -> None:
    context, page = new_page(browser)
    try:
        page.goto(f"{own_server.url}/#/auction/{closed_auction}")
        expect(page.get_by_label("Current price")).to_have_text("17.00")
        page.get_by_role("button", name="Verify this auction").click()
        result = page.locator(".verify-result")
        expect(result).to_contain_text("Verified: ")
        expect(result).to_have_class("verify-result verified")
        page.screenshot(path=str(screenshot_dir / "verify-auction.png"))
        # The page kept the newest hash it saw; it is the auction's sealed head.
        seen = page.evaluate(f"() => localStorage.getItem('auctioneer.seen.{closed_auction}')")
        log = api(own_server.url, "GET", f"/api/auctions/{closed_auction}/log")
        assert json.loads(seen)[1] == log["log_hash"]
    finally:
        context.close()


def test_the_browser_names_a_changed_amount_and_hashes_as_the_python_client_does(
    own_server: WebServer, browser: Browser, closed_auction: int
) -> None:
    log = api(own_server.url, "GET", f"/api/auctions/{closed_auction}/log")
    bids = [e for e in log["events"] if e["event"] == "bid_placed"]
    context, page = new_page(browser)
    try:
        page.goto(f"{own_server.url}/favicon.svg")  # same origin, no app running
        texts = page.evaluate(
            "async (events) => { const m = await import('/js/lib/verify.js');"
            " return events.map(m.canonical); }",
            log["events"],
        )
        assert [t.encode() for t in texts] == [canonical(e) for e in log["events"]]
        good = page.evaluate(
            "async (log) => { const m = await import('/js/lib/verify.js');"
            " return m.verifyLog(log); }",
            log,
        )
        assert good["ok"] and good["head"] == log["log_hash"]
        bids[1]["data"]["amount"] -= 1
        bad = page.evaluate(
            "async (log) => { const m = await import('/js/lib/verify.js');"
            " return m.verifyLog(log); }",
            log,
        )
        assert bad["problems"] == [
            f"seq {bids[1]['seq']} (bid_placed): its hash does not match (changed or missing)"
        ]
    finally:
        context.close()
