"""The API description: what every HTTP route answers, and how to authenticate.

Why by hand: the HTTP routes are generic (one handler runs any action), so
FastAPI cannot see their results. This module states them, from the same
objects docs/protocol.md describes: the auction, bid, user, sale, purchase,
notice and event objects, each action's result, each route's query
parameters, the error envelope on every error status, and the bearer token
scheme. `finish_openapi` adds what is shared to the generated document, so
routes that other modules add (media, house) get the error envelope and the
security scheme too. Schemathesis checks the server's answers against it
(tests/reliability/test_openapi_fuzz.py).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ERROR_STATUSES",
    "OBJECTS",
    "QUERY_PARAMETERS",
    "RESULTS",
    "ROUTE_QUERY_PARAMETERS",
    "ROUTE_RESULTS",
    "SECURITY",
    "finish_openapi",
    "ref",
    "result_response",
    "security_of",
]

JSON = "application/json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _null(kind: str | dict[str, Any]) -> dict[str, Any]:
    """A value of `kind` (a JSON type name or a schema) or null."""
    if isinstance(kind, str):
        return {"type": [kind, "null"]}
    return {"anyOf": [kind, {"type": "null"}]}


_INT, _STR, _BOOL = {"type": "integer"}, {"type": "string"}, {"type": "boolean"}
_TIME = {"type": ["string", "null"], "description": "ISO-8601 UTC with milliseconds and Z"}


def _object(required: list[str], properties: dict[str, Any], description: str) -> dict[str, Any]:
    """An object schema; unknown properties are allowed (the wire may grow new fields)."""
    return {
        "type": "object",
        "description": description,
        "required": required,
        "properties": properties,
    }


OBJECTS: dict[str, dict[str, Any]] = {
    "Error": _object(
        ["code", "message"],
        {
            "code": {**_STR, "description": "a stable wire code (docs/protocol.md)"},
            "message": {**_STR, "description": "what went wrong, for a person"},
            "field": {**_STR, "description": "the field at fault, when one is"},
            "minimum": {**_INT, "description": "bid_too_low: the lowest valid amount"},
            "retry_after_s": {"type": "number", "description": "rate_limited: wait this long"},
        },
        "An error object.",
    ),
    "ErrorBody": _object(["error"], {"error": ref("Error")}, "Every HTTP error body."),
    "User": _object(
        ["id", "username", "role", "paddle"],
        {"id": _INT, "username": _STR, "role": {"enum": ["admin", "bidder"]}, "paddle": _INT},
        "A user object.",
    ),
    "Bid": _object(
        ["seq", "amount", "bidder", "auto", "at", "round"],
        {
            "seq": _INT,
            "amount": {**_INT, "description": "minor units"},
            "bidder": _null("string"),
            "auto": _BOOL,
            "at": _TIME,
            "round": _INT,
            "username": {**_null("string"), "description": "admins only"},
        },
        "A bid object.",
    ),
    "Sold": _object(
        ["round", "winner", "price"],
        {"round": _INT, "winner": _null("string"), "price": _null("integer")},
        "One unit sold.",
    ),
    "Auction": _object(
        [
            "id",
            "name",
            "status",
            "starting_bid",
            "min_increment",
            "current_bid",
            "minimum_bid",
            "leader",
            "bid_count",
            "units_left",
            "round",
            "seq",
        ],
        {
            "id": _INT,
            "name": _STR,
            "description": _STR,
            "status": {"enum": ["scheduled", "open", "closed", "cancelled"]},
            "public": _BOOL,
            "starting_bid": _INT,
            "min_increment": _INT,
            "increments": {
                "type": ["array", "null"],
                "items": ref("IncrementBand"),
                "description": "increment bands by price; null: min_increment everywhere",
            },
            "reserve": {**_null("integer"), "description": "admins only"},
            "reserve_met": _BOOL,
            "has_reserve": _BOOL,
            "buy_now": _null("integer"),
            "quantity": _INT,
            "units_left": _INT,
            "round": _INT,
            "starts_at": _TIME,
            "ends_at": _TIME,
            "duration_s": _null("integer"),
            "countdown_s": _null("integer"),
            "soft_close_s": _null("integer"),
            "pass_after_s": _null("integer"),
            "passes_at": _TIME,
            "max_end": {**_TIME, "description": "soft-close cap: no bid extends past it"},
            "max_extension_s": {
                **_null("integer"),
                "description": "soft-close cap: seconds past the round's first end",
            },
            "end_cap": {**_TIME, "description": "this round's cap, when it has one"},
            "cap_reached": {**_BOOL, "description": "the end stands at its cap: final"},
            "current_bid": _null("integer"),
            "minimum_bid": {**_null("integer"), "description": "the lowest valid next bid"},
            "leader": _null("string"),
            "bid_count": _INT,
            "winner": _null("string"),
            "price": _null("integer"),
            "sales": {"type": "array", "items": ref("Sold")},
            "close_reason": _null("string"),
            "closed_at": _TIME,
            "created_at": _TIME,
            "sale_id": _null("integer"),
            "lot": _null("integer"),
            "seq": _INT,
            "log_hash": {
                **_null("string"),
                "description": "the head of its public log's hash chain (SHA-256 hex)",
            },
        },
        "An auction object (admins also see reserve, usernames, deleted, watchers,"
        " watchlist_count).",
    ),
    "IncrementBand": _object(
        ["from", "increment"],
        {
            "from": {**_INT, "description": "from this price (minor units) up"},
            "increment": {**_INT, "description": "the raise a bid needs (minor units)"},
        },
        "One band of an increment table.",
    ),
    "Budget": _object(
        ["sale_id", "max_lots", "max_spend", "lots_won", "spent", "lots_left", "spend_left"],
        {
            "sale_id": _INT,
            "max_lots": {**_null("integer"), "description": "win at most this many lots"},
            "max_spend": {**_null("integer"), "description": "spend at most this (minor units)"},
            "lots_won": {**_INT, "description": "units won in this sale so far"},
            "spent": {**_INT, "description": "their prices together"},
            "lots_left": _null("integer"),
            "spend_left": _null("integer"),
        },
        "Your budget across a sale's lots (null: no limit of that kind).",
    ),
    "Sale": _object(
        ["id", "name", "lots"],
        {"id": _INT, "name": _STR, "lots": {"type": "array", "items": _INT}, "starts_at": _TIME},
        "A sale: its lots run one after another.",
    ),
    "Purchase": _object(
        ["auction_id", "name", "round", "price", "buy_now", "at"],
        {
            "auction_id": _INT,
            "name": _STR,
            "round": _INT,
            "price": _INT,
            "buy_now": _BOOL,
            "at": _TIME,
        },
        "A unit you won or bought.",
    ),
    "Notice": _object(
        ["seq", "event", "at", "data"],
        {"seq": _INT, "event": _STR, "at": _TIME, "data": {"type": "object"}},
        "One of your user:me events, kept.",
    ),
    "Event": _object(
        ["event", "data"],
        {
            "event": _STR,
            "topic": _STR,
            "seq": _null("integer"),
            "at": _TIME,
            "data": {"type": "object"},
            "hash": {
                **_null("string"),
                "description": "auction events: SHA-256 hex, its link in the auction's hash chain",
            },
        },
        "An event, as pushed on the WebSocket and TCP doors.",
    ),
    "Empty": {"type": "object", "description": "No result fields."},
}


def _result(required: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": required}


def _list_of(name: str) -> dict[str, Any]:
    return {"type": "array", "items": ref(name)}


_AUCTION = _result({"auction": ref("Auction")})

#: Each action's result: the HTTP success body.
RESULTS: dict[str, dict[str, Any]] = {
    "register": _result({"user": ref("User")}),
    "login": _result({"token": _STR, "user": ref("User")}),
    "auth": _result({"user": ref("User")}),
    "logout": ref("Empty"),
    "change_password": ref("Empty"),
    "logout_everywhere": ref("Empty"),
    "ping": {
        **_result({"server_time": _STR}),
        "properties": {
            "server_time": _STR,
            "doors": {"type": "object", "additionalProperties": _STR},
        },
    },
    "get_auctions": _result({"auctions": _list_of("Auction")}),
    "get_auction": _result({"auction": ref("Auction"), "bids": _list_of("Bid")}),
    "get_bids": _result({"bids": _list_of("Bid")}),
    "get_log": _result(
        {"auction_id": _INT, "log_hash": _null("string"), "events": _list_of("Event")}
    ),
    "create_auction": _AUCTION,
    "create_sale": _result({"sale": ref("Sale"), "auctions": _list_of("Auction")}),
    "update_auction": _AUCTION,
    "close_auction": _AUCTION,
    "cancel_auction": _AUCTION,
    "delete_auction": ref("Empty"),
    "place_bid": _AUCTION,
    "start_auto_bid": _AUCTION,
    "stop_auto_bid": ref("Empty"),
    "buy_now": _AUCTION,
    "get_purchases": _result({"purchases": _list_of("Purchase")}),
    "get_notices": _result({"notices": _list_of("Notice")}),
    "set_budget": _result({"budget": ref("Budget")}),
    "get_budget": _result({"budget": ref("Budget")}),
    "auction_events": _result({"events": _list_of("Event")}),
    "watch_auction": _result({"auction_id": _INT, "watching": _BOOL}),
    "unwatch_auction": _result({"auction_id": _INT, "watching": _BOOL}),
    "get_watchlist": _result(
        {"auction_ids": {"type": "array", "items": _INT}, "auctions": _list_of("Auction")}
    ),
}


_SOME = {"type": "object"}

#: Results of routes that other modules add (photos, the house), by (method, path).
ROUTE_RESULTS: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/auctions/{auction_id}/images"): _AUCTION,
    ("put", "/api/auctions/{auction_id}/images"): _AUCTION,
    ("delete", "/api/auctions/{auction_id}/images/{image_id}"): _AUCTION,
    ("get", "/api/house"): _result({"house": _SOME}),
    ("get", "/api/invoices"): _result({"invoices": {"type": "array", "items": _SOME}}),
    ("post", "/api/purchases/{purchase_id}/invoice/paid"): _result({"invoice": _SOME}),
    ("get", "/api/email"): _result({"email": _SOME}),
    ("put", "/api/email"): _result({"email": _SOME}),
    ("post", "/api/email/kinds"): _result({"email": _SOME}),
    ("post", "/api/email/verify"): _result({"email": _SOME}),
}

_BINARY = {"type": "string", "format": "binary"}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_SEQ = {"type": "integer", "minimum": 0, "maximum": 2**53}

#: Each route's query parameters (numbers: ASCII digits only).
QUERY_PARAMETERS: dict[str, list[dict[str, Any]]] = {
    "get_auctions": [
        {
            **_query(
                "status",
                {
                    "type": "array",
                    "items": {"enum": ["scheduled", "open", "closed", "cancelled"]},
                },
                "Only these statuses: repeat it (?status=open&status=closed) or list them "
                "with commas (?status=open,closed).",
            ),
            "style": "form",
            "explode": True,
        },
        _query("sale_id", {"type": "integer", "minimum": 1}, "Only the lots of this sale."),
    ],
    "get_bids": [
        _query("before_seq", _SEQ, "Only bids with a smaller seq (paging back)."),
        _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "At most this many."),
    ],
    "auction_events": [_query("since", _SEQ, "Only events after this seq.")],
    "get_notices": [_query("since", _SEQ, "Only notices after this seq.")],
}

_FLAG = {"type": "string", "enum": ["true", "false", "1", "0"], "default": "false"}
_TOKEN = {"type": "string", "maxLength": 200}

#: Query parameters of routes that other modules add, by (method, path).
ROUTE_QUERY_PARAMETERS: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("get", "/api/invoices"): [_query("unpaid", _FLAG, "Only invoices not yet paid.")],
    ("get", "/api/invoices.csv"): [_query("unpaid", _FLAG, "Only invoices not yet paid.")],
    ("get", "/api/purchases/{purchase_id}/invoice"): [
        _query("format", {"type": "string", "enum": ["html", "pdf"]}, "PDF instead of HTML.")
    ],
    ("get", "/api/email/verify"): [_query("token", _TOKEN, "The link's token.")],
    ("get", "/api/email/unsubscribe"): [_query("token", _TOKEN, "The link's token.")],
    ("post", "/api/email/unsubscribe"): [_query("token", _TOKEN, "The link's token.")],
}

#: Every status an error may come with, and what it means (gateways/errors.py).
ERROR_STATUSES: dict[int, str] = {
    400: "bad_request: malformed JSON, a missing or wrong-typed field",
    401: "unauthorized: no valid bearer token where one is needed",
    403: "forbidden: not allowed for your role",
    404: "not_found or unknown_action: no such auction, route or file",
    405: "method_not_allowed: the path does not take that method (see Allow)",
    409: "a rule refused it: bid_too_low, already_leading, auction_not_open, ...",
    413: "message_too_large: the body is too large",
    415: "unsupported_media_type: send application/json",
    422: "invalid_amount: money that is not an integer of minor units in 0..10^12",
    429: "rate_limited: wait retry_after_s (also in Retry-After)",
    500: "internal: the server failed; nothing was changed",
}

#: Reads work without a token (and show more with one); the rest need one.
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "optional": [{}, {"bearer": []}],
    "required": [{"bearer": []}],
}

_ANONYMOUS = {"register", "login", "auth", "ping", "get_auctions", "get_auction", "get_bids",
              "get_log", "auction_events", "get_house"}  # fmt: skip


def result_response(action: str, status: int) -> dict[str, Any]:
    """The success response of `action` (for a route's `openapi_extra`)."""
    schema = RESULTS.get(action, {"type": "object"})
    description = "Created" if status == 201 else "OK"
    return {str(status): {"description": description, "content": {JSON: {"schema": schema}}}}


def security_of(action: str) -> list[dict[str, list[str]]]:
    return SECURITY["optional" if action in _ANONYMOUS else "required"]


def finish_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared objects, the bearer scheme and the error envelope to every operation."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name, definition in OBJECTS.items():
        schemas.setdefault(name, definition)
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "The token from POST /api/login: Authorization: Bearer TOKEN.",
    }
    envelope = {JSON: {"schema": ref("ErrorBody")}}
    seen_ids: set[str] = set()
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "head", "post", "put", "patch", "delete"):
                continue
            # One route with several methods (GET and HEAD) gets one id from
            # FastAPI; an operation id must be unique.
            op_id = operation.get("operationId")
            if op_id in seen_ids:
                operation["operationId"] = f"{op_id}_{method}"
            seen_ids.add(operation.get("operationId", ""))
            _describe_success(operation, ROUTE_RESULTS.get((method, path)))
            params = operation.setdefault("parameters", [])
            for extra in ROUTE_QUERY_PARAMETERS.get((method, path), []):
                if not any(p.get("name") == extra["name"] for p in params):
                    params.append(extra)
            if not params:
                operation.pop("parameters")
            # Routes of other modules: reads work without a token, writes need one.
            operation.setdefault(
                "security", SECURITY["optional" if method == "get" else "required"]
            )
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                # Also replaces FastAPI's own 422 "Validation Error" body, which is
                # never sent: the error handlers answer with the envelope.
                entry = responses.setdefault(str(status), {"description": description})
                entry["content"] = envelope
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return schema


def _describe_success(operation: dict[str, Any], result: dict[str, Any] | None) -> None:
    """Give every success body a schema: `result` for JSON, bytes for documents and images."""
    for status, response in operation.get("responses", {}).items():
        if not str(status).startswith("2"):
            continue
        content = response.setdefault("content", {JSON: {}})
        for media, entry in content.items():
            if entry.get("schema"):
                continue
            if media == JSON:
                entry["schema"] = result or _SOME
            elif media.startswith("text/"):
                entry["schema"] = {"type": "string"}
            else:
                entry["schema"] = _BINARY
