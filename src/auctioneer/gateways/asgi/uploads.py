"""Images out of a `multipart/form-data` upload, read as the body streams in.

Why not `request.form()`: Starlette spools every file whole (to disk past
1 MB) before the route sees any, with no limit on a file's size. Here the
body is fed to python-multipart's parser chunk by chunk (the same parser
Starlette uses) and refused as soon as it goes wrong: a declared
Content-Length over the limit before a byte is read, then a running cap on
the whole body, on each file, and on the number of files. Each file part is
handed to `accept` (which checks and stores it) as soon as it is complete, so
at most one image is held in memory at a time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from auctioneer.engine.errors import InvalidCommand, TooManyImages
from auctioneer.engine.images import MAX_IMAGES
from auctioneer.service.errors import PayloadTooLarge, UnsupportedMediaType

__all__ = ["FIELD_BYTES", "read_images", "upload_limit"]

FIELD_BYTES = 64 * 1024  # a part's headers, or a plain (non-file) field; also the body's slack


def upload_limit(files: int, file_bytes: int) -> int:
    """The largest body that can carry `files` files of `file_bytes` each."""
    return files * (file_bytes + FIELD_BYTES) + FIELD_BYTES


async def read_images(
    request: Request,
    *,
    max_files: int,
    max_file_bytes: int,
    accept: Callable[[bytes], Awaitable[str]],
) -> list[str]:
    """The ids `accept` gave the body's file parts, in their order.

    Raises:
        UnsupportedMediaType: the body is not multipart/form-data (or `accept` refused a file).
        PayloadTooLarge: the body, a file or a field is over its limit.
        TooManyImages: more than `max_files` file parts.
        InvalidCommand: a malformed body, or no file part at all.
    """
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data":
        raise UnsupportedMediaType("Send the images as multipart/form-data, one file part each")
    boundary = params.get(b"boundary")
    if not boundary:
        raise InvalidCommand("multipart/form-data needs a boundary")
    limit = upload_limit(max_files, max_file_bytes)
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _body_too_large(limit)
    parts = _Parts(max_files=max_files, max_file_bytes=max_file_bytes)
    parser = MultipartParser(boundary, parts.callbacks())  # type: ignore[arg-type]
    ids: list[str] = []
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise _body_too_large(limit)
            parser.write(chunk)
            for data in parts.take_finished():
                ids.append(await accept(data))
        parser.finalize()
    except FormParserError:
        raise InvalidCommand("The multipart body is malformed") from None
    for data in parts.take_finished():
        ids.append(await accept(data))
    if parts.files == 0:
        raise InvalidCommand("Send at least one image as a file part", field="file")
    return ids


def _body_too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The upload may be at most {limit:,} bytes", limit)


class _Parts:
    """The parser's callbacks: collect file parts, refuse what is over a limit."""

    def __init__(self, *, max_files: int, max_file_bytes: int) -> None:
        self.max_files = max_files
        self.max_file_bytes = max_file_bytes
        self.files = 0
        self._finished: list[bytes] = []
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._disposition = b""
        self._headers_size = 0
        self._data = bytearray()
        self._is_file = False
        self._filename = b""

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._on_part_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
        }

    def take_finished(self) -> list[bytes]:
        finished, self._finished = self._finished, []
        return finished

    def _on_part_begin(self) -> None:
        self._disposition = b""
        self._headers_size = 0
        self._data = bytearray()
        self._is_file = False

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._grow_headers(end - start)
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._grow_headers(end - start)
        self._header_value += data[start:end]

    def _grow_headers(self, size: int) -> None:
        self._headers_size += size
        if self._headers_size > FIELD_BYTES:
            raise PayloadTooLarge("A part's headers are too large", FIELD_BYTES)

    def _on_header_end(self) -> None:
        if bytes(self._header_name).lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._is_file = b"filename" in options
        self._filename = options.get(b"filename", b"")
        if self._is_file and self._filename:
            self.files += 1
            if self.files > self.max_files:
                raise TooManyImages(MAX_IMAGES)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        cap = self.max_file_bytes if self._is_file else FIELD_BYTES
        if len(self._data) + (end - start) > cap:
            if self._is_file:
                mb = cap // (1024 * 1024)
                raise PayloadTooLarge(f"An image may be at most {mb} MB", cap)
            raise PayloadTooLarge(f"A form field may be at most {cap:,} bytes", cap)
        self._data += data[start:end]

    def _on_part_end(self) -> None:
        if not self._is_file:
            return  # plain fields carry nothing we use
        if not self._filename and not self._data:
            return  # a browser's empty file input
        if not self._filename:
            self.files += 1  # `filename=""` with content: still a file
            if self.files > self.max_files:
                raise TooManyImages(MAX_IMAGES)
        self._finished.append(bytes(self._data))
