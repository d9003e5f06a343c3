"""One auction state rendered for the wire, built and encoded at most once.

A batch's final state serves its last result, the stored row and both
summaries (admin and public); each encoding is made once and embedded
wherever it goes, so an event's bytes are shared by every reply and push.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auctioneer.engine.state import Auction
from auctioneer.wire import codec
from auctioneer.wire.views import auction_object, public_view

__all__ = ["EMPTY_RESULT", "AuctionView", "people_in"]

EMPTY_RESULT = codec.encode({})


class AuctionView:
    """One state's auction object, built and encoded lazily, at most once each."""

    __slots__ = ("_admin", "_admin_json", "_public_json", "log_hash", "names", "state")

    def __init__(
        self, state: Auction, names: dict[int, str], log_hash: bytes | None = None
    ) -> None:
        self.state = state
        self.names = names
        self.log_hash = log_hash  # the head of its hash chain at this state
        self._admin: dict[str, Any] | None = None
        self._admin_json: bytes | None = None
        self._public_json: bytes | None = None

    @property
    def admin(self) -> dict[str, Any]:
        """The admin view of the auction object (real usernames, the reserve)."""
        if self._admin is None:
            self._admin = auction_object(self.state, names=self.names, log_hash=self.log_hash)
        return self._admin

    @property
    def admin_json(self) -> bytes:
        if self._admin_json is None:
            self._admin_json = codec.encode(self.admin)
        return self._admin_json

    @property
    def public_json(self) -> bytes:
        if self._public_json is None:
            self._public_json = codec.encode(public_view(self.admin))
        return self._public_json

    def result(self, *, empty: bool, admin: bool) -> bytes:
        """An encoded result: `{}`, or `{"auction": ...}` in the caller's view."""
        if empty or self.state.spec is None:
            return EMPTY_RESULT
        return b'{"auction":' + (self.admin_json if admin else self.public_json) + b"}"


def people_in(states: Iterable[Auction]) -> set[int]:
    """The user ids an admin view names: leaders and winners of every sale."""
    ids: set[int] = set()
    for state in states:
        if state.leader_id is not None:
            ids.add(state.leader_id)
        ids.update(sale.winner_id for sale in state.sales)
    return ids
