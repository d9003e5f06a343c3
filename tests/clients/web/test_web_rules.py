"""The admin form's increment table and the capped countdown, in Chromium against a real server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from .conftest import ADMIN_NAME, ADMIN_PASSWORD, WebServer
from .test_web_app import assert_no_script_errors, auction_id, new_page, sign_in

pytestmark = pytest.mark.browser


def test_admin_creates_banded_capped_auction_and_the_countdown_says_final(
    web_server: WebServer, browser: Browser, screenshot_dir: Path
) -> None:
    base = web_server.url
    name = f"Print {int(time.time() * 1000) % 100000}"
    context, admin = new_page(browser)
    sign_in(admin, base, ADMIN_NAME, ADMIN_PASSWORD, register=False)
    admin.goto(f"{base}/#/admin")
    admin.get_by_label("Name", exact=True).fill(name)
    admin.get_by_label("Starting bid", exact=True).fill("0.50")
    admin.get_by_label("Duration (seconds)", exact=True).fill("600")
    admin.get_by_label("Soft close (seconds)", exact=True).fill("900")  # every bid would extend
    admin.get_by_label("Longest extension (seconds)", exact=True).fill("5")  # ... by 5 s in all
    bands = admin.get_by_role("group", name="Increment bands")
    for _ in range(3):
        bands.get_by_role("button", name="Add band").click()
    froms, steps = bands.get_by_label("From price"), bands.get_by_label("Bids rise by")
    expect(froms.nth(0)).to_have_value("0.00")
    steps.nth(0).fill("0.05")
    froms.nth(1).fill("1.00")
    steps.nth(1).fill("0.25")
    froms.nth(2).fill("0.50")  # not above the band before it
    steps.nth(2).fill("0.50")
    admin.get_by_role("button", name="Create auction").click()
    expect(bands).to_contain_text("Band 3: each band starts above the one before.")
    bands.screenshot(path=str(screenshot_dir / "web-increment-bands.png"))
    froms.nth(2).fill("5.00")
    admin.get_by_role("button", name="Create auction").click()
    expect(admin.get_by_role("alert")).to_contain_text(f"Created “{name}”")

    admin.goto(f"{base}/#/auction/{auction_id(admin, name)}")
    expect(admin.get_by_text("0.05 from 0.00, 0.25 from 1.00, 0.50 from 5.00")).to_be_visible()
    timer = admin.get_by_role("timer", name="Time left")
    expect(timer).not_to_contain_text("final")
    admin.get_by_label("Bid amount").fill("0.95")
    admin.get_by_role("button", name="Place bid").click()
    expect(admin.get_by_label("Current price")).to_have_text("0.95")
    expect(timer).to_contain_text("· final")
    expect(timer).to_have_attribute("title", "Final: no more extensions")
    expect(admin.get_by_text("Reached: no more extensions")).to_be_visible()
    admin.screenshot(path=str(screenshot_dir / "web-capped-countdown.png"))
    assert_no_script_errors(admin)
    context.close()
