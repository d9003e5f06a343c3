"""Reading an HTTP request's JSON body without letting it cost more than the limit.

Issue 20, items 2 and 4: a 200 MB `POST /api/login` used to be read whole
before the size check (server memory 72 -> 464 MB), and a `text/plain` body
was taken as JSON, which let any web page make its visitors' browsers post
forms to the API (a "simple" cross-site request needs no preflight). So:
- a `Content-Length` over the limit is refused with 413 before a byte is read;
- the body is read as it streams, with a running total, and refused the
  moment it passes the limit (a chunked body has no length to check first);
- a non-empty body must be `application/json` (or `...+json`), else 415;
  browsers send that type cross-site only after a CORS preflight, which this
  server never grants.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from auctioneer.engine.errors import InvalidCommand
from auctioneer.gateways.errors import MessageTooLarge
from auctioneer.service.errors import UnsupportedMediaType
from auctioneer.wire import codec

__all__ = ["is_json", "read_json_body"]


def is_json(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


async def read_json_body(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object ({} when empty).

    Raises:
        MessageTooLarge: over `limit` bytes, by `Content-Length` or as read.
        UnsupportedMediaType: a body that is not declared `application/json`.
        InvalidCommand: not JSON, or not an object.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise MessageTooLarge(limit)
    announced = (declared is not None and declared.strip() not in ("", "0")) or (
        "transfer-encoding" in request.headers
    )
    if announced and not is_json(request.headers.get("content-type", "")):
        raise UnsupportedMediaType("Send the body as application/json")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise MessageTooLarge(limit)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    if not is_json(request.headers.get("content-type", "")):
        raise UnsupportedMediaType("Send the body as application/json")
    value = codec.decode(raw)
    if not isinstance(value, dict):
        raise InvalidCommand("The body must be a JSON object")
    return value
