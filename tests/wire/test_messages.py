"""Typed requests: every action validates strictly, and errors carry their wire code."""

from __future__ import annotations

from typing import Any

import pytest

from auctioneer.engine.errors import InvalidAmount, InvalidCommand
from auctioneer.wire import messages as m

LOT = {"name": "Lamp", "starting_bid": 1000, "duration_s": 60}

# One minimal valid request per action; a new action without a sample fails below.
VALID: dict[str, dict[str, Any]] = {
    "register": {"username": "ann.b-c_1", "password": "12345678"},
    "login": {"username": "ann", "password": "x"},
    "auth": {"token": "abc"},
    "logout": {},
    "change_password": {"old_password": "x", "new_password": "12345678"},
    "logout_everywhere": {},
    "ping": {},
    "get_auctions": {},
    "get_auction": {"auction_id": 1},
    "get_bids": {"auction_id": 1},
    "get_log": {"auction_id": 1},
    "create_auction": dict(LOT),
    "create_sale": {"name": "Spring", "lots": [dict(LOT)]},
    "update_auction": {"auction_id": 1, "public": False},
    "remove_images": {"auction_id": 1, "image_ids": ["0123456789abcdef" * 2]},
    "reorder_images": {"auction_id": 1, "image_ids": []},
    "close_auction": {"auction_id": 1},
    "cancel_auction": {"auction_id": 1},
    "delete_auction": {"auction_id": 1},
    "place_bid": {"auction_id": 1, "amount": 1000},
    "start_auto_bid": {"auction_id": 1, "max_amount": 5000},
    "stop_auto_bid": {"auction_id": 1},
    "buy_now": {"auction_id": 1},
    "set_budget": {"sale_id": 1, "max_lots": 2, "max_spend": 5000},
    "get_budget": {"sale_id": 1},
    "subscribe": {"topic": "auction:1"},
    "unsubscribe": {"topic": "auction:1"},
    "get_purchases": {},
    "get_notices": {},
    "get_house": {},
    "get_invoices": {},
    "get_invoice": {"purchase_id": "1-1"},
    "mark_invoice_paid": {"purchase_id": "1-1"},
    "set_email": {"email": "ann@example.test"},
    "verify_email": {"token": "abc"},
    "get_email": {},
    "set_mail_kind": {"kind": "outbid", "enabled": False},
    "watch_auction": {"auction_id": 1},
    "unwatch_auction": {"auction_id": 1},
    "get_watchlist": {},
}

# Actions with a required auction_id (wrong types are tried on each).
WITH_AUCTION_ID = sorted(a for a, fields in VALID.items() if "auction_id" in fields)


def error_of(obj: object) -> m.RequestError:
    with pytest.raises(m.RequestError) as caught:
        m.parse_request(obj)
    return caught.value


def wire(obj: object) -> dict[str, Any]:
    return error_of(obj).error.to_wire()


def test_every_action_has_a_valid_sample() -> None:
    assert set(VALID) == set(m.ACTIONS)


def test_write_actions_are_all_known_actions() -> None:
    assert set(m.ACTIONS) >= m.WRITE_ACTIONS
    assert "place_bid" in m.WRITE_ACTIONS
    assert "get_auction" not in m.WRITE_ACTIONS


@pytest.mark.parametrize("action", sorted(VALID))
def test_every_action_parses_its_minimal_request(action: str) -> None:
    request_id, parsed_action, request = m.parse_request(
        {"id": "r1", "action": action, **VALID[action]}
    )
    assert request_id == "r1"
    assert parsed_action == action
    assert isinstance(request, m.ACTIONS[action])


@pytest.mark.parametrize("action", sorted(VALID))
def test_every_action_ignores_unknown_fields(action: str) -> None:
    _, _, request = m.parse_request({"action": action, "colour": "red", **VALID[action]})
    assert not hasattr(request, "colour")


@pytest.mark.parametrize("action", WITH_AUCTION_ID)
@pytest.mark.parametrize("bad", ["1", 1.0, True, None, 0, -1, 2**53 + 1, [1]])
def test_auction_id_must_be_a_positive_int_for_every_action(action: str, bad: object) -> None:
    fields = {**VALID[action], "auction_id": bad}
    error = wire({"id": "r", "action": action, **fields})
    assert error["code"] == "bad_request"
    assert error["field"] == "auction_id"


@pytest.mark.parametrize("action", WITH_AUCTION_ID)
def test_a_missing_auction_id_is_a_bad_request(action: str) -> None:
    fields = {k: v for k, v in VALID[action].items() if k != "auction_id"}
    error = wire({"action": action, **fields})
    assert error == {
        "code": "bad_request",
        "message": "auction_id is required",
        "field": "auction_id",
    }


def test_the_largest_auction_id_is_two_to_the_53() -> None:
    _, _, request = m.parse_request({"action": "get_auction", "auction_id": 2**53})
    assert isinstance(request, m.GetAuction)
    assert request.auction_id == 2**53


# -- money ---------------------------------------------------------------------

MONEY_FIELDS = [
    ("place_bid", "amount"),
    ("start_auto_bid", "max_amount"),
    ("create_auction", "starting_bid"),
    ("create_auction", "min_increment"),
    ("create_auction", "reserve"),
    ("create_auction", "buy_now"),
]
BAD_MONEY = [12.5, 100.0, "100", True, False, -1, 10**12 + 1, 10**30, float("inf"), [100]]


@pytest.mark.parametrize(("action", "field"), MONEY_FIELDS)
@pytest.mark.parametrize("bad", BAD_MONEY)
def test_bad_money_is_invalid_amount_naming_the_field(action: str, field: str, bad: object) -> None:
    error = wire({"id": "r9", "action": action, **VALID[action], field: bad})
    assert error["code"] == "invalid_amount"
    assert error["field"] == field
    assert field in error["message"]


def test_invalid_amount_keeps_the_request_id() -> None:
    caught = error_of({"id": "r9", "action": "place_bid", "auction_id": 1, "amount": 1.5})
    assert caught.request_id == "r9"
    assert isinstance(caught.error, InvalidAmount)


@pytest.mark.parametrize("value", [0, 1, 10**12])
def test_money_in_range_is_accepted_as_an_int(value: int) -> None:
    _, _, request = m.parse_request({"action": "place_bid", "auction_id": 1, "amount": value})
    assert isinstance(request, m.PlaceBid)
    assert request.amount == value
    assert type(request.amount) is int


def test_money_messages_say_what_is_wrong() -> None:
    too_big = wire({"action": "place_bid", "auction_id": 1, "amount": 10**12 + 1})
    assert too_big["message"] == "amount is too large: the most is 10000000000.00"
    huge = wire({"action": "place_bid", "auction_id": 1, "amount": 10**30})
    assert huge["message"] == "amount is too large: the most is 10000000000.00"
    negative = wire({"action": "place_bid", "auction_id": 1, "amount": -5})
    assert negative["message"] == "amount must not be negative"
    floating = wire({"action": "place_bid", "auction_id": 1, "amount": 5.0})
    assert "integer number of minor units" in floating["message"]


def test_optional_money_may_be_null() -> None:
    _, _, request = m.parse_request({"action": "create_auction", **LOT, "reserve": None})
    assert isinstance(request, m.CreateAuction)
    assert request.reserve is None


def test_a_missing_amount_is_a_bad_request_not_invalid_amount() -> None:
    error = wire({"action": "place_bid", "auction_id": 1})
    assert error["code"] == "bad_request"
    assert error["field"] == "amount"


def test_money_in_a_sale_lot_names_the_lot_and_field() -> None:
    lots = [dict(LOT), {**LOT, "reserve": 2.5}]
    error = wire({"action": "create_sale", "name": "Spring", "lots": lots})
    assert error["code"] == "invalid_amount"
    assert error["field"] == "lots.1.reserve"


def test_invalid_amount_wins_over_other_field_errors() -> None:
    error = wire({"action": "place_bid", "auction_id": "x", "amount": "1"})
    assert error["code"] == "invalid_amount"
    assert error["field"] == "amount"


# -- strict types ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "field", "bad"),
    [
        ("create_auction", "name", 5),
        ("create_auction", "name", ""),
        ("create_auction", "name", "x" * 201),
        ("create_auction", "description", "x" * 5001),
        ("create_auction", "quantity", "2"),
        ("create_auction", "quantity", 2.0),
        ("create_auction", "quantity", 0),
        ("create_auction", "quantity", 10_001),
        ("create_auction", "duration_s", 1.5),
        ("create_auction", "duration_s", -1),
        ("create_auction", "countdown_s", 10**9 + 1),
        ("create_auction", "soft_close_s", "10"),
        ("create_auction", "public", "true"),
        ("create_auction", "public", 1),
        ("create_auction", "starts_at", 1_800_000_000_000),
        ("create_auction", "ends_at", "x" * 65),
        ("create_sale", "lots", []),
        ("create_sale", "lots", dict(LOT)),
        ("create_sale", "name", None),
        ("update_auction", "public", "false"),
        ("update_auction", "name", ""),
        ("register", "username", "ab"),
        ("register", "username", "x" * 33),
        ("register", "username", "ann bee"),
        ("register", "username", "änn"),
        ("register", "password", "1234567"),
        ("register", "password", "x" * 257),
        ("register", "password", 12345678),
        ("login", "username", None),
        ("login", "password", "x" * 1025),
        ("auth", "token", 5),
        ("auth", "token", "x" * 513),
        ("get_auctions", "status", "open"),
        ("get_auctions", "sale_id", "1"),
        ("get_bids", "limit", 0),
        ("get_bids", "limit", 501),
        ("get_bids", "before_seq", -1),
        ("subscribe", "topic", ""),
        ("subscribe", "topic", "x" * 65),
        ("subscribe", "since", -1),
        ("subscribe", "since", "3"),
        ("subscribe", "mode", "all"),
        ("unsubscribe", "topic", None),
        ("get_notices", "since", 1.0),
    ],
)
def test_wrong_types_and_ranges_are_bad_requests_naming_the_field(
    action: str, field: str, bad: object
) -> None:
    error = wire({"id": "r2", "action": action, **VALID[action], field: bad})
    assert error["code"] == "bad_request"
    assert error["field"] == field
    assert error["message"].startswith(f"{field} ")  # a sentence about the field


def test_a_bad_list_item_is_named_by_its_position() -> None:
    error = wire({"action": "get_auctions", "status": ["open", "sold"]})
    assert error["code"] == "bad_request"
    assert error["field"] == "status.1"


def test_defaults_fill_optional_fields() -> None:
    _, _, bids = m.parse_request({"action": "get_bids", "auction_id": 3})
    assert isinstance(bids, m.GetBids)
    assert (bids.before_seq, bids.limit) == (None, 100)
    _, _, sub = m.parse_request({"action": "subscribe", "topic": "auctions"})
    assert isinstance(sub, m.Subscribe)
    assert (sub.since, sub.mode) == (None, "full")
    _, _, create = m.parse_request({"action": "create_auction", **LOT})
    assert isinstance(create, m.CreateAuction)
    assert (create.min_increment, create.quantity, create.public, create.description) == (
        100,
        1,
        True,
        "",
    )


def test_requests_are_frozen() -> None:
    _, _, request = m.parse_request({"action": "place_bid", "auction_id": 1, "amount": 5})
    assert isinstance(request, m.PlaceBid)
    with pytest.raises(ValueError):
        request.amount = 6


# -- the envelope ----------------------------------------------------------------


@pytest.mark.parametrize("obj", [[], [{"action": "ping"}], "ping", 5, None, True])
def test_a_request_that_is_not_an_object_is_a_bad_request_without_id(obj: object) -> None:
    caught = error_of(obj)
    assert caught.request_id is None
    assert caught.error.to_wire() == {
        "code": "bad_request",
        "message": "A request must be a JSON object",
    }


def test_an_id_of_64_characters_is_echoed() -> None:
    request_id, _, _ = m.parse_request({"id": "x" * 64, "action": "ping"})
    assert request_id == "x" * 64


@pytest.mark.parametrize("bad_id", ["x" * 65, 5, 1.5, True, ["r1"], {"a": 1}])
def test_an_id_over_64_characters_or_not_a_string_is_refused_without_echo(
    bad_id: object,
) -> None:
    caught = error_of({"id": bad_id, "action": "ping"})
    assert caught.request_id is None
    assert caught.error.code == "bad_request"


def test_a_null_id_is_the_same_as_no_id() -> None:
    assert m.parse_request({"id": None, "action": "ping"})[0] is None
    assert m.parse_request({"action": "ping"})[0] is None


@pytest.mark.parametrize("action", [None, 5, ["ping"], {"a": 1}])
def test_a_missing_or_non_string_action_is_a_bad_request_with_the_id(action: object) -> None:
    obj: dict[str, Any] = {"id": "r3"}
    if action is not None:
        obj["action"] = action
    caught = error_of(obj)
    assert caught.request_id == "r3"
    assert caught.error.to_wire() == {
        "code": "bad_request",
        "message": "action must be a string",
        "field": "action",
    }


def test_an_unknown_action_is_unknown_action_with_the_id() -> None:
    caught = error_of({"id": "r4", "action": "steal"})
    assert caught.request_id == "r4"
    assert caught.error.to_wire() == {"code": "unknown_action", "message": "Unknown action: steal"}
    assert str(caught) == "Unknown action: steal"


def test_an_unknown_action_name_is_cut_to_64_characters_in_the_message() -> None:
    caught = error_of({"action": "x" * 1000})
    assert caught.error.to_wire()["message"] == "Unknown action: " + "x" * 64


def test_action_names_are_case_sensitive() -> None:
    assert error_of({"action": "PING"}).error.code == "unknown_action"


def test_a_validation_error_keeps_the_request_id() -> None:
    caught = error_of({"id": "r5", "action": "place_bid", "auction_id": "1", "amount": 1})
    assert caught.request_id == "r5"
    assert caught.error.code == "bad_request"


# -- parse_fields ------------------------------------------------------------------


def test_parse_fields_validates_a_model_directly() -> None:
    lot = m.parse_fields(m.AuctionFields, dict(LOT))
    assert isinstance(lot, m.AuctionFields)
    assert lot.starting_bid == 1000


def test_parse_fields_raises_invalid_amount_for_money() -> None:
    with pytest.raises(InvalidAmount) as caught:
        m.parse_fields(m.AuctionFields, {**LOT, "buy_now": "lots"})
    assert caught.value.fields == {"field": "buy_now"}


def test_parse_fields_on_a_non_object_names_no_field() -> None:
    with pytest.raises(InvalidCommand) as caught:
        m.parse_fields(m.Ping, [1])  # type: ignore[arg-type]
    assert caught.value.fields == {"field": ""}
    assert not caught.value.message.startswith(":")


@pytest.mark.parametrize("bad", ["ABCDEF" * 6, "0" * 31, "../../etc/passwd", 7])
def test_an_image_id_is_32_lowercase_hex_digits(bad: object) -> None:
    error = wire({"action": "remove_images", "auction_id": 1, "image_ids": [bad]})
    assert error["code"] == "bad_request"
    assert error["field"] == "image_ids.0"


def test_remove_images_names_at_least_one_and_at_most_ten() -> None:
    assert wire({"action": "remove_images", "auction_id": 1, "image_ids": []})["code"] == (
        "bad_request"
    )
    many = [f"{i:032x}" for i in range(11)]
    assert wire({"action": "reorder_images", "auction_id": 1, "image_ids": many})["field"] == (
        "image_ids"
    )


@pytest.mark.parametrize(
    "email", ["ann", "a b@example.test", "<a@example.test>", "a@b", "a@example.test\nBcc: x@y.z"]
)
def test_an_address_that_is_not_one_is_a_bad_request(email: str) -> None:
    error = wire({"action": "set_email", "email": email})
    assert (error["code"], error["field"]) == ("bad_request", "email")


def test_register_takes_an_optional_address() -> None:
    _, _, request = m.parse_request(
        {"action": "register", "username": "ann", "password": "12345678", "email": "a@ex.test"}
    )
    assert isinstance(request, m.Register) and request.email == "a@ex.test"


def test_validation_messages_speak_to_people() -> None:
    cases = [
        ({"action": "get_auctions", "status": ["bogus"]},
         "status.0 must be one of 'scheduled', 'open', 'closed' or 'cancelled'"),
        ({"action": "get_bids", "auction_id": 1, "limit": 0}, "limit must be at least 1"),
        ({"action": "get_bids", "auction_id": 1, "limit": 501}, "limit must be at most 500"),
        ({"action": "get_auction", "auction_id": "7"}, "auction_id must be a whole number"),
        ({"action": "update_auction", "auction_id": 1, "public": "yes"},
         "public must be true or false"),
        ({"action": "create_auction", "name": "", "starting_bid": 100, "duration_s": 60},
         "name must not be empty"),
    ]  # fmt: skip
    for request, message in cases:
        assert wire(request)["message"] == message
