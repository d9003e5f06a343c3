"""The photo actions: attach, remove and reorder an auction's images (admins only).

The files are handled by `service/media.py` before any command: an upload is
checked and stored first, and only its id goes to the auction's writer as
`EditImages`, so the engine stays pure and the log records which photos an
auction shows, in which order, as `auction_updated` events that every
subscriber sees live. Every check of who may do it is here, whatever the door.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from auctioneer.engine.commands import EditImages
from auctioneer.engine.errors import TooManyImages
from auctioneer.engine.images import MAX_IMAGES
from auctioneer.engine.state import Auction
from auctioneer.service.actor import Work
from auctioneer.service.errors import Forbidden, NotFound, Unauthorized
from auctioneer.service.media import MediaStore
from auctioneer.service.media_gc import MediaCollector
from auctioneer.service.ports import UserRecord
from auctioneer.service.replies import first_reply
from auctioneer.service.users import Caller
from auctioneer.wire import messages as m

if TYPE_CHECKING:
    from auctioneer.service.api import Api

__all__ = ["Photos"]


class Photos:
    """An auction's images, for one server process."""

    def __init__(
        self, api: Api, media: MediaStore, collector: MediaCollector | None = None
    ) -> None:
        self.api = api
        self.media = media
        self.collector = collector  # deletes files no auction shows any more (media_gc.py)

    async def earlier_reply(self, caller: Caller, request_id: str | None) -> bytes | None:
        """The first reply to an upload retried with the same request id (rule 10),
        so a retry is answered before its body is read, even once the auction is full.

        Raises:
            Unauthorized, Forbidden: not an admin.
            StoredRefusal: the first attempt was refused by the rules.
        """
        user = _admin(caller)
        if request_id is None:
            return None
        stored = await self.api.auctions.stored_reply((user.id, request_id))
        return None if stored is None else first_reply(stored)

    async def free_slots(self, caller: Caller, auction_id: int) -> int:
        """How many more images the auction takes; checked before an upload is read.

        Raises:
            Unauthorized, Forbidden: not an admin.
            NotFound: no such auction.
            TooManyImages: it already shows MAX_IMAGES.
        """
        state = await self._editable(caller, auction_id)
        free = MAX_IMAGES - len(state.images)
        if free <= 0:
            raise TooManyImages(MAX_IMAGES)
        return free

    async def ingest(self, data: bytes) -> str:
        """Store one uploaded image (checked, cleaned, resized); its id. See MediaStore.ingest."""
        return await self.media.ingest(data)

    async def attach(
        self, caller: Caller, auction_id: int, image_ids: list[str], request_id: str | None
    ) -> bytes:
        """Append stored images to the auction; the reply is `{auction}`.

        Raises:
            Unauthorized, Forbidden, NotFound: as `free_slots`.
            TooManyImages: more than MAX_IMAGES in all (nothing is attached).
        """
        await self._editable(caller, auction_id)
        return await self._submit(caller, auction_id, EditImages(add=tuple(image_ids)), request_id)

    async def remove(self, caller: Caller, req: m.RemoveImages, rid: str | None) -> bytes:
        """The `remove_images` action.

        Raises:
            NotFound: an id the auction does not show (also as `free_slots`).
        """
        state = await self._editable(caller, req.auction_id)
        for image_id in req.image_ids:
            if image_id not in state.images:
                raise NotFound("image on this auction")
        command = EditImages(remove=tuple(req.image_ids))
        reply = await self._submit(caller, req.auction_id, command, rid)
        self.forget(req.image_ids)  # the removal is durable: its reply is here
        return reply

    def forget(self, image_ids: Iterable[str]) -> None:
        """Photos an auction stopped showing (durably): their files may go."""
        if self.collector is not None:
            self.collector.note(image_ids)

    async def reorder(self, caller: Caller, req: m.ReorderImages, rid: str | None) -> bytes:
        """The `reorder_images` action: `image_ids` is the whole list in its new order.

        Raises:
            InvalidCommand: not every image of the auction exactly once.
        """
        await self._editable(caller, req.auction_id)
        command = EditImages(order=tuple(req.image_ids))
        return await self._submit(caller, req.auction_id, command, rid)

    async def _editable(self, caller: Caller, auction_id: int) -> Auction:
        _admin(caller)
        return await self.api.visible_auction(caller, auction_id)

    async def _submit(
        self, caller: Caller, auction_id: int, command: EditImages, rid: str | None
    ) -> bytes:
        work = Work(command, user_id=_admin(caller).id, admin=True, request_id=rid)
        return await self.api.auctions.submit(auction_id, work)


def _admin(caller: Caller) -> UserRecord:
    if caller.user is None:
        raise Unauthorized()
    if not caller.is_admin:
        raise Forbidden()
    return caller.user
