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
from typing import Protocol

from auctioneer import engine
from auctioneer.engine.events import Event
from auctioneer.service.auction_view import AuctionView, people_in
from auctioneer.service.commits import commit_of, notice_records, purchases_of
from auctioneer.service.ledger import stored_head
from auctioneer.service.ports import (
    AuctionLog,
    Decision,
    NoticeRecord,
    Projections,
    RequestRecord,
)
from auctioneer.service.users import UserService

__all__ = ["project_again", "project_unprojected", "refresh_old_rows"]

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
    head = await stored_head(store, state)
    final = AuctionView(state, await users.names(people_in([state])), head.log_hash)
    purchases = purchases_of(event for event, _ in steps)
    commit = commit_of(start, final, steps, notices, purchases, requests=requests)
    await store.project(commit)


class _LogAndRows(AuctionLog, Projections, Protocol):
    """The two roles `refresh_old_rows` reads and writes through."""


async def refresh_old_rows(store: _LogAndRows, users: UserService) -> int:
    """Write again every auction row that lacks a field the auction object has
    now; how many were.

    A row is the auction object as the code of its last write rendered it, so
    a row last written before a field existed (`images`, `minimum_bid`,
    `passes_at`, ...) lists without it until the auction changes. The auction
    object's keys do not depend on the state, so a row missing any of them is
    one of those: it is rendered again from the auction's log (the truth) and
    written as a projection (no event, the same version). Any field added
    later is covered without anyone remembering to bump a number. Costs one
    read of the rows at start, and one replay per old row, once.
    """
    fields: set[str] | None = None
    refreshed = 0
    for row in await store.auction_rows(include_private=True, include_deleted=True):
        if fields is not None and fields <= row.keys():
            continue
        events = await store.load_events(row["id"])
        state = engine.replay(row["id"], events) if events else None
        if state is None or state.spec is None:
            continue
        head = await stored_head(store, state)  # chained on start, before this
        view = AuctionView(state, await users.names(people_in([state])), head.log_hash)
        if fields is None:
            fields = set(view.admin)
            if fields <= row.keys():
                continue
        await store.project(commit_of(state, view, [], [], []))
        refreshed += 1
    if refreshed:
        log.warning("wrote %d auction rows again in today's shape", refreshed)
    return refreshed


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
