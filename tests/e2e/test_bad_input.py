"""The bad-input matrix, on each door: every kind of garbage gets its error code.

Issue 3 "Bad input": malformed JSON, unknown actions, wrong types, missing
fields, floats or strings for money, huge frames or lines (64 KiB), floods,
half-open and abruptly closed connections: each gets the error code of
docs/protocol.md or a clean close, never a crash, a hang, or an effect on other
connections or stored data. After each case another connection still works
and the stored auction is unchanged; the server never answers `internal`.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest

from tests.e2e.support import KINDS, SOCKET_KINDS, House, iso_in, new_auction
from tests.helpers.server import RunningServer
from tests.helpers.wire_clients import MS

REGULARS = 2
LIMIT = 65_536

# (raw message, expected error code) for the socket doors; one message each.
MALFORMED: list[tuple[str | bytes, str]] = [
    ("{bad json", "bad_request"),
    ('{"id": "a", "action": "ping"', "bad_request"),
    ("[1, 2, 3]", "bad_request"),
    ('[{"action": "ping"}]', "bad_request"),
    ("42", "bad_request"),
    ('"ping"', "bad_request"),
    ("null", "bad_request"),
    ("NaN", "bad_request"),
    ('{"action": NaN}', "bad_request"),
    ("[" * 5000 + "]" * 5000, "bad_request"),
    (b'{"action": "\xff\xfe"}', "bad_request"),
    ("{}", "bad_request"),
    ('{"action": 7}', "bad_request"),
    ('{"action": null}', "bad_request"),
    ('{"action": "fly"}', "unknown_action"),
    ('{"action": "PING"}', "unknown_action"),
    ('{"action": "' + "x" * 1000 + '"}', "unknown_action"),
    ('{"id": 5, "action": "ping"}', "bad_request"),
    ('{"id": ["x"], "action": "ping"}', "bad_request"),
    ('{"id": "' + "i" * 65 + '", "action": "ping"}', "bad_request"),
]


def wrong_fields(aid: int) -> list[tuple[str, dict[str, Any], str]]:
    """(action, fields, expected code): missing fields and wrong types."""
    return [
        ("place_bid", {"auction_id": aid}, "bad_request"),
        ("place_bid", {"amount": 5000}, "bad_request"),
        ("place_bid", {"auction_id": str(aid), "amount": 5000}, "bad_request"),
        ("place_bid", {"auction_id": None, "amount": 5000}, "bad_request"),
        ("place_bid", {"auction_id": -1, "amount": 5000}, "bad_request"),
        ("place_bid", {"auction_id": 2**80, "amount": 5000}, "bad_request"),
        ("get_auction", {"auction_id": [aid]}, "bad_request"),
        ("get_auction", {}, "bad_request"),
        ("get_bids", {"auction_id": aid, "limit": 0}, "bad_request"),
        ("get_bids", {"auction_id": aid, "limit": 501}, "bad_request"),
        ("get_bids", {"auction_id": aid, "limit": "5"}, "bad_request"),
        ("get_auctions", {"status": "open"}, "bad_request"),
        ("get_auctions", {"status": ["sleeping"]}, "bad_request"),
        ("register", {"username": "ab", "password": "long enough pw"}, "bad_request"),
        ("register", {"username": "bad name!", "password": "long enough pw"}, "bad_request"),
        ("register", {"username": "shortpw", "password": "short"}, "bad_request"),
        ("register", {"username": 12345, "password": "long enough pw"}, "bad_request"),
        ("login", {"username": "someone"}, "bad_request"),
        ("auth", {"token": 42}, "bad_request"),
        ("subscribe", {}, "bad_request"),
        ("subscribe", {"topic": "auction:abc"}, "bad_request"),
        ("subscribe", {"topic": f"auction:{aid}", "since": -1}, "bad_request"),
        ("subscribe", {"topic": f"auction:{aid}", "since": "3"}, "bad_request"),
        ("create_auction", {"name": "x"}, "bad_request"),
    ]


MONEY: list[Any] = [1000.0, 1500.5, "1500", True, False, -5, -1, 10**13, 10**12 + 1, 2**70, None]


def line(raw: str | bytes) -> bytes:
    data = raw.encode() if isinstance(raw, str) else raw
    return data + b"\n"


async def snapshot(admin: Any, auction_id: int) -> dict[str, Any]:
    return await admin.ok("get_auction", auction_id=auction_id)  # type: ignore[no-any-return]


async def still_works(house: House, kind: str) -> None:
    """A new connection of `kind` gets a normal reply."""
    other = await house.connect(kind)
    assert "server_time" in await other.ok("ping")
    await other.close()


@pytest.fixture
async def target(house: House) -> dict[str, Any]:
    """An auction with one bid, and the admin's view of it before the abuse."""
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    ann = await house.regular(0, "tcp")
    await ann.ok("place_bid", auction_id=auction["id"], amount=1000)
    return {"id": auction["id"], "admin": admin, "before": await snapshot(admin, auction["id"])}


@pytest.mark.parametrize("kind", SOCKET_KINDS)
async def test_malformed_json_is_a_bad_request_on_every_gateway(
    house: House, kind: str, target: dict[str, Any]
) -> None:
    client = await house.regular(1, kind)
    cases = MALFORMED if kind == "tcp" else [*MALFORMED, ("", "bad_request")]
    if kind == "tcp":  # blank lines are skipped, as JSON-lines readers do; CRLF is fine
        await client.send_raw("\n\r\n   \n")
        assert "server_time" in await client.ok("ping")
        assert client.replies == []
        await client.send_raw('{"id": "crlf", "action": "ping"}\r\n')
        crlf = await client.next_reply()
        assert crlf["id"] == "crlf" and crlf["ok"] is True
        await client.send_raw('{"id": "split", "act')  # one line in two writes
        await asyncio.sleep(20 * MS)
        await client.send_raw('ion": "ping"}\n')
        assert (await client.next_reply())["id"] == "split"
    for raw, code in cases:
        await client.send_raw(line(raw) if kind == "tcp" else raw)
        reply = await client.next_reply()
        assert reply["ok"] is False and reply["error"]["code"] == code, (raw[:80], reply)
        assert "id" not in reply or reply["id"] == "a" or code == "unknown_action"
    assert "server_time" in await client.ok("ping")  # the same connection goes on
    assert await snapshot(target["admin"], target["id"]) == target["before"]


@pytest.mark.parametrize("kind", KINDS)
async def test_missing_and_wrong_typed_fields_are_bad_requests(
    house: House, kind: str, target: dict[str, Any]
) -> None:
    client = await house.regular(1, kind)
    for action, fields, code in wrong_fields(target["id"]):
        if kind == "http" and (action in ("subscribe", "get_auction") or "amount" in fields):
            continue  # no such route, or the id is in the path: see the HTTP body test
        if kind == "http" and any(isinstance(fields.get(k), str) for k in ("limit", "status")):
            continue  # a query string is text: "5" and "open" are fine there
        reply = await client.request(action, **fields)
        assert reply["ok"] is False and reply["error"]["code"] == code, (action, fields, reply)
    assert "server_time" in await client.ok("ping")
    assert await snapshot(target["admin"], target["id"]) == target["before"]


@pytest.mark.parametrize("kind", KINDS)
async def test_money_that_is_not_a_whole_number_of_minor_units_is_refused(
    house: House, kind: str, target: dict[str, Any]
) -> None:
    bob = await house.regular(1, kind)
    admin = await house.admin_client(kind)
    for amount in MONEY:
        for action, field in (("place_bid", "amount"), ("start_auto_bid", "max_amount")):
            reply = await bob.request(action, auction_id=target["id"], **{field: amount})
            assert reply["ok"] is False, (action, amount, reply)
            assert reply["error"]["code"] == "invalid_amount", (action, amount, reply)
        for field in ("starting_bid", "min_increment", "reserve", "buy_now"):
            if amount is None and field in ("reserve", "buy_now"):
                continue  # optional: null means "none"
            fields = {"name": "money", "starting_bid": 100, "duration_s": 60, field: amount}
            reply = await admin.request("create_auction", **fields)
            assert reply["error"]["code"] == "invalid_amount", (field, amount, reply)
    assert await snapshot(target["admin"], target["id"]) == target["before"]
    # 10**12 itself is a valid amount.
    top = await bob.request("place_bid", auction_id=target["id"], amount=10**12)
    assert top["ok"] is True, top


async def test_http_bodies_that_are_not_json_objects_are_bad_requests(
    house: House, target: dict[str, Any]
) -> None:
    http = await house.regular(1, "http")
    path = f"/api/auctions/{target['id']}/bids"
    for body in ("{bad", "[1, 2]", "42", '"amount"', "null", "[" * 5000 + "]" * 5000):
        resp = await http.raw("POST", path, content=body)
        assert resp.status_code == 400, (body[:20], resp.text)
        assert resp.json()["error"]["code"] == "bad_request"
    # Digits Python calls digits but int() refuses ("²") or reads (Arabic-Indic): text.
    for path_id in ("abc", "-1", "1.5", "99999999999999999999999", "\u00b2", "\u0663"):
        for route in ("/api/auctions/{}", "/api/auctions/{}/events", "/api/auctions/{}/bids"):
            resp = await http.raw("GET", route.format(path_id))
            assert resp.status_code in (400, 404), (route, path_id, resp.text)
            assert resp.json()["error"]["code"] in ("bad_request", "not_found"), resp.text
    for query in ({"limit": "x"}, {"limit": "\u00b2"}, {"before_seq": "\u0663"}):
        resp = await http.raw("GET", f"/api/auctions/{target['id']}/bids", params=query)
        assert resp.status_code == 400, (query, resp.text)
    resp = await http.raw(
        "POST", path, content='{"amount": 5000}', headers={"Idempotency-Key": "k" * 65}
    )
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "bad_request"
    resp = await http.raw("POST", path, content='{"amount": 15.5}')
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_amount"
    assert await snapshot(target["admin"], target["id"]) == target["before"]


def padded(size: int) -> str:
    """A ping request of exactly `size` bytes of JSON."""
    head = '{"action":"ping","pad":"'
    return head + "x" * (size - len(head) - 2) + '"}'


async def test_a_message_over_64_kib_is_refused_and_the_connection_closed(
    house: House, target: dict[str, Any]
) -> None:
    # TCP: a line of exactly the limit is fine, one byte more is message_too_large + close.
    tcp = await house.regular(1, "tcp")
    await tcp.send_raw(padded(LIMIT) + "\n")
    assert (await tcp.next_reply())["ok"] is True
    await tcp.send_raw(padded(LIMIT + 1) + "\n")
    reply = await tcp.next_reply()
    assert reply["ok"] is False and reply["error"]["code"] == "message_too_large"
    await tcp.wait_closed()
    # A line that never ends is cut off at the limit too.
    tcp = await house.connect("tcp")
    await tcp.send_raw("x" * (LIMIT * 3))
    assert (await tcp.next_reply())["error"]["code"] == "message_too_large"
    await tcp.wait_closed()

    # WebSocket: the limit is fine, over it closes with 1009.
    ws = await house.regular(1, "ws")
    await ws.send_raw(padded(LIMIT))
    assert (await ws.next_reply())["ok"] is True
    await ws.send_raw(padded(LIMIT + 1))
    assert await ws.wait_closed() == 1009

    # HTTP: 413.
    http = await house.regular(1, "http")
    body = json.dumps({"amount": 5000, "pad": "x" * LIMIT})
    resp = await http.raw("POST", f"/api/auctions/{target['id']}/bids", content=body)
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "message_too_large"

    for kind in KINDS:
        await still_works(house, kind)
    assert await snapshot(target["admin"], target["id"]) == target["before"]


@pytest.mark.parametrize("kind", SOCKET_KINDS)
async def test_a_flood_of_pipelined_requests_is_answered_in_order_without_starving_others(
    house: House, kind: str, target: dict[str, Any]
) -> None:
    flooder = await house.regular(1, kind)
    count = 2000
    messages = [json.dumps({"id": f"f{i}", "action": "ping"}) for i in range(count)]
    messages += ["{garbage"] * 200
    if kind == "tcp":
        await flooder.send_raw("".join(m + "\n" for m in messages))
    else:
        await asyncio.gather(*(flooder.send_raw(m) for m in messages))
    bystander = await house.connect("ws" if kind == "tcp" else "tcp")
    pong = await bystander.request("ping", timeout=5000 * MS)
    assert pong["ok"]
    replies = [await flooder.next_reply() for _ in range(count + 200)]
    assert [r.get("id") for r in replies[:count]] == [f"f{i}" for i in range(count)]
    assert all(r["error"]["code"] == "bad_request" for r in replies[count:])
    assert "server_time" in await flooder.ok("ping")
    assert await snapshot(target["admin"], target["id"]) == target["before"]


async def test_a_half_open_tcp_connection_holds_nothing_up(
    house: House, target: dict[str, Any]
) -> None:
    server: RunningServer = house.server
    half = socket.create_connection((server.tcp_host, server.tcp_port), timeout=5)
    silent = socket.create_connection((server.tcp_host, server.tcp_port), timeout=5)
    try:
        half.sendall(b'{"id": "h", "action": "place_bid", "auction_id": ')  # and then nothing
        for kind in KINDS:
            await still_works(house, kind)
        bob = await house.regular(1, "ws")
        moved = await bob.ok("place_bid", auction_id=target["id"], amount=1100)
        assert moved["auction"]["current_bid"] == 1100
        # Half-closing our side (FIN) after half a line: the server just closes.
        half.shutdown(socket.SHUT_WR)
        half.settimeout(5)
        data = b""
        for _ in range(100):
            chunk = half.recv(65_536)
            if not chunk:
                break
            data += chunk
        lines = [json.loads(line) for line in data.splitlines() if line.strip()]
        assert lines[0]["event"] == "welcome"
        assert all(m.get("ok") is not True for m in lines[1:])
    finally:
        half.close()
        silent.close()
    await still_works(house, "tcp")


@pytest.mark.parametrize("kind", SOCKET_KINDS)
async def test_abrupt_disconnects_mid_request_leave_stored_data_consistent(
    house: House, kind: str, target: dict[str, Any]
) -> None:
    admin = target["admin"]
    auction = await new_auction(admin, starting_bid=100, min_increment=1)
    accounts = house.regulars
    for i in range(20):
        client = await house.connect(kind, accounts[i % 2])
        # Some requests are sent whole, some cut mid-message; then the socket is reset.
        if i % 3 == 0:
            await client.send_raw('{"id": "cut", "action": "place_bid", "auc')
        else:
            await client.send(
                {
                    "id": f"x{i}-{kind}",
                    "action": "place_bid",
                    "auction_id": auction["id"],
                    "amount": 100 + i,
                }
            )
        await client.abort()
    await asyncio.sleep(100 * MS)
    state = (await admin.ok("get_auction", auction_id=auction["id"]))["auction"]
    bids = (await admin.ok("get_bids", auction_id=auction["id"], limit=500))["bids"]
    amounts = [b["amount"] for b in reversed(bids)]
    assert amounts == sorted(set(amounts))  # each at most once, always rising
    assert state["bid_count"] == len(bids)
    assert state["current_bid"] == (amounts[-1] if amounts else None)
    await still_works(house, kind)
    assert await snapshot(admin, target["id"]) == target["before"]


async def test_the_server_never_answers_internal_to_bad_input(house: House) -> None:
    """Whatever came before in this module: no `internal` reply and no traceback logged."""
    junk = [
        '{"action": "place_bid", "auction_id": 1, "amount": 1e400}',
        '{"action": "subscribe", "topic": "auction:0"}',
        '{"action": "subscribe", "topic": "auction:99999999999999999"}',
        '{"action": "get_bids", "auction_id": 1, "before_seq": 99999999999999999999}',
        # 64-bit unsigned but not signed: the store's integers would overflow.
        '{"action": "get_bids", "auction_id": 1, "before_seq": 9223372036854775808}',
        '{"action": "get_notices", "since": 9223372036854775808}',
        '{"action": "subscribe", "topic": "auction:1", "since": 18446744073709551615}',
        '{"action": "create_sale", "name": "s", "lots": []}',
        '{"action": "create_sale", "name": "s", "lots": [{}]}',
        '{"action": "login", "username": "\\u0000", "password": "\\u0000"}',
        '{"action": "register", "username": "' + "a" * 10000 + '", "password": "x"}',
        '{"action": "auth", "token": "' + "t" * 600 + '"}',
        '{"action": "get_auctions", "status": [null], "sale_id": -4}',
        '{"action": "ping", "id": "\\ud800"}',
    ]
    admin = await house.admin_client("tcp")
    for kind in SOCKET_KINDS:
        for client in (await house.connect(kind), await house.admin_client(kind)):
            for raw in junk:
                await client.send_raw(raw + ("\n" if kind == "tcp" else ""))
                reply = await client.next_reply()
                assert reply["ok"] is False, (raw, reply)
                assert reply["error"]["code"] != "internal", (raw, reply)
    # Over HTTP a number of 19 digits or more stays text; one past 2^53 is refused too.
    admin_http = await house.admin_client("http")
    for path in ("/api/notices?since=", "/api/auctions/1/bids?before_seq="):
        for number in ("9223372036854775808", str(2**53 + 1)):
            reply = await admin_http.raw("GET", path + number)
            assert reply.status_code == 400, (path, number, reply.text)
    assert "server_time" in await admin.ok("ping")
    log = "".join(house.server.output)
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]


async def test_http_floods_half_requests_and_dropped_requests_harm_nobody(
    house: House, target: dict[str, Any]
) -> None:
    server: RunningServer = house.server
    host, port = server.http_url.removeprefix("http://").split(":")
    # Half an HTTP request, then silence; another cut mid-body and reset.
    half = socket.create_connection((host, int(port)), timeout=5)
    half.sendall(b"POST /api/auctions/1/bids HTTP/1.1\r\nHost: x\r\nContent-Le")
    cut = socket.create_connection((host, int(port)), timeout=5)
    cut.sendall(
        b"POST /api/auctions/1/bids HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 200\r\n\r\n{"amount": 50'
    )
    cut.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    cut.close()  # RST mid-body
    try:
        # Sized for the client: under `pytest --cov` httpx in this process needs
        # about 17 ms per request, and 300 at once overran the 10 s reply timeout.
        http = await house.connect("http")
        replies = await asyncio.gather(*(http.request("ping") for _ in range(100)))
        assert all(r["ok"] for r in replies)
        bodies = await asyncio.gather(
            *(
                http.raw("POST", f"/api/auctions/{target['id']}/bids", content="{oops")
                for _ in range(50)
            )
        )
        assert {b.status_code for b in bodies} == {400}
        for kind in KINDS:
            await still_works(house, kind)
    finally:
        half.close()
    assert await snapshot(target["admin"], target["id"]) == target["before"]


async def test_auction_fields_out_of_range_are_refused_with_the_fitting_code(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    base = {"name": "x", "starting_bid": 1000, "duration_s": 60}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"starting_bid": 0}, "invalid_amount"),
        ({"min_increment": 0}, "invalid_amount"),
        ({"name": ""}, "bad_request"),
        ({"name": "n" * 201}, "bad_request"),
        ({"quantity": 0}, "bad_request"),
        ({"duration_s": -1}, "bad_request"),
        ({"duration_s": 0}, "bad_request"),
        ({"duration_s": None, "starts_at": iso_in(100), "ends_at": iso_in(50)}, "bad_request"),
        ({"duration_s": None, "ends_at": iso_in(-50)}, "bad_request"),
        ({"ends_at": iso_in(50)}, "bad_request"),  # both ends_at and duration_s
        ({"starts_at": "tomorrow"}, "bad_request"),
        ({"duration_s": None}, "bad_request"),  # no end at all
        ({"public": "yes"}, "bad_request"),
    ]
    before = await admin.ok("get_auctions")
    for fields, code in cases:
        reply = await admin.request("create_auction", **{**base, **fields})
        assert reply["ok"] is False and reply["error"]["code"] == code, (fields, reply)
    sale = await admin.request("create_sale", name="s", lots=[base, {**base, "quantity": 0}])
    assert sale["error"]["code"] == "bad_request"  # one bad lot: no sale at all
    assert await admin.ok("get_auctions") == before
