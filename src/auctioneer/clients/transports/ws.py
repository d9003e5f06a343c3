"""The WebSocket door: one JSON object per text frame (docs/protocol.md).

Why the `websockets` library's asyncio client: it handles the handshake,
keepalive pings and close codes; this module only maps its exceptions onto
`TransportClosed` so the client's reconnect logic sees one kind of failure.
"""

from __future__ import annotations

from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from auctioneer.clients.transports.base import TransportClosed, decode, encode

__all__ = ["WebSocketTransport", "connect_ws"]

#: Replies such as a full export of bids may exceed the server's inbound limit.
MAX_RECEIVE_BYTES = 16 * 1024 * 1024


class WebSocketTransport:
    """A connected WebSocket carrying JSON text frames."""

    def __init__(self, connection: ClientConnection) -> None:
        self._ws = connection

    async def send(self, message: dict[str, Any]) -> None:
        try:
            await self._ws.send(encode(message).decode())
        except ConnectionClosed as e:
            raise TransportClosed(_reason(e)) from e

    async def receive(self) -> object:
        try:
            frame = await self._ws.recv()
        except ConnectionClosed as e:
            raise TransportClosed(_reason(e)) from e
        return decode(frame)

    async def close(self) -> None:
        await self._ws.close()


def _reason(e: ConnectionClosed) -> str:
    rcvd = e.rcvd
    if rcvd is None:
        return "connection lost"
    return f"closed by server (code {rcvd.code}{': ' + rcvd.reason if rcvd.reason else ''})"


async def connect_ws(url: str, *, timeout: float = 10.0) -> WebSocketTransport:
    """Open a WebSocket to `url` (``ws://host:port/ws``).

    Raises:
        OSError: the connection could not be made.
        TimeoutError: not within `timeout` seconds.
        ValueError: the URL is not a WebSocket URL, or the handshake failed.
    """
    try:
        connection = await connect(
            url,
            open_timeout=timeout,
            close_timeout=2.0,  # a command should not hang on a slow close handshake
            max_size=MAX_RECEIVE_BYTES,
            compression=None,
        )
    except InvalidURI as e:
        raise ValueError(f"not a WebSocket URL: {url}") from e
    except InvalidHandshake as e:
        raise ValueError(f"WebSocket handshake with {url} failed: {e}") from e
    return WebSocketTransport(connection)
