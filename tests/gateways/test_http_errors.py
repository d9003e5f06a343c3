"""Every HTTP error is the protocol's envelope, in words for people (issue 18 item 5).

In-process: the real ASGI app over the real service stack (memory store,
manual clock), reached through httpx's ASGI transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from auctioneer.gateways.asgi.app import create_app
from auctioneer.gateways.errors import HTTP_STATUS
from auctioneer.service.users import Caller
from tests.service.stack import PASSWORD, Stack

__all__: list[str] = []


@dataclass
class Door:
    stack: Stack
    http: httpx.AsyncClient
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
async def door() -> AsyncIterator[Door]:
    stack = await Stack.build()
    await stack.person("root", admin=True)
    token, _ = await stack.users.login(Caller(), "root", PASSWORD)
    app = create_app(stack.api, stack.settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://house") as http:
        created = await http.post(
            "/api/auctions",
            json={"name": "Clock", "starting_bid": 1000, "duration_s": 60},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201
        yield Door(stack, http, token)
    await stack.close()


def envelope(reply: httpx.Response) -> dict[str, str]:
    """The error object, after checking the body is exactly the envelope and fits the status."""
    body = reply.json()
    assert set(body) == {"error"}, body
    error: dict[str, str] = body["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert HTTP_STATUS[error["code"]] == reply.status_code
    assert reply.headers["content-type"].startswith("application/json")
    return error


async def test_an_unknown_api_route_is_not_found_in_the_envelope(door: Door) -> None:
    reply = await door.http.get("/api/nope")
    assert reply.status_code == 404
    error = envelope(reply)
    assert error["code"] == "not_found"
    assert error["message"] == (
        "There is no API route GET /api/nope (the API is described at /openapi.json)"
    )


async def test_a_missing_web_file_is_not_found_in_the_envelope(door: Door) -> None:
    reply = await door.http.get("/nope.html")
    assert reply.status_code == 404
    assert envelope(reply)["message"] == "There is no page GET /nope.html"


async def test_a_method_a_route_does_not_take_is_405_with_allow(door: Door) -> None:
    reply = await door.http.put("/api/auctions", json={})
    assert reply.status_code == 405
    error = envelope(reply)
    assert error["code"] == "method_not_allowed"
    assert error["message"] == "/api/auctions does not take PUT; use GET or POST"
    assert reply.headers["allow"] == "GET, POST"


@pytest.mark.parametrize("bad", ["-1", "abc", "0", "1.5", "²", "٣", str(2**53 + 1)])
async def test_a_path_id_that_is_not_an_id_names_no_auction(door: Door, bad: str) -> None:
    for reply in (
        await door.http.get(f"/api/auctions/{bad}"),
        await door.http.get(f"/api/auctions/{bad}/bids"),
        await door.http.get(f"/api/auctions/{bad}/events"),
        await door.http.post(f"/api/auctions/{bad}/bids", json={"amount": 1000}, headers=door.auth),
    ):
        assert reply.status_code == 404
        assert envelope(reply) == {"code": "not_found", "message": "No such auction"}


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (10**13, "amount is too large: the most is 10000000000.00"),
        (10**30, "amount is too large: the most is 10000000000.00"),
        (-5, "amount must not be negative"),
        ("12", "amount must be an integer number of minor units (e.g. 12550 for 125.50)"),
    ],
)
async def test_amount_errors_say_what_is_wrong(door: Door, amount: object, message: str) -> None:
    reply = await door.http.post("/api/auctions/1/bids", json={"amount": amount}, headers=door.auth)
    assert reply.status_code == 422
    assert envelope(reply) == {"code": "invalid_amount", "message": message, "field": "amount"}


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("POST", "/api/auctions/1/bids", {}, "amount is required"),
        ("GET", "/api/auctions?status=bogus", None,
         "status.0 must be one of 'scheduled', 'open', 'closed' or 'cancelled'"),
        ("GET", "/api/auctions/1/bids?limit=0", None, "limit must be at least 1"),
        ("GET", "/api/auctions?sale_id=x", None, "sale_id must be a whole number"),
        ("POST", "/api/auctions/1/bids", "nonsense", "Malformed JSON"),
    ],
)  # fmt: skip
async def test_bad_requests_speak_to_people(
    door: Door, method: str, path: str, body: object, message: str
) -> None:
    content = body.encode() if isinstance(body, str) else None
    json_body = body if not isinstance(body, str) else None
    reply = await door.http.request(
        method,
        path,
        json=json_body,
        content=content,
        headers={**door.auth, "Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    error = envelope(reply)
    assert (error["code"], error["message"]) == ("bad_request", message)
