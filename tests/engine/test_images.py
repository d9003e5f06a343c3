"""engine/images.py: which photos an auction shows, decided against its current list."""

from __future__ import annotations

import pytest

from auctioneer.engine import (
    MAX_IMAGES,
    AuctionUpdated,
    EditImages,
    InvalidCommand,
    InvalidTransition,
    TooManyImages,
    replay,
)
from tests.engine.harness import AuctionHarness, kinds


def ids(*names: str) -> tuple[str, ...]:
    return tuple(name * 32 for name in names)


def open_auction() -> AuctionHarness:
    h = AuctionHarness()
    h.create()
    return h


def test_adding_images_emits_one_auction_updated_with_the_whole_list() -> None:
    h = open_auction()
    events = h.send(EditImages(add=ids("a", "b")))
    assert kinds(events) == ["auction_updated"]
    assert isinstance(events[0], AuctionUpdated)
    assert events[0].images == ids("a", "b")
    assert events[0].name is None and events[0].public is None
    assert h.state.images == ids("a", "b")
    events = h.send(EditImages(add=ids("c")))
    assert isinstance(events[0], AuctionUpdated)
    assert events[0].images == ids("a", "b", "c")


def test_an_image_already_shown_is_not_added_twice_and_no_change_emits_nothing() -> None:
    h = open_auction()
    h.send(EditImages(add=ids("a")))
    assert h.send(EditImages(add=ids("a"))) == []
    assert h.send(EditImages(order=ids("a"))) == []
    assert h.state.images == ids("a")


def test_removing_keeps_the_order_of_the_others() -> None:
    h = open_auction()
    h.send(EditImages(add=ids("a", "b", "c")))
    h.send(EditImages(remove=ids("b")))
    assert h.state.images == ids("a", "c")


def test_reordering_needs_every_image_exactly_once() -> None:
    h = open_auction()
    h.send(EditImages(add=ids("a", "b", "c")))
    h.send(EditImages(order=ids("c", "a", "b")))
    assert h.state.images == ids("c", "a", "b")
    for order in (ids("c", "a"), ids("c", "a", "a"), ids("c", "a", "b", "d"), ids("c", "a", "d")):
        error = h.refuse(EditImages(order=order))
        assert isinstance(error, InvalidCommand)
        assert error.fields == {"field": "image_ids"}


def test_removing_an_image_the_auction_does_not_show_is_refused() -> None:
    h = open_auction()
    h.send(EditImages(add=ids("a")))
    error = h.refuse(EditImages(remove=ids("b")))
    assert error.code == "bad_request"


def test_more_than_ten_images_are_refused_whole() -> None:
    h = open_auction()
    h.send(EditImages(add=tuple(f"{i:032x}" for i in range(MAX_IMAGES - 1))))
    error = h.refuse(EditImages(add=ids("a", "b")))
    assert isinstance(error, TooManyImages)
    assert error.code == "too_many_images"
    assert error.fields == {"limit": MAX_IMAGES}
    assert len(h.state.images) == MAX_IMAGES - 1
    h.send(EditImages(add=ids("a")))
    assert len(h.state.images) == MAX_IMAGES


@pytest.mark.parametrize("bad", ["", "x" * 65])
def test_a_malformed_id_is_refused(bad: str) -> None:
    h = open_auction()
    assert h.refuse(EditImages(add=(bad,))).code == "bad_request"


def test_images_survive_replay_and_other_updates() -> None:
    h = open_auction()
    h.send(EditImages(add=ids("a", "b")))
    h.update(name="Brass lamp")
    assert h.state.images == ids("a", "b")
    assert replay(h.auction_id, h.log).images == ids("a", "b")


def test_closed_auctions_take_photo_edits_but_deleted_ones_do_not() -> None:
    h = open_auction()
    h.close()
    h.send(EditImages(add=ids("a")))
    assert h.state.images == ids("a")
    h.delete()
    assert isinstance(h.refuse(EditImages(add=ids("a"))), InvalidTransition)
