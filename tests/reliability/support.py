"""Small pipelined test clients for the reliability suite (WebSocket and TCP).

Why not tests/helpers/wire_clients.py: these tests need a few things that a
request/reply client does not give: many requests in flight per connection
without a task each, an arrival timestamp on every message, a reader that can
be paused (the "stuck subscriber"), and a tiny receive buffer so a paused
reader backs up into the server quickly.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import secrets
import socket
import statistics
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

__all__ = [
    "ADMIN",
    "ADMIN_PASSWORD",
    "MS",
    "PASSWORD",
    "TIMEOUT",
    "Conn",
    "percentile",
    "summary",
]

MS = float(os.environ.get("AUCTIONEER_TEST_TIME_SCALE", "1")) * 0.001
TIMEOUT = 10_000 * MS
ADMIN = "rel-admin"
ADMIN_PASSWORD = "admin-password-1"
PASSWORD = "bidder-password-1"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(latencies_s: list[float]) -> str:
    """'n=.. p50=..ms p99=..ms max=..ms' for a report line."""
    if not latencies_s:
        return "n=0"
    return (
        f"n={len(latencies_s)} p50={statistics.median(latencies_s) * 1e3:.1f}ms "
        f"p99={percentile(latencies_s, 99) * 1e3:.1f}ms max={max(latencies_s) * 1e3:.1f}ms"
    )


async def _socket(host: str, port: int, rcvbuf: int | None, timeout: float) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    try:
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (host, port)), timeout)
    except BaseException:
        sock.close()
        raise
    return sock


class Conn:
    """One client connection over WebSocket ("ws") or TCP JSON lines ("tcp").

    `request_nowait` pipelines (returns a future); replies are routed by id.
    Every event is appended to `events` as (perf_counter at arrival, message)
    and passed to `on_event` if set. `pause()`/`resume()` stop and restart
    reading from the socket.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._ids = itertools.count(1)
        # Ids unique across connections: a retried id is rule 10's idempotent replay.
        self._prefix = secrets.token_hex(4) + "-"
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.replies: list[dict[str, Any]] = []  # replies nobody waited for
        self.on_event: Callable[[float, dict[str, Any]], None] | None = None
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._reading = asyncio.Event()
        self._reading.set()
        self._welcome = asyncio.Event()
        self._reader_task: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @classmethod
    async def open(
        cls,
        kind: str,
        server: Any,
        *,
        rcvbuf: int | None = None,
        timeout: float = TIMEOUT,
        wait_welcome: bool = True,
    ) -> Conn:
        """Connect to a RunningServer's WebSocket or TCP door."""
        self = cls(kind)
        if kind == "ws":
            host, port = server.http_url.removeprefix("http://").rsplit(":", 1)
            sock = await _socket(host, int(port), rcvbuf, timeout)
            # A small max_queue: a paused reader stops taking bytes off the socket soon.
            self._ws = await connect(
                server.ws_url,
                sock=sock,
                open_timeout=timeout,
                ping_interval=None,
                compression=None,
                max_size=2**22,
                max_queue=4 if rcvbuf else 64,
            )
        elif kind == "tcp":
            sock = await _socket(server.tcp_host, server.tcp_port, rcvbuf, timeout)
            limit = 2**16 if rcvbuf else 2**22
            self._reader, self._writer = await asyncio.open_connection(sock=sock, limit=limit)
        else:
            raise ValueError(kind)
        self._reader_task = asyncio.get_running_loop().create_task(self._read_loop())
        if wait_welcome:
            await asyncio.wait_for(self._welcome.wait(), timeout)
        return self

    # -- reading -----------------------------------------------------------------
    async def _read_loop(self) -> None:
        try:
            if self._ws is not None:
                while True:
                    await self._reading.wait()
                    self._dispatch(await self._ws.recv())
            else:
                assert self._reader is not None
                while True:
                    await self._reading.wait()
                    line = await self._reader.readline()
                    if not line:
                        return
                    if line.strip():
                        self._dispatch(line)
        except (ConnectionError, OSError, ConnectionClosed, asyncio.IncompleteReadError):
            pass
        except ValueError:  # a TCP line over the reader's limit; never expected here
            pass
        finally:
            if self._ws is not None:
                self.close_code = self._ws.close_code
            self.closed.set()
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("closed before the reply"))
            self._pending.clear()

    def _dispatch(self, raw: bytes | str) -> None:
        now = time.perf_counter()
        msg = json.loads(raw)
        if "event" in msg:
            if msg["event"] == "welcome":
                self._welcome.set()
                return
            self.events.append((now, msg))
            if self.on_event is not None:
                self.on_event(now, msg)
            return
        rid = msg.get("id")
        fut = self._pending.pop(rid, None) if isinstance(rid, str) else None
        if fut is not None:
            if not fut.done():
                fut.set_result(msg)
        else:
            self.replies.append(msg)

    def pause(self) -> None:
        """Stop reading: the server's frames back up into the socket buffers."""
        self._reading.clear()

    def resume(self) -> None:
        self._reading.set()

    # -- writing -----------------------------------------------------------------
    async def send_raw(self, data: bytes | str) -> None:
        if self._ws is not None:
            await self._ws.send(data)
        else:
            assert self._writer is not None
            self._writer.write(data.encode() if isinstance(data, str) else data)
            await self._writer.drain()

    async def send(self, obj: Any) -> None:
        text = json.dumps(obj, separators=(",", ":"))
        await self.send_raw(text if self._ws is not None else text + "\n")

    def request_nowait(self, action: str, **fields: Any) -> asyncio.Future[dict[str, Any]]:
        """Send without waiting for the reply (the write itself is scheduled now)."""
        rid = f"{self._prefix}{next(self._ids)}"
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        if self.closed.is_set():
            fut.set_exception(ConnectionError("closed"))
            return fut
        self._pending[rid] = fut
        text = json.dumps({"id": rid, "action": action, **fields}, separators=(",", ":"))
        if self._ws is not None:
            task = asyncio.get_running_loop().create_task(self._ws.send(text))
            task.add_done_callback(_swallow)
        else:
            assert self._writer is not None
            try:
                self._writer.write((text + "\n").encode())
            except (ConnectionError, OSError, RuntimeError) as e:
                self._pending.pop(rid, None)
                fut.set_exception(ConnectionError(str(e)))
        return fut

    async def request(self, action: str, *, timeout: float = TIMEOUT, **fields: Any) -> Any:
        fut = self.request_nowait(action, **fields)
        if self._writer is not None:
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.drain()
        return await asyncio.wait_for(fut, timeout)

    async def ok(self, action: str, *, timeout: float = TIMEOUT, **fields: Any) -> Any:
        reply = await self.request(action, timeout=timeout, **fields)
        assert reply.get("ok") is True, f"{action} {fields} -> {reply}"
        return reply["result"]

    async def login(
        self, username: str, password: str, *, timeout: float = TIMEOUT
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.ok(
            "login", timeout=timeout, username=username, password=password
        )
        return result

    # -- closing -----------------------------------------------------------------
    async def abort(self) -> None:
        """Drop the connection with no goodbye (TCP reset / no close frame)."""
        if self._ws is not None:
            self._ws.transport.abort()
        elif self._writer is not None:
            self._writer.transport.abort()
        await self._join()

    async def close(self) -> None:
        self.resume()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 2)
        elif self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._writer.wait_closed(), 2)
        await self._join()

    async def _join(self) -> None:
        if self._reader_task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._reader_task), 2)
        self._reader_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader_task

    async def wait_closed(self, timeout: float = TIMEOUT) -> int | None:
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.close_code


def _swallow(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()
