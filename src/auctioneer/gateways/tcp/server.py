"""The TCP door: UTF-8 JSON objects, one per line (the seeds' protocol).

A thin asyncio shell around the sans-I/O framer (wire/jsonlines.py) and the
shared Connection: read bytes, feed lines in, write what comes out. A line
over the limit gets `message_too_large` and the connection closes; a client
that stops reading is dropped once its outbox is full, and its transport is
aborted so a stuck `drain()` holds nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from auctioneer.gateways.connection import Connection
from auctioneer.gateways.errors import MessageTooLarge
from auctioneer.pubsub.hub import Hub
from auctioneer.service.api import Api
from auctioneer.service.ports import Frame
from auctioneer.service.settings import Settings
from auctioneer.wire.jsonlines import JsonLinesFramer, LineTooLong

__all__ = ["TcpGateway"]

log = logging.getLogger(__name__)
READ_CHUNK = 65_536
FLUSH_TIMEOUT_S = 5.0


class TcpGateway:
    """Accepts TCP clients and serves each with a Connection."""

    def __init__(self, api: Api, hub: Hub, settings: Settings) -> None:
        self.api = api
        self.hub = hub
        self.settings = settings
        self.server: asyncio.Server | None = None
        self._connections: set[Connection] = set()

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen; returns the bound address (port 0 picks a free one)."""
        self.server = await asyncio.start_server(self._serve, host, port)
        sockname = self.server.sockets[0].getsockname()
        return str(sockname[0]), int(sockname[1])

    async def stop(self) -> None:
        """Stop accepting, close every connection."""
        if self.server is not None:
            self.server.close()
        for conn in list(self._connections):
            conn.close("server shutting down")
        if self.server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.server.wait_closed(), FLUSH_TIMEOUT_S)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        conn = Connection(
            self.api,
            self.hub,
            address=str(peer[0]) if peer else "",
            queue_limit=self.settings.queue_limit,
            max_in_flight=self.settings.max_in_flight,
        )
        conn.on_overflow = writer.transport.abort
        self._connections.add(conn)
        framer = JsonLinesFramer(max_line_bytes=self.settings.max_message_bytes)
        sender = asyncio.get_running_loop().create_task(self._send(conn, writer))
        try:
            await self._read(conn, reader, framer)
        except (ConnectionError, OSError):
            pass
        finally:
            if not framer.failed:
                conn.close("client left")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(sender), FLUSH_TIMEOUT_S)
            sender.cancel()
            await conn.finish()
            self._connections.discard(conn)
            writer.close()

    async def _read(
        self, conn: Connection, reader: asyncio.StreamReader, framer: JsonLinesFramer
    ) -> None:
        while not conn.closed:
            data = await reader.read(READ_CHUNK)
            if not data:
                return
            try:
                framer.receive_data(data)
            except LineTooLong as e:
                for line in framer.lines_received():
                    await conn.receive(line)
                conn.reject_and_close(MessageTooLarge(e.limit))
                return
            for line in framer.lines_received():
                await conn.receive(line)

    async def _send(self, conn: Connection, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                items = await conn.take()
                if not items:
                    break
                writer.write(b"".join(_line(item) for item in items))
                await writer.drain()
        except (ConnectionError, OSError):
            conn.close("write failed")


def _line(item: bytes | Frame) -> bytes:
    return (item.data if isinstance(item, Frame) else item) + b"\n"
