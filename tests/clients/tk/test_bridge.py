"""The network worker hands everything back on the UI thread, through `after()` only.

No Tk here: a small scheduler plays Tk's `after`, and this (main) thread runs
what it schedules, as Tk's event loop would. The server is the real shared one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from auctioneer.clients.errors import RequestFailed
from auctioneer.clients.session import Event
from auctioneer.clients.tk.bridge import Bridge, Status
from tests.clients.live import Live

__all__: list[str] = []


class Loop:
    """`after`/`after_cancel` and a `run_until`, on the thread that calls them."""

    def __init__(self) -> None:
        self.timers: dict[str, tuple[float, Callable[[], object]]] = {}
        self.count = 0

    def after(self, ms: int, func: Callable[[], object]) -> str:
        self.count += 1
        key = f"after#{self.count}"
        self.timers[key] = (time.monotonic() + ms / 1000, func)
        return key

    def after_cancel(self, id: str) -> None:
        self.timers.pop(id, None)

    def run_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < end, "timed out"
            now = time.monotonic()
            for key, (due, func) in sorted(self.timers.items(), key=lambda kv: kv[1][0]):
                if due <= now:
                    self.timers.pop(key, None)
                    func()
            time.sleep(0.002)


def test_replies_events_and_status_arrive_on_the_ui_thread(live: Live) -> None:
    loop = Loop()
    bridge = Bridge(live.url)
    seen: dict[str, Any] = {"threads": set(), "events": [], "statuses": []}

    def note(kind: str, value: object) -> None:
        seen["threads"].add(threading.current_thread())
        seen[kind].append(value)

    bridge.on_event = lambda event: note("events", event)
    bridge.on_status = lambda status: note("statuses", status)
    replies: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    # Asked before the connection exists: it waits for it.
    bridge.request("subscribe", lambda r: replies.append(r), topic="auctions")
    bridge.start(loop)
    try:
        loop.run_until(lambda: bool(replies))
        assert Status.CONNECTED in seen["statuses"]
        made = live.auction()
        loop.run_until(
            lambda: any(
                isinstance(e, Event) and e.data.get("id") == made["id"] for e in seen["events"]
            )
        )
        bridge.request("place_bid", None, errors.append, auction_id=made["id"], amount=1)
        loop.run_until(lambda: bool(errors))
        assert isinstance(errors[0], RequestFailed) and errors[0].code == "unauthorized"
        assert seen["threads"] == {threading.main_thread()}
        assert abs(bridge.server_now() - time.time()) < 5
    finally:
        bridge.stop()
    assert not bridge._thread.is_alive()
