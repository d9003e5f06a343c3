"""Publishing: each event encoded once, the same bytes to every subscriber.

After a batch is durable the write path hands its steps here: every public
event becomes one `Frame` (kept in a small per-auction cache so a resume that
reads a recent seq costs no store read), personal notices go to `user:<id>`,
and the auction's new summary goes to the `auctions` feeds (the admin one
with usernames, the public one with paddles). Nothing here decides anything.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Collection, Sequence
from typing import Any, Protocol

from orjson import Fragment

from auctioneer import engine
from auctioneer.engine.events import AuctionDeleted, AuctionUpdated, Event
from auctioneer.engine.state import Auction
from auctioneer.service.auction_view import AuctionView
from auctioneer.service.chain import Head, chained, with_hash
from auctioneer.service.ports import AuctionLog, Frame, StoredNotice
from auctioneer.service.read_copies import VERSIONS, version_frame
from auctioneer.wire import codec
from auctioneer.wire.topics import AUCTIONS, AUCTIONS_ADMIN, USER_ME, auction_topic, user_topic

__all__ = ["CATCH_UP_PAGE", "FRAME_CACHE", "FanOut", "Publisher"]

log = logging.getLogger(__name__)

FRAME_CACHE = 1024  # recent public frames per auction, for cheap resumes
CATCH_UP_PAGE = 500  # events read, folded and encoded per turn of the loop in a catch-up


class FanOut(Protocol):
    """What the publisher needs of the process's hub (pubsub/hub.py)."""

    def post(self, topic: str, frame: Frame) -> None: ...

    def subscribers(self, topic: str) -> Collection[object]: ...


class Publisher:
    """Encodes and posts what durable batches did.

    Args:
        hub: the process's fan-out.
        store: read for frames older than the cache.
        inline: the broker delivers only to this process (nothing to encode
            for a topic nobody here listens to).
    """

    def __init__(self, hub: FanOut, store: AuctionLog, *, inline: bool) -> None:
        self.hub = hub
        self._store = store
        self._inline = inline
        self.hints = False  # post each batch's version for other processes' read copies
        self._frames: dict[int, deque[Frame]] = {}

    # -- frames ------------------------------------------------------------------
    @staticmethod
    def envelope(event: Event, after: Auction) -> dict[str, Any]:
        """A public event as an object, before its hash (service/chain.py)."""
        return codec.event_envelope(
            event.event,
            codec.event_data(event, after),
            topic=auction_topic(event.auction_id),
            seq=event.seq,
            at=event.at,
        )

    @staticmethod
    def render(
        steps: Sequence[tuple[Event, Auction]], head: Head
    ) -> tuple[list[Frame], list[Head]]:
        """Encode a batch's public events once, each hashed onto the chain.

        Returns the frames and the chain's head after each step (a private
        event leaves it where it was). The write path does this before its
        commit, so each hash is stored with its log row.
        """
        frames: list[Frame] = []
        heads: list[Head] = []
        for event, after in steps:
            if event.seq is not None:
                data, head = chained(Publisher.envelope(event, after), head)
                frames.append(Frame(data, event.seq, _hides(event)))
            heads.append(head)
        return frames, heads

    @staticmethod
    def stored_frame(event: Event, after: Auction, digest: bytes | None) -> Frame:
        """A public event read back from the log, with the hash stored beside it."""
        data = with_hash(Publisher.envelope(event, after), digest)
        return Frame(data, event.seq, _hides(event))

    @staticmethod
    def notice_frame(notice: StoredNotice) -> Frame:
        data = codec.encode_event(
            notice.kind, notice.data, topic=USER_ME, seq=notice.seq, at=notice.at
        )
        return Frame(data, notice.seq)

    def remember(self, auction_id: int, frames: list[Frame]) -> list[Frame]:
        """Cache a durable batch's frames for resumes."""
        cache = self._frames.setdefault(auction_id, deque(maxlen=FRAME_CACHE))
        cache.extend(frames)
        return frames

    def forget(self, auction_id: int) -> None:
        """Drop the cache of an auction whose seqs now have a gap in it."""
        self._frames.pop(auction_id, None)

    async def frames(self, auction_id: int, after_seq: int, upto_seq: int) -> list[Frame]:
        """The public event frames with after_seq < seq <= upto_seq, in order."""
        if upto_seq <= after_seq:
            return []
        cache = self._frames.get(auction_id)
        if cache and _covers(cache, after_seq + 1, upto_seq):
            return [f for f in cache if f.seq is not None and after_seq < f.seq <= upto_seq]
        # A page at a time: a catch-up from seq 0 of a long log folds and
        # encodes CATCH_UP_PAGE events per turn of the event loop, never the
        # whole log in one go, and stops reading at `upto_seq`.
        state = engine.new_auction(auction_id)
        frames: list[Frame] = []
        version = 0
        hashes = await self._store.log_hashes(auction_id, after_seq, upto_seq)
        while True:
            events = await self._store.load_events(auction_id, version, limit=CATCH_UP_PAGE)
            for event in events:
                state = engine.evolve(state, event)
                if event.seq is not None and after_seq < event.seq <= upto_seq:
                    frames.append(self.stored_frame(event, state, hashes.get(event.seq)))
            if len(events) < CATCH_UP_PAGE or (frames and frames[-1].seq == upto_seq):
                return frames
            version = events[-1].version
            await asyncio.sleep(0)  # let other work in between pages

    # -- posting -----------------------------------------------------------------
    def publish(
        self,
        start: Auction,
        final: AuctionView,
        frames: list[Frame],
        notices: list[StoredNotice],
    ) -> None:
        """Post a durable batch: its events, its notices, then the new summary."""
        topic = auction_topic(final.state.id)
        for frame in frames:
            self.hub.post(topic, frame)
        if self.hints:  # other processes' read copies follow (read_copies.py)
            self.hub.post(VERSIONS, version_frame(final.state.id, final.state.version))
        self.publish_notices(notices)
        self._publish_summary(start, final)

    def publish_notices(self, notices: list[StoredNotice]) -> None:
        """Post personal notices (once stored: their seqs are the store's)."""
        for notice in notices:
            if self.heard(topic := user_topic(notice.user_id)):
                self.hub.post(topic, self.notice_frame(notice))

    def publish_notices_of(self, projected: Awaitable[list[StoredNotice]]) -> None:
        """Post a batch's notices when its projection is written (behind the reply)."""
        future = asyncio.ensure_future(projected)

        def done(written: asyncio.Future[list[StoredNotice]]) -> None:
            if written.cancelled():
                return
            error = written.exception()
            if error is not None:  # the log has them; the next start projects them
                log.error("notices not written: %r", error)
                return
            self.publish_notices(written.result())

        future.add_done_callback(done)

    def heard(self, topic: str) -> bool:
        """Whether a frame posted to `topic` can reach anyone, so is worth encoding.

        Through a remote broker always (other processes may listen); with the
        in-process broker only when this process has a subscriber.
        """
        return not self._inline or bool(self.hub.subscribers(topic))

    def _publish_summary(self, start: Auction, final: AuctionView) -> None:
        state = final.state
        if self.heard(AUCTIONS_ADMIN):
            data = Fragment(final.admin_json)
            admin = codec.encode_event("auction_summary", data, topic=AUCTIONS, seq=state.seq)
            self.hub.post(AUCTIONS_ADMIN, Frame(admin))
        assert state.spec is not None
        visible = state.spec.public and not state.deleted
        was_visible = start.spec is not None and start.spec.public and not start.deleted
        if not self.heard(AUCTIONS):
            return
        if visible:
            data = Fragment(final.public_json)
            summary = codec.encode_event("auction_summary", data, topic=AUCTIONS, seq=state.seq)
            self.hub.post(AUCTIONS, Frame(summary))
        elif was_visible:
            hidden = {"auction_id": state.id}
            gone = codec.encode_event("auction_hidden", hidden, topic=AUCTIONS, seq=state.seq)
            self.hub.post(AUCTIONS, Frame(gone))


def _hides(event: Event) -> bool:
    """Whether the event hides the auction (never coalesced away)."""
    return isinstance(event, AuctionDeleted) or (
        isinstance(event, AuctionUpdated) and event.public is False
    )


def _covers(cache: deque[Frame], first: int, last: int) -> bool:
    """Whether the cached frames hold every seq from `first` to `last`."""
    low, high = cache[0].seq, cache[-1].seq
    return low is not None and high is not None and low <= first and high >= last
