"""Ending-soon points: when a watched round is about to end, decided like any rule.

The server names its points in seconds before the end (by default 300 and
60). Each is announced at most once per round, as a private `ending_soon`
event in the auction's log carrying the users told (the service reads the
watchlist just before and passes it in `Remind`). Being in the log makes the
notice exactly-once and replayable: a restart rebuilds `reminded` and never
announces a point twice, and a crash before the notices were projected
projects them from the event, to the same users.

The rule (docs/protocol.md "Watchlist"):

- A point T belongs to the round's current end E only if the end was known
  more than T before it: E - T > the time E was set (`ends_set_at`: the
  open, the first bid of a countdown, an extension, the next round's start).
  So a round of T or less, or a countdown that starts at the first bid
  with T or less to go, never announces T: nobody is told "5 minutes left"
  when there were never more than 5 minutes, nor at the very moment it opens.
- Announced at E - T or later, while the round is open and before E. If
  several points are due at once (the server was down), only the smallest is
  announced and the larger ones are marked done with it.
- A soft-close (or countdown) extension never announces a point again in
  the same round: `reminded` is per round. The watchers follow the new end
  on `auction:ID`. A larger point the extension makes reachable again that
  was never announced still is, at its time. The next round of a
  multi-unit lot starts with none announced.
"""

from __future__ import annotations

from collections.abc import Sequence

from auctioneer.engine.commands import Remind
from auctioneer.engine.events import EndingSoon, Event
from auctioneer.engine.fold import Draft
from auctioneer.engine.softclose import MS
from auctioneer.engine.state import Auction, Status

__all__ = ["decide_remind", "due_thresholds", "next_reminder"]


def _armed(state: Auction, thresholds: Sequence[int]) -> list[int]:
    """The points of `thresholds` still to announce for the round's current end."""
    ends_at, since = state.ends_at, state.ends_set_at
    if state.status is not Status.OPEN or state.deleted or ends_at is None or since is None:
        return []
    return [t for t in thresholds if t not in state.reminded and ends_at - t * MS > since]


def next_reminder(state: Auction, thresholds: Sequence[int]) -> int | None:
    """When the round's next ending-soon point comes (epoch ms), or None."""
    armed = _armed(state, thresholds)
    if not armed or state.ends_at is None:
        return None
    return state.ends_at - max(armed) * MS


def due_thresholds(state: Auction, thresholds: Sequence[int], now: int) -> list[int]:
    """The points due at `now` (before the end), largest first."""
    if state.ends_at is None or now >= state.ends_at:
        return []
    ends_at = state.ends_at
    return sorted((t for t in _armed(state, thresholds) if now >= ends_at - t * MS), reverse=True)


def decide_remind(state: Auction, command: Remind, now: int) -> list[Event]:
    """Announce the smallest point due at `now` (marking any larger due one done);
    nothing when none is due (a stale timer, a bid that moved the end)."""
    due = due_thresholds(state, command.thresholds, now)
    if not due or state.ends_at is None:
        return []
    draft = Draft(state, now)
    draft.emit(
        EndingSoon,
        round=state.round,
        ends_at=state.ends_at,
        thresholds=tuple(due),
        watchers=tuple(sorted(set(command.watchers))),
    )
    return draft.events
