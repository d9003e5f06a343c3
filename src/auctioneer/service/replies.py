"""The stored form of a first reply, so a retried write gets it again (rule 10).

A stored reply is the encoded `result` of an accepted write, as before. A
write the auction's rules refused is stored too, as `!` followed by its
error object: no JSON value starts with `!`, so the two can never be
confused, and rows written before refusals were stored read back unchanged.
"""

from __future__ import annotations

from typing import Any

import orjson

from auctioneer.engine.errors import AuctionError

__all__ = ["StoredRefusal", "first_reply", "is_refusal", "refusal", "refusal_bytes"]

_MARK = b"!"


class StoredRefusal(AuctionError):
    """A refusal read back from a stored reply: the same code, message and fields."""

    def __init__(self, code: str, message: str, fields: dict[str, Any]) -> None:
        super().__init__(message, **fields)
        self.code = code


def refusal_bytes(error: AuctionError) -> bytes:
    """What to store for a refused write."""
    return _MARK + orjson.dumps(error.to_wire())


def is_refusal(stored: bytes) -> bool:
    return stored[:1] == _MARK


def refusal(stored: bytes) -> StoredRefusal:
    """The error a stored refusal stands for (raise it to answer the retry)."""
    wire: dict[str, Any] = orjson.loads(stored[1:])
    code = str(wire.pop("code"))
    message = str(wire.pop("message", ""))
    return StoredRefusal(code, message, wire)


def first_reply(stored: bytes) -> bytes:
    """Answer a retry with its stored first reply: the result, or the refusal raised.

    Raises:
        StoredRefusal: the first reply was a refusal.
    """
    if is_refusal(stored):
        raise refusal(stored)
    return stored
