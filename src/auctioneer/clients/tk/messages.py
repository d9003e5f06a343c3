"""Errors as the desktop apps say them: one clear sentence, never a traceback.

Why one table: every refusal the server can send (docs/protocol.md "Error codes")
and every client-side failure maps to words here, so both apps word them
alike and a test can check that each wire code has a sentence.
"""

from __future__ import annotations

from auctioneer.clients.errors import (
    ConnectFailed,
    ConnectionLost,
    PeerProtocolError,
    RequestFailed,
    RequestTimeout,
)
from auctioneer.clients.money import format_amount

__all__ = ["CODE_TEXT", "explain"]

#: A sentence per wire error code, used when the server's own message is empty.
CODE_TEXT = {
    "bad_request": "The server could not use that input.",
    "unknown_action": "The server does not know that action (is it older than this app?).",
    "invalid_amount": "That amount is not valid.",
    "unauthorized": "Please log in again: your login is not valid any more.",
    "forbidden": "Only an admin may do that.",
    "not_found": "That auction does not exist, or is not public.",
    "auction_not_open": "That auction is not open.",
    "bid_too_low": "That bid is too low.",
    "already_leading": "You are already the highest bidder.",
    "buy_now_unavailable": "Buy now is not available any more.",
    "username_taken": "That user name is taken.",
    "rate_limited": "Too many attempts; wait a moment and try again.",
    "message_too_large": "That is too long to send.",
    "conflict": "The server was busy with that auction; try again.",
    "internal": "The server had a problem; try again.",
}


def explain(error: BaseException) -> str:
    """One sentence for the person at the keyboard."""
    if isinstance(error, RequestFailed):
        if error.code == "bid_too_low" and isinstance(error.details.get("minimum"), int):
            return (
                f"Bid too low: the lowest valid bid is {format_amount(error.details['minimum'])}."
            )
        if error.code == "rate_limited" and error.details.get("retry_after_s") is not None:
            return f"Too many attempts; try again in {error.details['retry_after_s']} s."
        text = error.message or CODE_TEXT.get(error.code, error.code.replace("_", " "))
        field = error.details.get("field")
        if field and field not in text:
            text = f"{text} ({field})"
        return text if text.endswith((".", "!", "?", ")")) else text + "."
    if isinstance(error, ConnectFailed):
        return f"Cannot reach the server at {error.url}; retrying."
    if isinstance(error, ConnectionLost):
        return "Not connected to the server; reconnecting."
    if isinstance(error, RequestTimeout):
        return "The server did not answer in time; check the list before trying again."
    if isinstance(error, PeerProtocolError):
        return "The server sent something this app cannot read."
    return f"Something went wrong: {error or type(error).__name__}."
