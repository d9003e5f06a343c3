"""The API docs page works under its Content-Security-Policy (issue 20, items 9 and 10).

Swagger UI is served from the server itself with no inline script, so its
page runs under `default-src 'self'` for scripts; a violation would show up
as a console error and an empty page.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from .conftest import WebServer
from .test_web_app import SECOND, new_page

pytestmark = pytest.mark.browser


def test_the_docs_page_renders_every_route_without_a_policy_violation(
    web_server: WebServer, browser: Browser
) -> None:
    context, page = new_page(browser)
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    try:
        response = page.goto(f"{web_server.url}/api/docs")
        assert response is not None
        policy = response.headers["content-security-policy"]
        assert "script-src" not in policy or "'unsafe-inline'" not in policy.split("script-src")[1]
        expect(page.get_by_text("/api/login").first).to_be_visible(timeout=15 * SECOND)
        assert [p for p in problems if "Content Security Policy" in p or "failed" in p] == []
    finally:
        context.close()
