"""The EventStore contract, once, run against every backend (see conftest.py)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from auctioneer.engine.events import AuctionClosed, AuctionOpened, AutoBidSet, CloseReason
from auctioneer.service.ports import NoticeRecord, PurchaseRecord, StoredNotice
from auctioneer.store.errors import ConcurrencyConflict, StoreUnavailable, UsernameTaken
from tests.contracts.conftest import make_store
from tests.store.samples import T0, bid, commit, created, every_event


async def _auction_with_bids(store: Any, auction_id: int, amounts: list[int]) -> None:
    """Create an auction (v1, seq 1) and place one bid per amount (v2.., seq 2..)."""
    await store.append(commit(auction_id, 0, [created(auction_id)]))
    for i, amount in enumerate(amounts):
        v = 2 + i
        await store.append(commit(auction_id, v - 1, [bid(auction_id, v, v, amount)]))


# -- events --------------------------------------------------------------------


async def test_every_event_type_round_trips_through_append_and_load(store: Any) -> None:
    events = every_event(7)
    await store.append(commit(7, 0, events))
    assert await store.load_events(7) == events
    assert await store.load_events(7, after_version=3) == events[3:]
    # Paged: a long log is read a page at a time (issue 20, item 7).
    assert await store.load_events(7, limit=2) == events[:2]
    assert await store.load_events(7, after_version=2, limit=3) == events[2:5]
    assert await store.load_events(7, after_version=len(events), limit=5) == []


async def test_private_events_are_in_the_log_without_a_seq(store: Any) -> None:
    events = every_event(7)
    await store.append(commit(7, 0, events))
    public = [e for e in await store.load_events(7) if e.seq is not None]
    assert any(e.seq is None for e in events)
    assert public == [e for e in events if e.seq is not None]
    assert [e.seq for e in public] == list(range(1, len(public) + 1))


async def _auction_with_private_events(store: Any, auction_id: int) -> list[Any]:
    """A log whose versions run ahead of its seqs: a private event before each bid."""
    events: list[Any] = [created(auction_id)]  # v1, seq 1
    for i in range(4):
        v = len(events) + 1
        events.append(
            AutoBidSet(
                auction_id=auction_id,
                version=v,
                seq=None,
                at=T0,
                bidder_id=1,
                paddle=101,
                max_amount=1000,
            )
        )
        events.append(bid(auction_id, v + 1, 2 + i, 100 * (i + 1)))  # seqs 2..5
    for event in events:
        await store.append(commit(auction_id, event.version - 1, [event]))
    return events


async def test_reads_by_seq_are_right_where_versions_run_ahead_of_seqs(store: Any) -> None:
    events = await _auction_with_private_events(store, 3)
    assert [(e.version, e.seq) for e in events if e.seq] == [(1, 1), (3, 2), (5, 3), (7, 4), (9, 5)]
    assert [e.seq for e in await store.load_events(3) if e.seq] == [1, 2, 3, 4, 5]
    assert [b.seq for b in await store.bids(3)] == [5, 4, 3, 2]
    assert [b.seq for b in await store.bids(3, before_seq=4)] == [3, 2]
    assert [b.amount for b in await store.bids(3, before_seq=5, limit=1)] == [300]


async def test_a_conflicting_append_writes_nothing_of_its_commit(store: Any) -> None:
    await _auction_with_bids(store, 1, [100])  # version 2
    before_row = await store.auction_row(1)
    loser = commit(
        1,
        1,  # stale: version 2 exists
        [bid(1, 2, 2, 500, bidder=9)],
        notices=[NoticeRecord(5, "outbid", {"auction_id": 1}, T0)],
        purchases=[PurchaseRecord(1, 1, 9, 500, T0)],
        idempotency=[(9, "r1", b'{"ok":true}')],
        status="closed",
    )
    with pytest.raises(ConcurrencyConflict) as caught:
        await store.append(loser)
    assert caught.value.code == "conflict"
    assert [e.version for e in await store.load_events(1)] == [1, 2]
    assert (await store.bids(1))[0].amount == 100
    assert await store.auction_row(1) == before_row
    assert await store.notices(5) == []
    assert await store.last_notice_seq(5) == 0
    assert await store.purchases() == []
    assert await store.stored_reply(9, "r1") is None
    assert await store.unfinished_auction_ids() == [1]


async def test_an_append_ahead_of_the_stored_version_conflicts(store: Any) -> None:
    await _auction_with_bids(store, 1, [100])
    with pytest.raises(ConcurrencyConflict):
        await store.append(commit(1, 5, [bid(1, 6, 3, 900)]))
    with pytest.raises(ConcurrencyConflict):
        await store.append(commit(2, 1, [bid(2, 2, 2, 900)]))  # auction 2 does not exist
    assert [e.version for e in await store.load_events(1)] == [1, 2]
    assert await store.load_events(2) == []
    assert await store.auction_row(2) is None


async def test_only_one_of_many_concurrent_appends_of_one_version_wins(store: Any) -> None:
    await _auction_with_bids(store, 1, [])
    results = await asyncio.gather(
        *(store.append(commit(1, 1, [bid(1, 2, 2, 100 + i, bidder=i)])) for i in range(20)),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, ConcurrencyConflict) for r in results if r not in winners)
    assert len(await store.load_events(1)) == 2


async def test_concurrent_appends_to_many_auctions_all_land(store: Any) -> None:
    await asyncio.gather(*(store.append(commit(a, 0, [created(a)])) for a in range(1, 101)))
    await asyncio.gather(
        *(store.append(commit(a, 1, [bid(a, 2, 2, a * 10)])) for a in range(1, 101))
    )
    for a in (1, 50, 100):
        assert [e.version for e in await store.load_events(a)] == [1, 2]
    assert len(await store.auction_rows()) == 100


async def test_consecutive_commits_of_one_auction_in_flight_together_all_land(
    store: Any,
) -> None:
    def note(n: int) -> list[NoticeRecord]:
        return [NoticeRecord(5, "outbid", {"n": n}, T0 + n)]

    appended = await asyncio.gather(
        store.append(commit(1, 0, [created(1)], notices=note(1), lot=3)),
        store.append(commit(1, 1, [bid(1, 2, 2, 100)], notices=note(2))),
        store.append(commit(1, 2, [bid(1, 3, 3, 200)], notices=note(3), status="closed")),
    )
    results = [await projected for projected in appended]
    assert [[n.seq for n in r] for r in results] == [[1], [2], [3]]
    assert [e.version for e in await store.load_events(1)] == [1, 2, 3]
    row = await store.auction_row(1)
    assert row is not None and row["version"] == 3 and row["status"] == "closed"
    assert await store.unfinished_auction_ids() == []
    assert await store.auction_rows(statuses=["closed"]) == [row]
    assert [n.data for n in await store.notices(5)] == [{"n": 1}, {"n": 2}, {"n": 3}]


async def test_an_append_whose_versions_do_not_follow_is_refused(store: Any) -> None:
    with pytest.raises(ValueError):
        await store.append(commit(1, 0, [bid(1, 2, 1, 100)]))
    with pytest.raises(ValueError):
        await store.append(commit(1, 0, [created(2)]))
    with pytest.raises(ValueError, match="above its version"):  # reads by seq rely on it
        await store.append(commit(1, 0, [bid(1, 1, 2, 100)]))
    assert await store.load_events(1) == []


async def test_bids_come_newest_first_with_before_seq_and_limit(store: Any) -> None:
    await _auction_with_bids(store, 1, [100, 200, 300, 400, 500])  # bid seqs 2..6
    opened = AuctionOpened(auction_id=1, version=7, seq=7, at=T0, round=2, ends_at=None)
    await store.append(commit(1, 6, [opened]))
    assert [b.amount for b in await store.bids(1)] == [500, 400, 300, 200, 100]
    assert [b.seq for b in await store.bids(1, before_seq=5)] == [4, 3, 2]
    assert [b.amount for b in await store.bids(1, limit=2)] == [500, 400]
    assert [b.amount for b in await store.bids(1, before_seq=4, limit=1)] == [200]
    assert await store.bids(1, before_seq=2) == []
    assert await store.bids(99) == []


# -- rows ------------------------------------------------------------------------


async def test_auction_rows_filter_by_status_sale_privacy_and_deletion(store: Any) -> None:
    await store.append(commit(1, 0, [created(1)], status="open"))
    await store.append(commit(2, 0, [created(2)], status="scheduled", sale_id=5, lot=1))
    await store.append(commit(3, 0, [created(3)], status="closed", sale_id=5, lot=2))
    await store.append(commit(4, 0, [created(4)], status="open", public=False))
    await store.append(commit(5, 0, [created(5)], status="cancelled", deleted=True))

    def ids(rows: list[dict[str, Any]]) -> list[int]:
        return [r["id"] for r in rows]

    assert ids(await store.auction_rows()) == [1, 2, 3]
    assert ids(await store.auction_rows(include_private=True)) == [1, 2, 3, 4]
    assert ids(await store.auction_rows(include_deleted=True)) == [1, 2, 3, 5]
    everything = await store.auction_rows(include_private=True, include_deleted=True)
    assert ids(everything) == [1, 2, 3, 4, 5]
    assert ids(await store.auction_rows(statuses=["open"])) == [1]
    assert ids(await store.auction_rows(statuses=["open", "closed"])) == [1, 3]
    assert ids(await store.auction_rows(statuses=["open"], include_private=True)) == [1, 4]
    assert ids(await store.auction_rows(statuses=[])) == []
    assert ids(await store.auction_rows(sale_id=5)) == [2, 3]
    assert ids(await store.auction_rows(sale_id=5, statuses=["closed"])) == [3]
    assert ids(await store.auction_rows(sale_id=6)) == []


async def test_the_row_follows_the_latest_commit(store: Any) -> None:
    await store.append(commit(1, 0, [created(1)], status="scheduled"))
    row = await store.auction_row(1)
    assert row is not None and row["status"] == "scheduled" and row["version"] == 1
    closed = AuctionClosed(auction_id=1, version=2, seq=2, at=T0, reason=CloseReason.NO_BIDS)
    await store.append(commit(1, 1, [closed], status="closed", deleted=True, public=False))
    row = await store.auction_row(1)
    assert row is not None
    assert row == {
        "id": 1,
        "status": "closed",
        "public": False,
        "sale_id": None,
        "lot": None,
        "version": 2,
        "seq": 2,
        "name": "Lot 1",
    }
    assert await store.auction_row(2) is None


async def test_unfinished_ids_are_the_scheduled_and_open_auctions(store: Any) -> None:
    for a, status in enumerate(["open", "closed", "scheduled", "cancelled", "open"], start=1):
        await store.append(commit(a, 0, [created(a)], status=status, public=a != 5))
    assert await store.unfinished_auction_ids() == [1, 3, 5]


async def test_sale_lots_come_in_lot_order(store: Any) -> None:
    for a, lot in [(10, 3), (11, 1), (12, 2)]:
        event = created(a, sale_id=4, lot=lot)
        await store.append(commit(a, 0, [event], sale_id=4, lot=lot, status="scheduled"))
    await store.append(commit(13, 0, [created(13)]))
    assert await store.sale_lots(4) == [11, 12, 10]
    assert await store.sale_lots(5) == []


async def test_a_sale_written_with_a_commit_can_be_read_back(store: Any) -> None:
    sale = {"id": 4, "name": "Evening sale", "lots": [10]}
    await store.append(
        commit(10, 0, [created(10, sale_id=4, lot=1)], sale_id=4, extra={"sale": sale})
    )
    assert await store.sale_row(4) == sale
    assert await store.sale_row(5) is None


# -- notices, purchases, idempotency -------------------------------------------------


async def test_notice_seqs_are_gapless_per_user_across_commits(store: Any) -> None:
    await _auction_with_bids(store, 1, [])
    first = await (
        await store.append(
            commit(
                1,
                1,
                [bid(1, 2, 2, 100)],
                notices=[
                    NoticeRecord(5, "outbid", {"auction_id": 1, "amount": 100}, T0),
                    NoticeRecord(6, "outbid", {"auction_id": 1}, T0),
                    NoticeRecord(5, "auto_bid_exhausted", {"auction_id": 1}, T0 + 1),
                ],
            )
        )
    )
    assert [(n.user_id, n.seq, n.kind) for n in first] == [
        (5, 1, "outbid"),
        (6, 1, "outbid"),
        (5, 2, "auto_bid_exhausted"),
    ]
    second = await (
        await store.append(
            commit(
                1, 2, [bid(1, 3, 3, 200)], notices=[NoticeRecord(5, "won", {"x": [1, 2]}, T0 + 2)]
            )
        )
    )
    assert second == [StoredNotice(5, 3, "won", {"x": [1, 2]}, T0 + 2)]
    assert [n.seq for n in await store.notices(5)] == [1, 2, 3]
    assert await store.notices(5, after_seq=1) == [first[2], second[0]]
    assert (await store.notices(5))[0].data == {"auction_id": 1, "amount": 100}
    assert await store.last_notice_seq(5) == 3
    assert await store.last_notice_seq(6) == 1
    assert await store.last_notice_seq(7) == 0
    assert await store.notices(7) == []


async def test_purchases_are_listed_per_user_and_for_everyone_oldest_first(store: Any) -> None:
    await _auction_with_bids(store, 1, [])
    p1 = PurchaseRecord(1, 1, 5, 1000, T0)
    p2 = PurchaseRecord(1, 2, 6, 900, T0 + 1, buy_now=True)
    p3 = PurchaseRecord(1, 3, 5, 800, T0 + 2)
    await store.append(commit(1, 1, [bid(1, 2, 2, 100)], purchases=[p1, p2]))
    await store.append(commit(1, 2, [bid(1, 3, 3, 200)], purchases=[p3]))
    assert await store.purchases() == [p1, p2, p3]
    assert await store.purchases(5) == [p1, p3]
    assert await store.purchases(6) == [p2]
    assert await store.purchases(7) == []


async def test_a_stored_reply_is_returned_and_its_request_id_cannot_write_twice(
    store: Any,
) -> None:
    await _auction_with_bids(store, 1, [])
    reply = b'{"id":"r1","ok":true,"result":{}}'
    await store.append(
        commit(1, 1, [bid(1, 2, 2, 100)], idempotency=[(5, "r1", reply), (6, "r1", b"six")])
    )
    assert await store.stored_reply(5, "r1") == reply
    assert await store.stored_reply(6, "r1") == b"six"
    assert await store.stored_reply(7, "r1") is None
    assert await store.stored_reply(5, "r2") is None
    with pytest.raises(ConcurrencyConflict) as caught:
        await store.append(
            commit(1, 2, [bid(1, 3, 3, 200)], idempotency=[(7, "r7", b"x"), (5, "r1", b"y")])
        )
    assert caught.value.reason == "request_id"
    with pytest.raises(ConcurrencyConflict):  # one request id twice in one commit
        await store.append(
            commit(1, 2, [bid(1, 3, 3, 200)], idempotency=[(8, "r", b"x"), (8, "r", b"y")])
        )
    assert len(await store.load_events(1)) == 2
    assert await store.stored_reply(5, "r1") == reply
    assert await store.stored_reply(7, "r7") is None
    assert await store.stored_reply(8, "r") is None


async def test_a_reply_saved_outside_a_commit_keeps_the_first_one(store: Any) -> None:
    await store.save_reply(5, "s1", b"first")
    await store.save_reply(5, "s1", b"second")
    assert await store.stored_reply(5, "s1") == b"first"
    assert (5, "s1") in await store.request_ids(0)
    await _auction_with_bids(store, 1, [])
    with pytest.raises(ConcurrencyConflict):
        await store.append(commit(1, 1, [bid(1, 2, 2, 100)], idempotency=[(5, "s1", b"x")]))
    assert len(await store.load_events(1)) == 1


async def test_request_ids_lists_the_replies_stored_since_a_time(store: Any) -> None:
    await _auction_with_bids(store, 1, [])  # created at T0 + 1
    b2, b3 = bid(1, 2, 2, 100), bid(1, 3, 3, 200)  # at T0 + 2, T0 + 3
    await store.append(commit(1, 1, [b2], idempotency=[(5, "a", b"1"), (6, "a", b"2")]))
    await store.append(commit(1, 2, [b3], idempotency=[(5, "b", b"3")]))
    assert await store.request_ids(0) == [(5, "a"), (5, "b"), (6, "a")]
    assert await store.request_ids(b3.at) == [(5, "b")]
    assert await store.request_ids(b3.at + 1) == []


async def test_old_replies_are_forgotten_oldest_first_a_chunk_at_a_time(store: Any) -> None:
    await _auction_with_bids(store, 1, [])  # created at T0 + 1
    b2, b3 = bid(1, 2, 2, 100), bid(1, 3, 3, 200)  # at T0 + 2, T0 + 3
    await store.append(commit(1, 1, [b2], idempotency=[(5, "a", b"1"), (6, "a", b"2")]))
    await store.append(commit(1, 2, [b3], idempotency=[(5, "b", b"3")]))
    assert await store.forget_replies(b2.at, 10) == 0  # none older than b2
    assert await store.forget_replies(b3.at, 1) == 1
    assert await store.forget_replies(b3.at, 10) == 1
    assert await store.request_ids(0) == [(5, "b")]
    assert await store.stored_reply(5, "a") is None and await store.stored_reply(5, "b") == b"3"
    # A forgotten request id may be written again (a retry past the window runs again).
    b4 = bid(1, 4, 4, 300)
    await store.append(commit(1, 3, [b4], idempotency=[(5, "a", b"4")]))
    assert await store.stored_reply(5, "a") == b"4"


async def test_append_all_writes_every_auction_or_none(store: Any) -> None:
    lots = [commit(a, 0, [created(a, sale_id=9, lot=a)], sale_id=9, lot=a) for a in (1, 2, 3)]
    lots[-1] = commit(
        3, 0, [created(3, sale_id=9, lot=3)], sale_id=9, lot=3, idempotency=[(5, "s", b"{}")]
    )
    assert await store.append_all(lots) == [[], [], []]
    assert await store.sale_lots(9) == [1, 2, 3]
    assert await store.stored_reply(5, "s") == b"{}"
    # One of them taken (auction 4 exists): nothing of the others is written.
    await store.append(commit(4, 0, [created(4)]))
    again = [commit(a, 0, [created(a, sale_id=8, lot=a - 4)], sale_id=8, lot=a - 4) for a in (5, 4)]
    with pytest.raises(ConcurrencyConflict):
        await store.append_all(again)
    assert await store.load_events(5) == [] and await store.sale_lots(8) == []
    # A request id already used: none written either.
    reused = [commit(6, 0, [created(6)], idempotency=[(5, "s", b"x")])]
    with pytest.raises(ConcurrencyConflict):
        await store.append_all(reused)
    assert await store.load_events(6) == []
    with pytest.raises(ValueError):
        await store.append_all([commit(7, 0, [created(7)]), commit(7, 1, [bid(7, 2, 2, 100)])])


# -- users, tokens, ids ---------------------------------------------------------------


async def test_users_get_increasing_unique_paddles_and_names_are_case_insensitive(
    store: Any,
) -> None:
    ann = await store.create_user("Ann", "hash-a", "bidder")
    bob = await store.create_user("bob", "hash-b", "admin")
    assert (ann.username, ann.password_hash, ann.role) == ("Ann", "hash-a", "bidder")
    assert bob.paddle > ann.paddle and bob.id != ann.id
    for taken in ("Ann", "ann", "ANN", "BOB"):
        with pytest.raises(UsernameTaken) as caught:
            await store.create_user(taken, "h", "bidder")
        assert caught.value.code == "username_taken"
    cy = await store.create_user("cy", "hash-c", "bidder")
    assert cy.paddle > bob.paddle
    assert await store.user_by_name("aNN") == ann
    assert await store.user_by_name("nobody") is None
    assert await store.user_by_id(bob.id) == bob
    assert await store.user_by_id(999) is None
    assert await store.users_by_ids([ann.id, cy.id, 999]) == {ann.id: ann, cy.id: cy}
    assert await store.users_by_ids([]) == {}


async def test_concurrent_registrations_of_one_name_create_one_user(store: Any) -> None:
    results = await asyncio.gather(
        *(store.create_user(f"Dee{'e' * 0}", "h", "bidder") for _ in range(10)),
        *(store.create_user(f"user{i}", "h", "bidder") for i in range(10)),
        return_exceptions=True,
    )
    taken = [r for r in results if isinstance(r, UsernameTaken)]
    assert len(taken) == 9
    paddles = [r.paddle for r in results if not isinstance(r, BaseException)]
    assert len(paddles) == 11 and len(set(paddles)) == 11


async def test_tokens_are_stored_found_and_revoked(store: Any) -> None:
    user = await store.create_user("ann", "h", "bidder")
    await store.add_token("a" * 64, user.id, T0 + 1000)
    token = await store.token("a" * 64)
    assert token is not None
    assert (token.user_id, token.expires_at, token.revoked) == (user.id, T0 + 1000, False)
    assert await store.token("b" * 64) is None
    await store.revoke_token("a" * 64)
    token = await store.token("a" * 64)
    assert token is not None and token.revoked
    await store.revoke_token("c" * 64)  # unknown: nothing happens


async def test_a_user_change_is_stored_and_stamped_for_every_process(store: Any) -> None:
    ann = await store.create_user("ann", "hash-a", "bidder")
    bob = await store.create_user("bob", "hash-b", "bidder")
    assert not ann.disabled
    before = await store.users_changed(0)
    assert before == []  # never changed since it was created
    changed = await store.update_user(ann.id, role="admin", disabled=True)
    assert changed is not None
    assert (changed.role, changed.disabled, changed.password_hash) == ("admin", True, "hash-a")
    assert await store.user_by_id(ann.id) == changed
    assert await store.user_by_name("ANN") == changed
    again = await store.update_user(ann.id, disabled=False, password_hash="hash-new")
    assert again is not None
    assert (again.role, again.disabled, again.password_hash) == ("admin", False, "hash-new")
    assert await store.update_user(999, role="admin") is None
    assert await store.users_changed(0) == [again]
    assert await store.users_changed(10**15) == []
    assert await store.user_by_id(bob.id) == bob


async def test_revoking_a_users_tokens_keeps_one_if_asked_and_spares_others(store: Any) -> None:
    ann = await store.create_user("ann", "h", "bidder")
    bob = await store.create_user("bob", "h", "bidder")
    for name in "abc":
        await store.add_token(name * 64, ann.id, T0 + 1000)
    await store.add_token("d" * 64, bob.id, T0 + 1000)
    assert await store.revoke_tokens(ann.id, keep="a" * 64) == 2
    states = {n: (await store.token(n * 64)).revoked for n in "abcd"}
    assert states == {"a": False, "b": True, "c": True, "d": False}
    assert [u.id for u in await store.users_changed(0)] == [ann.id]
    assert await store.revoke_tokens(ann.id) == 1
    assert (await store.token("a" * 64)).revoked


async def test_expired_and_revoked_tokens_are_purged_in_chunks(store: Any) -> None:
    user = await store.create_user("ann", "h", "bidder")
    for i in range(5):
        await store.add_token(f"{i}" * 64, user.id, T0 + i * 1000)
    await store.revoke_token("4" * 64)
    # Expired before T0 + 2500: tokens 0, 1, 2; revoked: token 4.
    assert await store.purge_tokens(T0 + 2500, limit=3) == 3
    assert await store.purge_tokens(T0 + 2500, limit=3) == 1
    assert await store.purge_tokens(T0 + 2500, limit=3) == 0
    assert [await store.token(f"{i}" * 64) is not None for i in range(5)] == [
        False,
        False,
        False,
        True,
        False,
    ]


async def test_allocated_ids_grow_per_kind(store: Any) -> None:
    assert await store.allocate_ids("auction") == [1]
    assert await store.allocate_ids("auction", 3) == [2, 3, 4]
    assert await store.allocate_ids("sale") == [1]
    many = await asyncio.gather(*(store.allocate_ids("auction") for _ in range(20)))
    flat = [i for ids in many for i in ids]
    assert sorted(flat) == list(range(5, 25))
    with pytest.raises(ValueError):
        await store.allocate_ids("auction", 0)


# -- life cycle ------------------------------------------------------------------------


async def test_a_closed_store_refuses_work(store: Any) -> None:
    await store.close()
    with pytest.raises(StoreUnavailable):
        await store.append(commit(1, 0, [created(1)]))
    with pytest.raises(StoreUnavailable):
        await store.load_events(1)
    await store.open()  # the fixture closes it again
    assert await store.load_events(1) == []


async def test_everything_survives_closing_and_reopening(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, store: Any
) -> None:
    if backend == "memory":
        pytest.skip("the memory store keeps nothing across processes by design")
    events = every_event(3)
    user = await store.create_user("ann", "h", "bidder")
    await store.append(
        commit(
            3,
            0,
            events,
            notices=[NoticeRecord(user.id, "won", {"a": 1}, T0)],
            purchases=[PurchaseRecord(3, 1, user.id, 500, T0)],
            idempotency=[(user.id, "r9", b"reply")],
        )
    )
    ids = await store.allocate_ids("auction", 2)
    await store.close()
    again = make_store(backend, tmp_path, request)
    await again.open()
    try:
        assert await again.load_events(3) == events
        assert await again.user_by_name("ANN") == user
        assert await again.last_notice_seq(user.id) == 1
        assert await again.purchases(user.id) == [PurchaseRecord(3, 1, user.id, 500, T0)]
        assert await again.stored_reply(user.id, "r9") == b"reply"
        assert await again.allocate_ids("auction") == [ids[-1] + 1]
    finally:
        await again.close()


async def test_appends_are_group_committed(backend: str, store: Any) -> None:
    if backend == "memory":
        pytest.skip("the memory store has no transactions to batch")
    await asyncio.gather(*(store.append(commit(a, 0, [created(a)])) for a in range(1, 201)))
    before = store.stats.append_transactions
    await asyncio.gather(
        *(
            store.append(
                commit(
                    a,
                    1,
                    [
                        bid(a, 2, 2, 100),
                        AutoBidSet(
                            auction_id=a,
                            version=3,
                            seq=None,
                            at=T0,
                            bidder_id=1,
                            paddle=101,
                            max_amount=900,
                        ),
                    ],
                )
            )
            for a in range(1, 201)
        )
    )
    used = store.stats.append_transactions - before
    assert store.stats.appends == 400
    assert used <= 20, f"200 concurrent appends took {used} transactions"
    assert store.stats.largest_batch >= 20


# -- the hash chain (docs/protocol.md "The tamper-evident log") -------------------


def _with_hashes(c: Any, salt: int = 0) -> Any:
    """The commit with a distinct 32-byte hash on each public event."""
    hashes = [
        bytes([(e.version + salt) % 256]) * 32 if e.seq is not None else None for e in c.events
    ]
    return dataclasses.replace(c, hashes=hashes)


async def test_each_public_events_hash_is_stored_with_it_and_read_by_seq(store: Any) -> None:
    c = _with_hashes(commit(7, 0, every_event(7)))
    await store.append(c)
    public = {e.seq: h for e, h in zip(c.events, c.hashes, strict=True) if e.seq is not None}
    assert await store.log_hashes(7) == public
    assert await store.log_hashes(7, 1, 3) == {2: public[2], 3: public[3]}
    assert await store.log_hashes(8) == {}
    (closed,) = [h for e, h in zip(c.events, c.hashes, strict=True) if e.event == "auction_closed"]
    assert await store.sealed_hash(7) == closed
    assert await store.unchained() == []


async def test_hashes_of_commits_group_committed_together_stay_with_their_events(
    store: Any,
) -> None:
    commits = [_with_hashes(commit(a, 0, every_event(a)), salt=a) for a in range(1, 9)]
    await asyncio.gather(*(store.append(c) for c in commits))
    for c in commits:
        expected = {e.seq: h for e, h in zip(c.events, c.hashes, strict=True) if e.seq}
        assert await store.log_hashes(c.auction_id) == expected


async def test_a_log_without_hashes_gets_them_written_once(store: Any) -> None:
    await store.append(commit(3, 0, every_event(3)))
    stored = await store.log_hashes(3)
    assert stored and set(stored.values()) == {None}
    chained = {seq: bytes([seq]) * 32 for seq in stored}
    await store.chain(3, chained)
    assert await store.log_hashes(3) == chained


async def test_a_hash_on_a_private_event_or_of_the_wrong_size_is_refused(store: Any) -> None:
    events = every_event(4)
    private = next(i for i, e in enumerate(events) if e.seq is None)
    hashes: list[bytes | None] = [b"x" * 32 if e.seq else None for e in events]
    hashes[private] = b"y" * 32
    with pytest.raises(ValueError, match="bad hash"):
        await store.append(dataclasses.replace(commit(4, 0, events), hashes=hashes))
    with pytest.raises(ValueError, match="hashes for"):
        await store.append(dataclasses.replace(commit(4, 0, events), hashes=[b"x" * 32]))
    assert await store.load_events(4) == []
