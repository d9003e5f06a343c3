"""The TCP door: UTF-8 JSON objects, one per line (the seeds' protocol).

A thin asyncio Protocol around the sans-I/O framer (wire/jsonlines.py) and
the shared Connection (through gateways/door.py): bytes in, lines to the
Connection, its output out as lines. A line over the limit gets
`message_too_large` and the connection closes; a client that stops reading
is dropped once its outbox is full: its transport is aborted, so nothing
waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from auctioneer.gateways.door import Door, Doors
from auctioneer.gateways.errors import MessageTooLarge
from auctioneer.pubsub.hub import Hub
from auctioneer.service.api import Api
from auctioneer.service.ports import Frame
from auctioneer.service.settings import Settings
from auctioneer.wire.jsonlines import JsonLinesFramer, LineTooLong

__all__ = ["TcpDoor", "TcpGateway"]

STOP_TIMEOUT_S = 5.0
NEWLINE = b"\n"


class TcpDoor(Door):
    """One TCP client."""

    def __init__(self, doors: Doors) -> None:
        super().__init__(doors)
        self.framer = JsonLinesFramer(max_line_bytes=doors.settings.max_message_bytes)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._open_connection()

    def data_received(self, data: bytes) -> None:
        if self.framer.failed:
            return
        try:
            self.framer.receive_data(data)
        except LineTooLong as e:
            for line in self.framer.lines_received():
                self._message(line)
            self._reject(MessageTooLarge(e.limit))
            if self.transport is not None:
                self.transport.pause_reading()  # nothing after it is read
            return
        for line in self.framer.lines_received():
            self._message(line)

    def write(self, items: list[bytes | Frame]) -> None:
        assert self.transport is not None
        parts: list[bytes] = []
        for item in items:
            parts.append(item.data if isinstance(item, Frame) else item)
            parts.append(NEWLINE)
        self._send(b"".join(parts))  # one buffer, one system call

    def _overflowed(self) -> None:
        if self.transport is not None:
            self.transport.abort()  # its buffers are full of what it will never read


class TcpGateway:
    """Accepts TCP clients and serves each with a TcpDoor."""

    def __init__(self, api: Api, hub: Hub, settings: Settings) -> None:
        self.doors = Doors(api, hub, settings)
        self.server: asyncio.Server | None = None

    async def start(
        self, host: str | None = None, port: int | None = None, *, sock: socket.socket | None = None
    ) -> tuple[str, int]:
        """Listen on (host, port), or on a socket already bound; returns the bound address.

        Port 0 picks a free one.
        """
        loop = asyncio.get_running_loop()
        factory = lambda: TcpDoor(self.doors)  # noqa: E731
        if sock is not None:
            self.server = await loop.create_server(factory, sock=sock, backlog=2048)
        else:
            self.server = await loop.create_server(factory, host, port or 0, backlog=2048)
        sockname = self.server.sockets[0].getsockname()
        return str(sockname[0]), int(sockname[1])

    async def stop(self) -> None:
        """Stop accepting, close every connection (after a last flush)."""
        if self.server is not None:
            self.server.close()
        self.doors.close_all()
        if self.server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.server.wait_closed(), STOP_TIMEOUT_S)
        await self.doors.wait_finished(STOP_TIMEOUT_S)
