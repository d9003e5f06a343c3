"""Who may subscribe to which topic, and what a subscription catches up.

Decided here, whatever the door (docs/protocol.md "Topics and events"):
`auctions` is for anyone (admins get the feed with usernames), `user:me`
needs a login and means the caller's own notices, `auction:ID` needs the
auction to be visible to the caller (else `not_found`). A grant records
whom it was given to, so a connection ends the feed when its identity no
longer matches (logout, or auth as someone else); a feed of a hidden
auction granted to an admin ends when the connection stops being one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from auctioneer.engine.state import Auction
from auctioneer.service.auctions import AuctionService
from auctioneer.service.errors import Unauthorized
from auctioneer.service.ports import Frame, Projections
from auctioneer.service.users import Caller
from auctioneer.wire.topics import (
    AUCTIONS,
    AUCTIONS_ADMIN,
    TopicKind,
    auction_topic,
    parse_topic,
    user_topic,
)

__all__ = ["Grant", "Subscriptions", "auctions_feed"]


@dataclass(frozen=True, slots=True)
class Grant:
    """A subscription the caller may have.

    `topic` is the internal topic to attach to; `wire` the name the client
    uses. `for_user` / `for_admin` say whom it was granted for.
    """

    topic: str
    wire: str
    kind: TopicKind
    auction_id: int | None = None
    for_user: int | None = None
    for_admin: bool = False

    @property
    def summaries(self) -> bool:
        """The `auctions` feed: latest summaries of many auctions, no seq guarantee."""
        return self.kind is TopicKind.AUCTIONS

    def allows(self, caller: Caller) -> bool:
        """Whether `caller` (the connection's identity now) may go on receiving it."""
        user = caller.user
        if self.for_user is not None and (user is None or user.id != self.for_user):
            return False
        return not (self.for_admin and not caller.is_admin)


def auctions_feed(caller: Caller) -> Grant:
    """The `auctions` summary feed in the caller's view."""
    internal = AUCTIONS_ADMIN if caller.is_admin else AUCTIONS
    return Grant(internal, AUCTIONS, TopicKind.AUCTIONS, for_admin=caller.is_admin)


class Subscriptions:
    """Grants subscriptions and reads their catch-up."""

    def __init__(
        self,
        auctions: AuctionService,
        store: Projections,
        visible: Callable[[Caller, int], Awaitable[Auction]],
    ) -> None:
        self._auctions = auctions
        self._store = store
        self._visible = visible  # Api.visible_auction: the one visibility rule

    async def grant(self, caller: Caller, wire_topic: str) -> Grant:
        """The subscription `caller` may have to `wire_topic`.

        Raises:
            InvalidCommand: not a topic name.
            Unauthorized: `user:me` without a login.
            NotFound: an auction the caller may not see (or none).
        """
        topic = parse_topic(wire_topic)
        if topic.kind is TopicKind.AUCTIONS:
            return auctions_feed(caller)
        if topic.kind is TopicKind.USER:
            if caller.user is None:
                raise Unauthorized("Log in to subscribe to user:me")
            user_id = caller.user.id
            return Grant(user_topic(user_id), topic.wire, topic.kind, for_user=user_id)
        auction_id = topic.auction_id
        assert auction_id is not None
        state = await self._visible(caller, auction_id)
        assert state.spec is not None
        hidden = not state.spec.public or state.deleted
        return Grant(
            auction_topic(auction_id), topic.wire, topic.kind, auction_id, for_admin=hidden
        )

    async def missed(self, grant: Grant, after: int, upto: int) -> list[Frame]:
        """The frames of a live feed with after < seq <= upto (a gap in its live
        frames: a lost broker message, or frames of two processes overtaking)."""
        if grant.for_user is not None:
            return await self._auctions.notice_frames(grant.for_user, after, upto)
        if grant.auction_id is None:
            return []
        return await self._auctions.frames(grant.auction_id, after, upto)

    async def catch_up(self, grant: Grant, since: int | None) -> tuple[int, list[Frame]]:
        """The topic's seq now and the frames after `since` up to it (none without)."""
        if grant.kind is TopicKind.AUCTIONS:
            return 0, []
        if grant.for_user is not None:
            seq = await self._store.last_notice_seq(grant.for_user)
            start = seq if since is None else min(since, seq)
            return seq, await self._auctions.notice_frames(grant.for_user, start, seq)
        assert grant.auction_id is not None
        # Fresh: another process may own it, and the seam with the live
        # frames must rest on the log, not on a copy a hint has yet to move.
        state = await self._auctions.state(grant.auction_id, fresh=True)
        seq = state.seq if state else 0
        start = seq if since is None else min(since, seq)
        return seq, await self._auctions.frames(grant.auction_id, start, seq)
