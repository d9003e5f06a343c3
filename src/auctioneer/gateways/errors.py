"""Gateway errors: the peer misbehaved at the framing level.

    AuctionError (engine)
    ├── PeerProtocolError        a bad frame from a peer; closes only that connection
    │   └── MessageTooLarge      message_too_large (over 65,536 bytes)
    ├── RouteNotFound            not_found: no HTTP route (or web file) at that path
    └── MethodNotAllowed         method_not_allowed: the path exists, the method does not

HTTP status codes for every wire error code live in `HTTP_STATUS`, the one
table the HTTP gateway's exception handler reads. `HTTP_ERRORS` says which
wire error a bare HTTP status (raised by the router or the static files, not
by an action) becomes, so every HTTP error body is the protocol's envelope.
"""

from __future__ import annotations

from collections.abc import Callable

from auctioneer.engine.errors import AuctionError

__all__ = [
    "HTTP_ERRORS",
    "HTTP_STATUS",
    "MessageTooLarge",
    "MethodNotAllowed",
    "PeerProtocolError",
    "RouteNotFound",
    "error_for_status",
    "http_status",
]


class PeerProtocolError(AuctionError):
    code = "bad_request"


class MessageTooLarge(PeerProtocolError):
    code = "message_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"Message larger than {limit} bytes", limit=limit)


class RouteNotFound(AuctionError):
    code = "not_found"

    def __init__(self, method: str, path: str) -> None:
        where = "API route" if path.startswith("/api/") else "page"
        hint = " (the API is described at /openapi.json)" if where == "API route" else ""
        super().__init__(f"There is no {where} {method} {path}{hint}")


class MethodNotAllowed(AuctionError):
    code = "method_not_allowed"

    def __init__(self, method: str, path: str, allow: str = "") -> None:
        allowed = f"; use {allow.replace(', ', ' or ')}" if allow else ""
        super().__init__(f"{path} does not take {method}{allowed}")


HTTP_STATUS: dict[str, int] = {
    "bad_request": 400,
    "invalid_amount": 422,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "unknown_action": 404,
    "method_not_allowed": 405,
    "auction_not_open": 409,
    "bid_too_low": 409,
    "already_leading": 409,
    "buy_now_unavailable": 409,
    "budget_exceeded": 409,
    "username_taken": 409,
    "conflict": 409,
    "message_too_large": 413,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "too_many_images": 409,
    "rate_limited": 429,
    "internal": 500,
}


def http_status(code: str) -> int:
    return HTTP_STATUS.get(code, 400)


# A bare HTTP status (from the router or the static files) as a wire error.
HTTP_ERRORS: dict[int, Callable[[str, str, str], AuctionError]] = {
    404: lambda method, path, allow: RouteNotFound(method, path),
    405: lambda method, path, allow: MethodNotAllowed(method, path, allow),
}


def error_for_status(status: int, method: str, path: str, allow: str = "") -> AuctionError:
    """The wire error for a bare HTTP status; `bad_request` for one the table lacks."""
    make = HTTP_ERRORS.get(status)
    if make is not None:
        return make(method, path, allow)
    return PeerProtocolError(f"The request could not be handled (HTTP {status})")
