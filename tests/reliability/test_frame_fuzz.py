"""Hypothesis-generated frames at the WebSocket and TCP doors.

docs/protocol.md "Error codes": "A bad request never closes the connection and
never harms another connection or any stored data. The one exception is a
message over 65,536 bytes": TCP answers `message_too_large` and closes,
WebSocket closes with 1009.

Frames: random JSON values, random bytes, truncated requests, messages around
and over the size limit, and request-shaped objects with random field types
for every action. Each example is followed by a sentinel request on the same
connection; everything before its reply is checked (one JSON object per
reply, never `internal`), and the sentinel itself must succeed. Two
connections per door are fuzzed: an anonymous one and one logged in as a
bidder. Meanwhile an observer stays connected; afterwards it still bids and
gets the events, the server process is alive, and the stored auctions, bids
and purchases are exactly as before.
"""

from __future__ import annotations

import json
import secrets
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.helpers.server import RunningServer, start_server
from tests.reliability.conftest import close_server, copy_db
from tests.reliability.support import ADMIN, ADMIN_PASSWORD, PASSWORD

LIMIT = 65_536
WAIT_S = 10.0

# action -> its fields (docs/protocol.md "Actions" and docs/protocol.md "Extensions").
ACTIONS: dict[str, tuple[str, ...]] = {
    "register": ("username", "password"),
    "login": ("username", "password"),
    "auth": ("token",),
    "logout": (),
    "ping": (),
    "get_auctions": ("status", "sale_id"),
    "get_auction": ("auction_id",),
    "get_bids": ("auction_id", "before_seq", "limit"),
    "create_auction": (
        "name",
        "description",
        "starting_bid",
        "min_increment",
        "reserve",
        "buy_now",
        "quantity",
        "starts_at",
        "ends_at",
        "duration_s",
        "countdown_s",
        "soft_close_s",
        "public",
    ),
    "create_sale": ("name", "lots", "starts_at"),
    "update_auction": ("auction_id", "public", "name", "description"),
    "close_auction": ("auction_id",),
    "cancel_auction": ("auction_id",),
    "delete_auction": ("auction_id",),
    "place_bid": ("auction_id", "amount"),
    "start_auto_bid": ("auction_id", "max_amount"),
    "stop_auto_bid": ("auction_id",),
    "buy_now": ("auction_id",),
    "subscribe": ("topic", "since", "mode"),
    "unsubscribe": ("topic",),
    "get_purchases": (),
    "get_notices": ("since",),
}

# -- strategies --------------------------------------------------------------------
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # NaN and Infinity encode as non-JSON literals: malformed JSON
    st.text(max_size=40),
    st.sampled_from(["1", "", "auctions", "auction:1", "user:me", "latest", "open", "#3"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
plausible = st.one_of(
    st.integers(min_value=-2, max_value=5),
    st.integers(min_value=0, max_value=10**12 + 1),
    st.text(alphabet="abcdefghij_.-0123456789", min_size=0, max_size=40),
    st.sampled_from(["2026-11-21T10:00:00.000Z", "2030-01-01T00:00:00", "not a time"]),
)
INT_FIELDS = {
    "auction_id", "before_seq", "limit", "starting_bid", "min_increment", "reserve", "buy_now",
    "quantity", "duration_s", "countdown_s", "soft_close_s", "amount", "max_amount", "since",
    "sale_id",
}  # fmt: skip
TEXT_FIELDS = {"username", "password", "token", "name", "description", "topic", "mode"}
TIME_FIELDS = {"starts_at", "ends_at"}
edge_ints = st.one_of(
    st.integers(-2, 10),
    st.integers(0, 10**12 + 1),
    st.sampled_from([2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30]),
)
times = st.one_of(
    st.datetimes().map(lambda d: d.isoformat(timespec="milliseconds") + "Z"),
    st.datetimes().map(lambda d: d.isoformat()),
    st.text(max_size=30),
)


def typed(name: str) -> st.SearchStrategy[Any]:
    """A value of the field's own type (mostly right, sometimes extreme)."""
    if name in INT_FIELDS:
        return edge_ints
    if name in TEXT_FIELDS:
        return st.one_of(plausible.filter(lambda v: isinstance(v, str)), st.text(max_size=300))
    if name in TIME_FIELDS:
        return times
    if name == "public":
        return st.booleans()
    if name == "status":
        return st.lists(st.sampled_from(["open", "closed", "scheduled", "cancelled", "x"]))
    if name == "lots":
        return st.lists(
            st.fixed_dictionaries(
                {"name": st.text(max_size=10), "starting_bid": edge_ints},
                optional={"duration_s": edge_ints, "quantity": edge_ints},
            ),
            max_size=3,
        )
    return json_values


ids = st.one_of(st.text(max_size=70), st.integers(), st.none(), json_values)


@st.composite
def requests(draw: st.DrawFn, actions: list[str]) -> dict[str, Any]:
    """A request-shaped object: a real (or random) action, each field random or absent."""
    action = draw(st.one_of(st.sampled_from(actions), st.text(max_size=20), json_values))
    obj: dict[str, Any] = {}
    if draw(st.booleans()):
        obj["id"] = draw(ids)
    if draw(st.integers(0, 9)) > 0:
        obj["action"] = action
    for name in ACTIONS.get(action, ()) if isinstance(action, str) else ():
        presence = draw(st.integers(0, 7))  # 0: absent, 1: any JSON value, else: typed
        if presence == 1:
            obj[name] = draw(st.one_of(json_values, plausible))
        elif presence > 1:
            obj[name] = draw(typed(name))
    obj.update(draw(st.dictionaries(st.text(max_size=8), json_values, max_size=2)))
    return obj


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@st.composite
def frames(draw: st.DrawFn, actions: list[str]) -> tuple[str, bytes]:
    """(kind, payload) where kind tells what the door must do with it."""
    kind = draw(
        st.sampled_from(["request", "request", "request", "json", "bytes", "truncated", "size"])
    )
    if kind == "request":
        return kind, _encode(draw(requests(actions)))
    if kind == "json":
        return kind, _encode(draw(json_values))
    if kind == "bytes":
        return kind, draw(st.binary(max_size=200))
    if kind == "truncated":
        whole = _encode(draw(requests(actions)))
        return kind, whole[: draw(st.integers(0, max(0, len(whole) - 1)))]
    # Around the limit: a ping padded to just under, at, or over 65,536 bytes.
    size = draw(st.one_of(st.integers(LIMIT - 3, LIMIT + 3), st.integers(LIMIT, 3 * LIMIT)))
    head = b'{"action":"ping","pad":"'
    return kind, head + b"x" * (size - len(head) - 2) + b'"}'


# -- blocking clients (Hypothesis drives plain functions) -----------------------------
class TcpLines:
    def __init__(self, server: RunningServer) -> None:
        self.sock = socket.create_connection((server.tcp_host, server.tcp_port), timeout=WAIT_S)
        self.buffer = b""
        self.closed = False
        self.events: list[dict[str, Any]] = []  # events that _call() read past
        first = self.receive()
        assert first is not None and first.get("event") == "welcome"

    def send(self, payload: bytes) -> None:
        """One message: the payload and a newline (raw bytes may hold more newlines)."""
        try:
            self.sock.sendall(payload + b"\n")
        except OSError:
            self.closed = True

    def receive(self) -> dict[str, Any] | None:
        """The next non-blank line as JSON; None once the server closed."""
        while True:
            line, sep, rest = self.buffer.partition(b"\n")
            if sep:
                self.buffer = rest
                if line.strip():
                    msg = json.loads(line)
                    assert isinstance(msg, dict), msg
                    return msg
                continue
            try:
                chunk = self.sock.recv(262_144)
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                self.closed = True
                return None
            self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


class WsFrames:
    def __init__(self, server: RunningServer) -> None:
        # websockets 17 wants connect() as a context manager. No keepalive: its pings
        # draw from the global `random` in a background thread, which Hypothesis
        # (rightly) reports when it happens while an example is being drawn.
        self._cm = connect(
            server.ws_url,
            open_timeout=WAIT_S,
            max_size=2**22,
            compression=None,
            ping_interval=None,
        )
        self.ws: ClientConnection = self._cm.__enter__()
        self.closed = False
        self.close_code: int | None = None
        self.events: list[dict[str, Any]] = []  # events that _call() read past
        first = self.receive()
        assert first is not None and first.get("event") == "welcome"

    def send(self, payload: bytes, *, binary: bool = False) -> None:
        try:
            if binary:
                self.ws.send(payload)
            else:
                self.ws.send(payload.decode("utf-8", "replace"), text=True)
        except ConnectionClosed:
            self.closed = True

    def receive(self) -> dict[str, Any] | None:
        try:
            raw = self.ws.recv(timeout=WAIT_S)
        except ConnectionClosed:
            self.closed = True
            self.close_code = self.ws.close_code
            return None
        assert isinstance(raw, str), "the server only sends text frames"
        msg = json.loads(raw)
        assert isinstance(msg, dict), msg
        return msg

    def close(self) -> None:
        self._cm.__exit__(None, None, None)


Client = TcpLines | WsFrames


@dataclass
class Fuzzed:
    """One fuzzed connection that reconnects (and logs in again) after a close."""

    kind: str
    server: RunningServer
    token: str | None
    client: Client | None = None
    sent: int = 0
    codes: dict[str, int] = field(default_factory=dict)

    def connect(self) -> Client:
        if self.client is None or self.client.closed:
            if self.client is not None:
                self.client.close()
            self.client = TcpLines(self.server) if self.kind == "tcp" else WsFrames(self.server)
            if self.token is not None:
                self.sentinel()
        return self.client

    def sentinel(self) -> list[dict[str, Any]]:
        """Send `auth` (or `ping`) with a fresh id; return the replies that came before."""
        client = self.client
        assert client is not None
        rid = "sentinel-" + secrets.token_hex(6)
        request: dict[str, Any] = {"id": rid, "action": "ping"}
        if self.token is not None:  # a random `auth`/`login` may have changed who we are
            request = {"id": rid, "action": "auth", "token": self.token}
        client.send(_encode(request))
        before = []
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            msg = client.receive()
            assert msg is not None, "connection closed by an ordinary request"
            if "event" in msg:
                continue
            if msg.get("id") == rid:
                assert msg["ok"] is True, msg
                return before
            before.append(msg)
        raise AssertionError("no reply to the sentinel")


def _check_replies(replies: list[dict[str, Any]], fz: Fuzzed) -> None:
    for reply in replies:
        assert isinstance(reply.get("ok"), bool), reply
        if reply["ok"]:
            fz.codes["ok"] = fz.codes.get("ok", 0) + 1
        else:
            code = reply["error"]["code"]
            assert code != "internal", reply
            fz.codes[code] = fz.codes.get(code, 0) + 1


def _run_one(fz: Fuzzed, kind: str, payload: bytes, binary: bool) -> None:
    client = fz.connect()
    fz.sent += 1
    if isinstance(client, WsFrames):
        client.send(payload, binary=binary)
    else:
        client.send(payload)
    over = len(payload) > LIMIT
    if kind == "size" and over:
        # The one exception: too large closes (after the replies to earlier requests).
        if isinstance(client, TcpLines):
            reply = client.receive()
            while reply is not None and "event" in reply:
                reply = client.receive()
            assert reply is not None and reply["error"]["code"] == "message_too_large", reply
            assert client.receive() is None, "TCP stays open after message_too_large"
        else:
            assert client.receive() is None
            assert client.close_code == 1009, client.close_code
        fz.codes["message_too_large"] = fz.codes.get("message_too_large", 0) + 1
        return
    replies = fz.sentinel()
    _check_replies(replies, fz)
    # One message in, one reply out (a TCP line holding no newline of its own; a
    # blank TCP line is ignored).
    one_message = isinstance(client, WsFrames) or (b"\n" not in payload and payload.strip())
    if kind in ("request", "json", "truncated", "size") and one_message:
        assert len(replies) == 1, replies


# -- the server and its data -----------------------------------------------------------
@dataclass
class World:
    server: RunningServer
    admin_token: str
    bidder_token: str
    observer: WsFrames
    closed_lot: int


def _call(client: Client, action: str, **fields: Any) -> dict[str, Any]:
    rid = "setup-" + secrets.token_hex(6)
    client.send(_encode({"id": rid, "action": action, **fields}))
    while True:
        msg = client.receive()
        assert msg is not None
        if "event" in msg:
            client.events.append(msg)
        elif msg.get("id") == rid:
            assert msg["ok"], msg
            return msg["result"]  # type: ignore[no-any-return]


def _snapshot(server: RunningServer, admin_token: str) -> dict[str, Any]:
    client = TcpLines(server)
    try:
        _call(client, "auth", token=admin_token)
        auctions = _call(client, "get_auctions")["auctions"]
        bids = {
            a["id"]: _call(client, "get_bids", auction_id=a["id"], limit=500)["bids"]
            for a in auctions
        }
        purchases = _call(client, "get_purchases")["purchases"]
        return {"auctions": auctions, "bids": bids, "purchases": purchases}
    finally:
        client.close()


@pytest.fixture(scope="module")
def world(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    db = copy_db(template_db, tmp_path_factory.mktemp("fuzz"))
    server = start_server(db, "--login-failures", "0")
    try:
        admin = TcpLines(server)
        admin_token = _call(admin, "login", username=ADMIN, password=ADMIN_PASSWORD)["token"]
        lot = _call(admin, "create_auction", name="fuzz lot", starting_bid=100, duration_s=3600)
        lot_id = lot["auction"]["id"]
        tokens = []
        for name in ("fuzzbidder", "fuzzobserver"):
            _call(admin, "register", username=name, password=PASSWORD)
            tokens.append(_call(admin, "login", username=name, password=PASSWORD)["token"])
        bidder = TcpLines(server)
        _call(bidder, "auth", token=tokens[0])
        _call(bidder, "place_bid", auction_id=lot_id, amount=100)
        bidder.close()
        _call(admin, "auth", token=admin_token)
        _call(admin, "close_auction", auction_id=lot_id)
        admin.close()
        observer = WsFrames(server)
        _call(observer, "auth", token=tokens[1])
        _call(observer, "subscribe", topic="auctions")
        yield World(server, admin_token, tokens[0], observer, lot_id)
        observer.close()
    finally:
        close_server(server)


@pytest.fixture(scope="module")
def before(world: World) -> dict[str, Any]:
    return _snapshot(world.server, world.admin_token)


def _fuzz(world: World, door: str, max_examples: int) -> dict[str, int]:
    actions = list(ACTIONS)
    anon = Fuzzed(door, world.server, None)
    # The bidder's connection never sends logout: that would revoke the token it re-auths with.
    bidder = Fuzzed(door, world.server, world.bidder_token)
    bidder_actions = [a for a in actions if a != "logout"]

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.booleans(), st.booleans(), frames(actions), frames(bidder_actions), st.integers(0, 2))
    def check(
        as_bidder: bool,
        binary: bool,
        anon_frame: tuple[str, bytes],
        bidder_frame: tuple[str, bytes],
        repeat: int,
    ) -> None:
        fz, (kind, payload) = (bidder, bidder_frame) if as_bidder else (anon, anon_frame)
        for _ in range(1 + repeat * (kind != "size")):
            _run_one(fz, kind, payload, binary)

    check()
    assert world.server.proc.poll() is None, "the server died"
    for fz in (anon, bidder):
        if fz.client is not None:
            fz.client.close()
    codes = {"sent": anon.sent + bidder.sent}
    for fz in (anon, bidder):
        for code, n in fz.codes.items():
            codes[code] = codes.get(code, 0) + n
    return codes


def _unaffected(world: World, before: dict[str, Any]) -> None:
    assert world.server.proc.poll() is None, "the server died"
    assert _snapshot(world.server, world.admin_token) == before
    # The observer, connected all along, can still bid and receive the events.
    admin = TcpLines(world.server)
    _call(admin, "auth", token=world.admin_token)
    canary = _call(
        admin,
        "create_auction",
        name="canary " + secrets.token_hex(3),
        starting_bid=100,
        duration_s=3600,
    )
    admin.close()
    aid = canary["auction"]["id"]
    obs = world.observer
    _call(obs, "subscribe", topic=f"auction:{aid}")
    _call(obs, "place_bid", auction_id=aid, amount=100 + secrets.randbelow(50))
    seen = set()
    while not {"auction_summary", "bid_placed"} <= seen:
        msg = obs.events.pop(0) if obs.events else obs.receive()
        assert msg is not None
        if msg.get("event") == "bid_placed":
            assert msg["topic"] == f"auction:{aid}"
        if msg.get("event") == "auction_summary" and msg["data"]["id"] == aid:
            seen.add("auction_summary")
        elif msg.get("event") == "bid_placed":
            seen.add("bid_placed")
    before.update(_snapshot(world.server, world.admin_token))  # the next test starts here


@pytest.mark.parametrize("door", ["tcp", "ws"])
def test_random_frames_get_no_internal_error_and_harm_nothing(
    world: World, before: dict[str, Any], door: str
) -> None:
    codes = _fuzz(world, door, max_examples=200)
    print(f"\n[reliability] fuzz {door}: {codes}")
    _unaffected(world, before)


@pytest.mark.slow
@pytest.mark.parametrize("door", ["tcp", "ws"])
def test_many_random_frames_get_no_internal_error_and_harm_nothing(
    world: World, before: dict[str, Any], door: str
) -> None:
    codes = _fuzz(world, door, max_examples=2000)
    print(f"\n[reliability] fuzz {door} (long): {codes}")
    _unaffected(world, before)
