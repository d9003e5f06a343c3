"""Topic names: the one validated builder and parser (docs/protocol.md "Topics").

Wire topics are `auctions`, `auction:<id>` and `user:me`. Inside the server a
user's feed is `user:<id>` and admins read the `auctions` feed from
`auctions:admin` (their summaries carry admin-only fields); both are
published with the wire topic name in the envelope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from auctioneer.engine.errors import InvalidCommand

__all__ = [
    "AUCTIONS",
    "AUCTIONS_ADMIN",
    "USER_ME",
    "Topic",
    "TopicKind",
    "auction_topic",
    "parse_topic",
    "user_topic",
]

AUCTIONS = "auctions"
AUCTIONS_ADMIN = "auctions:admin"
USER_ME = "user:me"
_AUCTION = re.compile(r"^auction:([1-9][0-9]{0,15})$")


class TopicKind(StrEnum):
    AUCTIONS = "auctions"
    AUCTION = "auction"
    USER = "user"


@dataclass(frozen=True, slots=True)
class Topic:
    kind: TopicKind
    auction_id: int | None = None

    @property
    def wire(self) -> str:
        if self.kind is TopicKind.AUCTION:
            return auction_topic(self.auction_id or 0)
        return AUCTIONS if self.kind is TopicKind.AUCTIONS else USER_ME


def auction_topic(auction_id: int) -> str:
    return f"auction:{auction_id}"


def user_topic(user_id: int) -> str:
    """The internal topic of one user's notices (sent on the wire as `user:me`)."""
    return f"user:{user_id}"


def parse_topic(name: str) -> Topic:
    """Parse a wire topic name.

    Raises:
        InvalidCommand: not one of `auctions`, `auction:<id>`, `user:me`.
    """
    if name == AUCTIONS:
        return Topic(TopicKind.AUCTIONS)
    if name == USER_ME:
        return Topic(TopicKind.USER)
    match = _AUCTION.fullmatch(name)
    if match:
        return Topic(TopicKind.AUCTION, int(match.group(1)))
    raise InvalidCommand(f"Unknown topic: {name[:64]}", field="topic")
