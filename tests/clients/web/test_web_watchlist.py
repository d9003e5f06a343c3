"""The watchlist in Chromium: the star on the list and the auction page, the
"Watching" filter, and an ending-soon notice shown as a toast.

A server of its own with a short ending-soon point (`AUCTIONEER_ENDING_SOON=4`:
4 seconds before the end), so an auction of 8 seconds sends it quickly.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.helpers.server import add_user, start_server

from .conftest import ADMIN_NAME, ADMIN_PASSWORD, WebServer, close_output
from .test_web_app import PASSWORD, SECOND, assert_no_script_errors, new_page, sign_in, toasts
from .test_web_bidding import api, token_of

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def watch_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    db = tmp_path_factory.mktemp("watchlist") / "auctioneer.db"
    server = start_server(db, env={"AUCTIONEER_ENDING_SOON": "4"})
    try:
        add_user(server.db_url, ADMIN_NAME, ADMIN_PASSWORD, admin=True)
        yield WebServer(server.http_url)
    finally:
        server.stop()
        close_output(server)


def test_a_bidder_stars_auctions_filters_them_and_sees_ending_soon(
    watch_server: WebServer, browser: Browser, screenshot_dir: Path
) -> None:
    base = watch_server.url
    suffix = str(int(time.time() * 1000) % 100000)
    admin = token_of(base, ADMIN_NAME, ADMIN_PASSWORD)
    clock = api(base, "POST", "/api/auctions", admin, name=f"Clock {suffix}",
                starting_bid=1000, duration_s=600)["auction"]  # fmt: skip
    api(base, "POST", "/api/auctions", admin, name=f"Lamp {suffix}",
        starting_bid=1000, duration_s=600)  # fmt: skip
    context, ann = new_page(browser)
    try:
        sign_in(ann, base, f"ann{suffix}", PASSWORD, register=True)
        ann.goto(f"{base}/#/")
        card = ann.locator(".auction-card", has_text=f"Clock {suffix}")
        star = card.get_by_role("button", name="Watch this auction")
        expect(star).to_have_text("☆ Watch")
        star.click()
        watching = card.get_by_role("button", name="Stop watching this auction")
        expect(watching).to_have_attribute("aria-pressed", "true")
        expect(watching).to_have_text("★ Watching")
        ann.get_by_text("Watching", exact=True).click()  # the filter chip
        expect(ann.locator(".auction-card")).to_have_count(1)
        expect(ann.locator(".auction-card")).to_contain_text(f"Clock {suffix}")
        ann.screenshot(path=str(screenshot_dir / "web-watchlist-filter.png"))
        mine = token_of(base, f"ann{suffix}", PASSWORD)
        assert api(base, "GET", "/api/watchlist", mine)["auction_ids"] == [clock["id"]]

        # On the auction page: unwatch, and the server agrees.
        ann.goto(f"{base}/#/auction/{clock['id']}")
        page_star = ann.get_by_role("button", name="Stop watching this auction")
        page_star.click()
        expect(ann.get_by_role("button", name="Watch this auction")).to_have_text("☆ Watch")
        assert api(base, "GET", "/api/watchlist", mine)["auction_ids"] == []

        # An auction that ends in 8 s: watch it, and the 4-second notice pops up.
        vase = api(base, "POST", "/api/auctions", admin, name=f"Vase {suffix}",
                   starting_bid=1000, duration_s=8)["auction"]  # fmt: skip
        ann.goto(f"{base}/#/auction/{vase['id']}")
        ann.get_by_role("button", name="Watch this auction").click()
        expect(ann.get_by_role("button", name="Stop watching this auction")).to_be_visible()
        toast = toasts(ann).locator(".toast-ending_soon")
        expect(toast).to_contain_text(f"Vase {suffix} ends in 4 seconds", timeout=12 * SECOND)
        expect(toast).to_contain_text("no bid yet")
        ann.screenshot(path=str(screenshot_dir / "web-watchlist-ending-soon.png"))
        assert_no_script_errors(ann)
    finally:
        context.close()
