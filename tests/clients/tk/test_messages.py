"""Every error reads as a sentence in the apps."""

from __future__ import annotations

from auctioneer.clients.errors import ConnectFailed, ConnectionLost, RequestFailed, RequestTimeout
from auctioneer.clients.tk.messages import CODE_TEXT, explain

__all__: list[str] = []

WIRE_CODES = [
    "bad_request",
    "unknown_action",
    "invalid_amount",
    "unauthorized",
    "forbidden",
    "not_found",
    "auction_not_open",
    "bid_too_low",
    "already_leading",
    "buy_now_unavailable",
    "username_taken",
    "rate_limited",
    "message_too_large",
    "conflict",
    "internal",
]


def test_every_wire_error_code_has_a_sentence() -> None:
    assert set(WIRE_CODES) <= set(CODE_TEXT)
    for code in WIRE_CODES:
        assert explain(RequestFailed(code, "", {"code": code})).endswith((".", ")"))


def test_bid_too_low_names_the_servers_minimum() -> None:
    error = RequestFailed("bid_too_low", "Bid must be at least 105.00", {"minimum": 10500})
    assert explain(error) == "Bid too low: the lowest valid bid is 105.00."


def test_the_servers_message_is_used_and_names_the_field() -> None:
    error = RequestFailed("bad_request", "expected an integer", {"field": "quantity"})
    assert explain(error) == "expected an integer (quantity)"
    assert "try again in 2 s" in explain(RequestFailed("rate_limited", "", {"retry_after_s": 2}))


def test_client_side_failures_read_as_sentences() -> None:
    assert "Cannot reach the server at http://x" in explain(ConnectFailed("http://x", "refused"))
    assert "reconnecting" in explain(ConnectionLost("gone"))
    assert "did not answer in time" in explain(RequestTimeout("slow"))
    assert explain(ValueError("odd")) == "Something went wrong: odd."
