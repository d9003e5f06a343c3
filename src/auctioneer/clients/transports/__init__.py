"""Transports: whole JSON messages over a WebSocket or a TCP line stream.

Why a URL picks the transport: every command takes one ``--server`` value,
and ``http://``/``ws://`` (the default door) or ``tcp://`` say which door.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from auctioneer.clients.transports.base import (
    MAX_MESSAGE_BYTES,
    Transport,
    TransportClosed,
    decode,
    encode,
)
from auctioneer.clients.transports.tcp import TcpTransport, connect_tcp
from auctioneer.clients.transports.ws import WebSocketTransport, connect_ws

__all__ = [
    "MAX_MESSAGE_BYTES",
    "TcpTransport",
    "Transport",
    "TransportClosed",
    "WebSocketTransport",
    "connect_tcp",
    "connect_url",
    "connect_ws",
    "decode",
    "encode",
    "websocket_url",
]

DEFAULT_TCP_PORT = 65432


def websocket_url(server: str) -> str:
    """The WebSocket URL of a server given as ``http(s)://``, ``ws(s)://`` or bare host:port.

    ``http://127.0.0.1:8000`` becomes ``ws://127.0.0.1:8000/ws``; a ``ws://``
    URL with a path is kept as it is.
    """
    if "://" not in server:
        server = "http://" + server
    parts = urlsplit(server)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None:
        raise ValueError(f"not an HTTP or WebSocket URL: {server}")
    path = parts.path.rstrip("/")
    if parts.scheme in ("http", "https") or not path:
        path = path + "/ws"
    return f"{scheme}://{parts.netloc}{path}"


async def connect_url(url: str, *, timeout: float = 10.0) -> Transport:
    """Connect to ``tcp://HOST:PORT`` or to the WebSocket of an HTTP/WS URL.

    Raises:
        OSError, TimeoutError, ValueError: as `connect_tcp` and `connect_ws`.
    """
    parts = urlsplit(url if "://" in url else "http://" + url)
    if parts.scheme == "tcp":
        host = parts.hostname or "127.0.0.1"
        return await connect_tcp(host, parts.port or DEFAULT_TCP_PORT, timeout=timeout)
    return await connect_ws(websocket_url(url), timeout=timeout)
