"""Tests for store/records.py: every event type survives storage."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pytest

from auctioneer.engine import events as events_module
from auctioneer.engine.commands import AuctionSpec
from auctioneer.engine.events import (
    AuctionClosed,
    AuctionCreated,
    AutoBidSet,
    BidPlaced,
    CloseReason,
    Event,
)
from auctioneer.store.records import (
    event_class,
    event_data,
    event_from_dict,
    event_from_row,
    event_to_dict,
    event_types,
)
from tests.store.samples import sample_event

ALL = sorted(event_types())


def test_every_event_class_of_the_engine_is_registered() -> None:
    exported = {
        getattr(events_module, name)
        for name in events_module.__all__
        if isinstance(getattr(events_module, name), type)
        and issubclass(getattr(events_module, name), Event)
        and getattr(events_module, name) is not Event
    }
    assert set(event_types().values()) == exported
    assert {cls.event for cls in exported} == set(ALL)
    assert "auto_bid_set" in ALL  # private events too


@pytest.mark.parametrize("name", ALL)
def test_every_event_type_round_trips_through_a_json_dict(name: str) -> None:
    cls = event_types()[name]
    event = sample_event(cls, auction_id=3, version=9, seq=None if not cls.public else 4, at=123)
    record = orjson.loads(orjson.dumps(event_to_dict(event)))
    assert record["type"] == name
    assert event_from_dict(record) == event


@pytest.mark.parametrize("name", ALL)
def test_every_event_type_round_trips_through_a_stored_row(name: str) -> None:
    cls = event_types()[name]
    event = sample_event(cls, auction_id=3, version=9, seq=5, at=123)
    data = orjson.loads(orjson.dumps(event_data(event)))
    assert not {"auction_id", "version", "seq", "at"} & set(data)
    back = event_from_row(name, auction_id=3, version=9, seq=5, at=123, data=data)
    assert back == event
    assert type(back) is cls


def test_the_nested_spec_and_enums_come_back_as_their_types() -> None:
    spec = AuctionSpec(name="Vase", starting_bid=500, reserve=900, public=False)
    created = AuctionCreated(auction_id=1, version=1, seq=1, at=0, spec=spec, sale_id=2, lot=3)
    data = event_data(created)
    assert data["spec"]["reserve"] == 900
    back = event_from_row("auction_created", auction_id=1, version=1, seq=1, at=0, data=data)
    assert isinstance(back, AuctionCreated) and back.spec == spec
    closed = AuctionClosed(auction_id=1, version=2, seq=2, at=0, reason=CloseReason.BUY_NOW)
    assert event_data(closed)["reason"] == "buy_now"
    back = event_from_row(
        "auction_closed", auction_id=1, version=2, seq=2, at=0, data=event_data(closed)
    )
    assert isinstance(back, AuctionClosed) and back.reason is CloseReason.BUY_NOW


def test_a_record_missing_a_field_with_a_default_takes_the_default() -> None:
    data = event_data(AuctionClosed(auction_id=1, version=2, seq=2, at=0, reason=CloseReason.ENDED))
    for field in dataclasses.fields(AuctionClosed):
        if field.default is not dataclasses.MISSING:
            data.pop(field.name, None)
    data["a_field_from_the_future"] = 1  # ignored
    back = event_from_row("auction_closed", auction_id=1, version=2, seq=2, at=0, data=data)
    assert back == AuctionClosed(auction_id=1, version=2, seq=2, at=0, reason=CloseReason.ENDED)


def test_an_old_spec_without_new_fields_still_loads() -> None:
    spec: dict[str, Any] = {"name": "Lot", "starting_bid": 100}
    back = event_from_row(
        "auction_created", auction_id=1, version=1, seq=1, at=0, data={"spec": spec}
    )
    assert isinstance(back, AuctionCreated) and back.spec == AuctionSpec(
        name="Lot", starting_bid=100
    )


def test_private_events_keep_their_missing_seq() -> None:
    event = AutoBidSet(
        auction_id=1, version=4, seq=None, at=5, bidder_id=2, paddle=7, max_amount=900
    )
    assert event_from_dict(event_to_dict(event)) == event


def test_an_unknown_event_type_is_refused() -> None:
    with pytest.raises(KeyError, match="unknown event type"):
        event_class("bid_vanished")
    with pytest.raises(KeyError):
        event_from_row("bid_vanished", auction_id=1, version=1, seq=1, at=0, data={})


def test_a_record_missing_a_required_field_is_refused() -> None:
    with pytest.raises(TypeError):
        event_from_row("bid_placed", auction_id=1, version=1, seq=1, at=0, data={"amount": 5})


def test_bid_placed_data_holds_exactly_its_own_fields() -> None:
    bid = BidPlaced(
        auction_id=1,
        version=2,
        seq=2,
        at=3,
        bidder_id=4,
        paddle=5,
        amount=600,
        auto=True,
        ends_at=None,
        round=1,
    )
    assert event_data(bid) == {
        "bidder_id": 4,
        "paddle": 5,
        "amount": 600,
        "auto": True,
        "ends_at": None,
        "round": 1,
    }
