"""The sans-I/O client state every client shares.

Why sans-I/O: the command line, the room, the watch view, the bots and the
tests all speak the same protocol over different transports. This module
holds everything that is protocol rather than I/O, and is tested with plain
dictionaries: request ids and the replies awaited, the last seq seen per topic
(the resume cursor), gap and duplicate detection, the server clock offset, who
we are logged in as, and our own auto-bid maxima. It never reads a socket and
never sleeps; the caller passes in local times.

Use it like h11's Connection: build each request with `request()`, send the
dict yourself, and feed every received message to `receive()`, which returns
what it meant (`Reply`, `Event`, `Welcome`, `GapDetected`).
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from auctioneer.clients.book import AuctionBook
from auctioneer.clients.errors import PeerProtocolError

__all__ = [
    "FEED_TOPICS",
    "ClientSession",
    "Event",
    "GapDetected",
    "Received",
    "Reply",
    "TopicState",
    "Welcome",
    "format_time",
    "parse_time",
]

#: Latest-value topics: seq is per auction, with no gap guarantee (docs/protocol.md).
FEED_TOPICS = frozenset({"auctions"})

#: How many ping samples the clock offset is chosen from.
_CLOCK_SAMPLES = 8


def parse_time(text: str | None) -> float | None:
    """ISO-8601 UTC (``2026-11-21T10:00:00.123Z``) to POSIX seconds, None stays None."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def format_time(seconds: float) -> str:
    """POSIX seconds to the wire form, with milliseconds and a ``Z``."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class Reply:
    """The one reply to a request (``ok`` or not), with the request it answers."""

    id: str | None
    ok: bool
    result: dict[str, Any]
    error: dict[str, Any] | None
    action: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    internal: bool = False


@dataclass(frozen=True, slots=True)
class Event:
    """An event pushed by the server, already checked for gaps and duplicates."""

    name: str
    topic: str | None
    seq: int | None
    at: str | None
    data: dict[str, Any]
    hash: str | None = None  # an auction event's link in its hash chain (docs/protocol.md)


@dataclass(frozen=True, slots=True)
class Welcome:
    """The first message of every connection."""

    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class GapDetected:
    """A seq gap on a strict topic: send `resync_requests(topic)` to fill it."""

    topic: str
    last_seq: int
    received_seq: int


Received = Reply | Event | Welcome | GapDetected


class Phase(enum.Enum):
    """Where one subscription stands."""

    LIVE = "live"  # events are delivered in seq order
    SYNCING = "syncing"  # a (re)subscribe is in flight; older events are dropped


@dataclass(slots=True)
class TopicState:
    """One subscription: the resume cursor and whether events flow."""

    topic: str
    last_seq: int | None = None
    phase: Phase = Phase.SYNCING

    @property
    def is_feed(self) -> bool:
        return self.topic in FEED_TOPICS


@dataclass(slots=True)
class _Pending:
    action: str
    fields: dict[str, Any]
    internal: bool
    sent_at: float | None = None


class ClientSession:
    """Protocol state of one logical client, across any number of connections.

    Args:
        id_prefix: prefix of request ids. Random by default, because docs/protocol.md
            rule 10 replays the first reply to a write retried with the same id
            by the same user: two processes of one user must never share ids.
    """

    def __init__(self, *, id_prefix: str | None = None) -> None:
        self._prefix = id_prefix if id_prefix is not None else secrets.token_hex(4)
        self._counter = 0
        self._pending: dict[str, _Pending] = {}
        self.topics: dict[str, TopicState] = {}
        self._feed_seen: dict[tuple[str, Any], int] = {}
        self._clock: list[tuple[float, float]] = []  # (round trip, offset)
        self.clock_offset = 0.0
        self.token: str | None = None
        self.user: dict[str, Any] | None = None
        self.welcome: dict[str, Any] | None = None
        self.my_max: dict[int, int] = {}
        self.book = AuctionBook()

    # -- requests ------------------------------------------------------------

    def request(
        self,
        action: str,
        fields: dict[str, Any],
        *,
        internal: bool = False,
        now: float | None = None,
    ) -> dict[str, Any]:
        """Build the message for `action` and remember it until its reply.

        Args:
            action: the wire action.
            fields: its fields (``None`` values are left out).
            internal: sent by the client machinery itself (re-auth, resync);
                not resent after a reconnect, since the machinery sends it anew.
            now: local time of sending, needed for ``ping`` clock samples.
        """
        self._counter += 1
        rid = f"{self._prefix}-{self._counter}"
        clean = {k: v for k, v in fields.items() if v is not None}
        self._pending[rid] = _Pending(action, clean, internal, now)
        if action == "subscribe" and clean.get("topic") in self.topics:
            self.topics[clean["topic"]].phase = Phase.SYNCING
        return {"id": rid, "action": action, **clean}

    def resend_requests(self) -> list[dict[str, Any]]:
        """After a reconnect: the caller's unanswered requests, with their ids.

        Writes may be resent safely thanks to docs/protocol.md rule 10; the ones
        the client machinery sent itself are dropped, it sends them anew.
        """
        out = []
        for rid, p in list(self._pending.items()):
            if p.internal:
                del self._pending[rid]
            else:
                out.append({"id": rid, "action": p.action, **p.fields})
        return out

    def pending_ids(self) -> list[str]:
        return list(self._pending)

    def forget(self, rid: str) -> None:
        """Stop waiting for `rid` (its caller gave up)."""
        self._pending.pop(rid, None)

    # -- subscriptions -------------------------------------------------------

    def resubscribe_requests(self) -> list[dict[str, Any]]:
        """After a reconnect: one subscribe per topic, resuming after its last seq."""
        out = []
        for state in self.topics.values():
            since = None if state.is_feed else state.last_seq
            out.append(
                self.request("subscribe", {"topic": state.topic, "since": since}, internal=True)
            )
        return out

    def resync_requests(self, topic: str) -> list[dict[str, Any]]:
        """After a gap on `topic`: unsubscribe and subscribe again from the last seq."""
        state = self.topics[topic]
        state.phase = Phase.SYNCING
        return [
            self.request("unsubscribe", {"topic": topic}, internal=True),
            self.request("subscribe", {"topic": topic, "since": state.last_seq}, internal=True),
        ]

    # -- clock ---------------------------------------------------------------

    def server_now(self, local_now: float) -> float:
        """The server's clock, in POSIX seconds, at local time `local_now`."""
        return local_now + self.clock_offset

    def _clock_sample(self, server_time: str | None, sent: float | None, received: float) -> None:
        server = parse_time(server_time)
        if server is None:
            return
        start = received if sent is None else sent
        rtt = max(received - start, 0.0)
        # A welcome has no round trip we know of: rank it behind any ping.
        rank = rtt if sent is not None else float("inf")
        self._clock.append((rank, server - (start + received) / 2))
        self._clock = self._clock[-_CLOCK_SAMPLES:]
        self.clock_offset = min(self._clock)[1]

    # -- receiving -----------------------------------------------------------

    def receive(self, message: object, *, now: float = 0.0) -> list[Received]:
        """Interpret one message from the server.

        Args:
            message: the decoded JSON value.
            now: local POSIX time of receipt (for the clock offset).

        Returns:
            What it meant: nothing (a duplicate or a stale event), a reply, an
            event, a welcome, or a gap the caller must resync.

        Raises:
            PeerProtocolError: not an object, or neither a reply nor an event.
        """
        if not isinstance(message, dict):
            raise PeerProtocolError(f"expected a JSON object, got {type(message).__name__}")
        if "event" in message:
            return self._receive_event(message, now)
        if "ok" in message:
            return [self._receive_reply(message, now)]
        raise PeerProtocolError(f"neither a reply nor an event: {message!r:.200}")

    def _receive_reply(self, message: dict[str, Any], now: float) -> Reply:
        rid = message.get("id")
        pending = self._pending.pop(rid, None) if isinstance(rid, str) else None
        ok = bool(message.get("ok"))
        result = message.get("result") or {}
        error = message.get("error") if not ok else None
        reply = Reply(
            id=rid,
            ok=ok,
            result=result if isinstance(result, dict) else {},
            error=error if isinstance(error, dict) else ({"code": "internal"} if not ok else None),
            action=pending.action if pending else "",
            fields=pending.fields if pending else {},
            internal=pending.internal if pending else False,
        )
        if ok:
            self._after_success(reply, pending, now)
        elif reply.action == "subscribe":
            # Refused (not_found after a delete, unauthorized after a logout):
            # nothing more will come on that topic, so stop tracking it.
            self.topics.pop(str(reply.fields.get("topic", "")), None)
        elif reply.action == "auth" and reply.internal:
            self.token = None
            self.user = None
        return reply

    def _after_success(self, reply: Reply, pending: _Pending | None, now: float) -> None:
        action, fields, result = reply.action, reply.fields, reply.result
        if action == "login":
            self.token = result.get("token")
            self.user = result.get("user")
        elif action == "auth":
            self.user = result.get("user")
        elif action == "logout":
            self.token = None
            self.user = None
            self.topics.pop("user:me", None)
        elif action == "ping":
            self._clock_sample(result.get("server_time"), pending.sent_at if pending else None, now)
        elif action == "subscribe":
            self._subscribed(fields, result)
        elif action == "unsubscribe" and not reply.internal:
            self.topics.pop(fields.get("topic", ""), None)
        elif action == "start_auto_bid":
            self.my_max[int(fields["auction_id"])] = int(fields["max_amount"])
        elif action == "stop_auto_bid":
            self.my_max.pop(int(fields["auction_id"]), None)
        self.book.absorb_result(result)

    def _subscribed(self, fields: dict[str, Any], result: dict[str, Any]) -> None:
        topic = str(fields.get("topic", result.get("topic", "")))
        state = self.topics.setdefault(topic, TopicState(topic))
        if state.is_feed:
            state.last_seq = None
        elif fields.get("since") is not None:
            state.last_seq = int(fields["since"])  # the catch-up events follow
        else:
            state.last_seq = int(result.get("seq") or 0)
        state.phase = Phase.LIVE

    def _receive_event(self, message: dict[str, Any], now: float) -> list[Received]:
        name = str(message["event"])
        data = message.get("data")
        data = {} if data is None else data
        if not isinstance(data, dict):
            raise PeerProtocolError(f"event data is not an object: {message!r:.200}")
        if name == "welcome":
            self.welcome = data
            self._clock_sample(data.get("server_time"), None, now)
            return [Welcome(data)]
        topic = message.get("topic")
        seq = message.get("seq")
        link = message.get("hash")
        event = Event(
            name,
            topic,
            seq if isinstance(seq, int) else None,
            message.get("at"),
            data,
            link if isinstance(link, str) else None,
        )
        state = self.topics.get(topic) if isinstance(topic, str) else None
        if state is None or event.seq is None:
            self.book.absorb_event(event)
            return [event]
        if state.phase is Phase.SYNCING:
            return []  # from before the (re)subscribe: the catch-up resends it
        if state.is_feed:
            key = (state.topic, data.get("id"))
            if event.seq <= self._feed_seen.get(key, -1):
                return []
            self._feed_seen[key] = event.seq
        elif state.last_seq is not None and event.seq <= state.last_seq:
            return []  # a duplicate
        elif state.last_seq is not None and event.seq > state.last_seq + 1:
            return [GapDetected(state.topic, state.last_seq, event.seq)]
        else:
            state.last_seq = event.seq
        self.book.absorb_event(event)
        return [event]
