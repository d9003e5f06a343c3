"""Resume: a client that was away gets exactly what it missed, then live events.

docs/protocol.md `subscribe` with `since`: the reply, then the events with
since < seq <= reply seq in order, then live events, with no gap and no
duplicate; the HTTP catch-up returns the same event objects.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import pytest

from tests.e2e.support import SOCKET_KINDS, House, new_auction
from tests.helpers.wire_clients import MS

REGULARS = 3


async def bid_war(house: House, auction_id: int, amounts: list[int], step: int = 100) -> None:
    """Two regulars take turns bidding `amounts` (the leader may not outbid itself):
    the bidder is chosen by `amount // step` so consecutive calls keep alternating."""
    a, b = await house.regular(0, "tcp"), await house.regular(1, "tcp")
    try:
        for amount in amounts:
            bidder = a if (amount // step) % 2 == 0 else b
            await bidder.ok("place_bid", auction_id=auction_id, amount=amount)
    finally:
        await a.close()
        await b.close()


def seqs(events: list[dict[str, Any]]) -> list[int]:
    return [e["seq"] for e in events]


@pytest.mark.parametrize("abrupt", [False, True], ids=["closed", "dropped"])
@pytest.mark.parametrize("kind", SOCKET_KINDS)
async def test_a_client_that_resubscribes_with_since_gets_exactly_the_missed_events_then_live_ones(
    house: House, kind: str, abrupt: bool
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    aid, topic = auction["id"], f"auction:{auction['id']}"
    watcher = await house.regular(2, kind)
    await watcher.ok("subscribe", topic=topic)
    await bid_war(house, aid, [1000, 1100])
    seen = await watcher.collect_events(2, topic=topic)
    assert seqs(seen) == [auction["seq"] + 1, auction["seq"] + 2]
    last = seen[-1]["seq"]
    if abrupt:
        await watcher.abort()
    else:
        await watcher.close()

    await bid_war(house, aid, [1200, 1300, 1400, 1500, 1600])  # while it is away

    back = await house.regular(2, kind)
    reply = await back.ok("subscribe", topic=topic, since=last)
    assert reply == {"topic": topic, "seq": last + 5}
    missed = await back.collect_events(5, topic=topic)
    assert seqs(missed) == list(range(last + 1, last + 6))
    assert [e["event"] for e in missed] == ["bid_placed"] * 5
    assert [e["data"]["amount"] for e in missed] == [1200, 1300, 1400, 1500, 1600]
    await bid_war(house, aid, [1700])
    live = await back.next_event(topic=topic)
    assert live["seq"] == last + 6 and live["data"]["amount"] == 1700
    assert await back.quiet(topic=topic) == []  # no duplicate of anything
    for client in (admin, back):
        await client.close()


@pytest.mark.parametrize("kind", SOCKET_KINDS)
async def test_bids_racing_a_resubscription_are_delivered_once_each_with_no_gap(
    house: House, kind: str
) -> None:
    """The seam: bids land while the catch-up is being read from the store."""
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin, starting_bid=100, min_increment=1)
    aid, topic = auction["id"], f"auction:{auction['id']}"
    amounts = list(range(100, 160))
    war = asyncio.create_task(bid_war(house, aid, amounts, step=1))
    clients = []
    try:
        await asyncio.sleep(50 * MS)
        for since in (0, auction["seq"], auction["seq"] + 3):
            client = await house.connect(kind)
            clients.append((since, client, await client.ok("subscribe", topic=topic, since=since)))
        await war
        final = auction["seq"] + len(amounts)
        for since, client, reply in clients:
            got = await client.collect_events(final - since, topic=topic)
            assert seqs(got) == list(range(since + 1, final + 1)), (since, reply)
            assert reply["seq"] >= since
            assert await client.quiet(topic=topic, wait=100 * MS) == []
    finally:
        war.cancel()
        for _, client, _ in clients:
            await client.close()
        await admin.close()


async def test_the_http_catch_up_returns_the_same_events_as_were_pushed(house: House) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    aid, topic = auction["id"], f"auction:{auction['id']}"
    watcher = await house.connect("ws")
    await watcher.ok("subscribe", topic=topic, since=0)
    await bid_war(house, aid, [1000, 1100, 1200])
    await admin.ok("close_auction", auction_id=aid)
    pushed = await watcher.collect_events(auction["seq"] + 5, topic=topic)
    names = [e["event"] for e in pushed][-5:]
    assert names == ["bid_placed"] * 3 + ["unit_sold", "auction_closed"]
    http = await house.connect("http")
    try:
        whole = (await http.raw("GET", f"/api/auctions/{aid}/events", params={"since": 0})).json()
        assert whole["events"] == pushed
        tail = await http.raw("GET", f"/api/auctions/{aid}/events", params={"since": 3})
        assert tail.status_code == 200 and tail.json()["events"] == pushed[3:]
        none = await http.raw("GET", f"/api/auctions/{aid}/events", params={"since": 99})
        assert none.json() == {"events": []}
        bad = await http.raw("GET", f"/api/auctions/{aid}/events", params={"since": "-1"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"
    finally:
        for client in (admin, watcher, http):
            await client.close()


async def test_a_subscriber_without_since_gets_only_live_events(house: House) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    aid, topic = auction["id"], f"auction:{auction['id']}"
    await bid_war(house, aid, [1000])
    watcher = await house.connect("tcp")
    try:
        assert (await watcher.ok("subscribe", topic=topic))["seq"] == auction["seq"] + 1
        assert await watcher.quiet(topic=topic, wait=200 * MS) == []
        await bid_war(house, aid, [1100])
        assert seqs(await watcher.collect_events(1, topic=topic)) == [auction["seq"] + 2]
    finally:
        await watcher.close()
        await admin.close()


async def test_a_subscriber_that_stops_reading_is_dropped_without_slowing_the_others(
    house: House,
) -> None:
    """Issue 3: a slow subscriber has a bounded queue and is disconnected when it
    overflows; everyone else still gets every event, in order, at once."""
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    aid, topic = auction["id"], f"auction:{auction['id']}"
    stalled = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills after a few frames
    stalled.settimeout(5)
    stalled.connect((house.server.tcp_host, house.server.tcp_port))
    try:
        stalled.sendall(json.dumps({"action": "subscribe", "topic": topic}).encode() + b"\n")
        reader = await house.connect("ws")
        await reader.ok("subscribe", topic=topic)
        await asyncio.sleep(100 * MS)

        # Admin edits, pipelined: one auction_updated event of about 5 KB each, so
        # the kernel's socket buffers (up to 4 MB) fill and the server's queue must.
        count = 3000
        pad = "x" * 4900
        started = time.perf_counter()
        lines = "".join(
            json.dumps(
                {
                    "id": f"u{i}",
                    "action": "update_auction",
                    "auction_id": aid,
                    "description": f"{pad} {i}",
                }
            )
            + "\n"
            for i in range(count)
        )
        await admin.send_raw(lines)
        for _ in range(count):
            reply = await admin.next_reply()
            assert reply["ok"] is True, reply
        events = await reader.collect_events(count, topic=topic)
        elapsed = time.perf_counter() - started
        assert [e["seq"] for e in events] == list(
            range(auction["seq"] + 1, auction["seq"] + count + 1)
        )
        assert events[-1]["data"]["description"] == f"{pad} {count - 1}"

        # The stalled client got a bounded prefix and then the connection ended.
        received = b""
        ended = False
        for _ in range(10_000):
            try:
                chunk = await asyncio.to_thread(stalled.recv, 65_536)
            except (ConnectionResetError, TimeoutError, OSError):
                ended = True
                break
            if not chunk:
                ended = True
                break
            received += chunk
        complete = received[: received.rfind(b"\n") + 1]  # the abort may cut the last line
        got = [json.loads(x) for x in complete.splitlines() if x.strip()]
        assert ended
        assert len([e for e in got if e.get("topic") == topic]) < count
        # A resume far behind (beyond any recent-frames cache) still gets every event.
        late = await house.connect("tcp")
        reply = await late.ok("subscribe", topic=topic, since=1)
        assert reply["seq"] == auction["seq"] + count
        replayed = await late.collect_events(reply["seq"] - 1, topic=topic)
        assert [e["seq"] for e in replayed] == list(range(2, reply["seq"] + 1))
        assert replayed[-count:] == events
        print(f"\nslow consumer: dropped after {len(got)} messages; the other got {count}", end="")
        print(f" in {elapsed:.2f}s")
    finally:
        stalled.close()


async def test_a_latest_mode_subscription_sends_only_the_newest_of_the_missed_events(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    aid, topic = auction["id"], f"auction:{auction['id']}"
    await bid_war(house, aid, [1000, 1100, 1200])
    viewer = await house.connect("ws")
    reply = await viewer.ok("subscribe", topic=topic, since=0, mode="latest")
    assert reply == {"topic": topic, "seq": auction["seq"] + 3}
    newest = await viewer.next_event(topic=topic)
    assert newest["seq"] == auction["seq"] + 3 and newest["data"]["amount"] == 1200
    assert await viewer.quiet(topic=topic, wait=200 * MS) == []
    await bid_war(house, aid, [1300, 1400, 1500, 1600])
    seen: list[int] = []
    while not seen or seen[-1] < auction["seq"] + 7:
        seen.append((await viewer.next_event(topic=topic))["seq"])
    assert seen == sorted(set(seen))  # never older, never twice; the last one always comes
