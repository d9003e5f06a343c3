"""Lot photos on disk: checked by their content, cleaned, resized, named by content.

Why outside the database: a photo is megabytes and the log is bytes per bid;
the log records only which image ids an auction shows (engine/images.py), and
the files live in a folder (`serve --media DIR`, by default next to the SQLite
file). Several server processes share photos by sharing that folder (the same
path on every process, e.g. a network mount); nothing else needs to be shared,
because a file never changes once written.

An upload is accepted only if Pillow opens it as JPEG, PNG or WebP and
verifies it (the name and the declared type are never trusted). It is then
turned upright (EXIF orientation applied), flattened onto white if it has
transparency, and saved twice as a JPEG without any metadata (EXIF with its GPS
position, XMP, ICC and comments are all dropped): a thumbnail and a large
version. The id is a digest of the upload's bytes and of `RECIPE`, so the same
photo is the same id (stored once), and a file's name never changes meaning:
it may be cached for good. Files are created 0600 and folders 0700.

An id may be shown by several auctions, so files are deleted only when no
auction shows the id any more, and only by `service/media_gc.py`, after the
removal is durable. Re-uploading a stored photo touches its files (their
modification time is when the photo was last given), which is how the
collector knows a photo may be about to be attached again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import re
import secrets
import time
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from auctioneer.service.errors import PayloadTooLarge, UnsupportedMediaType
from auctioneer.wire.views import IMAGE_VARIANTS, image_file

__all__ = [
    "FORMATS",
    "LARGE_PX",
    "MAX_IMAGE_BYTES",
    "MAX_PIXELS",
    "RECIPE",
    "THUMB_PX",
    "MediaStore",
    "process_image",
]

MAX_IMAGE_BYTES = 10 * 1024 * 1024  # per upload
MAX_PIXELS = 50_000_000  # a 10 MB PNG of one colour can be gigapixels: refused before decoding
FORMATS = ("JPEG", "PNG", "WEBP")
LARGE_PX = 1600  # the longer side of the large version (never enlarged)
THUMB_PX = 400  # the longer side of the thumbnail
# Changes whenever what `process_image` makes changes: new ids, so a browser
# never keeps an old rendering under a name that now means another.
RECIPE = b"auctioneer-media-1\0"

_NAME = re.compile(r"^([0-9a-f]{32})-(" + "|".join(IMAGE_VARIANTS) + r")\.jpg$")
_TEMPORARY = re.compile(r"^\.[0-9a-f]{32}-\w+\.jpg\.[0-9a-f]{8}\.tmp$")  # see _write_private
_QUALITY = {"thumb": 80, "large": 85}


class MediaStore:
    """A folder of processed photos, two JPEG files per image id.

    Args:
        root: the folder; created (0700) on the first upload, not before.
        max_bytes: the largest upload accepted.
        workers: images processed at once (each takes a core while it runs).
    """

    def __init__(self, root: Path, *, max_bytes: int = MAX_IMAGE_BYTES, workers: int = 2) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._slots = asyncio.Semaphore(workers)

    async def ingest(self, data: bytes) -> str:
        """Check, clean, resize and store one upload; return its image id.

        Raises:
            UnsupportedMediaType: not a JPEG, PNG or WebP that Pillow can read.
            PayloadTooLarge: over `max_bytes`, or over MAX_PIXELS pixels.
            OSError: the folder cannot be written (nothing is half-written).
        """
        if len(data) > self.max_bytes:
            raise _too_large(self.max_bytes)
        image_id = hashlib.sha256(RECIPE + data).hexdigest()[:32]
        if await asyncio.to_thread(self._touch, image_id):
            return image_id  # the same photo again: already checked and stored
        async with self._slots:
            versions = await asyncio.to_thread(process_image, data)
            await asyncio.to_thread(self._save, image_id, versions)
        return image_id

    def path_of(self, name: str) -> Path | None:
        """The file served as `/media/<name>`, or None for a name that is not one of ours."""
        match = _NAME.match(name)
        if match is None:
            return None
        return self._path(match.group(1), match.group(2))

    async def read(self, name: str) -> bytes | None:
        """The bytes of `/media/<name>`, or None when there is no such file."""
        path = self.path_of(name)
        if path is None:
            return None
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    # -- for the collector (service/media_gc.py); blocking, run in a thread ----------

    def stored(self) -> dict[str, float]:
        """Every image id with files here, and the newest modification time
        (epoch seconds) of its files."""
        found: dict[str, float] = {}
        for path in self._files(_NAME):
            match = _NAME.match(path.name)
            assert match is not None
            with contextlib.suppress(FileNotFoundError):
                mtime = path.stat().st_mtime
                found[match.group(1)] = max(mtime, found.get(match.group(1), 0.0))
        return found

    def touched_at(self, image_id: str) -> float | None:
        """The newest modification time of the image's files; None if it has none."""
        times = []
        for variant in IMAGE_VARIANTS:
            with contextlib.suppress(FileNotFoundError):
                times.append(self._path(image_id, variant).stat().st_mtime)
        return max(times) if times else None

    def delete(self, image_id: str) -> None:
        """Remove every size of the image (each at most once; missing ones are fine)."""
        for variant in IMAGE_VARIANTS:
            self._path(image_id, variant).unlink(missing_ok=True)
        folder = self.root / image_id[:2]
        if folder.is_dir():
            _sync_dir(folder)

    def leftovers(self, older_than: float) -> list[Path]:
        """Half-written temporary files (a crash during a save) older than `older_than`."""
        old = []
        for path in self._files(_TEMPORARY):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < older_than:
                    old.append(path)
        return old

    def _files(self, pattern: re.Pattern[str]) -> list[Path]:
        if not self.root.is_dir():
            return []
        return [
            path
            for folder in self.root.iterdir()
            if len(folder.name) == 2 and folder.is_dir()
            for path in folder.iterdir()
            if pattern.match(path.name)
        ]

    def _touch(self, image_id: str) -> bool:
        """Mark a stored photo given again (now); False when it is not (all) stored."""
        now = time.time()
        try:
            for variant in IMAGE_VARIANTS:
                os.utime(self._path(image_id, variant), (now, now))
        except FileNotFoundError:
            return False
        return True

    def _path(self, image_id: str, variant: str) -> Path:
        # Two hex digits of fan-out keep any one folder small.
        return self.root / image_id[:2] / image_file(image_id, variant)

    def _save(self, image_id: str, versions: dict[str, bytes]) -> None:
        folder = self.root / image_id[:2]
        _make_private_dir(self.root)
        _make_private_dir(folder)
        for variant, data in versions.items():
            _write_private(self._path(image_id, variant), data)
        _sync_dir(folder)


def process_image(data: bytes) -> dict[str, bytes]:
    """Both JPEG versions of an upload: {"thumb": ..., "large": ...}.

    Raises:
        UnsupportedMediaType: not a readable JPEG, PNG or WebP.
        PayloadTooLarge: more than MAX_PIXELS pixels.
    """
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
            _check_pixels(probe.size)
            probe.verify()
        with Image.open(io.BytesIO(data), formats=FORMATS) as opened:
            # A JPEG can be decoded at 1/2, 1/4 or 1/8 scale: the smallest that
            # still covers the large version (a 24 MP photo: half the time, a
            # quarter of the memory). Other formats ignore this.
            opened.draft("RGB", (LARGE_PX, LARGE_PX))
            opened.load()
            upright = ImageOps.exif_transpose(opened)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, SyntaxError, ValueError, OSError, EOFError):
        raise UnsupportedMediaType(
            "Not a JPEG, PNG or WebP image that can be read (checked by content)"
        ) from None
    flat = _flatten(upright)
    return {
        variant: _jpeg(flat, THUMB_PX if variant == "thumb" else LARGE_PX, _QUALITY[variant])
        for variant in IMAGE_VARIANTS
    }


def _check_pixels(size: tuple[int, int]) -> None:
    if size[0] * size[1] > MAX_PIXELS:
        raise _too_many_pixels()


def _too_many_pixels() -> PayloadTooLarge:
    return PayloadTooLarge(f"An image may have at most {MAX_PIXELS:,} pixels", MAX_PIXELS)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"An image may be at most {limit // (1024 * 1024)} MB", limit)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white (JPEG has no alpha)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def _jpeg(image: Image.Image, longest: int, quality: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS, reducing_gap=3.0)
    # Pillow writes some of the source's metadata back from `info` (the JPEG
    # comment, for one): empty it, and pass no exif=, icc_profile= or comment=,
    # so the file carries pixels only.
    copy.info.clear()
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def _make_private_dir(path: Path) -> None:
    try:
        path.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        return
    path.chmod(0o700)  # the umask may have taken bits off


def _write_private(path: Path, data: bytes) -> None:
    """Write `path` (0600) whole or not at all: a temporary file, synced, then renamed."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
