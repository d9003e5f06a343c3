"""One client connection, whatever its door (WebSocket or TCP).

It owns what a gateway must not get wrong twice:
- replies go out exactly once per request, in request order, even when the
  client pipelines requests and they finish out of order;
- `subscribe` with `since`: the reply, then the missed events, then live
  events, with no gap and no duplicate at the seam (live frames that arrive
  during the catch-up are buffered and de-duplicated by seq);
- a bounded outbox: a full-feed subscriber that falls `queue_limit` frames
  behind is dropped (it can resume by seq) and never slows anyone else; a
  `"mode": "latest"` subscription keeps only the newest frame per topic.
The door only moves bytes: it hands each message to `submit()` (or awaits
`receive()`), and the connection writes to the door's `Sink` once per turn of
the event loop, so a reply and the events a batch caused leave in one write.
While the door's transport is above its high-water mark the door calls
`pause_writing()`; frames then wait in the outbox, which is what is bounded.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from auctioneer import __version__
from auctioneer.engine.errors import AuctionError
from auctioneer.pubsub.hub import Hub
from auctioneer.service.api import Api
from auctioneer.service.errors import Internal
from auctioneer.service.ports import Frame
from auctioneer.service.subscriptions import Grant, auctions_feed
from auctioneer.service.users import Caller
from auctioneer.wire import codec
from auctioneer.wire import messages as m
from auctioneer.wire.timefmt import format_time
from auctioneer.wire.topics import (
    AUCTIONS,
    AUCTIONS_ADMIN,
    TopicKind,
    parse_topic,
)

__all__ = ["Connection", "Sink"]

log = logging.getLogger(__name__)

# Requests that change who the connection is: they wait for the requests before
# them, and the requests after them wait for them (pipelining stays sequential).
_IDENTITY_ACTIONS = frozenset({"login", "auth", "logout", "logout_everywhere"})


class Sink(Protocol):
    """Where a connection's output goes: a door's transport (or a test's inbox)."""

    def write(self, items: list[bytes | Frame]) -> None:
        """Send these in order, without blocking."""

    def closed(self, reason: str) -> None:
        """The connection ended: flush what was written and close the transport."""


@dataclass(eq=False)
class _Slot:
    """A reply that must wait for the replies of earlier requests."""

    data: bytes | None = None
    then: list[Frame | _LatestMarker] = field(default_factory=list)
    on_sent: Callable[[], None] | None = None


@dataclass(eq=False)
class _Subscription:
    # What the service granted, and to whom: a feed ends when the connection's
    # identity no longer matches (logout here or elsewhere, auth as someone else).
    grant: Grant
    mode: str
    live: bool = False
    last_seq: int = 0
    buffer: list[Frame] = field(default_factory=list)
    latest: Frame | None = None  # latest mode: the newest frame not yet sent
    filling: bool = False  # frames a gap lacked are being delivered from the store

    @property
    def topic(self) -> str:
        """The internal topic (auction:ID, user:ID, auctions, auctions:admin)."""
        return self.grant.topic


@dataclass(eq=False)
class _LatestMarker:
    sub: _Subscription


class Connection:
    """Requests in, replies and events out, for one client."""

    def __init__(
        self,
        api: Api,
        hub: Hub,
        *,
        sink: Sink | None = None,
        address: str = "",
        queue_limit: int = 1024,
        max_in_flight: int = 256,
    ) -> None:
        self.api = api
        self.hub = hub
        self.caller = Caller(address=address)
        self.queue_limit = queue_limit
        self.max_in_flight = max_in_flight
        self.closed = False
        self.close_reason: str | None = None
        self._loop = asyncio.get_running_loop()
        self._sink = sink
        self._paused = False
        self._flush_pending = False
        self._outbox: deque[bytes | Frame | _LatestMarker] = deque()
        self._slots: deque[_Slot] = deque()
        self._room: asyncio.Event | None = None  # made when a client fills max_in_flight
        self._subs: dict[str, _Subscription] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self._parked = 0  # live frames waiting behind owed replies
        self.on_overflow: Callable[[], None] | None = None
        self._push(self.welcome())

    @property
    def sink(self) -> Sink | None:
        return self._sink

    @sink.setter
    def sink(self, sink: Sink | None) -> None:
        self._sink = sink
        self._schedule_flush()

    def welcome(self) -> bytes:
        data = {
            "protocol": 1,
            "server_time": format_time(self.api.clock.now_ms()),
            "server": f"auctioneer {__version__}",
        }
        return codec.encode_event("welcome", data)

    # -- requests ----------------------------------------------------------
    def has_room(self) -> bool:
        """Whether `submit()` may take another message now (max_in_flight)."""
        return len(self._slots) < self.max_in_flight

    async def receive(self, raw: bytes | str) -> None:
        """Handle one message; waits while too many are in flight or behind a barrier."""
        while not self.has_room() and not self.closed:
            if self._room is None:
                self._room = asyncio.Event()
            self._room.clear()
            await self._room.wait()
        if self.closed:
            return
        barrier = self.submit(raw)
        if barrier is not None:
            await barrier

    def submit(self, raw: bytes | str) -> asyncio.Task[None] | None:
        """Start handling one message now; the caller checked `has_room()`.

        Returns the task that later messages must wait for (`login`, `auth`,
        `logout` change who the connection is), or None.
        """
        slot = _Slot()
        self._slots.append(slot)
        try:
            request_id, action, request = m.parse_request(codec.decode(raw))
        except m.RequestError as e:
            self._fill(slot, codec.encode_error(e.request_id, e.error.to_wire()))
            return None
        except AuctionError as e:  # malformed JSON
            self._fill(slot, codec.encode_error(None, e.to_wire()))
            return None
        if action in _IDENTITY_ACTIONS:
            # A barrier: what came before runs as the old identity, what comes
            # after (not submitted until this is done) as the new one.
            return self._loop.create_task(
                self._after(set(self._tasks), slot, action, request, request_id)
            )
        task = self._loop.create_task(self._run(slot, action, request, request_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return None

    async def _after(
        self,
        earlier: set[asyncio.Task[None]],
        slot: _Slot,
        action: str,
        request: m.Request,
        rid: str | None,
    ) -> None:
        if earlier:
            await asyncio.wait(earlier)
        await self._run(slot, action, request, rid)

    async def _run(self, slot: _Slot, action: str, request: m.Request, rid: str | None) -> None:
        if self.closed and isinstance(request, m.Subscribe):
            return  # nobody to deliver to
        try:
            if isinstance(request, m.Subscribe):
                await self._subscribe(slot, request, rid)
                return
            if isinstance(request, m.Unsubscribe):
                result = await self._unsubscribe(request)
            else:
                result = await self.api.handle(self.caller, action, request, rid)
                if action in _IDENTITY_ACTIONS:
                    await self._drop_private_subscriptions()
            self._fill(slot, _reply(rid, result))
        except AuctionError as e:
            self._fill(slot, codec.encode_error(rid, e.to_wire()))
        except ConnectionError:
            return  # the client left while we worked; nothing to answer
        except Exception:
            log.exception("request %s failed", action)
            try:
                reply = codec.encode_error(rid, Internal().to_wire())
            except TypeError:  # an id that cannot be echoed
                reply = codec.encode_error(None, Internal().to_wire())
            self._fill(slot, reply)

    def _fill(self, slot: _Slot, data: bytes) -> None:
        """Give `slot` its reply, then send every reply that no longer waits."""
        slot.data = data
        while self._slots and self._slots[0].data is not None:
            done = self._slots.popleft()
            assert done.data is not None
            self._push(done.data)
            for item in done.then:
                self._push(item, catch_up=True)
            self._parked = max(0, self._parked - len(done.then))
            if done.on_sent is not None:
                done.on_sent()
        if self._room is not None and len(self._slots) < self.max_in_flight:
            self._room.set()

    # -- subscriptions ---------------------------------------------------------
    async def _subscribe(self, slot: _Slot, req: m.Subscribe, rid: str | None) -> None:
        subscriptions = self.api.subscriptions
        grant = await subscriptions.grant(self.caller, req.topic)  # the service decides
        internal = grant.topic
        old = self._subs.pop(internal, None)
        if old is not None:
            await self.hub.detach(internal, self)
        # Latest-value mode keeps one frame per topic: right for one auction's
        # feed, wrong where each frame is about something else (a summary of
        # another auction, a notice), so those feeds always deliver everything.
        mode = req.mode if grant.kind is TopicKind.AUCTION else "full"
        sub = _Subscription(grant, mode)
        self._subs[internal] = sub
        try:
            await self.hub.attach(internal, self, latest=mode == "latest")
            # Live frames now reach sub.buffer; what the store has up to `seq` is the catch-up.
            seq, backlog = await subscriptions.catch_up(grant, req.since)
            if self.closed:  # the client left meanwhile: leave nothing attached
                raise ConnectionError("closed during subscribe")
        except BaseException:
            if self._subs.get(internal) is sub:
                del self._subs[internal]
            await self.hub.detach(internal, self)
            raise
        if mode == "latest" and backlog:
            backlog = backlog[-1:]

        # A client may ask from a seq the topic has not reached yet (it raced the
        # write that makes it): it has said it has those, so they are not sent.
        resume_after = max(seq, req.since or 0) if grant.kind is not TopicKind.AUCTIONS else seq

        def go_live() -> None:
            sub.last_seq = resume_after
            sub.live = True
            buffered, sub.buffer = sub.buffer, []
            for frame in buffered:
                self.deliver(internal, frame)

        slot.then = [*backlog, *slot.then]  # frames parked meanwhile come after the catch-up
        slot.on_sent = go_live
        self._fill(slot, _reply(rid, codec.encode({"topic": grant.wire, "seq": seq})))

    async def _unsubscribe(self, req: m.Unsubscribe) -> bytes:
        topic = parse_topic(req.topic)
        for internal, sub in list(self._subs.items()):
            if sub.grant.wire == topic.wire:
                del self._subs[internal]
                await self.hub.detach(internal, self)
        return codec.encode({})

    async def _drop_private_subscriptions(self) -> None:
        """After an identity change: end every feed it was needed for, at once.

        The `auctions` feed is for anyone, so it is switched, not ended: an
        admin that logs out goes on with the public summaries, and a bidder
        that logs in as an admin gets the admin ones.
        """
        for internal, sub in list(self._subs.items()):
            if sub.topic in (AUCTIONS, AUCTIONS_ADMIN):
                await self._switch_auctions_feed(sub)
            elif not self._still_allowed(sub):
                del self._subs[internal]
                await self.hub.detach(internal, self)

    async def _switch_auctions_feed(self, sub: _Subscription) -> None:
        wanted = AUCTIONS_ADMIN if self.caller.is_admin else AUCTIONS
        if sub.topic == wanted or self._subs.get(sub.topic) is not sub:
            return
        del self._subs[sub.topic]
        await self.hub.detach(sub.topic, self)
        switched = _Subscription(auctions_feed(self.caller), sub.mode, live=True)
        self._subs[wanted] = switched
        await self.hub.attach(wanted, self, latest=sub.mode == "latest")

    def deliver(self, topic: str, frame: Frame) -> None:
        """Hub callback: take a frame for `topic` without ever blocking."""
        sub = self._subs.get(topic)
        if sub is None or self.closed:
            return
        if not self._still_allowed(sub):
            if sub.topic == AUCTIONS_ADMIN:  # logged out elsewhere: go on with the public feed
                self._spawn(self._switch_auctions_feed(sub))
            else:
                self._end(sub)
            return
        if not sub.live:
            sub.buffer.append(frame)
            if len(sub.buffer) > self.queue_limit:
                self.overflow()
            return
        if frame.seq is not None and sub.topic not in (AUCTIONS, AUCTIONS_ADMIN):
            if frame.seq <= sub.last_seq:
                return  # already sent by the catch-up
            if frame.seq > sub.last_seq + 1 and sub.mode != "latest" and not sub.filling:
                # A gap: a broker message lost, or frames of another process
                # overtaken. The store has them: send those first, in order.
                sub.live = False
                sub.buffer.append(frame)
                self._spawn(self._fill_gap(sub, sub.last_seq, frame.seq))
                return
            sub.last_seq = frame.seq
        if self._slots:
            # A reply is still owed: events wait behind it, so a writer always
            # reads its reply before the events its write caused.
            if sub.mode != "latest":
                self._park(frame)
            elif sub.latest is None:
                self._slots[-1].then.append(_LatestMarker(sub))  # one per sub, never lag
            if sub.mode == "latest":
                sub.latest = frame
        elif not self._outbox and self._sink is not None and not self._paused:
            self._sink.write([frame])  # nothing queued ahead of it: straight out
        elif sub.mode == "latest":
            if sub.latest is None:
                self._push(_LatestMarker(sub))
            sub.latest = frame
        else:
            self._push(frame)
        if frame.hides:
            if self.caller.is_admin:
                # Admins go on seeing it, only while admins.
                sub.grant = replace(sub.grant, for_admin=True)
            else:
                self._end(sub)  # invisible to this bidder from now on: the feed ends here

    def _park(self, frame: Frame) -> None:
        self._slots[-1].then.append(frame)
        self._parked += 1
        if self._parked > self.queue_limit:
            self.overflow()

    def _still_allowed(self, sub: _Subscription) -> bool:
        return sub.grant.allows(self.caller)

    async def _fill_gap(self, sub: _Subscription, after: int, upto: int) -> None:
        """Deliver the frames after `after` and before `upto` from the store,
        then what arrived meanwhile."""
        try:
            missing = await self.api.subscriptions.missed(sub.grant, after, upto - 1)
        except Exception:
            log.warning("could not fill a gap in %s after seq %d", sub.topic, after, exc_info=True)
            missing = []
        if self.closed or self._subs.get(sub.topic) is not sub:
            return
        sub.live, sub.filling = True, True
        try:
            for frame in missing:
                self.deliver(sub.topic, frame)
            sub.last_seq = max(sub.last_seq, upto - 1)  # what the store lacks is lost for good
        finally:
            sub.filling = False
        buffered, sub.buffer = sub.buffer, []
        for frame in buffered:
            self.deliver(sub.topic, frame)

    def _end(self, sub: _Subscription) -> None:
        """Stop a subscription from inside delivery (detaching is async)."""
        if self._subs.get(sub.topic) is not sub:
            return
        del self._subs[sub.topic]
        self._spawn(self.hub.detach(sub.topic, self))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- the outbox --------------------------------------------------------------
    def _push(self, item: bytes | Frame | _LatestMarker, *, catch_up: bool = False) -> None:
        """Queue outgoing data. Replies and catch-up frames never count as lag."""
        if self.closed:
            return
        if len(self._outbox) >= self.queue_limit and not (catch_up or isinstance(item, bytes)):
            self.overflow()
            return
        self._outbox.append(item)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if not self._flush_pending and not self._paused and self._sink is not None:
            self._flush_pending = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Hand everything queued this turn to the sink in one write."""
        self._flush_pending = False
        if self.closed or self._paused or self._sink is None:
            return
        items: list[bytes | Frame] = []
        outbox = self._outbox
        while outbox:
            item = outbox.popleft()
            if isinstance(item, _LatestMarker):
                frame, item.sub.latest = item.sub.latest, None
                if frame is not None:
                    items.append(frame)
            else:
                items.append(item)
        if items:
            self._sink.write(items)
        if self._closing and not self._outbox:
            self.close("closed after a protocol error")

    def pause_writing(self) -> None:
        """The door's transport is full: keep output here (bounded) until resumed."""
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._outbox or self._closing:
            self._schedule_flush()

    def overflow(self) -> None:
        """The client stopped reading: drop it so nobody else waits for it."""
        self.close("slow consumer: too many undelivered events; resume with since")
        if self.on_overflow is not None:
            self.on_overflow()

    def reject_and_close(self, error: AuctionError) -> None:
        """Answer a peer error (after earlier replies), then close: `message_too_large`."""
        slot = _Slot(on_sent=self._close_when_flushed)
        self._slots.append(slot)
        self._fill(slot, codec.encode_error(None, error.to_wire()))

    def _close_when_flushed(self) -> None:
        self._closing = True
        self._schedule_flush()

    def close(self, reason: str | None = None) -> None:
        """Stop delivering and tell the sink, which closes the transport."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        self._outbox.clear()
        if self._room is not None:
            self._room.set()
        if self._sink is not None:
            self._sink.closed(reason or "")

    async def finish(self) -> None:
        """Release subscriptions and identity after the socket closed."""
        self.close()
        for internal in list(self._subs):
            await self.hub.detach(internal, self)
        self._subs.clear()
        self.api.users.detach(self.caller)


def _reply(request_id: str | None, result: bytes) -> bytes:
    """Wrap an encoded result in the reply envelope without decoding it."""
    head = (
        b'{"ok":true,"result":'
        if request_id is None
        else (b'{"id":' + codec.encode(request_id) + b',"ok":true,"result":')
    )
    return head + result + b"}"
