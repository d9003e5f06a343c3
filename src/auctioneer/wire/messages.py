"""The typed requests of docs/protocol.md, validated strictly with pydantic v2.

One model per action, named after it. Validation is strict (no "5" -> 5, no
5.0 -> 5) so a client that sends the wrong type hears `bad_request` instead of
having its value guessed. Money fields reject floats, strings, booleans,
negatives and values above 10**12 with `invalid_amount`.

`parse_request(obj)` is the one entry point: it returns (request id, typed
request) or raises `RequestError` carrying the wire error.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from auctioneer.engine.errors import AuctionError, InvalidAmount, InvalidCommand
from auctioneer.engine.money import check_amount

__all__ = [
    "ACTIONS",
    "WRITE_ACTIONS",
    "AuctionFields",
    "Request",
    "RequestError",
    "parse_fields",
    "parse_request",
]

MAX_ID_LENGTH = 64


def _money(value: object, info: Any) -> int:
    try:
        return check_amount(value, field=info.field_name or "amount")
    except InvalidAmount as e:
        raise PydanticCustomError("invalid_amount", str(e)) from None


Money = Annotated[int, BeforeValidator(_money)]
AuctionId = Annotated[int, Field(ge=1, le=2**53)]
# A seq to read from or before. Bounded like ids: a store keeps 64-bit signed
# integers, and a larger number would fail there instead of here.
Seq = Annotated[int, Field(ge=0, le=2**53)]
Seconds = Annotated[int, Field(ge=0, le=10**9)]
Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,32}$")]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]
Status = Literal["scheduled", "open", "closed", "cancelled"]


class Request(BaseModel):
    """Base of every request: strict types, unknown fields ignored."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


# An address as mail servers take it: one @, no spaces or angle brackets,
# at most 254 characters (RFC 5321's path limit). Verified by a link anyway.
Email = Annotated[
    str,
    StringConstraints(pattern=r"^[^@\s<>(),;:\x22]{1,64}@[A-Za-z0-9.-]{1,189}\.[A-Za-z]{2,63}$"),
]
MailKind = Literal["outbid", "won", "auction_lost", "auto_bid_exhausted", "ending_soon"]
PurchaseId = Annotated[str, StringConstraints(min_length=3, max_length=32)]


class Register(Request):
    username: Username
    password: Password
    email: Email | None = None


class Login(Request):
    username: Annotated[str, StringConstraints(max_length=256)]
    password: Annotated[str, StringConstraints(max_length=1024)]


class Auth(Request):
    token: Annotated[str, StringConstraints(max_length=512)]


class Logout(Request):
    pass


class ChangePassword(Request):
    old_password: Annotated[str, StringConstraints(max_length=1024)]
    new_password: Password


class LogoutEverywhere(Request):
    pass


class Ping(Request):
    pass


class GetAuctions(Request):
    status: list[Status] | None = None
    sale_id: AuctionId | None = None


class GetAuction(Request):
    auction_id: AuctionId


class GetLog(Request):
    auction_id: AuctionId


class GetBids(Request):
    auction_id: AuctionId
    before_seq: Seq | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 100


class IncrementBand(Request):
    """One band of an increment table: from this price up, raise by `increment`."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, populate_by_name=True)

    from_: Money = Field(alias="from")
    increment: Money


class AuctionFields(Request):
    """The create fields of an auction (docs/protocol.md "Auction fields")."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    starting_bid: Money
    min_increment: Money = 100
    reserve: Money | None = None
    buy_now: Money | None = None
    quantity: Annotated[int, Field(ge=1, le=10_000)] = 1
    starts_at: Annotated[str, StringConstraints(max_length=64)] | None = None
    ends_at: Annotated[str, StringConstraints(max_length=64)] | None = None
    duration_s: Seconds | None = None
    countdown_s: Seconds | None = None
    soft_close_s: Seconds | None = None
    public: bool = True
    pass_after_s: Seconds | None = None
    # Increment bands (engine/increments.py checks the table itself).
    increments: Annotated[list[IncrementBand], Field(min_length=1, max_length=20)] | None = None
    # The soft-close cap (engine/softclose.py).
    max_end: Annotated[str, StringConstraints(max_length=64)] | None = None
    max_extension_s: Seconds | None = None


class CreateAuction(AuctionFields):
    pass


class CreateSale(Request):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    lots: Annotated[list[AuctionFields], Field(min_length=1, max_length=200)]
    starts_at: Annotated[str, StringConstraints(max_length=64)] | None = None
    # Each lot that gives none of its own gets it (docs/protocol.md "Passing a lot").
    pass_after_s: Seconds | None = 60


class UpdateAuction(Request):
    auction_id: AuctionId
    public: bool | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None


# An image id as the server names it (service/media.py): 32 lowercase hex digits.
ImageId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class RemoveImages(Request):
    auction_id: AuctionId
    image_ids: Annotated[list[ImageId], Field(min_length=1, max_length=10)]


class ReorderImages(Request):
    """`image_ids`: every image of the auction once, in the new order."""

    auction_id: AuctionId
    image_ids: Annotated[list[ImageId], Field(max_length=10)]


class CloseAuction(Request):
    auction_id: AuctionId


class CancelAuction(Request):
    auction_id: AuctionId


class DeleteAuction(Request):
    auction_id: AuctionId


class PlaceBid(Request):
    auction_id: AuctionId
    amount: Money


class StartAutoBid(Request):
    auction_id: AuctionId
    max_amount: Money


class StopAutoBid(Request):
    auction_id: AuctionId


class BuyNow(Request):
    auction_id: AuctionId


class SetBudget(Request):
    """A bidder's budget across a sale's lots; both null removes it."""

    sale_id: AuctionId
    max_lots: Annotated[int, Field(ge=0, le=10_000)] | None = None
    max_spend: Money | None = None


class GetBudget(Request):
    sale_id: AuctionId


class Subscribe(Request):
    topic: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    since: Seq | None = None
    mode: Literal["full", "latest"] = "full"


class Unsubscribe(Request):
    topic: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class GetPurchases(Request):
    pass


class GetNotices(Request):
    since: Seq = 0


class GetHouse(Request):
    pass


class GetInvoices(Request):
    unpaid: bool = False


class GetInvoice(Request):
    purchase_id: PurchaseId


class MarkInvoicePaid(Request):
    purchase_id: PurchaseId


class SetEmail(Request):
    email: Email


class VerifyEmail(Request):
    token: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class GetEmail(Request):
    pass


class SetMailKind(Request):
    kind: MailKind
    enabled: bool


class WatchAuction(Request):
    auction_id: AuctionId


class UnwatchAuction(Request):
    auction_id: AuctionId


class GetWatchlist(Request):
    pass


ACTIONS: dict[str, type[Request]] = {
    "register": Register,
    "login": Login,
    "auth": Auth,
    "logout": Logout,
    "change_password": ChangePassword,
    "logout_everywhere": LogoutEverywhere,
    "ping": Ping,
    "get_auctions": GetAuctions,
    "get_auction": GetAuction,
    "get_bids": GetBids,
    "get_log": GetLog,
    "create_auction": CreateAuction,
    "create_sale": CreateSale,
    "update_auction": UpdateAuction,
    "remove_images": RemoveImages,
    "reorder_images": ReorderImages,
    "close_auction": CloseAuction,
    "cancel_auction": CancelAuction,
    "delete_auction": DeleteAuction,
    "place_bid": PlaceBid,
    "start_auto_bid": StartAutoBid,
    "stop_auto_bid": StopAutoBid,
    "buy_now": BuyNow,
    "set_budget": SetBudget,
    "get_budget": GetBudget,
    "subscribe": Subscribe,
    "unsubscribe": Unsubscribe,
    "get_purchases": GetPurchases,
    "get_notices": GetNotices,
    "get_house": GetHouse,
    "get_invoices": GetInvoices,
    "get_invoice": GetInvoice,
    "mark_invoice_paid": MarkInvoicePaid,
    "set_email": SetEmail,
    "verify_email": VerifyEmail,
    "get_email": GetEmail,
    "set_mail_kind": SetMailKind,
    "watch_auction": WatchAuction,
    "unwatch_auction": UnwatchAuction,
    "get_watchlist": GetWatchlist,
}

# Writes whose first reply is kept under (user, request id): docs/protocol.md rule 10.
WRITE_ACTIONS = frozenset(
    {
        "create_auction",
        "create_sale",
        "update_auction",
        "remove_images",
        "reorder_images",
        "close_auction",
        "cancel_auction",
        "delete_auction",
        "place_bid",
        "start_auto_bid",
        "stop_auto_bid",
        "buy_now",
    }
)


class RequestError(Exception):
    """A request that cannot be run; carries the wire error and the echoed id."""

    def __init__(self, error: AuctionError, request_id: str | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.request_id = request_id


class UnknownAction(AuctionError):
    code = "unknown_action"


def parse_fields(model: type[Request], fields: dict[str, Any]) -> Request:
    """Validate `fields` into `model`.

    Raises:
        InvalidAmount: a money field is not an int in 0..10**12.
        InvalidCommand: any other missing or wrong-typed field (`bad_request`).
    """
    try:
        # `model_validate` without its keyword checks: the same validator, called directly.
        request: Request = model.__pydantic_validator__.validate_python(fields)
    except ValidationError as e:
        raise _to_error(e) from None
    return request


# Validation failures in words for people, by pydantic error type; `{field}` is
# the field's name and the other names come from the error's context.
_MESSAGES: dict[str, str] = {
    "missing": "{field} is required",
    "int_type": "{field} must be a whole number",
    "int_parsing": "{field} must be a whole number",
    "int_from_float": "{field} must be a whole number",
    "greater_than_equal": "{field} must be at least {ge}",
    "greater_than": "{field} must be more than {gt}",
    "less_than_equal": "{field} must be at most {le}",
    "less_than": "{field} must be less than {lt}",
    "literal_error": "{field} must be one of {expected}",
    "string_type": "{field} must be text",
    "string_too_short": "{field} must be at least {min_length} characters",
    "string_too_long": "{field} must be at most {max_length} characters",
    "string_pattern_mismatch": "{field} has characters or a length that is not allowed",
    "bool_type": "{field} must be true or false",
    "list_type": "{field} must be a list",
    "model_type": "{field} must be an object",
    "dict_type": "{field} must be an object",
    "too_short": "{field} must have at least {min_length} items",
    "too_long": "{field} must have at most {max_length} items",
}


def _message(err: Any, field: str) -> str:
    """One validation failure as a sentence (pydantic's own wording as a fallback)."""
    template = _MESSAGES.get(err["type"])
    if (
        err["type"] in ("string_too_short", "too_short")
        and (err.get("ctx") or {}).get("min_length") == 1
    ):
        template = "{field} must not be empty"
    context = {k: v for k, v in (err.get("ctx") or {}).items() if isinstance(v, (int, str))}
    if template is not None:
        try:
            return template.format(field=field or "the request", **context)
        except (KeyError, IndexError):
            pass
    return f"{field}: {err['msg']}" if field else str(err["msg"])


def _to_error(e: ValidationError) -> AuctionError:
    errors = e.errors(include_url=False, include_input=False)
    for err in errors:
        if err["type"] == "invalid_amount":
            field = ".".join(str(p) for p in err["loc"])
            return InvalidAmount(err["msg"], field=field)
    first = errors[0]
    field = ".".join(str(p) for p in first["loc"])
    return InvalidCommand(_message(first, field), field=field)


def parse_request(obj: object) -> tuple[str | None, str, Request]:
    """Turn one decoded JSON value into (request id, action, typed request).

    Raises:
        RequestError: wrapping bad_request, unknown_action or invalid_amount,
            with the request id when it was readable.
    """
    if not isinstance(obj, dict):
        raise RequestError(InvalidCommand("A request must be a JSON object"))
    request_id = obj.get("id")
    if request_id is not None and (
        not isinstance(request_id, str) or len(request_id) > MAX_ID_LENGTH
    ):
        raise RequestError(InvalidCommand("id must be a string of at most 64 characters"))
    action = obj.get("action")
    if not isinstance(action, str):
        raise RequestError(InvalidCommand("action must be a string", field="action"), request_id)
    model = ACTIONS.get(action)
    if model is None:
        raise RequestError(UnknownAction(f"Unknown action: {action[:64]}"), request_id)
    try:
        return request_id, action, parse_fields(model, obj)
    except AuctionError as e:
        raise RequestError(e, request_id) from None
