"""An auction's photos: which image ids it shows, in which order.

The engine never sees a picture: the service stores the files first (checked,
cleaned and resized, service/media.py) and then asks for `EditImages` with
their ids. Here only the list is decided, against the auction's current list,
so concurrent edits by two admins compose instead of undoing each other.

Decisions where the issue is silent:

- At most `MAX_IMAGES` (10) photos per auction; an edit that would leave more
  is refused whole with `too_many_images` (carrying `limit`), nothing added.
- Adding an id the auction already shows changes nothing (the same photo
  uploaded twice is one photo: ids are content addresses).
- Removing an id the auction does not show, or an `order` that is not exactly
  the current ids (after this edit's removals and additions) in some order,
  is `bad_request` naming `image_ids`.
- An edit that changes nothing emits no event; one that does emits one
  `auction_updated` whose `images` is the whole new list.
- Allowed in every status but deleted, like the other admin edits (the
  lifecycle table in state.py).
"""

from __future__ import annotations

from auctioneer.engine.commands import EditImages
from auctioneer.engine.errors import InvalidCommand, TooManyImages
from auctioneer.engine.events import AuctionUpdated, Event
from auctioneer.engine.fold import Draft
from auctioneer.engine.state import Auction

__all__ = ["IMAGE_ID_MAX", "MAX_IMAGES", "decide_edit_images"]

MAX_IMAGES = 10
IMAGE_ID_MAX = 64  # characters; the service's ids are 32 hex digits


def decide_edit_images(state: Auction, command: EditImages, now: int) -> list[Event]:
    """Add, remove or reorder the auction's photos.

    Raises:
        InvalidCommand: a malformed id, an id the auction does not show, or an
            `order` that is not a permutation of the resulting list.
        TooManyImages: the result would hold more than MAX_IMAGES ids.
    """
    for image_id in (*command.add, *command.remove, *(command.order or ())):
        _check_id(image_id)
    images = list(state.images)
    for image_id in command.remove:
        if image_id not in images:
            raise InvalidCommand(f"This auction has no image {image_id}", field="image_ids")
        images.remove(image_id)
    for image_id in command.add:
        if image_id not in images:
            images.append(image_id)
    if len(images) > MAX_IMAGES:
        raise TooManyImages(MAX_IMAGES)
    if command.order is not None:
        if len(command.order) != len(images) or set(command.order) != set(images):
            raise InvalidCommand(
                "image_ids must list every image of the auction once", field="image_ids"
            )
        images = list(command.order)
    if tuple(images) == state.images:
        return []
    draft = Draft(state, now)
    draft.emit(AuctionUpdated, images=tuple(images))
    return draft.events


def _check_id(image_id: object) -> None:
    if not isinstance(image_id, str) or not 1 <= len(image_id) <= IMAGE_ID_MAX:
        raise InvalidCommand("an image id is a string of 1-64 characters", field="image_ids")
