"""The TCP door: UTF-8 JSON objects, one per line (the seeds' protocol).

A thin asyncio Protocol around the sans-I/O framer (wire/jsonlines.py) and
the shared Connection (through gateways/door.py): bytes in, lines to the
Connection, its output out as lines. A line over the limit gets
`message_too_large` and the connection closes; a client that stops reading
is dropped once its outbox is full: its transport is aborted, so nothing
waits on it. A client over its address's connection cap is closed at once
(gateways/guard.py), and one that sends nothing for `idle_timeout_s` (300 s
by default; a `ping` counts) is disconnected (issue 20, item 6).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import cast

from auctioneer.gateways.door import Door, Doors
from auctioneer.gateways.errors import MessageTooLarge
from auctioneer.gateways.guard import ConnectionGuard
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
        self.heard = time.monotonic()  # when the client last sent anything

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        guard = self.doors.guard
        if guard is not None and not guard.admit(transport):
            cast(asyncio.Transport, transport).abort()  # over its address's cap: no welcome
            return
        super().connection_made(transport)
        self._open_connection()

    def data_received(self, data: bytes) -> None:
        self.heard = time.monotonic()
        if self.framer.failed:
            return
        try:
            self.framer.receive_data(data)
        except LineTooLong as e:
            for line in self.framer.lines_received():
                self._message(line)
            self._reject(MessageTooLarge(e.limit))
            self._block_reading("failed")  # nothing after it is read
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

    def __init__(
        self, api: Api, hub: Hub, settings: Settings, *, guard: ConnectionGuard | None = None
    ) -> None:
        self.doors = Doors(api, hub, settings, guard=guard)
        self.server: asyncio.Server | None = None
        self._ticker: asyncio.TimerHandle | None = None

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
        if self.doors.settings.idle_timeout_s > 0:
            self._tick()
        return str(sockname[0]), int(sockname[1])

    def _tick(self) -> None:
        """Disconnect clients silent for `idle_timeout_s`; look a few times per timeout."""
        timeout = self.doors.settings.idle_timeout_s
        now = time.monotonic()
        for door in list(self.doors.open):
            if isinstance(door, TcpDoor) and now - door.heard >= timeout:
                door.shutdown(f"idle for {timeout:g} s: disconnected (send ping to stay)")
        interval = min(max(timeout / 4, 0.05), 30.0)
        self._ticker = asyncio.get_running_loop().call_later(interval, self._tick)

    async def stop(self) -> None:
        """Stop accepting, close every connection (after a last flush)."""
        if self._ticker is not None:
            self._ticker.cancel()
        if self.server is not None:
            self.server.close()
        self.doors.close_all()
        if self.server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.server.wait_closed(), STOP_TIMEOUT_S)
        await self.doors.wait_finished(STOP_TIMEOUT_S)
