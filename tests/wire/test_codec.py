"""The one serializer: decode with fallbacks, encode replies, errors and events."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from auctioneer.engine import Auction, EditImages, Event, evolve, new_auction
from auctioneer.engine.errors import InvalidCommand
from auctioneer.engine.events import (
    AuctionClosed,
    AuctionCreated,
    AuctionDeleted,
    AuctionExtended,
    AuctionOpened,
    AuctionUpdated,
    AutoBidSet,
    BidPlaced,
    ReserveMet,
    UnitSold,
)
from auctioneer.wire import codec
from auctioneer.wire import messages as m
from auctioneer.wire.timefmt import format_time
from auctioneer.wire.views import auction_object, public_view
from tests.engine.harness import MS, T0, AuctionHarness

# -- decode --------------------------------------------------------------------


def test_decode_reads_bytes_and_str() -> None:
    assert codec.decode(b'{"action":"ping","id":"r1"}') == {"action": "ping", "id": "r1"}
    assert codec.decode('{"a":[1,2.5,null,true]}') == {"a": [1, 2.5, None, True]}


def test_decode_keeps_unicode() -> None:
    assert codec.decode('{"name":"Lámpara 🕯"}'.encode()) == {"name": "Lámpara 🕯"}


def test_integers_beyond_64_bits_still_decode_and_reach_validation() -> None:
    for raw in (b'{"amount": 18446744073709551616}', b'{"amount": 1' + b"0" * 400 + b"}"):
        value = codec.decode(raw)["amount"]
        assert value > 10**12
    obj = codec.decode(b'{"action":"place_bid","auction_id":1,"amount":1' + b"0" * 400 + b"}")
    with pytest.raises(m.RequestError) as caught:
        m.parse_request(obj)
    assert caught.value.error.code == "invalid_amount"


def test_a_number_too_big_for_a_double_reaches_validation_as_invalid_amount() -> None:
    obj = codec.decode(b'{"action":"place_bid","auction_id":1,"amount":1e400}')
    with pytest.raises(m.RequestError) as caught:
        m.parse_request(obj)
    assert caught.value.error.code == "invalid_amount"
    assert caught.value.error.fields == {"field": "amount"}


@pytest.mark.parametrize(
    "raw",
    [
        b"NaN",
        b'{"amount": NaN}',
        b'{"amount": Infinity}',
        b'{"amount": -Infinity}',
        "[NaN]",
    ],
)
def test_nan_and_infinity_are_malformed_json(raw: bytes | str) -> None:
    with pytest.raises(InvalidCommand) as caught:
        codec.decode(raw)
    assert caught.value.code == "bad_request"
    assert str(caught.value) == "Malformed JSON"


@pytest.mark.parametrize(
    "raw",
    [b"\xff", b'{"name": "\xc3\x28"}', b'{"a": "\xed\xa0\x80"}', b"\x80{}"],
)
def test_invalid_utf8_is_malformed_json(raw: bytes) -> None:
    with pytest.raises(InvalidCommand):
        codec.decode(raw)


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_deep_nesting_is_malformed_json_not_a_crash(depth: int) -> None:
    with pytest.raises(InvalidCommand):
        codec.decode(b"[" * depth + b"]" * depth)
    with pytest.raises(InvalidCommand):
        codec.decode('{"a":' * depth + "1" + "}" * depth)


def test_moderate_nesting_decodes() -> None:
    assert codec.decode(b"[" * 500 + b"]" * 500) is not None


@pytest.mark.parametrize(
    "raw", [b"", b"   ", b"{", b'{"a":1} x', b"{'a': 1}", b'{"a":1,}', b"undefined", ""]
)
def test_broken_json_is_malformed(raw: bytes | str) -> None:
    with pytest.raises(InvalidCommand):
        codec.decode(raw)


def test_a_lone_surrogate_escape_is_malformed_json() -> None:
    # Valid JSON syntax, but no UTF-8 text can carry it: echoing it (as an id,
    # a name, an unknown action) could not be encoded, so refuse it here.
    with pytest.raises(InvalidCommand):
        codec.decode(b'{"id":"\\ud800","action":"ping"}')


def test_a_surrogate_pair_escape_decodes_to_one_character() -> None:
    assert codec.decode(b'{"a":"\\ud83d\\udd6f"}') == {"a": "\U0001f56f"}


# -- replies and errors ------------------------------------------------------------


def test_encode_is_compact_json_bytes() -> None:
    assert codec.encode({"a": [1, None]}) == b'{"a":[1,null]}'


def test_encode_reply_echoes_the_id() -> None:
    raw = codec.encode_reply("r1", {"server_time": "x"})
    assert json.loads(raw) == {"id": "r1", "ok": True, "result": {"server_time": "x"}}
    assert list(json.loads(raw)) == ["id", "ok", "result"]


def test_encode_reply_without_id_has_no_id_key() -> None:
    assert json.loads(codec.encode_reply(None, {})) == {"ok": True, "result": {}}


def test_encode_error_echoes_the_id() -> None:
    error = {"code": "bid_too_low", "message": "Bid must be at least 105.00", "minimum": 10500}
    raw = codec.encode_error("r1", error)
    assert json.loads(raw) == {"id": "r1", "ok": False, "error": error}


def test_encode_error_without_id_has_no_id_key() -> None:
    error = {"code": "bad_request", "message": "Malformed JSON"}
    assert json.loads(codec.encode_error(None, error)) == {"ok": False, "error": error}


def test_encode_event_has_the_envelope_of_the_protocol() -> None:
    raw = codec.encode_event("bid_placed", {"amount": 5}, topic="auction:42", seq=17, at=T0 + 123)
    assert json.loads(raw) == {
        "event": "bid_placed",
        "topic": "auction:42",
        "seq": 17,
        "at": format_time(T0 + 123),
        "data": {"amount": 5},
    }
    assert "id" not in json.loads(raw)


def test_a_welcome_event_has_no_topic_seq_or_time() -> None:
    assert json.loads(codec.encode_event("welcome", {"protocol": 1})) == {
        "event": "welcome",
        "data": {"protocol": 1},
    }


def test_encode_event_accepts_a_zero_seq() -> None:
    assert (
        json.loads(codec.encode_event("auction_summary", {}, topic="auctions", seq=0))["seq"] == 0
    )


# -- event_data ------------------------------------------------------------------


def _story() -> list[tuple[Event, Auction]]:
    """Every public event type (and a private one), each with the state right after it."""
    h = AuctionHarness()
    h.create(reserve=2000, soft_close_s=30, duration_s=60, quantity=2, buy_now=9000)
    h.later(50)
    h.bid(1, 1000)  # bid_placed + auction_extended (inside the soft-close window)
    h.bid(2, 2000)  # bid_placed + reserve_met
    h.auto(1, 5000)  # auto_bid_set (private) + bid_placed (auto)
    h.until_end()  # unit_sold, round 2 starts
    h.update(name="Brass lamp", public=False)
    h.later(1)
    h.bid(2, 2500)
    h.close()  # unit_sold (final) + auction_closed
    h.delete()
    state = new_auction(1)
    steps = []
    for event in h.log:
        state = evolve(state, event)
        steps.append((event, state))
    return steps


STORY = _story()


def _step(kind: type[Event], nth: int = 0) -> tuple[Event, Auction]:
    return [(e, a) for e, a in STORY if isinstance(e, kind)][nth]


def test_the_story_covers_every_event_type_with_a_builder() -> None:
    kinds = {type(e) for e, _ in STORY}
    assert kinds >= set(codec._DATA)


def test_auction_created_data_is_the_public_auction_object() -> None:
    event, after = _step(AuctionCreated)
    data = codec.event_data(event, after)
    whole = public_view(auction_object(after))
    del whole["log_hash"]  # the head of a chain the event is not part of yet
    assert data == {**whole, "auction_id": 1}
    assert "reserve" not in data


def test_auction_opened_data() -> None:
    event, after = _step(AuctionOpened)
    assert codec.event_data(event, after) == {
        "round": 1,
        "ends_at": format_time(T0 + 60 * MS),
        "status": "open",
        "minimum_bid": 1000,
        "passes_at": None,
        "buy_now_available": True,
        "auction_id": 1,
    }


def test_bid_placed_data_shows_the_paddle_never_the_user_id() -> None:
    event, after = _step(BidPlaced, 1)
    assert codec.event_data(event, after) == {
        "amount": 2000,
        "bidder": "#102",
        "auto": False,
        "current_bid": 2000,
        "leader": "#102",
        "ends_at": format_time(T0 + 80 * MS),
        "round": 1,
        "bid_count": 2,
        "minimum_bid": 2100,
        "passes_at": None,
        "buy_now_available": False,
        "auction_id": 1,
    }


def test_an_auto_bid_is_marked_auto() -> None:
    event, after = _step(BidPlaced, 2)
    data = codec.event_data(event, after)
    assert (data["amount"], data["auto"], data["bidder"]) == (2100, True, "#101")


def test_auction_extended_data() -> None:
    event, after = _step(AuctionExtended)
    assert codec.event_data(event, after) == {
        "ends_at": format_time(T0 + 80 * MS),
        "auction_id": 1,
    }


def test_reserve_met_data() -> None:
    event, after = _step(ReserveMet)
    assert codec.event_data(event, after) == {"current_bid": 2000, "auction_id": 1}


def test_unit_sold_data_names_the_next_rounds_end() -> None:
    event, after = _step(UnitSold)
    assert codec.event_data(event, after) == {
        "round": 1,
        "winner": "#101",
        "price": 2100,
        "units_left": 1,
        "buy_now": False,
        "ends_at": format_time(T0 + 140 * MS),
        "minimum_bid": 1000,
        "passes_at": None,
        "buy_now_available": True,
        "auction_id": 1,
    }


def test_the_last_unit_sold_has_no_next_end() -> None:
    event, after = _step(UnitSold, 1)
    data = codec.event_data(event, after)
    assert (data["winner"], data["units_left"], data["ends_at"]) == ("#102", 0, None)
    assert (data["minimum_bid"], data["passes_at"]) == (None, None)


def test_auction_closed_data() -> None:
    event, after = _step(AuctionClosed)
    data = codec.event_data(event, after)
    assert data == {
        "winner": "#102",
        "price": 2500,
        "reason": "admin",
        "status": "closed",
        "minimum_bid": None,
        "buy_now_available": False,
        "auction_id": 1,
    }


def test_a_cancel_closes_with_no_winner() -> None:
    event, after = _cancelled()
    data = codec.event_data(event, after)
    assert (data["winner"], data["price"], data["reason"]) == (None, None, "cancelled")
    assert data["status"] == "cancelled"


def _cancelled() -> tuple[Event, Auction]:
    h = AuctionHarness()
    h.create()
    (event,) = h.cancel()
    return event, h.state


def test_auction_updated_data_lists_only_the_changed_fields() -> None:
    event, after = _step(AuctionUpdated)
    assert codec.event_data(event, after) == {
        "public": False,
        "name": "Brass lamp",
        "auction_id": 1,
    }


def test_auction_updated_keeps_a_false_or_empty_value() -> None:
    h = AuctionHarness()
    h.create()
    (event,) = h.update(description="")
    assert codec.event_data(event, h.state) == {"description": "", "auction_id": 1}


def test_auction_updated_by_a_photo_edit_carries_the_whole_image_list() -> None:
    h = AuctionHarness()
    h.create()
    (event,) = h.send(EditImages(add=("b" * 32,)))
    assert codec.event_data(event, h.state) == {
        "images": [
            {
                "id": "b" * 32,
                "thumb": f"/media/{'b' * 32}-thumb.jpg",
                "large": f"/media/{'b' * 32}-large.jpg",
            }
        ],
        "auction_id": 1,
    }


def test_auction_deleted_data_is_only_the_auction_id() -> None:
    event, after = _step(AuctionDeleted)
    assert codec.event_data(event, after) == {"auction_id": 1}


def test_a_private_event_has_no_builder_and_gives_only_the_auction_id() -> None:
    event, after = _step(AutoBidSet)
    assert codec.event_data(event, after) == {"auction_id": 1}


def test_every_public_event_of_the_story_encodes_as_json() -> None:
    for event, after in STORY:
        if event.seq is None:
            continue
        raw = codec.encode_event(
            event.event,
            codec.event_data(event, after),
            topic="auction:1",
            seq=event.seq,
            at=event.at,
        )
        decoded: dict[str, Any] = orjson.loads(raw)
        assert decoded["event"] == event.event
        assert decoded["data"]["auction_id"] == 1
