"""Fixtures for the browser tests: a real server, an admin account, Chromium.

The server is `auctioneer serve` in a subprocess (tests/helpers/server.py);
the browser is Debian's Chromium driven by Playwright. Set
AUCTIONEER_TEST_WEB_URL to run against a fresh server that is already
running (it must have an admin account named by ADMIN_NAME/ADMIN_PASSWORD
and no other auctions, since the analytics figures are checked exactly).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.server import RunningServer, add_user, start_server

__all__ = ["ADMIN_NAME", "ADMIN_PASSWORD", "WebServer"]

ADMIN_NAME = "admin"
ADMIN_PASSWORD = "admin-pass-1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class WebServer:
    """Where the web app is served."""

    url: str


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    external = os.environ.get("AUCTIONEER_TEST_WEB_URL")
    if external:
        yield WebServer(external.rstrip("/"))
        return
    db = tmp_path_factory.mktemp("web") / "auctioneer.db"
    server = start_server(db)
    try:
        add_user(server.db_url, ADMIN_NAME, ADMIN_PASSWORD, admin=True)
        yield WebServer(server.http_url)
    finally:
        server.stop()
        close_output(server)


def close_output(server: RunningServer) -> None:
    """Close the server's output pipe once its reader thread has hit EOF.

    tests/helpers/server.py leaves it open, which filterwarnings=error turns
    into an unraisable ResourceWarning at teardown.
    """
    for thread in threading.enumerate():
        if thread.name.endswith("(pump)"):
            thread.join(timeout=2)
    if server.proc.stdout is not None:
        server.proc.stdout.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (run scripts/ensure-browser)")
    from playwright.sync_api import sync_playwright

    # Module scope: the sync API keeps an event loop running in this thread
    # while it is open, which would break every asyncio test that runs after it.
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """docs/screenshots when AUCTIONEER_SCREENSHOTS=1, else a temporary folder."""
    if os.environ.get("AUCTIONEER_SCREENSHOTS"):
        target = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path
