"""The desktop apps' network worker: a `Client` on its own asyncio thread.

Why a thread and a queue: Tk must only be touched from the thread that made
it, and its main loop must never wait on the network. The
worker thread runs the client library's `Client` (reconnects, resumes each
topic with ``since``, re-authenticates); everything it learns — replies,
events, connection status — is put in a queue as a callable, and the Tk side
runs those callables from an `after()` poll. Nothing here imports tkinter:
the poll is started by whoever owns the widget.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar

from auctioneer.clients.backoff import backoff
from auctioneer.clients.connection import Client
from auctioneer.clients.errors import ClientError, ConnectFailed
from auctioneer.clients.session import Event

__all__ = ["POLL_MS", "Bridge", "Scheduler", "Status"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How often the Tk side empties the queue (ms): fast enough to feel instant.
POLL_MS = 25


class Scheduler(Protocol):
    """What the bridge needs from a Tk widget: `after` and `after_cancel`."""

    def after(self, ms: int, func: Callable[[], object]) -> str: ...
    def after_cancel(self, id: str) -> None: ...


class Status(enum.StrEnum):
    """Connection states reported to `on_status` (the client library's, plus two)."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"  # the first connection failed; retrying
    CLOSED = "closed"


def _gui_backoff() -> Iterator[float]:
    # A person is watching: retry quickly, and never wait more than 2 s.
    return backoff(initial=0.2, factor=1.6, maximum=2.0)


class Bridge:
    """One server connection for one window, run off the Tk thread.

    Args:
        url: the server URL (as ``--server``).
        backoff_delays: reconnect delays (seconds) for the client and for the
            first connection.
        ping_interval: seconds between pings that keep the server clock fresh.

    Set `on_event(event)` and `on_status(status)` before `start()`; both are
    called on the Tk thread.
    """

    def __init__(
        self,
        url: str,
        *,
        backoff_delays: Callable[[], Iterator[float]] = _gui_backoff,
        ping_interval: float = 15.0,
    ) -> None:
        self.url = url
        self.on_event: Callable[[Event], None] = lambda event: None
        self.on_status: Callable[[str], None] = lambda status: None
        self.status: str = Status.CONNECTING
        self.reconnects = 0
        self._backoff = backoff_delays
        self._ping_interval = ping_interval
        self._inbox: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True, name="auctioneer-tk-net")
        self._client: Client | None = None
        self._have_client = asyncio.Event()  # bound to no loop until first awaited
        self._widget: Scheduler | None = None
        self._after: str | None = None
        self._stopped = False

    # -- Tk side ---------------------------------------------------------------

    def start(self, widget: Scheduler) -> None:
        """Start the worker thread, the first connection, and the `after()` poll."""
        self._widget = widget
        self._thread.start()
        self._submit(self._connect_forever())
        self._poll()

    def stop(self, timeout: float = 5.0) -> None:
        """Close the connection and end the worker thread (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        if self._widget is not None and self._after is not None:
            with contextlib.suppress(Exception):
                self._widget.after_cancel(self._after)
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                self._submit(self._close()).result(timeout)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
        if not self._loop.is_running():
            self._loop.close()

    def call(
        self,
        work: Callable[[Client], Awaitable[T]],
        on_ok: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run `work(client)` on the worker once connected; report back on the Tk thread."""

        async def run() -> T:
            client = await self._connected_client()
            return await work(client)

        future = self._submit(run())

        def done(f: Future[T]) -> None:
            if f.cancelled() or self._stopped:
                return
            error = f.exception()
            if error is not None:
                if on_error is not None:
                    self.post(on_error, error)
                else:
                    log.warning("request failed: %s", error)
            elif on_ok is not None:
                self.post(on_ok, f.result())

        future.add_done_callback(done)

    def request(
        self,
        action: str,
        on_ok: Callable[[dict[str, Any]], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        **fields: Any,
    ) -> None:
        """Send one protocol action; `on_ok(result)` or `on_error(error)` on the Tk thread."""
        self.call(lambda client: client.request(action, **fields), on_ok, on_error)

    def post(self, func: Callable[..., Any], *args: Any) -> None:
        """Queue `func(*args)` for the Tk thread (safe from any thread)."""
        self._inbox.put(lambda: func(*args))

    def server_now(self) -> float:
        """The server's clock (POSIX seconds), from the welcome and the pings."""
        client = self._client
        return client.server_now() if client is not None else time.time()

    def _poll(self) -> None:
        for _ in range(1000):  # bounded, so a flood cannot starve the window
            try:
                func = self._inbox.get_nowait()
            except queue.Empty:
                break
            try:
                func()
            except Exception:  # a view bug must not stop the poll
                log.exception("UI callback failed")
        if not self._stopped and self._widget is not None:
            self._after = self._widget.after(POLL_MS, self._poll)

    def _set_status(self, status: str) -> None:
        if status == Status.CONNECTED and self.status in (Status.RECONNECTING, Status.OFFLINE):
            self.reconnects += 1
        self.status = status
        self.on_status(status)

    # -- worker side -----------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()
        # Let cancelled tasks finish before the loop is closed by stop().
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        if pending:
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))

    def _submit(self, coro: Awaitable[T]) -> Future[T]:
        async def wrap() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrap(), self._loop)

    async def _connected_client(self) -> Client:
        await self._have_client.wait()
        assert self._client is not None
        return self._client

    async def _connect_forever(self) -> None:
        delays = self._backoff()
        while not self._stopped:
            client = Client(
                self.url,
                reconnect=True,
                reconnect_for=float("inf"),
                backoff_delays=self._backoff,
                queue_events=False,
                ping_interval=self._ping_interval,
                connect_timeout=5.0,
            )
            client.on_event(lambda event: self.post(self.on_event_proxy, event))
            client.on_status(lambda status: self.post(self._set_status, status))
            try:
                await client.connect()
            except ConnectFailed as e:
                log.info("%s", e)
                self.post(self._set_status, Status.OFFLINE)
                await asyncio.sleep(next(delays))
                continue
            except ClientError as e:  # pragma: no cover - connect raises ConnectFailed only
                log.warning("connect failed: %s", e)
                await asyncio.sleep(next(delays))
                continue
            self._client = client
            self._have_client.set()
            with contextlib.suppress(ClientError):
                await client.ping()  # a first clock sample with a round trip
            return

    def on_event_proxy(self, event: Event) -> None:
        self.on_event(event)

    async def _close(self) -> None:
        if self._client is not None:
            await self._client.close()
