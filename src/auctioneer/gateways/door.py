"""What both socket doors share: an asyncio Protocol that serves one Connection.

Why a Protocol and not streams or an ASGI app: a push is then one
`transport.write` of bytes encoded once for every subscriber, with no task,
no queue and no await per connection (docs/benchmarks.md measured the ASGI
WebSocket send chain at about 32 µs per push and 25 KB per idle connection).
An idle connection is a transport, this object and its Connection; no task
waits on it.

Subclasses own the framing: they turn bytes into messages (`_message`,
`_reject`) and messages into bytes (`write`). This class owns the rest:
- messages go to the Connection at once while it has room; otherwise (too
  many in flight, or a `login`/`auth`/`logout` barrier) they wait in an inbox
  drained by one short-lived task, and past `INBOX_LIMIT` the door stops
  reading from the socket until the inbox drains;
- the transport's high-water mark pauses the Connection's output (it then
  queues, bounded, and drops the client when it overflows) and stops reading
  the socket until the client takes its output: a client that sends requests
  and never reads the replies cannot make the server queue them without end
  (issue 20, item 5); what it can owe is bounded by `max_in_flight` replies;
- the connection cap per address (gateways/guard.py): the socket's count is
  released when it closes, whichever door served it;
- closing: the transport is closed after a last flush, and aborted if the
  peer does not take that flush within `LINGER_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections import deque
from typing import cast

from auctioneer.engine.errors import AuctionError
from auctioneer.gateways.connection import Connection
from auctioneer.gateways.guard import ConnectionGuard, peer_host
from auctioneer.pubsub.hub import Hub
from auctioneer.service.api import Api
from auctioneer.service.ports import Frame
from auctioneer.service.settings import Settings

__all__ = ["Door", "Doors"]

INBOX_LIMIT = 64  # messages read ahead before the door stops reading the socket
LINGER_S = 30.0  # how long a closing transport may take to flush before it is aborted
HIGH_WATER = 64 * 1024  # transport bytes above which the Connection keeps output itself
# TCP keepalive: a peer that vanished without a FIN (power loss, a dropped
# route) is found by the kernel after about 60 + 6 * 10 seconds of silence.
KEEPALIVE = (
    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
    *(
        (socket.IPPROTO_TCP, getattr(socket, name), value)
        for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 6))
        if hasattr(socket, name)
    ),
)


class Doors:
    """Every connection of one door kind, so a shutdown can close them all."""

    def __init__(
        self, api: Api, hub: Hub, settings: Settings, *, guard: ConnectionGuard | None = None
    ) -> None:
        self.api = api
        self.hub = hub
        self.settings = settings
        self.guard = guard
        self.open: set[Door] = set()
        self._finishing: set[asyncio.Task[None]] = set()

    def close_all(self, reason: str = "server shutting down") -> None:
        for door in list(self.open):
            door.shutdown(reason)

    def finished(self, task: asyncio.Task[None]) -> None:
        """Keep a connection's clean-up task alive until it is done."""
        self._finishing.add(task)
        task.add_done_callback(self._finishing.discard)

    async def wait_finished(self, timeout: float) -> None:
        """Wait (bounded) for the clean-up of connections that already closed."""
        if self._finishing:
            await asyncio.wait(set(self._finishing), timeout=timeout)


class Door(asyncio.Protocol):
    """One client socket; also the Connection's Sink."""

    def __init__(self, doors: Doors) -> None:
        self.doors = doors
        self.transport: asyncio.Transport | None = None
        self.conn: Connection | None = None
        self._inbox: deque[bytes | str | AuctionError] = deque()
        self._pump: asyncio.Task[None] | None = None
        self._read_blockers: set[str] = set()  # why the socket is not read now
        self._output_free = asyncio.Event()  # cleared while the client does not read
        self._output_free.set()
        self.address = ""  # the client's address (a trusted proxy's X-Forwarded-For)
        self._lost = False
        self._linger: asyncio.TimerHandle | None = None
        self._fd = -1  # the socket's descriptor when `_send` may write to it itself

    # -- opening --------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.set_write_buffer_limits(high=HIGH_WATER)
        self.address = peer_host(transport)
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):  # not a TCP socket (a test's pipe, say)
                for level, option, value in KEEPALIVE:
                    sock.setsockopt(level, option, value)
            if os.name == "posix" and transport.get_extra_info("sslcontext") is None:
                self._fd = sock.fileno()  # plain bytes on the wire: `_send` may write them
        self.doors.open.add(self)

    def _open_connection(self) -> Connection:
        """Start serving: call once the door's own handshake (if any) is done."""
        assert self.transport is not None
        settings = self.doors.settings
        self.conn = Connection(
            self.doors.api,
            self.doors.hub,
            sink=self,
            address=self.address,
            queue_limit=settings.queue_limit,
            max_in_flight=settings.max_in_flight,
        )
        self.conn.on_overflow = self._overflowed
        return self.conn

    # -- reading --------------------------------------------------------------
    def _message(self, raw: bytes | str) -> None:
        """A whole message from the client: run it now, or queue it in order."""
        conn = self.conn
        if conn is None or conn.closed:
            return
        if self._pump is None and conn.has_room() and self._output_free.is_set():
            barrier = conn.submit(raw)
            if barrier is not None:
                self._pump = asyncio.get_running_loop().create_task(self._drain(barrier))
            return
        self._queue(raw)

    def _reject(self, error: AuctionError) -> None:
        """A peer error after the messages before it: answer it, then close."""
        if self.conn is None or self.conn.closed:
            return
        if self._pump is None:
            self.conn.reject_and_close(error)
        else:
            self._queue(error)

    def _queue(self, item: bytes | str | AuctionError) -> None:
        self._inbox.append(item)
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._drain(None))
        if len(self._inbox) >= INBOX_LIMIT:
            self._block_reading("inbox")

    async def _drain(self, barrier: asyncio.Task[None] | None) -> None:
        conn = self.conn
        assert conn is not None
        try:
            if barrier is not None:
                await barrier
            while self._inbox and not conn.closed:
                if not self._output_free.is_set():  # no new work while it owes reading
                    await self._output_free.wait()
                    continue
                item = self._inbox.popleft()
                if isinstance(item, AuctionError):
                    conn.reject_and_close(item)
                else:
                    await conn.receive(item)
        finally:
            self._pump = None
            self._unblock_reading("inbox")

    def _block_reading(self, reason: str) -> None:
        if not self._read_blockers and self.transport is not None and not self._lost:
            self.transport.pause_reading()
        self._read_blockers.add(reason)

    def _unblock_reading(self, reason: str) -> None:
        if reason not in self._read_blockers:
            return
        self._read_blockers.discard(reason)
        if not self._read_blockers and self.transport is not None and not self._lost:
            self.transport.resume_reading()

    # -- writing (the Connection's Sink) ----------------------------------------------
    def write(self, items: list[bytes | Frame]) -> None:
        raise NotImplementedError

    def _send(self, data: bytes) -> None:
        """Write `data` to the socket, ourselves while nothing waits ahead of it.

        Why not always `transport.write`: uvloop makes the `write` system call
        holding the GIL, and a push is mostly that call (1,000 subscribers,
        50 flushes a second); `os.write` releases the GIL around it, so the
        SQLite writer thread commits meanwhile instead of waiting for the loop
        (`hot-latest` +30%, `spread` +5%: docs/benchmarks.md). Order holds:
        once the transport keeps unsent bytes (a slow reader), every write
        goes behind them through the transport, as does whatever part the
        socket did not take. An error is left to the transport to report.
        """
        transport = self.transport
        assert transport is not None
        if self._fd >= 0 and not transport.get_write_buffer_size() and not transport.is_closing():
            try:
                sent = os.write(self._fd, data)
            except OSError:  # full (EAGAIN) or broken: the transport queues or reports it
                sent = 0
            if sent == len(data):
                return
            data = data[sent:]
        transport.write(data)

    def pause_writing(self) -> None:
        # No new requests while the client does not read: what is read already
        # waits in the inbox (then reading stops), so only replies to requests
        # in flight (at most max_in_flight) can still queue.
        self._output_free.clear()
        self._block_reading("output")
        if self.conn is not None:
            self.conn.pause_writing()

    def resume_writing(self) -> None:
        if self.conn is not None:
            self.conn.resume_writing()
        self._output_free.set()
        self._unblock_reading("output")

    def _overflowed(self) -> None:
        """Dropped as a slow consumer: the close was sent by `closed()`; nothing more."""

    # -- closing --------------------------------------------------------------
    def closed(self, reason: str) -> None:
        """The Connection ended: say goodbye if the door has a way to, then close."""
        self._close_transport()

    def shutdown(self, reason: str = "server shutting down") -> None:
        if self.conn is not None and not self.conn.closed:
            self.conn.close(reason)
        else:
            self._close_transport()

    def _close_transport(self) -> None:
        transport = self.transport
        if transport is None or self._lost or transport.is_closing():
            return
        transport.close()
        self._linger = asyncio.get_running_loop().call_later(LINGER_S, transport.abort)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self.doors.open.discard(self)
        if self.doors.guard is not None and self.transport is not None:
            self.doors.guard.release(self.transport)
        if self._linger is not None:
            self._linger.cancel()
        self._inbox.clear()
        if self._pump is not None:
            self._pump.cancel()
        conn = self.conn
        if conn is not None:
            conn.close(conn.close_reason or "client left")
            self.doors.finished(asyncio.get_running_loop().create_task(conn.finish()))

    def eof_received(self) -> bool | None:
        return None  # close our side too
