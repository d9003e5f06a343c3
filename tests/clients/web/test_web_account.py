"""The web app's account page (issue 20, item 8): change the password, log out everywhere.

Two browser contexts play two devices of one person: changing the password
on one keeps it signed in and signs the other out; "Log out everywhere"
signs out both. The page is also checked for the security headers' effect:
it runs with no script errors under the Content-Security-Policy.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import WebServer
from .test_web_app import SECOND, assert_no_script_errors, new_page, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-1"
NEW_PASSWORD = "tulip-lantern-77"
HASHING = 30 * SECOND  # Argon2 checks (twice for a change) on a busy 2-core machine


def _signed_out_after_reload(page: Page) -> None:
    page.reload()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible(timeout=10 * SECOND)


def test_a_user_changes_the_password_and_logs_out_everywhere(
    web_server: WebServer, browser: Browser, screenshot_dir: Path
) -> None:
    base = web_server.url
    name = f"cleo{int(time.time() * 1000) % 100000}"
    phone_ctx, phone = new_page(browser)
    laptop_ctx, laptop = new_page(browser)
    try:
        sign_in(phone, base, name, PASSWORD, register=True)
        sign_in(laptop, base, name, PASSWORD, register=False)

        laptop.get_by_role("link", name=name).click()  # the name in the header
        expect(laptop.get_by_role("heading", name="Your account")).to_be_visible()
        laptop.get_by_label("Current password").fill("not my password")
        laptop.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        laptop.get_by_label("New password again").fill(NEW_PASSWORD)
        laptop.get_by_role("button", name="Change password").click()
        expect(laptop.get_by_text("That is not your current password.")).to_be_visible(
            timeout=HASHING
        )

        laptop.get_by_label("Current password").fill(PASSWORD)
        laptop.get_by_label("New password", exact=True).fill("password1")
        laptop.get_by_label("New password again").fill("password1")
        laptop.get_by_role("button", name="Change password").click()
        expect(laptop.get_by_text("too easy to guess")).to_be_visible(timeout=HASHING)

        laptop.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        laptop.get_by_label("New password again").fill(NEW_PASSWORD)
        laptop.get_by_role("button", name="Change password").click()
        expect(laptop.get_by_role("alert")).to_contain_text("Password changed", timeout=HASHING)
        laptop.screenshot(path=str(screenshot_dir / "account.png"), full_page=True)
        _signed_out_after_reload(phone)  # the other device's session ended
        laptop.reload()
        expect(laptop.get_by_role("button", name="Log out", exact=True)).to_be_visible()  # it stays

        sign_in(phone, base, name, NEW_PASSWORD, register=False)
        laptop.goto(f"{base}/#/account")
        laptop.once("dialog", lambda dialog: dialog.accept())
        laptop.get_by_role("button", name="Log out everywhere").click()
        expect(laptop.get_by_role("link", name="Sign in")).to_be_visible(timeout=HASHING)
        _signed_out_after_reload(phone)
        assert_no_script_errors(phone, laptop)
    finally:
        phone_ctx.close()
        laptop_ctx.close()
