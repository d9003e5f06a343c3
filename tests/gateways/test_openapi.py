"""/openapi.json describes the whole API; Swagger UI is served from this server only.

In-process: the real ASGI app over the real service stack (memory store,
manual clock), reached through httpx's ASGI transport. Schemathesis checks the
server's answers against this description (tests/reliability/test_openapi_fuzz.py).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from auctioneer.gateways.asgi.app import create_app
from auctioneer.gateways.asgi.openapi import ERROR_STATUSES
from tests.service.stack import Stack

__all__: list[str] = []

METHODS = ("get", "head", "post", "put", "patch", "delete")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    stack = await Stack.build()
    app = create_app(stack.api, stack.settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://house") as client:
        yield client
    await stack.close()


@pytest.fixture
async def spec(http: httpx.AsyncClient) -> dict[str, Any]:
    reply = await http.get("/openapi.json")
    assert reply.status_code == 200
    body: dict[str, Any] = reply.json()
    return body


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def query_names(op: dict[str, Any]) -> set[str]:
    return {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}


async def test_query_parameters_are_declared(spec: dict[str, Any]) -> None:
    paths = spec["paths"]
    assert query_names(paths["/api/auctions"]["get"]) == {"status", "sale_id"}
    assert query_names(paths["/api/auctions/{auction_id}/bids"]["get"]) == {"before_seq", "limit"}
    assert query_names(paths["/api/auctions/{auction_id}/events"]["get"]) == {"since"}
    assert query_names(paths["/api/notices"]["get"]) == {"since"}
    assert query_names(paths["/api/invoices"]["get"]) == {"unpaid"}
    assert query_names(paths["/api/email/unsubscribe"]["post"]) == {"token"}
    status = next(p for p in paths["/api/auctions"]["get"]["parameters"] if p["name"] == "status")
    assert status["schema"]["items"]["enum"] == ["scheduled", "open", "closed", "cancelled"]


async def test_every_path_parameter_is_declared(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), f"{method} {path}"


async def test_every_success_and_error_body_has_a_schema(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        responses = op["responses"]
        successes = [s for s in responses if s.startswith("2")]
        assert successes, f"{method} {path}"
        for status in successes:
            for media, entry in responses[status]["content"].items():
                assert entry.get("schema"), f"{method} {path} {status} {media}"
        for status in ERROR_STATUSES:
            content = responses[str(status)]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, path


async def test_results_name_the_protocol_objects(spec: dict[str, Any]) -> None:
    def result(path: str, method: str, status: str = "200") -> dict[str, Any]:
        schema: dict[str, Any] = spec["paths"][path][method]["responses"][status]["content"][
            "application/json"
        ]["schema"]
        return schema

    auction = {"$ref": "#/components/schemas/Auction"}
    assert result("/api/auctions", "post", "201")["properties"]["auction"] == auction
    bid = result("/api/auctions/{auction_id}/bids", "post")
    assert bid["properties"]["auction"] == auction
    listing = result("/api/auctions", "get")["properties"]["auctions"]
    assert listing == {"type": "array", "items": auction}
    assert "201" in spec["paths"]["/api/register"]["post"]["responses"]
    objects = spec["components"]["schemas"]
    assert {"Auction", "Bid", "User", "Sale", "Purchase", "Notice", "Event", "ErrorBody"} <= set(
        objects
    )
    assert "minimum_bid" in objects["Auction"]["required"]


async def test_the_bearer_scheme_guards_writes_and_is_optional_for_reads(
    spec: dict[str, Any],
) -> None:
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The token from POST /api/login: Authorization: Bearer TOKEN.",
    }
    paths = spec["paths"]
    assert paths["/api/auctions"]["get"]["security"] == [{}, {"bearer": []}]
    assert paths["/api/auctions/{auction_id}/bids"]["post"]["security"] == [{"bearer": []}]
    for method, path, op in operations(spec):
        assert op.get("security"), f"{method} {path}"
    ids = [op["operationId"] for _, _, op in operations(spec)]
    assert len(ids) == len(set(ids))


async def test_swagger_ui_loads_only_from_this_server(http: httpx.AsyncClient) -> None:
    page = await http.get("/api/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/api/docs/") for s in sources), sources
    assert "<script>" not in page.text  # no inline script: a strict CSP allows the page
    for source in sources:
        asset = await http.get(source)
        assert asset.status_code == 200, source
        assert b"cdn.jsdelivr" not in asset.content[:2000]
    init = await http.get("/api/docs/init.js")
    assert '"/openapi.json"' in init.text
    alias = await http.get("/docs")
    assert (alias.status_code, alias.headers["location"]) == (307, "/api/docs")
    missing = await http.get("/api/docs/secret.py")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
