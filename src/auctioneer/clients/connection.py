"""The high-level async client: one object that the CLI, the bots and the tests use.

Why this shape: callers want "send an action, get its result or an error",
plus a stream of events that survives a dropped connection. `Client` does
the I/O (a reader task, futures keyed by request id, the reconnect loop) and
leaves every protocol decision to `ClientSession`, so the behaviour across a
reconnect (resubscribe with ``since``, resend unanswered requests with their
ids, no event lost or seen twice) is the session's, tested without sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Self

from auctioneer.clients.backoff import backoff
from auctioneer.clients.errors import (
    ClientError,
    ConnectFailed,
    ConnectionLost,
    PeerProtocolError,
    RequestFailed,
    RequestTimeout,
)
from auctioneer.clients.session import ClientSession, Event, GapDetected, Reply, Welcome
from auctioneer.clients.transports import Transport, TransportClosed, connect_url

__all__ = ["Client", "EventCallback", "StatusCallback"]

log = logging.getLogger(__name__)

EventCallback = Callable[[Event], None]
StatusCallback = Callable[[str], None]

_END = object()
# The server drops a TCP client silent for 300 s (docs/security.md); WebSocket
# clients are pinged by the server instead. Well inside that, ping on TCP.
TCP_PING_INTERVAL_S = 120.0


class Client:
    """An Auctioneer connection that logs in, requests, and streams events.

    Args:
        url: ``http://HOST:PORT`` or ``ws://HOST:PORT/ws`` (WebSocket), or
            ``tcp://HOST:PORT`` (JSON lines).
        token: authenticate with this token on connect and on every reconnect.
        reconnect: reconnect after a dropped connection (for up to
            `reconnect_for` seconds, with delays from `backoff_delays`).
        request_timeout: seconds to wait for each reply.
        queue_events: keep events for `events()`; turn off when only
            callbacks are used, so nothing piles up.
        ping_interval: ping this often (seconds) to keep the server clock
            offset fresh for long-lived views; None: only on `ping()`, except
            on TCP, where it is `TCP_PING_INTERVAL_S` so that a client that
            only listens outlives the server's idle timeout.

    Use as ``async with Client(url) as client:``.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        reconnect: bool = True,
        reconnect_for: float = 60.0,
        request_timeout: float = 15.0,
        connect_timeout: float = 10.0,
        backoff_delays: Callable[[], Iterator[float]] = backoff,
        queue_events: bool = True,
        session: ClientSession | None = None,
        ping_interval: float | None = None,
    ) -> None:
        self.url = url
        self.session = session or ClientSession()
        self._token = token
        self._reconnect = reconnect
        self._reconnect_for = reconnect_for
        self._request_timeout = request_timeout
        self._connect_timeout = connect_timeout
        self._backoff = backoff_delays
        self._queue_events = queue_events
        self._transport: Transport | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pinger: asyncio.Task[None] | None = None
        if ping_interval is None and url.startswith("tcp://"):
            ping_interval = TCP_PING_INTERVAL_S
        self._ping_interval = ping_interval
        self._futures: dict[str, asyncio.Future[Reply]] = {}
        self._events: asyncio.Queue[object] = asyncio.Queue()
        self._event_callbacks: list[EventCallback] = []
        self._status_callbacks: list[StatusCallback] = []
        self._ready = False
        self._closing = False
        self._failure: ClientError | None = None
        self.reconnects = 0

    # -- life cycle ------------------------------------------------------------

    async def connect(self) -> Self:
        """Connect, wait for the welcome, and authenticate if a token was given.

        Raises:
            ConnectFailed: the server cannot be reached.
            RequestFailed: the token was refused (``unauthorized``).
        """
        try:
            self._transport = await connect_url(self.url, timeout=self._connect_timeout)
        except (OSError, TimeoutError, ValueError) as e:
            raise ConnectFailed(self.url, str(e) or type(e).__name__) from e
        try:
            first = await asyncio.wait_for(self._transport.receive(), self._connect_timeout)
        except (TransportClosed, TimeoutError, PeerProtocolError) as e:
            await self._transport.close()
            raise ConnectFailed(self.url, f"no welcome from the server ({e})") from e
        self._handle(self.session.receive(first, now=time.time()))
        self._ready = True
        self._reader = asyncio.create_task(self._read_loop(), name=f"auctioneer-client {self.url}")
        if self._token:
            try:
                await self.auth(self._token)
            except ClientError:
                await self.close()  # `async with` will not call __aexit__ for us
                raise
        if self._ping_interval:
            self._pinger = asyncio.create_task(self._ping_loop(self._ping_interval))
        self._status("connected")
        return self

    async def _ping_loop(self, interval: float) -> None:
        while not self._closing:
            await asyncio.sleep(interval)
            with contextlib.suppress(ClientError):
                await self.ping()

    async def close(self) -> None:
        """Close the connection; pending requests fail with `ConnectionLost`."""
        self._closing = True
        self._ready = False
        if self._pinger is not None:
            self._pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pinger
        if self._transport is not None:
            with contextlib.suppress(Exception):
                await self._transport.close()
        if self._reader is not None and self._reader is not asyncio.current_task():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        self._fail_all(ConnectionLost("client closed"))

    async def __aenter__(self) -> Self:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self._ready and not self._closing

    # -- requests --------------------------------------------------------------

    async def request(self, action: str, /, **fields: Any) -> dict[str, Any]:
        """Send `action` and return its ``result``.

        A request cut off by a dropped connection is sent again, with the same
        id, after the reconnect (docs/protocol.md rule 10 makes that safe).

        Raises:
            RequestFailed: the server replied with an error.
            RequestTimeout: no reply within the request timeout.
            ConnectionLost: the client is closed or gave up reconnecting.
        """
        reply = await self._exchange(action, fields)
        if not reply.ok:
            error = reply.error or {}
            raise RequestFailed(
                str(error.get("code", "internal")), str(error.get("message", "")), error, action
            )
        return reply.result

    async def _exchange(self, action: str, fields: dict[str, Any]) -> Reply:
        if self._failure is not None:
            raise self._failure
        if self._closing or self._transport is None:
            raise ConnectionLost("client is not connected")
        message = self.session.request(action, fields, now=time.time())
        rid = message["id"]
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._futures[rid] = future
        if self._ready:
            with contextlib.suppress(TransportClosed):
                await self._transport.send(message)  # else resent after reconnect
        try:
            return await asyncio.wait_for(future, self._request_timeout)
        except TimeoutError:
            self.session.forget(rid)
            raise RequestTimeout(
                f"no reply to {action} within {self._request_timeout:g} s"
            ) from None
        finally:
            self._futures.pop(rid, None)

    async def ping(self) -> float:
        """Ping the server, refine the clock offset, and return the round trip in seconds."""
        start = time.monotonic()
        await self.request("ping")
        return time.monotonic() - start

    async def register(self, username: str, password: str) -> dict[str, Any]:
        """Create an account; returns the user object (does not log in)."""
        result = await self.request("register", username=username, password=password)
        return dict(result.get("user", result))

    async def login(self, username: str, password: str) -> dict[str, Any]:
        """Log in; returns ``{token, user}`` and re-authenticates on every reconnect."""
        result = await self.request("login", username=username, password=password)
        self._token = result.get("token")
        return result

    async def auth(self, token: str) -> dict[str, Any]:
        """Authenticate this connection with a stored token; returns the user object."""
        result = await self.request("auth", token=token)
        self._token = token
        self.session.token = token
        return dict(result.get("user", result))

    async def logout(self) -> None:
        """Log out: the token stops working everywhere."""
        await self.request("logout")
        self._token = None

    async def logout_everywhere(self) -> None:
        """End every session of this user (every token), this one too."""
        await self.request("logout_everywhere")
        self._token = None

    async def change_password(self, old_password: str, new_password: str) -> None:
        """Set a new password; the user's other sessions end, this one stays."""
        await self.request("change_password", old_password=old_password, new_password=new_password)

    async def subscribe(self, topic: str, *, since: int | None = None) -> dict[str, Any]:
        """Subscribe to `topic`; kept (and resumed) across reconnects."""
        return await self.request("subscribe", topic=topic, since=since)

    async def follow(self, auction_id: int) -> dict[str, Any]:
        """Read an auction and subscribe to its topic from that very state.

        Subscribing with ``since`` = the auction's seq makes the server replay
        whatever happened between the read and the subscribe, so the picture
        in `session.book` misses nothing. Returns the ``get_auction`` result.

        Raises:
            RequestFailed: ``not_found`` if the auction is unknown or hidden.
        """
        result = await self.request("get_auction", auction_id=auction_id)
        since = result.get("auction", {}).get("seq")
        await self.subscribe(
            f"auction:{auction_id}", since=since if isinstance(since, int) else None
        )
        return result

    async def unsubscribe(self, topic: str) -> None:
        await self.request("unsubscribe", topic=topic)

    # -- state -----------------------------------------------------------------

    @property
    def user(self) -> dict[str, Any] | None:
        return self.session.user

    @property
    def token(self) -> str | None:
        return self.session.token or self._token

    def server_now(self) -> float:
        """The server's clock now, in POSIX seconds (from welcome and pings)."""
        return self.session.server_now(time.time())

    # -- events ----------------------------------------------------------------

    def on_event(self, callback: EventCallback) -> None:
        """Call `callback(event)` for each event, in order, from the reader task."""
        self._event_callbacks.append(callback)

    def on_status(self, callback: StatusCallback) -> None:
        """Call `callback(status)` on ``connected``, ``reconnecting``, ``closed``."""
        self._status_callbacks.append(callback)

    async def events(self) -> AsyncIterator[Event]:
        """Iterate over events until the client closes."""
        while True:
            item = await self._events.get()
            if item is _END:
                self._events.put_nowait(_END)  # let other iterators end too
                return
            assert isinstance(item, Event)
            yield item

    # -- internals -------------------------------------------------------------

    def _status(self, status: str) -> None:
        for callback in self._status_callbacks:
            try:
                callback(status)
            except Exception:  # a UI callback must not kill the reader
                log.exception("status callback failed")

    def _handle(self, items: list[Any]) -> list[dict[str, Any]]:
        """Dispatch what the session made of a message; return messages to send."""
        out: list[dict[str, Any]] = []
        for item in items:
            if isinstance(item, Reply):
                future = self._futures.get(item.id or "")
                if future is not None and not future.done():
                    future.set_result(item)
                elif not item.ok and not item.internal:
                    log.warning("unmatched error reply: %s", item.error)
            elif isinstance(item, Event):
                if self._queue_events:
                    self._events.put_nowait(item)
                for callback in self._event_callbacks:
                    try:
                        callback(item)
                    except Exception:
                        log.exception("event callback failed")
            elif isinstance(item, GapDetected):
                out.extend(self.session.resync_requests(item.topic))
            elif isinstance(item, Welcome):
                pass
        return out

    async def _read_loop(self) -> None:
        try:
            while not self._closing:
                assert self._transport is not None
                try:
                    message = await self._transport.receive()
                    to_send = self._handle(self.session.receive(message, now=time.time()))
                    for out in to_send:
                        await self._transport.send(out)
                except (TransportClosed, PeerProtocolError) as e:
                    if self._closing:
                        return
                    if not self._reconnect or not await self._reconnect_now(e):
                        self._fail_all(ConnectionLost(f"connection to {self.url} lost: {e}"))
                        return
        finally:
            self._ready = False
            self._events.put_nowait(_END)
            self._status("closed")

    async def _reconnect_now(self, cause: Exception) -> bool:
        self._ready = False
        self._status("reconnecting")
        log.info("connection lost (%s); reconnecting", cause)
        if self._transport is not None:
            with contextlib.suppress(Exception):
                await self._transport.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._reconnect_for
        for delay in self._backoff():
            if self._closing or loop.time() + delay > deadline:
                return False
            await asyncio.sleep(delay)
            try:
                self._transport = await connect_url(self.url, timeout=self._connect_timeout)
                await self._authenticate_again()
                break
            except (OSError, TimeoutError, ValueError, TransportClosed, PeerProtocolError):
                continue
        else:
            return False
        self.reconnects += 1
        resend = self.session.resend_requests()
        opening = self.session.resubscribe_requests()
        self._ready = True
        with contextlib.suppress(TransportClosed):  # the read loop will notice
            for message in [*opening, *resend]:
                await self._transport.send(message)
        self._status("connected")
        return True

    async def _authenticate_again(self) -> None:
        """Send ``auth`` and wait for its reply before anything else goes out.

        The server may run pipelined requests concurrently (it only orders the
        replies), so a write sent right behind ``auth`` could be judged
        anonymous. Messages that arrive meanwhile are handled as usual.

        Raises:
            TransportClosed, PeerProtocolError, TimeoutError: try the next attempt.
        """
        if not self._token:
            return
        assert self._transport is not None
        message = self.session.request("auth", {"token": self._token}, internal=True)
        await self._transport.send(message)
        async with asyncio.timeout(self._request_timeout):
            while True:
                items = self.session.receive(await self._transport.receive(), now=time.time())
                for out in self._handle(items):
                    await self._transport.send(out)
                if any(isinstance(i, Reply) and i.id == message["id"] for i in items):
                    return

    def _fail_all(self, error: ClientError) -> None:
        self._failure = self._failure or error
        for future in self._futures.values():
            if not future.done():
                future.set_exception(error)
        self._futures.clear()
