"""gateways/compose.py: the house it builds keeps lot photos where the settings say."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from auctioneer.gateways.compose import build_house
from auctioneer.service.settings import Settings


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "plum").save(out, "PNG")
    return out.getvalue()


async def test_a_memory_house_keeps_photos_in_a_temporary_folder_removed_at_close() -> None:
    house = await build_house(Settings(db="memory://"))
    try:
        root = house.api.photos.media.root
        assert house.scratch_media == root
        image_id = await house.api.photos.ingest(png())
        assert (root / image_id[:2] / f"{image_id}-thumb.jpg").exists()
    finally:
        await house.close()
    assert not root.exists()


async def test_a_sqlite_house_keeps_photos_next_to_its_database(tmp_path: Path) -> None:
    house = await build_house(Settings(db=f"sqlite:///{tmp_path / 'lots.db'}"))
    try:
        assert house.scratch_media is None
        assert house.api.photos.media.root == tmp_path / "lots-media"
        await house.api.photos.ingest(png())
    finally:
        await house.close()
    assert (tmp_path / "lots-media").is_dir()  # kept: it is the house's data
