"""The sans-I/O client session: replies matched by id, events in seq order, resume cursors."""

from __future__ import annotations

from typing import Any

import pytest

from auctioneer.clients.errors import PeerProtocolError
from auctioneer.clients.session import (
    ClientSession,
    Event,
    GapDetected,
    Reply,
    Welcome,
    format_time,
    parse_time,
)

__all__: list[str] = []


def ev(topic: str, seq: int, name: str = "bid_placed", /, **data: Any) -> dict[str, Any]:
    return {
        "event": name,
        "topic": topic,
        "seq": seq,
        "at": "2026-11-21T10:00:00.000Z",
        "data": data,
    }


def subscribed(session: ClientSession, topic: str, seq: int, since: int | None = None) -> None:
    msg = session.request("subscribe", {"topic": topic, "since": since})
    session.receive({"id": msg["id"], "ok": True, "result": {"topic": topic, "seq": seq}})


def seqs(items: list[object]) -> list[int | None]:
    return [i.seq for i in items if isinstance(i, Event)]


def test_request_ids_are_unique_and_prefixed_so_two_processes_never_collide() -> None:
    a, b = ClientSession(), ClientSession()
    ids = {a.request("ping", {})["id"] for _ in range(3)} | {b.request("ping", {})["id"]}
    assert len(ids) == 4
    assert a.request("ping", {})["id"].split("-")[0] != b.request("ping", {})["id"].split("-")[0]


def test_request_leaves_out_fields_that_are_none() -> None:
    msg = ClientSession(id_prefix="t").request("subscribe", {"topic": "auctions", "since": None})
    assert msg == {"id": "t-1", "action": "subscribe", "topic": "auctions"}


def test_a_reply_is_matched_to_its_request_by_id() -> None:
    s = ClientSession()
    msg = s.request("place_bid", {"auction_id": 1, "amount": 500})
    [reply] = s.receive(
        {"id": msg["id"], "ok": False, "error": {"code": "bid_too_low", "minimum": 600}}
    )
    assert isinstance(reply, Reply)
    assert (reply.ok, reply.action, reply.error) == (
        False,
        "place_bid",
        {"code": "bid_too_low", "minimum": 600},
    )
    assert s.pending_ids() == []


def test_login_keeps_the_token_and_user_and_logout_forgets_them() -> None:
    s = ClientSession()
    msg = s.request("login", {"username": "ann", "password": "x" * 8})
    s.receive(
        {
            "id": msg["id"],
            "ok": True,
            "result": {"token": "T", "user": {"username": "ann", "paddle": 7}},
        }
    )
    assert (s.token, s.user) == ("T", {"username": "ann", "paddle": 7})
    msg = s.request("logout", {})
    s.receive({"id": msg["id"], "ok": True, "result": {}})
    assert (s.token, s.user) == (None, None)


def test_events_after_a_fresh_subscribe_continue_from_the_replied_seq() -> None:
    s = ClientSession()
    subscribed(s, "auction:1", 5)
    assert seqs(s.receive(ev("auction:1", 6))) == [6]
    assert s.topics["auction:1"].last_seq == 6


def test_a_duplicate_event_is_dropped() -> None:
    s = ClientSession()
    subscribed(s, "auction:1", 5)
    s.receive(ev("auction:1", 6))
    assert s.receive(ev("auction:1", 6)) == []
    assert s.receive(ev("auction:1", 3)) == []


def test_a_gap_is_reported_and_resync_resubscribes_from_the_last_seq() -> None:
    s = ClientSession(id_prefix="t")
    subscribed(s, "auction:1", 5)
    [gap] = s.receive(ev("auction:1", 8))
    assert gap == GapDetected("auction:1", 5, 8)
    unsub, sub = s.resync_requests("auction:1")
    assert (unsub["action"], sub["action"], sub["since"]) == ("unsubscribe", "subscribe", 5)
    assert s.receive(ev("auction:1", 9)) == []  # from the old subscription: dropped
    s.receive({"id": unsub["id"], "ok": True, "result": {}})
    s.receive({"id": sub["id"], "ok": True, "result": {"topic": "auction:1", "seq": 9}})
    assert "auction:1" in s.topics
    got = [seqs(s.receive(ev("auction:1", n))) for n in (6, 7, 8, 9, 10)]
    assert got == [[6], [7], [8], [9], [10]]


def test_after_a_reconnect_every_topic_resumes_after_its_last_seq() -> None:
    s = ClientSession()
    subscribed(s, "auction:1", 5)
    subscribed(s, "auctions", 0)
    s.receive(ev("auction:1", 6))
    msgs = {m["topic"]: m for m in s.resubscribe_requests()}
    assert msgs["auction:1"]["since"] == 6
    assert "since" not in msgs["auctions"]


def test_unanswered_requests_are_resent_with_their_ids_but_internal_ones_are_not() -> None:
    s = ClientSession()
    bid = s.request("place_bid", {"auction_id": 1, "amount": 500})
    s.request("auth", {"token": "T"}, internal=True)
    assert s.resend_requests() == [bid]
    assert s.pending_ids() == [bid["id"]]


def test_the_auctions_feed_keeps_the_latest_value_per_auction() -> None:
    s = ClientSession()
    subscribed(s, "auctions", 0)
    a1 = ev("auctions", 4, "auction_summary", id=1, status="open", seq=4)
    a2 = ev("auctions", 2, "auction_summary", id=2, status="open", seq=2)
    assert seqs(s.receive(a1)) == [4]
    assert seqs(s.receive(a2)) == [2]  # another auction: its own seq
    assert s.receive(a1) == []
    assert s.book.get(2) == {"id": 2, "status": "open", "seq": 2}


def test_a_refused_subscribe_is_not_kept_for_resume() -> None:
    s = ClientSession()
    msg = s.request("subscribe", {"topic": "user:me"})
    s.receive({"id": msg["id"], "ok": False, "error": {"code": "unauthorized"}})
    assert s.topics == {}


def test_auto_bid_maxima_are_remembered_per_auction() -> None:
    s = ClientSession()
    msg = s.request("start_auto_bid", {"auction_id": 3, "max_amount": 9000})
    s.receive({"id": msg["id"], "ok": True, "result": {"auction": {"id": 3, "seq": 1}}})
    assert s.my_max == {3: 9000}
    msg = s.request("stop_auto_bid", {"auction_id": 3})
    s.receive({"id": msg["id"], "ok": True, "result": {}})
    assert s.my_max == {}


def test_the_clock_offset_comes_from_the_ping_with_the_shortest_round_trip() -> None:
    s = ClientSession()
    server = parse_time("2026-11-21T10:00:00.000Z")
    assert server is not None
    [w] = s.receive(
        {"event": "welcome", "data": {"server_time": format_time(server)}}, now=server - 30
    )
    assert isinstance(w, Welcome)
    assert s.clock_offset == pytest.approx(30)
    slow = s.request("ping", {}, now=server - 12)
    s.receive(
        {"id": slow["id"], "ok": True, "result": {"server_time": format_time(server)}},
        now=server - 8,
    )
    assert s.clock_offset == pytest.approx(10)
    fast = s.request("ping", {}, now=server - 10.1)
    s.receive(
        {"id": fast["id"], "ok": True, "result": {"server_time": format_time(server)}},
        now=server - 9.9,
    )
    assert s.clock_offset == pytest.approx(10)
    assert s.server_now(100.0) == pytest.approx(110.0)


def test_time_round_trips_through_the_wire_format() -> None:
    assert format_time(0.123) == "1970-01-01T00:00:00.123Z"
    assert parse_time("1970-01-01T00:00:00.123Z") == pytest.approx(0.123)
    assert parse_time(None) is None


@pytest.mark.parametrize("message", [[1], "x", {"neither": 1}, {"event": "x", "data": []}])
def test_a_message_outside_the_protocol_is_a_peer_error(message: object) -> None:
    with pytest.raises(PeerProtocolError):
        ClientSession().receive(message)


def test_bid_events_update_the_book_of_a_known_auction() -> None:
    s = ClientSession()
    msg = s.request("get_auction", {"auction_id": 1})
    auction = {
        "id": 1,
        "status": "open",
        "current_bid": None,
        "leader": None,
        "seq": 2,
        "bid_count": 0,
    }
    s.receive({"id": msg["id"], "ok": True, "result": {"auction": auction, "bids": []}})
    subscribed(s, "auction:1", 2)
    s.receive(
        ev("auction:1", 3, amount=1000, bidder="#4", current_bid=1000, leader="#4", auto=False)
    )
    got = s.book.get(1)
    assert got is not None
    assert (got["current_bid"], got["leader"], got["bid_count"], got["seq"]) == (1000, "#4", 1, 3)
    assert got["bids"][0]["amount"] == 1000
