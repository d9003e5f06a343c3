"""Security headers on every HTTP response (issue 20, item 10).

- `Content-Security-Policy: default-src 'self'; img-src 'self' blob:;
  frame-ancestors 'none'; object-src 'none'`: the web app loads only its own
  scripts, styles, images and sockets, and no other site may frame it
  (clickjacking). `blob:` images are the admin's photo previews, shown from
  the chosen files before they are uploaded (a page can only make blob URLs
  of its own data). The API docs page (Swagger UI, `/api/docs`, served
  from a pinned package with no inline script) runs no script but its own
  too; its policy allows inline styles and `data:` images, which Swagger
  UI's stylesheet and widgets use.
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
  `X-Frame-Options: DENY` (for browsers without CSP frame-ancestors).
- `Cache-Control: no-store` on every `/api/` reply that sets no caching
  itself: tokens (login, register) and private data are never kept by a
  browser or a proxy cache.
- `Strict-Transport-Security` when the server is told it is behind TLS
  (`--behind-tls`): plain HTTP must never be tried again.
A pure ASGI middleware: it adds headers to `http.response.start` and leaves
the body stream alone. Headers a route set itself win.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["CSP", "DOCS_CSP", "SecurityHeaders"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = "default-src 'self'; img-src 'self' blob:; frame-ancestors 'none'; object-src 'none'"
DOCS_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
    " frame-ancestors 'none'; object-src 'none'"
)
DOCS_PATHS = ("/api/docs",)
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        if hsts:
            common.append((b"strict-transport-security", HSTS.encode()))
        self._page = [(b"content-security-policy", CSP.encode()), *common]
        self._docs = [(b"content-security-policy", DOCS_CSP.encode()), *common]
        self._api = [*self._page, (b"cache-control", b"no-store")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path.startswith(DOCS_PATHS):
            extra = self._docs
        elif path.startswith("/api/"):
            extra = self._api
        else:
            extra = self._page

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in extra if name not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
