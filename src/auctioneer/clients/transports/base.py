"""What a transport is: a pipe of whole JSON messages, nothing more.

Why: the protocol (ids, seqs, resume) lives in `clients.session` and the
asyncio machinery in `clients.connection`; a transport only frames bytes. Two
doors of docs/protocol.md carry the same messages, so the client picks one by URL
scheme and never cares again.
"""

from __future__ import annotations

from typing import Any, Protocol

import orjson

from auctioneer.clients.errors import PeerProtocolError

__all__ = ["MAX_MESSAGE_BYTES", "Transport", "TransportClosed", "decode", "encode"]

#: docs/protocol.md: a message over 65,536 bytes is refused by the server.
MAX_MESSAGE_BYTES = 65_536


class TransportClosed(Exception):
    """The connection is closed (by either side); `reason` says why if known."""

    def __init__(self, reason: str = "connection closed") -> None:
        super().__init__(reason)
        self.reason = reason


class Transport(Protocol):
    """A connected message pipe."""

    async def send(self, message: dict[str, Any]) -> None:
        """Send one message.

        Raises:
            TransportClosed: the connection is gone.
        """

    async def receive(self) -> object:
        """Wait for the next message, decoded.

        Raises:
            TransportClosed: the connection is gone.
            PeerProtocolError: the peer sent something that is not JSON.
        """

    async def close(self) -> None:
        """Close the connection; safe to call twice."""


def encode(message: dict[str, Any]) -> bytes:
    """One message as compact UTF-8 JSON (no newline)."""
    return orjson.dumps(message)


def decode(data: bytes | str) -> object:
    """Parse one frame or line.

    Raises:
        PeerProtocolError: not valid JSON.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise PeerProtocolError(f"invalid JSON from the server: {str(data)[:200]!r}") from e
