"""The HTTP door: the REST mapping of docs/protocol.md onto the same actions.

Every route turns path, query and JSON body into the action's fields and
calls `Api.handle`, exactly as the WebSocket and TCP doors do. Errors are
mapped to status codes by one exception handler (gateways/errors.py table);
routes hold no try/except. `Authorization: Bearer TOKEN` authenticates, and
`Idempotency-Key` plays the role of the request `id` for retried writes.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from auctioneer.engine.errors import AuctionError, InvalidCommand
from auctioneer.gateways.asgi.bodies import read_json_body
from auctioneer.gateways.asgi.openapi import (
    ERROR_STATUSES,
    QUERY_PARAMETERS,
    ref,
    result_response,
    security_of,
)
from auctioneer.gateways.errors import error_for_status, http_status
from auctioneer.service.api import Api
from auctioneer.service.errors import Internal, NotFound, Unauthorized
from auctioneer.service.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from auctioneer.service.settings import Settings
from auctioneer.service.users import Caller
from auctioneer.wire import messages as m

__all__ = ["SCHEMA_DEFS", "build_router", "http_caller", "install_error_handlers"]

JSON = "application/json"


def install_error_handlers(app: FastAPI) -> None:
    """Map every wire error to its status code (docs/protocol.md "Error codes")."""

    async def on_auction_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AuctionError)
        body = orjson.dumps({"error": exc.to_wire()})
        headers = {}
        if exc.code == "rate_limited":
            headers["Retry-After"] = str(max(1, round(exc.fields.get("retry_after_s", 1))))
        elif exc.code == "message_too_large":
            headers["Connection"] = "close"  # the rest of the body is not read
        return Response(body, status_code=http_status(exc.code), media_type=JSON, headers=headers)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": Internal().to_wire()}, status_code=500)

    async def on_http_status(request: Request, exc: Exception) -> Response:
        """A route or file that is not there, or a method a path does not take."""
        assert isinstance(exc, StarletteHTTPException)
        allow = (exc.headers or {}).get("Allow", "")
        if exc.status_code == 405:  # the router names only the first route of the path
            allow = _allowed_methods(app, request.url.path) or allow
        error = error_for_status(exc.status_code, request.method, request.url.path, allow)
        response = await on_auction_error(request, error)
        response.status_code = exc.status_code if exc.status_code >= 400 else 400
        if allow:
            response.headers["Allow"] = allow
        return response

    async def on_invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return await on_auction_error(request, InvalidCommand("The request is not valid"))

    app.add_exception_handler(AuctionError, on_auction_error)
    app.add_exception_handler(StarletteHTTPException, on_http_status)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(Exception, on_unexpected)


def _allowed_methods(app: FastAPI, path: str) -> str:
    """Every method some API route of `app` takes at `path` ("GET, POST"), for `Allow`.

    Asked route by route with each method, so routers included in any way
    count; the web files' mount (which takes any path) does not.
    """
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {"type": "http", "path": path, "method": method, "root_path": ""}
        for route in app.router.routes:
            if isinstance(route, Mount):
                continue
            if route.matches(scope)[0] is Match.FULL:
                allowed.append(method)
                break
    return ", ".join(allowed)


async def http_caller(api: Api, request: Request) -> Caller:
    """Who sends `request`: anonymous, or the user of its `Authorization: Bearer` token.

    Raises:
        Unauthorized: a malformed header, or a token that is unknown or expired.
    """
    caller = Caller(address=request.client.host if request.client else "")
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use Authorization: Bearer TOKEN")
        await api.users.auth(caller, token.strip())
    return caller


def build_router(api: Api, settings: Settings) -> APIRouter:
    """All /api routes."""
    router = APIRouter(prefix="/api")
    limit = settings.max_message_bytes

    async def caller_of(request: Request) -> Caller:
        return await http_caller(api, request)

    async def body_of(request: Request) -> dict[str, Any]:
        return await read_json_body(request, limit)

    async def run(request: Request, action: str, fields: dict[str, Any]) -> Response:
        # Logging in needs no token, and a stale one must not stand in its way.
        fresh = action in ("register", "login", "auth")
        caller = (
            Caller(address=request.client.host if request.client else "")
            if fresh
            else (await caller_of(request))
        )
        typed = m.parse_fields(m.ACTIONS[action], fields)
        key = request.headers.get("idempotency-key")
        if key is not None and len(key) > m.MAX_ID_LENGTH:
            raise InvalidCommand("Idempotency-Key must be at most 64 characters")
        result = await api.handle(caller, action, typed, key)
        return Response(result, media_type=JSON)

    def route(method: str, path: str, action: str, *, body: bool, status: int = 200) -> None:
        async def endpoint(request: Request) -> Response:
            fields: dict[str, Any] = await body_of(request) if body else {}
            fields.update(_query(request, action))
            fields.update({k: _path_id(k, v) for k, v in request.path_params.items()})
            response = await run(request, action, fields)
            response.status_code = status
            return response

        endpoint.__name__ = f"{action}_{method.lower()}"
        router.add_api_route(
            path,
            endpoint,
            methods=[method],
            name=action,
            summary=action.replace("_", " "),
            status_code=status,
            responses=_ERROR_RESPONSES,
            openapi_extra=_openapi(action, path, body=body, status=status),
        )

    route("POST", "/register", "register", body=True, status=201)
    route("POST", "/login", "login", body=True)
    route("POST", "/auth", "auth", body=True)
    route("POST", "/logout", "logout", body=False)
    route("POST", "/change-password", "change_password", body=True)
    route("POST", "/logout-everywhere", "logout_everywhere", body=False)
    route("GET", "/ping", "ping", body=False)
    route("GET", "/auctions", "get_auctions", body=False)
    route("POST", "/auctions", "create_auction", body=True, status=201)
    route("GET", "/auctions/{auction_id}", "get_auction", body=False)
    route("PATCH", "/auctions/{auction_id}", "update_auction", body=True)
    route("DELETE", "/auctions/{auction_id}", "delete_auction", body=False)
    route("POST", "/auctions/{auction_id}/close", "close_auction", body=False)
    route("POST", "/auctions/{auction_id}/cancel", "cancel_auction", body=False)
    route("GET", "/auctions/{auction_id}/bids", "get_bids", body=False)
    route("GET", "/auctions/{auction_id}/log", "get_log", body=False)
    route("POST", "/auctions/{auction_id}/bids", "place_bid", body=True)
    route("POST", "/auctions/{auction_id}/auto-bid", "start_auto_bid", body=True)
    route("DELETE", "/auctions/{auction_id}/auto-bid", "stop_auto_bid", body=False)
    route("POST", "/auctions/{auction_id}/buy-now", "buy_now", body=False)
    route("POST", "/sales", "create_sale", body=True, status=201)
    route("PUT", "/sales/{sale_id}/budget", "set_budget", body=True)
    route("GET", "/sales/{sale_id}/budget", "get_budget", body=False)
    route("GET", "/purchases", "get_purchases", body=False)
    route("GET", "/notices", "get_notices", body=False)
    route("GET", "/watchlist", "get_watchlist", body=False)
    route("PUT", "/watchlist/{auction_id}", "watch_auction", body=False)
    route("DELETE", "/watchlist/{auction_id}", "unwatch_auction", body=False)

    @router.get(
        "/metrics",
        name="metrics",
        summary="metrics",
        response_class=PlainTextResponse,
        responses={
            200: {
                "description": "Prometheus text exposition format",
                "content": {METRICS_CONTENT_TYPE: {"schema": {"type": "string"}}},
            },
            **_ERROR_RESPONSES,
        },
        openapi_extra={"security": security_of("metrics")},
    )
    async def metrics(request: Request) -> Response:
        """The server's metrics in Prometheus' text format (admins only)."""
        caller = await caller_of(request)
        return Response(api.metrics_text(caller), media_type=METRICS_CONTENT_TYPE)

    @router.get(
        "/auctions/{auction_id}/events",
        name="auction_events",
        summary="auction events",
        openapi_extra=_openapi("auction_events", "/auctions/{auction_id}/events", body=False),
    )
    async def auction_events(request: Request) -> Response:
        """Catch-up: the auction's events after `since`, the same objects as pushed."""
        caller = await caller_of(request)
        auction_id = _path_id("auction_id", request.path_params["auction_id"])
        fields = m.parse_fields(m.GetAuction, {"auction_id": auction_id})
        assert isinstance(fields, m.GetAuction)
        since = _int(request.query_params.get("since", "0"))
        if not isinstance(since, int) or since < 0:
            raise InvalidCommand("since must be a non-negative integer", field="since")
        state = await api.visible_auction(caller, fields.auction_id)
        frames = await api.auctions.frames(fields.auction_id, since, state.seq)
        body = b'{"events":[' + b",".join(f.data for f in frames) + b"]}"
        return Response(body, media_type=JSON)

    return router


_LIST_FIELDS = {"status"}
_INT_FIELDS = {"sale_id", "before_seq", "limit", "since"}


def _query(request: Request, action: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in request.query_params:
        if key in _LIST_FIELDS:
            values = request.query_params.getlist(key)
            fields[key] = [v for value in values for v in value.split(",") if v]
        elif key in _INT_FIELDS:
            fields[key] = _int(request.query_params[key])
    return fields


def _path_id(name: str, text: str) -> int:
    """An id in a path: a path whose id is not one (``-1``, ``abc``, ``0``) names nothing.

    Raises:
        NotFound: "No such auction" (or purchase, ...), as for an id nobody has.
    """
    value = _int(text)
    if not isinstance(value, int) or not 1 <= value <= 2**53:
        raise NotFound(name.removesuffix("_id").replace("_", " "))
    return value


def _int(text: str) -> int | str:
    """Path and query values arrive as text; ASCII digits become ints, the rest
    stays text so validation names the field. (`str.isdigit` also accepts "²",
    which `int` refuses, and `int` reads other scripts' digits: neither is a
    number on this wire.)"""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else text


# Shared request models (e.g. AuctionFields inside create_sale's lots), for
# the app to add to the OpenAPI components.
SCHEMA_DEFS: dict[str, Any] = {}

_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": description, "content": {JSON: {"schema": ref("ErrorBody")}}}
    for status, description in ERROR_STATUSES.items()
}


def _openapi(action: str, path: str, *, body: bool, status: int = 200) -> dict[str, Any]:
    """Parameters, request body, result and security of a route (gateways/asgi/openapi.py).

    The request body comes from the same models that validate it.
    """
    extra: dict[str, Any] = {
        "parameters": list(QUERY_PARAMETERS.get(action, [])),
        "responses": result_response(action, status),
        "security": security_of(action),
    }
    ids = [name for name in ("auction_id", "sale_id") if "{" + name + "}" in path]
    for name in ids:
        extra["parameters"].insert(
            0,
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": 2**53},
            },
        )
    if body:
        schema = m.ACTIONS[action].model_json_schema(ref_template="#/components/schemas/{model}")
        SCHEMA_DEFS.update(schema.pop("$defs", {}))
        for name in ids:  # it comes from the path, not the body
            schema.get("properties", {}).pop(name, None)
            schema["required"] = [r for r in schema.get("required", []) if r != name]
        extra["requestBody"] = {"required": False, "content": {JSON: {"schema": schema}}}
    return extra
