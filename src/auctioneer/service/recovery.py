"""After a crash: project again what the log has and the projections lack.

The log is the write: a reply meant its events were durable, while the
auction's row, the notices, the purchases and the request records were
written behind it. A crash between the two leaves an auction whose log is
ahead of its row's version. On start, before anything else reads them, this
folds each such auction's log and writes the projections of the events after
that version, exactly as the write path would have: the notices of each
decision (the log rows say where each starts and which request made it),
the units sold, the requests' records, and the auction's newest row. None
of those notices had been sent (notices are sent once stored), so their
seqs are given now for the first time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from auctioneer import engine
from auctioneer.engine.events import Event
from auctioneer.service.auction_view import AuctionView, people_in
from auctioneer.service.commits import commit_of, notice_records, purchases_of
from auctioneer.service.ports import AuctionLog, Decision, NoticeRecord, RequestRecord
from auctioneer.service.users import UserService

__all__ = ["project_again", "project_unprojected"]

log = logging.getLogger(__name__)


async def project_unprojected(store: AuctionLog, users: UserService) -> int:
    """Project every auction the log is ahead of; how many there were."""
    behind = await store.unprojected()
    for auction_id, version in behind:
        await project_again(store, users, auction_id, version)
    if behind:
        log.warning("projected %d auctions again after an unclean stop", len(behind))
    return len(behind)


async def project_again(
    store: AuctionLog, users: UserService, auction_id: int, projected: int
) -> None:
    """Write the projections of the auction's events after version `projected`."""
    events = await store.load_events(auction_id)
    before = engine.replay(auction_id, events[:projected]) if projected else None
    state = before or engine.new_auction(auction_id)
    start = state
    decisions = await store.decisions(auction_id, projected)
    steps: list[tuple[Event, engine.Auction]] = []
    notices: list[NoticeRecord] = []
    requests: list[RequestRecord] = []
    for run, decision in _runs(events[projected:], decisions):
        folded = engine.fold_steps(state, run)
        notices += notice_records(engine.notices(state, run), run[-1].at)
        state = folded[-1][1]
        steps += folded
        if decision.user_id is not None and decision.request_id and decision.reply:
            record = RequestRecord(
                decision.user_id,
                decision.request_id,
                auction_id,
                state.version,
                decision.reply,
                run[-1].at,
            )
            requests.append(record)
    final = AuctionView(state, await users.names(people_in([state])))
    purchases = purchases_of(event for event, _ in steps)
    commit = commit_of(start, final, steps, notices, purchases, requests=requests)
    await store.project(commit)


def _runs(
    events: Sequence[Event], decisions: Sequence[Decision]
) -> list[tuple[list[Event], Decision]]:
    """Split events into the decisions that made them (rows before the first
    recorded decision, from a log older than decisions, form one run)."""
    starts = {d.first_version: d for d in decisions}
    runs: list[tuple[list[Event], Decision]] = []
    for event in events:
        decision = starts.get(event.version)
        if decision is not None or not runs:
            runs.append(([], decision or Decision(event.version)))
        runs[-1][0].append(event)
    return runs
