"""Lot photos from a client: upload over HTTP, and where the files are served.

Why HTTP and not the connection: a photo is up to 10 MB and a socket message
at most 64 KB, so `POST /api/auctions/{id}/images` (multipart) is the one way
to add photos (docs/protocol.md "Lot photos"); removing and reordering are
ordinary actions (`remove_images`, `reorder_images`) on any door.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from auctioneer.clients.errors import ClientError, ConnectFailed, PeerProtocolError, RequestFailed

__all__ = ["http_base", "media_url", "upload_images"]

UPLOAD_TIMEOUT_S = 120.0  # ten 10 MB photos over a slow line


def http_base(server: str) -> str | None:
    """`http(s)://HOST:PORT` of a server given as http, https, ws, wss or a bare
    host:port; None for `tcp://` (that door has no HTTP)."""
    parts = urlsplit(server if "://" in server else "http://" + server)
    scheme = {"http": "http", "https": "https", "ws": "http", "wss": "https"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        return None
    return f"{scheme}://{parts.netloc}"


def media_url(server: str, path: str) -> str:
    """A photo's URL: the server's `/media/...` path made absolute when the server is HTTP."""
    base = http_base(server)
    return base + path if base and path.startswith("/") else path


async def upload_images(
    server: str,
    token: str | None,
    auction_id: int,
    files: list[Path],
    *,
    idempotency_key: str | None = None,
    timeout: float = UPLOAD_TIMEOUT_S,
) -> dict[str, Any]:
    """Attach `files` to the auction; the server's result, `{"auction": ...}`.

    The files are streamed, not read into memory first; the server checks
    their content (the names and types sent do not matter).

    Raises:
        ClientError: the server was given as `tcp://`.
        OSError: a file cannot be opened.
        ConnectFailed: the server cannot be reached.
        RequestFailed: the server refused (`unsupported_media_type`, ...).
        PeerProtocolError: the answer is not the protocol's JSON.
    """
    base = http_base(server)
    if base is None:
        raise ClientError("photos are uploaded over HTTP: use --server http://HOST:PORT")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    with ExitStack() as stack:
        parts = [
            ("file", (path.name, stack.enter_context(path.open("rb")), "application/octet-stream"))
            for path in files
        ]
        try:
            async with httpx.AsyncClient(base_url=base, timeout=timeout) as http:
                response = await http.post(
                    f"/api/auctions/{auction_id}/images", files=parts, headers=headers
                )
        except httpx.TransportError as e:
            raise ConnectFailed(base, str(e) or type(e).__name__) from e
    try:
        body = response.json()
    except ValueError:
        raise PeerProtocolError(f"HTTP {response.status_code} without a JSON body") from None
    if not isinstance(body, dict):
        raise PeerProtocolError(f"HTTP {response.status_code}: not a JSON object")
    if response.is_success:
        return body
    found = body.get("error")
    error: dict[str, Any] = found if isinstance(found, dict) else {}
    raise RequestFailed(
        str(error.get("code", "internal")),
        str(error.get("message", f"HTTP {response.status_code}")),
        error,
        action="add_images",
    )
