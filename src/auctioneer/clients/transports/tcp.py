"""The TCP door: UTF-8 JSON objects, one per line (docs/protocol.md, the seeds' protocol).

Why asyncio streams and not a framer of our own: the stream reader already
splits lines with a size limit, which is all JSON-lines needs on the client.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from auctioneer.clients.errors import PeerProtocolError
from auctioneer.clients.transports.base import TransportClosed, decode, encode

__all__ = ["TcpTransport", "connect_tcp"]

#: Server messages are not limited like ours; a full auction listing can be large.
READ_LIMIT = 16 * 1024 * 1024


class TcpTransport:
    """A JSON-lines connection over asyncio streams."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._closed = False

    async def send(self, message: dict[str, Any]) -> None:
        if self._closed or self._writer.is_closing():
            raise TransportClosed()
        try:
            self._writer.write(encode(message) + b"\n")
            await self._writer.drain()
        except (ConnectionError, OSError) as e:
            raise TransportClosed(str(e) or type(e).__name__) from e

    async def receive(self) -> object:
        while True:
            try:
                line = await self._reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as e:
                raise TransportClosed("server closed the connection") from e
            except asyncio.LimitOverrunError as e:
                raise PeerProtocolError("line from the server is too long") from e
            except (ConnectionError, OSError) as e:
                raise TransportClosed(str(e) or type(e).__name__) from e
            if line.strip():
                return decode(line)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()


async def connect_tcp(host: str, port: int, *, timeout: float = 10.0) -> TcpTransport:
    """Open a TCP connection to the JSON-lines door.

    Raises:
        OSError: the connection could not be made (refused, unreachable).
        TimeoutError: not within `timeout` seconds.
    """
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, limit=READ_LIMIT), timeout
    )
    return TcpTransport(reader, writer)
