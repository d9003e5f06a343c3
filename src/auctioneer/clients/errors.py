"""What can go wrong for a client, in one tree.

Why: every client (command line, room, watch, bots, tests) reports failures
the same way, and the command line turns each into one line and an exit code::

    ClientError
    ├── RequestFailed        the server answered ok=false (carries the wire code)
    ├── ConnectionLost       the connection dropped and will not come back
    │   └── ConnectFailed    the first connection could not be made at all
    ├── RequestTimeout       no reply within the request timeout
    └── PeerProtocolError    the server sent something that is not the protocol
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ClientError",
    "ConnectFailed",
    "ConnectionLost",
    "PeerProtocolError",
    "RequestFailed",
    "RequestTimeout",
]


class ClientError(Exception):
    """Base class of every error the client library raises."""


class RequestFailed(ClientError):
    """The server replied ``ok: false``.

    Attributes:
        code: the stable wire code (``bid_too_low``, ``forbidden``...).
        message: the server's human message.
        details: the whole error object (``minimum`` for ``bid_too_low``...).
        action: the action that failed.
    """

    def __init__(self, code: str, message: str, details: dict[str, Any], action: str = "") -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.details = details
        self.action = action

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.message else self.code


class ConnectionLost(ClientError):
    """The connection is gone and the client is not (or no longer) reconnecting."""


class ConnectFailed(ConnectionLost):
    """The server could not be reached at all."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot reach the server at {self.url}: {self.reason}"


class RequestTimeout(ClientError):
    """No reply came within the timeout; the request may or may not have landed."""


class PeerProtocolError(ClientError):
    """The server sent a frame that is not a JSON object of the protocol."""
