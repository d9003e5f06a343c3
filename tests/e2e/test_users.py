"""Users over the wire: register, login, auth, logout, and the rate limits.

docs/protocol.md: `logout` makes the token stop working, and every connection
that authenticated with it is anonymous again; past 10 failed logins per
username and address per minute (here 3, via `--login-failures`) every
login for that username from that address is answered `rate_limited`
without a password check, the right one too; bids count against a
per-user rate.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Template
from tests.e2e.support import (
    KINDS,
    PASSWORD,
    SOCKET_KINDS,
    House,
    new_auction,
    stop_server,
    unique,
)
from tests.helpers.server import start_server
from tests.helpers.wire_clients import MS

REGULARS = 2


async def refused(client: Any, code: str = "unauthorized") -> None:
    reply = await client.request("get_purchases")
    assert reply["ok"] is False and reply["error"]["code"] == code, reply


@pytest.mark.parametrize("kind", KINDS)
async def test_a_new_user_registers_logs_in_and_logs_out_everywhere(
    house: House, kind: str
) -> None:
    name = unique("new")
    door = await house.connect(kind)
    registered = await door.ok("register", username=name, password=PASSWORD)
    user = registered["user"]
    assert user["username"] == name and user["role"] == "bidder"
    assert isinstance(user["id"], int) and isinstance(user["paddle"], int)
    assert "token" not in registered
    await refused(door)  # registering does not log in

    wrong = await door.request("login", username=name, password="not the password")
    assert wrong["error"]["code"] == "unauthorized"
    unknown = await door.request("login", username=unique("nobody"), password=PASSWORD)
    assert unknown["error"]["code"] == "unauthorized"
    assert wrong["error"]["message"] == unknown["error"]["message"]  # no user enumeration

    logged = await door.ok("login", username=name, password=PASSWORD)
    assert logged["user"] == user and isinstance(logged["token"], str)
    token = logged["token"]
    # The same token on a connection of every door.
    others = {k: await house.connect(k) for k in KINDS}
    for k, other in others.items():
        if k == "http":
            other.token = token
        else:
            assert (await other.ok("auth", token=token))["user"] == user
        assert (await other.ok("get_purchases")) == {"purchases": []}
    sockets_me = [others[k] for k in SOCKET_KINDS]
    for other in sockets_me:
        assert (await other.ok("subscribe", topic="user:me"))["topic"] == "user:me"

    assert await door.ok("logout") == {}
    await refused(door)
    for other in others.values():
        await refused(other)
    for other in sockets_me:  # user:me is for logged-in users only
        reply = await other.request("subscribe", topic="user:me")
        assert reply["error"]["code"] == "unauthorized"
    fresh = await house.connect(kind)
    if kind == "http":
        fresh.token = token
        await refused(fresh)
    else:
        assert (await fresh.request("auth", token=token))["error"]["code"] == "unauthorized"
    # Logging in again gives a new, working token; the old one stays dead.
    fresh.token = None
    again = await fresh.ok("login", username=name, password=PASSWORD)
    assert again["token"] != token


async def test_notices_stop_on_every_connection_once_the_token_is_logged_out(
    house: House,
) -> None:
    """A connection that authenticated with a token hears no more of that user's notices."""
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    ann = await house.regular(0, "tcp")
    listener = await house.connect("ws")
    token = (await listener.ok("login", username=ann.username, password=PASSWORD))["token"]
    elsewhere = await house.connect("tcp")
    await elsewhere.ok("auth", token=token)
    await elsewhere.ok("subscribe", topic="user:me")
    await listener.ok("place_bid", auction_id=auction["id"], amount=1000)
    await listener.ok("logout")
    bob = await house.regular(1, "tcp")
    await bob.ok("place_bid", auction_id=auction["id"], amount=1100)  # ann is outbid
    leaked = await elsewhere.quiet(topic="user:me", wait=500 * MS)
    assert leaked == [], f"anonymous connection still gets the user's notices: {leaked}"


# -- rate limits: their own server ------------------------------------------------------
@pytest.fixture
async def limited(db_copy: Path, template: Template) -> AsyncIterator[House]:
    server = await asyncio.to_thread(
        start_server, db_copy, "--bid-rate", "5", "--bid-burst", "5", "--login-failures", "3"
    )
    house = House(server, template.admin, regulars=template.accounts[:2])
    yield house
    await house.close_all()
    await asyncio.to_thread(stop_server, server)


async def test_past_the_failed_login_limit_even_the_right_password_is_refused(
    limited: House,
) -> None:
    # docs/protocol.md "Default limits": per username and client address; past the
    # limit no password is checked, so a guesser learns nothing from the reply.
    ann = limited.regulars[0]
    tcp, http = await limited.connect("tcp"), await limited.connect("http")
    codes = [
        (await tcp.request("login", username=ann.username, password="wrong-password"))["error"][
            "code"
        ]
        for _ in range(4)
    ]
    assert codes == ["unauthorized"] * 3 + ["rate_limited"]
    limited_reply = await http.request("login", username=ann.username, password="wrong-pass")
    assert limited_reply["status"] == 429 and limited_reply["error"]["code"] == "rate_limited"
    resp = await http.raw(
        "POST", "/api/login", content=f'{{"username": "{ann.username}", "password": "nope-nope"}}'
    )
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    right = await tcp.request("login", username=ann.username, password=PASSWORD)
    assert right["error"]["code"] == "rate_limited"
    # Another username from the same address is not affected by ann's failures.
    bob = limited.regulars[1]
    other = await tcp.request("login", username=bob.username, password="wrong-password")
    assert other["error"]["code"] == "unauthorized"
    assert (await tcp.ok("login", username=bob.username, password=PASSWORD))["user"] == bob.user


async def test_bids_over_the_rate_limit_are_refused_with_rate_limited(limited: House) -> None:
    admin = await limited.admin_client("tcp")
    auction = await new_auction(admin, starting_bid=100, min_increment=1)
    ann = await limited.connect("ws", limited.regulars[0])
    same_user_http = await limited.connect("http", limited.regulars[0])
    bob = await limited.connect("tcp", limited.regulars[1])
    replies = await asyncio.gather(
        *(ann.request("place_bid", auction_id=auction["id"], amount=100 + i) for i in range(8))
    )
    codes = [r["error"]["code"] if not r["ok"] else "ok" for r in replies]
    assert codes.count("rate_limited") >= 3, codes  # a burst of 5, every request counts
    limited_error = next(
        r["error"] for r in replies if not r["ok"] and "retry_after_s" in r["error"]
    )
    assert limited_error["code"] == "rate_limited" and limited_error["retry_after_s"] > 0
    over_http = await same_user_http.request("place_bid", auction_id=auction["id"], amount=500)
    assert over_http["status"] == 429 and over_http["error"]["code"] == "rate_limited"
    # Another user is not slowed down by ann.
    assert (await bob.ok("place_bid", auction_id=auction["id"], amount=1000))["auction"]
    # After a pause the bucket refills.
    await asyncio.sleep(1.2)
    assert (await ann.ok("place_bid", auction_id=auction["id"], amount=1001))["auction"]


async def test_http_login_and_register_work_even_with_a_stale_bearer_token(house: House) -> None:
    """A browser that kept a logged-out token must still be able to log in again."""
    http = await house.connect("http")
    http.token = "a-token-that-was-logged-out-long-ago"
    account = house.regulars[0]
    logged = await http.request("login", username=account.username, password=PASSWORD)
    assert logged["ok"] is True, logged
    http.token = "a-token-that-was-logged-out-long-ago"
    registered = await http.request("register", username=unique("r"), password=PASSWORD)
    assert registered["ok"] is True, registered


async def test_switching_user_on_a_connection_stops_the_previous_users_notices(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    ann, bob = house.regulars[0], house.regulars[1]
    shared = await house.connect("ws", ann)
    await shared.ok("subscribe", topic="user:me")
    ann_bids = await house.connect("tcp", ann)
    await ann_bids.ok("place_bid", auction_id=auction["id"], amount=1000)
    await shared.ok("auth", token=bob.token)  # the connection is bob's now
    bob_bids = await house.connect("tcp", bob)
    await bob_bids.ok("place_bid", auction_id=auction["id"], amount=1100)  # ann: outbid
    leaked = await shared.quiet(topic="user:me", wait=500 * MS)
    assert leaked == [], f"bob's connection got ann's notices: {leaked}"
