"""service/media.py: photos checked by content, cleaned, resized and stored privately."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from PIL import Image

from auctioneer.gateways.compose import media_root
from auctioneer.service.errors import PayloadTooLarge, UnsupportedMediaType
from auctioneer.service.media import LARGE_PX, THUMB_PX, MediaStore, process_image
from auctioneer.service.settings import Settings


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_both_versions_are_jpeg_within_their_sizes_and_never_enlarged() -> None:
    big = process_image(encoded(Image.new("RGB", (4000, 1000), "navy"), "PNG"))
    assert opened(big["large"]).size == (LARGE_PX, 400)
    assert opened(big["thumb"]).size == (THUMB_PX, 100)
    small = process_image(encoded(Image.new("RGB", (120, 90), "navy"), "WEBP"))
    assert opened(small["large"]).size == opened(small["thumb"]).size == (120, 90)
    assert {opened(v).format for v in (*big.values(), *small.values())} == {"JPEG"}


def test_orientation_is_applied_and_exif_icc_and_comments_are_dropped() -> None:
    image = Image.new("RGB", (200, 100), "white")
    image.paste((0, 0, 0), (0, 0, 20, 20))  # a black top-left corner
    exif = Image.Exif()
    exif[0x0112] = 3  # upside down: turn 180°
    exif[0x010F] = "SpyCam"
    xmp = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>where-it-was-taken</x:xmpmeta>"
    data = encoded(
        image, "JPEG", exif=exif.tobytes(), icc_profile=b"\0" * 128, comment=b"hi", xmp=xmp
    )
    assert b"where-it-was-taken" in data and b"SpyCam" in data
    for version in process_image(data).values():
        shown = opened(version)
        assert dict(shown.getexif()) == {}
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(shown.info)
        width, height = shown.size
        assert sum(shown.getpixel((width - 3, height - 3))) < 100  # the corner is bottom right now  # type: ignore[arg-type]
        assert b"SpyCam" not in version and b"where-it-was-taken" not in version


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_transparency_is_laid_on_white(mode: str) -> None:
    image = Image.new("RGBA", (50, 50), (0, 0, 0, 0)).convert(mode)
    fmt_options = {"transparency": 0} if mode == "P" else {}
    data = encoded(image, "PNG", **fmt_options)
    shown = opened(process_image(data)["large"])
    assert shown.mode == "RGB"
    assert min(shown.getpixel((25, 25))) > 240  # type: ignore[arg-type]


def test_cmyk_and_greyscale_jpegs_are_accepted() -> None:
    for mode in ("CMYK", "L"):
        data = encoded(Image.new(mode, (30, 30)), "JPEG")
        assert opened(process_image(data)["thumb"]).mode == "RGB"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a not really",
        encoded(Image.new("RGB", (10, 10)), "GIF"),
        encoded(Image.new("RGB", (10, 10)), "BMP"),
        encoded(Image.new("RGB", (10, 10)), "TIFF"),
        encoded(Image.new("RGB", (300, 300), "red"), "PNG")[:200],
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    ],
)
def test_anything_else_is_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedMediaType):
        process_image(data)


def test_too_many_pixels_is_refused_before_decoding() -> None:
    with pytest.raises(PayloadTooLarge) as caught:
        process_image(encoded(Image.new("1", (8000, 7000)), "PNG"))
    assert caught.value.fields == {"limit": 50_000_000}


async def test_ingest_stores_both_files_privately_once_and_names_them_by_content(
    tmp_path: Path,
) -> None:
    store = MediaStore(tmp_path / "media")
    assert not store.root.exists()  # nothing is created before the first upload
    data = encoded(Image.new("RGB", (64, 48), "teal"), "PNG")
    image_id = await store.ingest(data)
    assert len(image_id) == 32 and int(image_id, 16) >= 0
    assert await store.ingest(data) == image_id
    assert await store.ingest(data + b"\0") != image_id  # other bytes, other image
    files = sorted(store.root.rglob(f"{image_id}-*.jpg"))
    assert [f.name for f in files] == [f"{image_id}-large.jpg", f"{image_id}-thumb.jpg"]
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700
    assert not list(store.root.rglob(".*.tmp"))
    assert await store.read(f"{image_id}-thumb.jpg") == files[1].read_bytes()


async def test_only_our_own_names_are_served(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    for name in ("../etc/passwd", "x.jpg", "A" * 32 + "-thumb.jpg", "a" * 32 + "-huge.jpg"):
        assert store.path_of(name) is None
        assert await store.read(name) is None
    assert await store.read("a" * 32 + "-thumb.jpg") is None  # well-formed, but no such file


async def test_an_upload_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media", max_bytes=1000)
    with pytest.raises(PayloadTooLarge) as caught:
        await store.ingest(bytes(1001))
    assert caught.value.fields == {"limit": 1000}
    assert not store.root.exists()


def test_the_media_folder_defaults_next_to_the_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "house.db"
    assert media_root(Settings(db=f"sqlite:///{db}")) == tmp_path / "house-media"
    assert media_root(Settings(db=str(db))) == tmp_path / "house-media"
    assert media_root(Settings(db="sqlite:///auctioneer.db")) == Path("auctioneer-media")
    assert media_root(Settings(db="postgresql://u@h/d")) == Path("auctioneer-media")
    assert media_root(Settings(db="memory://")) is None
    assert media_root(Settings(db=str(db), media="/srv/photos")) == Path("/srv/photos")
    assert Settings.load({"AUCTIONEER_MEDIA": "/srv/shared"}).media == "/srv/shared"


def test_a_big_jpeg_decoded_at_a_smaller_scale_is_still_upright_and_full_size() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # turn 90° clockwise
    data = encoded(Image.new("RGB", (4000, 3000), "olive"), "JPEG", exif=exif.tobytes())
    versions = process_image(data)
    assert opened(versions["large"]).size == (1200, LARGE_PX)
    assert opened(versions["thumb"]).size == (300, THUMB_PX)
