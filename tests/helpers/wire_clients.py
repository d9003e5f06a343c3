"""Tiny async test clients that speak docs/protocol.md over real sockets.

`WsClient` (one JSON object per WebSocket text frame, the `websockets`
library), `TcpClient` (JSON lines over asyncio streams) and `HttpClient` (the
REST mapping, httpx) share one shape: `request(action, **fields)` returns the
reply dict (`{"ok": ..., "result"|"error": ...}`, auto ids on the socket
doors). The socket clients also have `next_event(name)` and raw sends for
bad-input tests. Every wait has a timeout, in the one scalable unit `MS`
(WS `tests/utils.py`): set AUCTIONEER_TEST_TIME_SCALE=3 on a slow machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import secrets
from collections.abc import Callable
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

__all__ = [
    "MS",
    "TIMEOUT",
    "HttpClient",
    "SocketClient",
    "TcpClient",
    "WsClient",
    "open_client",
]

MS = float(os.environ.get("AUCTIONEER_TEST_TIME_SCALE", "1")) * 0.001
TIMEOUT = 10_000 * MS  # the longest a test waits for one reply or event


def _encode(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


class _Checked:
    """`ok` and `error` on top of a client's `request`."""

    async def request(self, action: str, **fields: Any) -> dict[str, Any]:
        raise NotImplementedError

    async def ok(self, action: str, **fields: Any) -> dict[str, Any]:
        """`request` that must succeed; returns the result."""
        reply = await self.request(action, **fields)
        assert reply.get("ok") is True, f"{action} {fields} -> {reply}"
        return reply["result"]  # type: ignore[no-any-return]

    async def error(self, action: str, **fields: Any) -> str:
        """`request` that must fail; returns the error code."""
        reply = await self.request(action, **fields)
        assert reply.get("ok") is False, f"{action} {fields} succeeded: {reply}"
        return reply["error"]["code"]  # type: ignore[no-any-return]


class SocketClient(_Checked):
    """What the WebSocket and TCP clients share: reply routing and event buffer."""

    kind = "socket"

    def __init__(self) -> None:
        # Ids are unique across connections: the server keeps the first reply of
        # each (user, id) write for retries (docs/protocol.md rule 10).
        self._id_prefix = f"{secrets.token_hex(4)}-"
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []  # not yet taken by next_event
        self.replies: list[dict[str, Any]] = []  # replies no request() waits for
        self.messages: list[dict[str, Any]] = []  # everything received, in order
        self.welcome: dict[str, Any] | None = None
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._arrived = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self.token: str | None = None
        self.user: dict[str, Any] | None = None

    # -- transport hooks ---------------------------------------------------
    async def send_raw(self, data: bytes | str) -> None:
        """Send one message exactly as given (a frame, or bytes on the TCP stream)."""
        raise NotImplementedError

    async def _receive_loop(self) -> None:
        raise NotImplementedError

    async def abort(self) -> None:
        """Drop the connection without a goodbye (no close frame, a TCP reset)."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------
    async def _started(self, timeout: float) -> None:
        self._reader = asyncio.get_running_loop().create_task(self._run_reader())
        self.welcome = await self.next_event("welcome", timeout=timeout)

    async def _run_reader(self) -> None:
        try:
            await self._receive_loop()
        except (ConnectionError, OSError, ConnectionClosed):
            pass
        finally:
            self.closed.set()
            self._arrived.set()
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("connection closed before the reply"))
            self._pending.clear()

    def _dispatch(self, raw: bytes | str) -> None:
        msg = json.loads(raw)
        self.messages.append(msg)
        if isinstance(msg, dict) and "event" in msg:
            self.events.append(msg)
        else:
            rid = msg.get("id") if isinstance(msg, dict) else None
            fut = self._pending.pop(rid, None) if isinstance(rid, str) else None
            if fut is not None and not fut.done():
                fut.set_result(msg)
            else:
                self.replies.append(msg)
        self._arrived.set()

    async def send(self, obj: Any) -> None:
        """Send one JSON value as a message (no id added)."""
        await self.send_raw(_encode(obj))

    async def request(
        self, action: str, *, timeout: float = TIMEOUT, id: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Send `action` with a fresh id (or `id`) and wait for its reply."""
        rid = id if id is not None else f"{self._id_prefix}{next(self._ids)}"
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        await self.send({"id": rid, "action": action, **fields})
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._pending.pop(rid, None)

    async def login(self, username: str, password: str) -> dict[str, Any]:
        result = await self.ok("login", username=username, password=password)
        self.token, self.user = result["token"], result["user"]
        return result

    async def _wait_for(
        self, pick: Callable[[], Any], what: str, timeout: float
    ) -> Any:  # the first non-None pick(), waiting for messages up to `timeout`
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = pick()
            if found is not None:
                return found
            if self.closed.is_set():
                raise ConnectionError(f"closed (code {self.close_code}) while waiting for {what}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                names = [e.get("event") for e in self.events]
                raise TimeoutError(f"no {what} within {timeout:.2f}s; buffered events: {names}")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def next_event(
        self, name: str | None = None, *, topic: str | None = None, timeout: float = TIMEOUT
    ) -> dict[str, Any]:
        """Take the first buffered event matching `name` and `topic` (waiting for one)."""

        def pick() -> dict[str, Any] | None:
            for i, ev in enumerate(self.events):
                if (name is None or ev.get("event") == name) and (
                    topic is None or ev.get("topic") == topic
                ):
                    return self.events.pop(i)
            return None

        return await self._wait_for(pick, f"event {name or '*'} on {topic or '*'}", timeout)  # type: ignore[no-any-return]

    async def next_reply(self, *, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The next reply that no `request()` was waiting for (raw sends)."""

        def pick() -> dict[str, Any] | None:
            return self.replies.pop(0) if self.replies else None

        return await self._wait_for(pick, "reply", timeout)  # type: ignore[no-any-return]

    async def collect_events(
        self, count: int, *, topic: str | None = None, timeout: float = TIMEOUT
    ) -> list[dict[str, Any]]:
        """Take the next `count` events of `topic`, in arrival order."""
        return [await self.next_event(topic=topic, timeout=timeout) for _ in range(count)]

    async def quiet(self, *, topic: str | None = None, wait: float = 300 * MS) -> list[Any]:
        """Wait `wait` seconds and return (and take) the events of `topic` that came."""
        await asyncio.sleep(wait)
        taken = [e for e in self.events if topic is None or e.get("topic") == topic]
        self.events = [e for e in self.events if e not in taken]
        return taken

    async def wait_closed(self, timeout: float = TIMEOUT) -> int | None:
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.close_code

    async def __aenter__(self) -> SocketClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class WsClient(SocketClient):
    kind = "ws"

    def __init__(self, ws: ClientConnection) -> None:
        super().__init__()
        self.ws = ws

    @classmethod
    async def open(cls, url: str, *, timeout: float = TIMEOUT) -> WsClient:
        ws = await connect(
            url, open_timeout=timeout, ping_interval=None, compression=None, max_size=2**24
        )
        client = cls(ws)
        await client._started(timeout)
        return client

    async def send_raw(self, data: bytes | str) -> None:
        try:
            await self.ws.send(data)
        except ConnectionClosed as e:
            raise ConnectionError(f"WebSocket closed: {e}") from e

    async def _receive_loop(self) -> None:
        try:
            async for message in self.ws:
                self._dispatch(message)
        finally:
            self.close_code = self.ws.close_code

    async def abort(self) -> None:
        self.ws.transport.abort()
        await self._stop_reader()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 2000 * MS)
        await self._stop_reader()

    async def _stop_reader(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._reader), 2000 * MS)
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader


class TcpClient(SocketClient):
    kind = "tcp"

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        super().__init__()
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int, *, timeout: float = TIMEOUT) -> TcpClient:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, limit=2**24), timeout
        )
        client = cls(reader, writer)
        await client._started(timeout)
        return client

    async def send(self, obj: Any) -> None:
        await self.send_raw(_encode(obj) + "\n")

    async def send_raw(self, data: bytes | str) -> None:
        """Write bytes on the stream as given: add the newline yourself."""
        self.writer.write(data.encode() if isinstance(data, str) else data)
        await self.writer.drain()

    async def _receive_loop(self) -> None:
        while True:
            line = await self.reader.readline()
            if not line:
                return
            if line.strip():
                self._dispatch(line)

    async def abort(self) -> None:
        self.writer.transport.abort()
        await self._stop_reader()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.writer.wait_closed(), 2000 * MS)
        await self._stop_reader()

    async def _stop_reader(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader


# -- HTTP: the REST mapping of docs/protocol.md ----------------------------------------
# action -> (method, path, where the other fields go: "body" or "query")
ROUTES: dict[str, tuple[str, str, str]] = {
    "register": ("POST", "/api/register", "body"),
    "login": ("POST", "/api/login", "body"),
    "auth": ("POST", "/api/auth", "body"),
    "logout": ("POST", "/api/logout", "body"),
    "ping": ("GET", "/api/ping", "query"),
    "get_auctions": ("GET", "/api/auctions", "query"),
    "create_auction": ("POST", "/api/auctions", "body"),
    "get_auction": ("GET", "/api/auctions/{auction_id}", "query"),
    "update_auction": ("PATCH", "/api/auctions/{auction_id}", "body"),
    "delete_auction": ("DELETE", "/api/auctions/{auction_id}", "query"),
    "close_auction": ("POST", "/api/auctions/{auction_id}/close", "body"),
    "cancel_auction": ("POST", "/api/auctions/{auction_id}/cancel", "body"),
    "get_bids": ("GET", "/api/auctions/{auction_id}/bids", "query"),
    "place_bid": ("POST", "/api/auctions/{auction_id}/bids", "body"),
    "start_auto_bid": ("POST", "/api/auctions/{auction_id}/auto-bid", "body"),
    "stop_auto_bid": ("DELETE", "/api/auctions/{auction_id}/auto-bid", "query"),
    "buy_now": ("POST", "/api/auctions/{auction_id}/buy-now", "body"),
    "create_sale": ("POST", "/api/sales", "body"),
    "set_budget": ("PUT", "/api/sales/{sale_id}/budget", "body"),
    "get_budget": ("GET", "/api/sales/{sale_id}/budget", "query"),
    "get_purchases": ("GET", "/api/purchases", "query"),
    "get_notices": ("GET", "/api/notices", "query"),
    "get_watchlist": ("GET", "/api/watchlist", "query"),
    "watch_auction": ("PUT", "/api/watchlist/{auction_id}", "query"),
    "unwatch_auction": ("DELETE", "/api/watchlist/{auction_id}", "query"),
}


class HttpClient(_Checked):
    """The REST door with the socket clients' `request()` shape.

    Replies are turned into `{"ok": True, "result": body}` or
    `{"ok": False, "error": body["error"]}`, plus `"status"`. `login` keeps the
    token and sends it as `Authorization: Bearer` from then on.
    """

    kind = "http"

    def __init__(self, base_url: str, *, timeout: float = TIMEOUT) -> None:
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self.token: str | None = None
        self.user: dict[str, Any] | None = None

    @classmethod
    async def open(cls, base_url: str, *, timeout: float = TIMEOUT) -> HttpClient:
        return cls(base_url, timeout=timeout)

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    async def raw(
        self, method: str, path: str, *, content: bytes | str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = self.headers(kw.pop("headers", None))
        if content is not None:
            headers.setdefault("Content-Type", "application/json")
        return await self.http.request(method, path, content=content, headers=headers, **kw)

    async def request(
        self, action: str, *, idempotency_key: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        method, path, where = ROUTES[action]
        for name in ("auction_id", "sale_id"):
            if "{" + name + "}" in path:
                path = path.replace("{" + name + "}", str(fields.pop(name)))
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        if where == "body":
            resp = await self.raw(method, path, content=_encode(fields), headers=headers)
        else:
            params = {k: (",".join(v) if isinstance(v, list) else v) for k, v in fields.items()}
            resp = await self.raw(method, path, params=params, headers=headers)
        body = resp.json()
        if resp.is_success:
            reply = {"ok": True, "result": body, "status": resp.status_code}
        else:
            reply = {"ok": False, "error": body.get("error"), "status": resp.status_code}
        if action == "login" and reply["ok"]:
            self.token, self.user = body["token"], body["user"]
        if action == "logout" and reply["ok"]:
            self.token = None
        return reply

    async def login(self, username: str, password: str) -> dict[str, Any]:
        result = await self.ok("login", username=username, password=password)
        return result

    async def close(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def open_client(kind: str, server: Any, *, timeout: float = TIMEOUT) -> Any:
    """A client of `kind` ("ws", "tcp" or "http") for a RunningServer (or for
    one of several, when `server` has `pick()`: tests/e2e/test_two_processes.py)."""
    if hasattr(server, "pick"):
        server = server.pick()
    if kind == "ws":
        return await WsClient.open(server.ws_url, timeout=timeout)
    if kind == "tcp":
        return await TcpClient.open(server.tcp_host, server.tcp_port, timeout=timeout)
    if kind == "http":
        return await HttpClient.open(server.http_url, timeout=timeout)
    raise ValueError(f"unknown client kind {kind!r}")
