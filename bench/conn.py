"""One client connection of the load generator, over JSON lines or WebSocket.

Why a bare asyncio Protocol: the generator must cost far less per message than
the server it measures, so a connection is a framer (`bench.framing`) plus a
FIFO of reply handlers, with no task per connection and no per-message
allocation beyond the decoded JSON.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Any, cast

import orjson

from bench.framing import HANDSHAKE_END, LineFramer, WsFramer, ws_handshake_request

__all__ = ["REQUEST_TIMEOUT_S", "Conn", "ReplyHandler", "connect"]

REQUEST_TIMEOUT_S = 30.0

# A reply handler gets (context, decoded reply, receive time).
ReplyHandler = Callable[[Any, dict[str, Any], float], None]


class Conn(asyncio.Protocol):
    """One client connection speaking JSON lines or WebSocket, message by message.

    Replies are matched to requests in order (docs/protocol.md: one reply per request,
    in request order per connection); events go to `on_event`.
    """

    def __init__(self, kind: str, host: str, port: int, path: str) -> None:
        self.kind = kind
        self.framer: LineFramer | WsFramer = LineFramer() if kind == "tcp" else WsFramer()
        self._frame = self.framer.frame
        self._host, self._port, self._path = host, port, path
        self._handshaking = kind == "ws"
        self._head = b""
        self.transport: asyncio.Transport | None = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.fifo: deque[tuple[ReplyHandler | None, Any]] = deque()
        self.on_event: Callable[[dict[str, Any], float], None] | None = None
        self.inflight = 0
        self.backlog: deque[tuple[int, int]] = deque()
        self.errors: list[str] = []
        self.closing = False  # set when we close: any other loss is reported

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        t = self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        if self._handshaking:
            t.write(ws_handshake_request(self._host, self._port, self._path))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closing:
            self.errors.append(f"connection lost: {exc}")
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before welcome: {exc}"))
            self.ready.exception()  # retrieved here; `connect` still raises it
        if not self.closed.done():
            self.closed.set_result(None)
        while self.fifo:
            handler, ctx = self.fifo.popleft()
            if handler is None and not ctx.done():
                ctx.set_exception(ConnectionError("connection lost"))

    def data_received(self, data: bytes) -> None:
        if self._handshaking:
            self._head += data
            end = self._head.find(HANDSHAKE_END)
            if end < 0:
                return
            status = self._head[: self._head.find(b"\r\n")]
            if b" 101 " not in status:
                self.errors.append(f"handshake refused: {status!r}")
                assert self.transport is not None
                self.transport.close()
                return
            data = self._head[end + 4 :]
            self._head = b""
            self._handshaking = False
        now = time.perf_counter()
        for payload in self.framer.feed(data):
            self._message(payload, now)
        if self.kind == "ws":
            self._control()

    def _control(self) -> None:
        framer = self.framer
        assert isinstance(framer, WsFramer)
        while framer.control:
            opcode, payload = framer.control.pop(0)
            assert self.transport is not None
            if opcode == 0x9:
                self.transport.write(framer.frame(payload, 0xA))
            elif opcode == 0x8:
                if not self.closing:
                    code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                    self.errors.append(f"closed by server: {code} {payload[2:120]!r}")
                    self.closing = True
                self.transport.write(framer.frame(payload[:2], 0x8))
                self.transport.close()

    def _message(self, payload: bytes, now: float) -> None:
        obj = orjson.loads(payload)
        if "event" in obj:
            if not self.ready.done():
                self.ready.set_result(None)  # the welcome event
            elif self.on_event is not None:
                self.on_event(obj, now)
            return
        if not self.fifo:
            self.errors.append(f"unexpected reply {payload[:200]!r}")
            return
        handler, ctx = self.fifo.popleft()
        if handler is None:
            if not ctx.done():
                ctx.set_result(obj)
        else:
            handler(ctx, obj, now)

    # sending
    def send(self, payload: bytes) -> None:
        assert self.transport is not None
        self.transport.write(self._frame(payload))

    async def request(self, action: str, **fields: Any) -> dict[str, Any]:
        """Send one request and wait for its reply (setup only, not the hot path)."""
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.fifo.append((None, fut))
        self.send(orjson.dumps({"action": action, **fields}))
        return await asyncio.wait_for(fut, REQUEST_TIMEOUT_S)

    def close(self) -> None:
        self.closing = True
        if self.transport is not None and not self.transport.is_closing():
            if self.kind == "ws":
                self.transport.write(WsFramer.frame(b"\x03\xe8", 0x8))
            self.transport.close()


async def connect(kind: str, host: str, port: int, path: str = "/ws") -> Conn:
    loop = asyncio.get_running_loop()
    _, conn = await loop.create_connection(lambda: Conn(kind, host, port, path), host, port)
    await asyncio.wait_for(conn.ready, REQUEST_TIMEOUT_S)
    return conn
