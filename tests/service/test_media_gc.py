"""service/media_gc.py on a real folder: photo files go once no auction shows them,
only after the removal is durable, never while young, and a sweep finds what a
crash left behind.
"""

from __future__ import annotations

import asyncio
import io
import os
import time
from pathlib import Path

import pytest
from PIL import Image

from auctioneer.service.api import Api
from auctioneer.service.errors import NotFound
from auctioneer.service.media import MediaStore
from auctioneer.service.media_gc import MediaCollector
from auctioneer.service.users import Caller
from tests.service.stack import Stack, lot

HOURS_AGO = time.time() - 2 * 3600


def _png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


def _files(folder: Path, image_id: str) -> list[str]:
    return sorted(p.name for p in folder.rglob(f"{image_id}-*.jpg"))


def _age(folder: Path, image_id: str, when: float = HOURS_AGO) -> None:
    for path in folder.rglob(f"{image_id}-*.jpg"):
        os.utime(path, (when, when))


class House:
    def __init__(self, stack: Stack, media: MediaStore, gc: MediaCollector | None) -> None:
        self.stack, self.media, self.gc = stack, media, gc
        self.admin = Caller()

    @classmethod
    async def build(cls, folder: Path, *, grace_s: float | None = 0.0) -> House:
        stack = await Stack.build(bid_rate=0)
        media = MediaStore(folder)
        gc = None if grace_s is None else MediaCollector(stack.store, media, grace_s=grace_s)
        stack.api = Api(stack.auctions, stack.users, stack.settings, media=media, media_gc=gc)
        house = cls(stack, media, gc)
        house.admin = await stack.person("root", admin=True)
        return house

    async def photo(self, colour: str) -> str:
        return await self.stack.api.photos.ingest(_png(colour))

    async def auction(self, name: str, *images: str) -> int:
        auction_id: int = (await self.stack.create(self.admin, **lot(name=name)))["id"]
        await self.stack.api.photos.attach(self.admin, auction_id, list(images), None)
        return auction_id

    async def remove(self, auction_id: int, *images: str) -> None:
        await self.stack.call(
            self.admin, "remove_images", auction_id=auction_id, image_ids=list(images)
        )


async def test_files_go_once_no_auction_shows_them(tmp_path: Path) -> None:
    house = await House.build(tmp_path)
    assert house.gc is not None
    try:
        shared, own = await house.photo("navy"), await house.photo("gold")
        lamp = await house.auction("Lamp", shared, own)
        vase = await house.auction("Vase", shared)
        assert _files(tmp_path, own) == [f"{own}-large.jpg", f"{own}-thumb.jpg"]
        with pytest.raises(NotFound):  # refused: nothing removed, nothing noted
            await house.remove(vase, own)
        assert await house.gc.collect() == []

        await house.remove(lamp, own)
        assert await house.gc.collect() == [own]
        assert _files(tmp_path, own) == []  # both sizes
        await house.remove(lamp, shared)
        assert await house.gc.collect() == []  # the vase still shows it
        assert len(_files(tmp_path, shared)) == 2
        await house.stack.call(house.admin, "delete_auction", auction_id=vase)
        assert await house.gc.collect() == [shared]
        assert _files(tmp_path, shared) == []
        assert await house.media.read(f"{shared}-large.jpg") is None
    finally:
        await house.stack.close()


async def test_a_young_photo_is_kept_and_the_sweep_takes_it_once_old(tmp_path: Path) -> None:
    house = await House.build(tmp_path, grace_s=3600)
    assert house.gc is not None
    try:
        photo = await house.photo("navy")
        lamp = await house.auction("Lamp", photo)
        await house.remove(lamp, photo)
        assert await house.gc.collect() == []  # just uploaded: perhaps being attached again
        assert len(_files(tmp_path, photo)) == 2
        _age(tmp_path, photo)
        assert await house.gc.sweep() == [photo]
        assert _files(tmp_path, photo) == []
    finally:
        await house.stack.close()


async def test_uploading_a_stored_photo_again_makes_it_young(tmp_path: Path) -> None:
    house = await House.build(tmp_path, grace_s=3600)
    assert house.gc is not None
    try:
        photo = await house.photo("navy")
        _age(tmp_path, photo)
        assert await house.photo("navy") == photo  # the same bytes: the same id, touched
        assert await house.gc.sweep() == []  # not shown yet, but about to be
        assert len(_files(tmp_path, photo)) == 2
    finally:
        await house.stack.close()


async def test_the_sweep_at_start_deletes_what_a_crash_left_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    house = await House.build(tmp_path, grace_s=None)  # a process that dies before collecting
    try:
        gone, kept, fresh = [await house.photo(c) for c in ("navy", "gold", "teal")]
        lamp = await house.auction("Lamp", gone, kept)
        await house.remove(lamp, gone)  # durable; its files never deleted (the crash)
        for photo in (gone, kept):
            _age(tmp_path, photo)
        half_written = tmp_path / gone[:2] / f".{gone}-large.jpg.0badf00d.tmp"
        half_written.write_bytes(b"half a jpeg")
        os.utime(half_written, (HOURS_AGO, HOURS_AGO))

        gc = MediaCollector(house.stack.store, house.media, grace_s=600)
        gc.start()  # as a server does on start
        try:
            for _ in range(200):
                if not _files(tmp_path, gone) and not half_written.exists():
                    break
                await asyncio.sleep(0.01)
        finally:
            await gc.stop()
        assert _files(tmp_path, gone) == []
        assert not half_written.exists()
        assert len(_files(tmp_path, kept)) == 2  # the lamp shows it
        assert len(_files(tmp_path, fresh)) == 2  # young: an upload may be on its way
        assert gc.deleted == 1
    finally:
        await house.stack.close()
