"""Topic names: one validated builder and parser."""

from __future__ import annotations

import pytest

from auctioneer.engine.errors import InvalidCommand
from auctioneer.wire.topics import (
    AUCTIONS,
    AUCTIONS_ADMIN,
    USER_ME,
    Topic,
    TopicKind,
    auction_topic,
    parse_topic,
    user_topic,
)


def test_the_wire_topic_names() -> None:
    assert (AUCTIONS, USER_ME, AUCTIONS_ADMIN) == ("auctions", "user:me", "auctions:admin")


def test_builders_name_an_auction_and_a_user() -> None:
    assert auction_topic(42) == "auction:42"
    assert user_topic(7) == "user:7"


def test_parse_auctions() -> None:
    topic = parse_topic("auctions")
    assert topic == Topic(TopicKind.AUCTIONS)
    assert topic.wire == "auctions"


def test_parse_user_me() -> None:
    topic = parse_topic("user:me")
    assert topic == Topic(TopicKind.USER)
    assert topic.wire == "user:me"


@pytest.mark.parametrize("auction_id", [1, 42, 10**15, 9_999_999_999_999_999])
def test_parse_an_auction_topic(auction_id: int) -> None:
    topic = parse_topic(f"auction:{auction_id}")
    assert topic == Topic(TopicKind.AUCTION, auction_id)
    assert topic.wire == f"auction:{auction_id}"


@pytest.mark.parametrize(
    "name",
    [
        "",
        "auction",
        "auction:",
        "auction:0",
        "auction:01",
        "auction:-1",
        "auction:1.5",
        "auction:x",
        "auction:12345678901234567",
        "auction: 1",
        "Auction:1",
        "auctions:admin",
        "user:1",
        "user:you",
        "USER:ME",
        "auctions ",
    ],
)
def test_anything_else_is_refused_naming_the_topic_field(name: str) -> None:
    with pytest.raises(InvalidCommand) as caught:
        parse_topic(name)
    assert caught.value.code == "bad_request"
    assert caught.value.fields == {"field": "topic"}
    assert str(caught.value) == f"Unknown topic: {name}"


def test_a_refused_topic_is_cut_to_64_characters_in_the_message() -> None:
    with pytest.raises(InvalidCommand) as caught:
        parse_topic("x" * 500)
    assert str(caught.value) == "Unknown topic: " + "x" * 64


def test_an_auction_topic_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(InvalidCommand):
        parse_topic("auction:1\n")


def test_a_topic_without_an_id_has_a_placeholder_wire_name() -> None:
    assert Topic(TopicKind.AUCTION).wire == "auction:0"
