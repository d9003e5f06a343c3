"""The WebSocket door: one JSON object per text frame, at /ws on the HTTP port.

uvicorn parses the HTTP upgrade request and hands the socket to
`WebSocketDoor` (its `ws` protocol hook); from there on no ASGI runs: the
handshake, client frames, pings and the close handshake are `websockets`'
sans-I/O `ServerProtocol`, and our own frames are written straight to the
transport (a server frame is unmasked, so a 2- to 10-byte header and the
event's bytes, encoded once for every subscriber). Why: through uvicorn +
Starlette a push cost about 32 µs and an idle connection about 37 KB
(docs/benchmarks.md).

Who may connect: a browser handshake whose `Origin` is neither the server's
own nor one of `--allowed-origins` is refused with 403 (gateways/guard.py);
behind a trusted proxy the client's address comes from `X-Forwarded-For`.

Limits and closes: a message over `max_message_bytes` closes with 1009 and a
text frame that is not UTF-8 with 1007 (both by `websockets`); a subscriber
that falls too far behind is closed with 1008 and a reason, and can resume
with `since`; a server shutdown closes with 1001. Keepalive: a client silent
for `ping_interval_s` gets a ping; one still silent a further interval later
is closed with 1011 (one timer per gateway checks every connection).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from auctioneer.gateways.door import Door, Doors
from auctioneer.gateways.guard import ConnectionGuard, OriginPolicy
from auctioneer.pubsub.hub import Hub
from auctioneer.service.api import Api
from auctioneer.service.ports import Frame
from auctioneer.service.settings import Settings

__all__ = ["PATH", "WebSocketDoor", "WebSocketGateway"]

PATH = "/ws"
POLICY_VIOLATION = 1008
GOING_AWAY = 1001
NORMAL = 1000
PING_TIMEOUT = 1011
_quiet = logging.getLogger("auctioneer.ws")  # websockets logs each close at INFO
_SMALL_HEADERS = [bytes((0x81, n)) for n in range(126)]


def _header(size: int) -> bytes:
    """The header of an unmasked, final text frame of `size` bytes (RFC 6455 5.2)."""
    if size < 126:
        return _SMALL_HEADERS[size]
    if size < 65_536:
        return b"\x81\x7e" + size.to_bytes(2, "big")
    return b"\x81\x7f" + size.to_bytes(8, "big")


class _LastFramed:
    """The newest event framed once: a fan-out writes the same frame to many doors in a row."""

    frame: Frame | None = None
    data: bytes = b""

    @classmethod
    def of(cls, frame: Frame) -> bytes:
        if cls.frame is not frame:
            cls.frame, cls.data = frame, _header(len(frame.data)) + frame.data
        return cls.data


def _bytes(data: bytes | bytearray | memoryview) -> bytes:
    return data if isinstance(data, bytes) else bytes(data)


class WebSocketDoor(Door):
    """One WebSocket client, from the upgrade request on."""

    def __init__(
        self, doors: Doors, uvicorn_state: Any = None, origins: OriginPolicy | None = None
    ) -> None:
        super().__init__(doors)
        self.origins = origins or OriginPolicy()
        self.ws = ServerProtocol(max_size=doors.settings.max_message_bytes, logger=_quiet)
        self._uvicorn_state = uvicorn_state  # its shutdown waits for these connections
        self._parts: list[bytes] = []
        self._text = True
        self._heard = time.monotonic()  # when the client last sent anything
        self._pinged: float | None = None  # when we pinged a silent client

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self._uvicorn_state is not None:
            self._uvicorn_state.connections.add(self)

    def data_received(self, data: bytes) -> None:
        self._heard = time.monotonic()
        try:
            self.ws.receive_data(data)
        except EOFError:  # after the end of the stream: nothing more to read
            return
        for event in self.ws.events_received():
            if isinstance(event, WsFrame):
                self._frame(event)
            elif isinstance(event, Request):
                self._handshake(event)
        self._send_pending()

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self._send_pending()
        return None

    def _handshake(self, request: Request) -> None:
        headers = request.headers
        if urlsplit(request.path).path != PATH:
            response = self.ws.reject(404, "Not Found\n")
        elif not self.origins.allows(headers.get("Origin"), headers.get("Host")):
            response = self.ws.reject(403, "This Origin may not open a WebSocket here\n")
        else:
            response = self.ws.accept(request)
            guard = self.doors.guard
            if guard is not None:
                self.address = guard.proxies.client(self.address, headers.get("X-Forwarded-For"))
        self.ws.send_response(response)
        if response.status_code == 101:
            self._send_pending()
            self._open_connection()

    def _frame(self, frame: WsFrame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            self._text = opcode is Opcode.TEXT
            data = _bytes(frame.data)
            if not frame.fin:
                self._parts = [data]
                return
        elif opcode is Opcode.CONT:
            self._parts.append(_bytes(frame.data))
            if not frame.fin:
                return
            data, self._parts = b"".join(self._parts), []
        else:
            return  # ping, pong and close are the protocol's own business
        if not self._text:
            self._message(data)
            return
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.ws.fail(1007, "invalid UTF-8 in a text frame")
            return
        self._message(text)

    def _send_pending(self) -> None:
        transport = self.transport
        if transport is None:
            return
        for data in self.ws.data_to_send():
            if data:
                transport.write(data)
            else:  # the protocol's end of stream: the close handshake is over
                self._close_transport()

    def keepalive(self, now: float, interval: float) -> None:
        """Ping a client silent for `interval`; close one that stayed silent after it."""
        if self.ws.state is not State.OPEN or self._lost or now - self._heard < interval:
            self._pinged = None
            return
        if self._pinged is None:
            self._pinged = now
            self.ws.send_ping(b"")
            self._send_pending()
        elif now - self._pinged >= interval:
            self.ws.fail(PING_TIMEOUT, "keepalive ping timeout")
            self._send_pending()
            if self.transport is not None:
                self.transport.abort()  # a peer that answers nothing will not read a close

    # -- the Connection's Sink --------------------------------------------------------
    def write(self, items: list[bytes | Frame]) -> None:
        if self.ws.state is not State.OPEN or self.transport is None or self._lost:
            return
        if len(items) == 1 and isinstance(items[0], Frame):  # a fan-out's usual case
            self._send(_LastFramed.of(items[0]))
            return
        parts: list[bytes] = []
        for item in items:
            data = item.data if isinstance(item, Frame) else item
            parts.append(_header(len(data)))
            parts.append(data)
        self._send(b"".join(parts))  # one buffer, one system call

    def closed(self, reason: str) -> None:
        if self.ws.state is State.OPEN and not self._lost:
            if reason.startswith(("slow consumer", "closed after")):
                code = POLICY_VIOLATION
            elif reason.startswith("server shutting down"):
                code = GOING_AWAY
            else:
                code = NORMAL
            self.ws.send_close(code, reason[:120])
            self._send_pending()
        self._close_transport()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._uvicorn_state is not None:
            self._uvicorn_state.connections.discard(self)
        super().connection_lost(exc)


class WebSocketGateway:
    """The WebSocket connections of one server; `protocol` is uvicorn's `ws` hook."""

    def __init__(
        self, api: Api, hub: Hub, settings: Settings, *, guard: ConnectionGuard | None = None
    ) -> None:
        self.doors = Doors(api, hub, settings, guard=guard)
        self.origins = OriginPolicy(settings.allowed_origins)
        self._ticker: asyncio.TimerHandle | None = None

    def protocol(self, *, config: Any = None, server_state: Any = None, **_: Any) -> WebSocketDoor:
        """Called by uvicorn's HTTP protocol for each upgrade request."""
        if self._ticker is None and self.doors.settings.ping_interval_s > 0:
            self._tick()
        return WebSocketDoor(self.doors, server_state, self.origins)

    def _tick(self) -> None:
        """Check every connection's silence, twice per interval."""
        interval = self.doors.settings.ping_interval_s
        now = time.monotonic()
        for door in list(self.doors.open):
            if isinstance(door, WebSocketDoor):
                door.keepalive(now, interval)
        self._ticker = asyncio.get_running_loop().call_later(interval / 2, self._tick)

    def close_all(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        self.doors.close_all()

    async def wait_finished(self, timeout: float) -> None:
        await self.doors.wait_finished(timeout)
