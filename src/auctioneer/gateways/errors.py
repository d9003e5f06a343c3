"""Gateway errors: the peer misbehaved at the framing level.

    AuctionError (engine)
    └── PeerProtocolError        a bad frame from a peer; closes only that connection
        └── MessageTooLarge      message_too_large (over 65,536 bytes)

HTTP status codes for every wire error code live in `HTTP_STATUS`, the one
table the HTTP gateway's exception handler reads.
"""

from __future__ import annotations

from auctioneer.engine.errors import AuctionError

__all__ = ["HTTP_STATUS", "MessageTooLarge", "PeerProtocolError", "http_status"]


class PeerProtocolError(AuctionError):
    code = "bad_request"


class MessageTooLarge(PeerProtocolError):
    code = "message_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"Message larger than {limit} bytes", limit=limit)


HTTP_STATUS: dict[str, int] = {
    "bad_request": 400,
    "invalid_amount": 422,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "unknown_action": 404,
    "auction_not_open": 409,
    "bid_too_low": 409,
    "already_leading": 409,
    "buy_now_unavailable": 409,
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
