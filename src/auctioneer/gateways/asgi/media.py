"""The HTTP side of lot photos: upload, remove and reorder, and the files themselves.

`POST /api/auctions/{id}/images` takes multipart/form-data (gateways/asgi/
uploads.py reads it); removing and reordering are the `remove_images` and
`reorder_images` actions, the same as on the sockets. Who may do what is
decided in the service (service/images.py); errors go through the one table.

`GET /media/<id>-<thumb|large>.jpg` serves the files. A file's name is a
digest of its content and never changes meaning, so its `ETag` is its name
(strong) and it may be cached for a year without asking again
(`Cache-Control: immutable`); a request with a matching `If-None-Match` gets
304. The names are unguessable (128 bits), which is how photos of a private
auction stay private: only those who see the auction learn them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from auctioneer.engine.errors import InvalidCommand
from auctioneer.gateways.asgi.bodies import read_json_body
from auctioneer.gateways.asgi.http import http_caller
from auctioneer.gateways.asgi.uploads import read_images
from auctioneer.service.api import Api
from auctioneer.service.errors import NotFound
from auctioneer.service.settings import Settings
from auctioneer.wire import messages as m
from auctioneer.wire.views import MEDIA_PATH

__all__ = ["CACHE_FOREVER", "build_media_router"]

JSON = "application/json"
CACHE_FOREVER = "public, max-age=31536000, immutable"


def build_media_router(api: Api, settings: Settings) -> APIRouter:
    """The photo routes: /api/auctions/{id}/images... and /media/..."""
    router = APIRouter()
    limit = settings.max_message_bytes
    photos = api.photos

    @router.post(
        "/api/auctions/{auction_id}/images",
        name="add_images",
        summary="add images",
        openapi_extra=_UPLOAD_BODY,
    )
    async def add_images(request: Request, auction_id: str) -> Response:
        """Attach images (multipart/form-data, one file part each; admins only)."""
        caller = await http_caller(api, request)
        key = _idempotency_key(request)
        target = _auction_id(auction_id)
        # A retry, who may, and how many more: all before a byte of the body is read.
        again = await photos.earlier_reply(caller, key)
        if again is not None:
            return Response(again, media_type=JSON)
        free = await photos.free_slots(caller, target)
        ids = await read_images(
            request, max_files=free, max_file_bytes=photos.media.max_bytes, accept=photos.ingest
        )
        return Response(await photos.attach(caller, target, ids, key), media_type=JSON)

    @router.delete(
        "/api/auctions/{auction_id}/images/{image_id}",
        name="remove_image",
        summary="remove an image",
    )
    async def remove_image(request: Request, auction_id: str, image_id: str) -> Response:
        """Take one image off the auction (admins only)."""
        fields = {"auction_id": _auction_id(auction_id), "image_ids": [image_id]}
        return await _run(api, request, "remove_images", fields)

    @router.put(
        "/api/auctions/{auction_id}/images",
        name="reorder_images",
        summary="order images",
        openapi_extra=_REORDER_BODY,
    )
    async def reorder_images(request: Request, auction_id: str) -> Response:
        """Set the order: body `{"image_ids": [...]}`, every image once (admins only)."""
        body = await read_json_body(request, limit)  # JSON only, capped as it is read
        fields = {**body, "auction_id": _auction_id(auction_id)}
        return await _run(api, request, "reorder_images", fields)

    async def serve_file(request: Request, name: str) -> Response:
        data = await photos.media.read(name)
        if data is None:
            raise NotFound("image")
        etag = f'"{name.removesuffix(".jpg")}"'
        headers = {"ETag": etag, "Cache-Control": CACHE_FOREVER}
        if _matches(request.headers.get("if-none-match", ""), etag):
            return Response(status_code=304, headers=headers)
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(data))
            return Response(status_code=200, headers=headers, media_type="image/jpeg")
        return Response(data, headers=headers, media_type="image/jpeg")

    router.add_api_route(
        MEDIA_PATH + "{name}",
        serve_file,
        methods=["GET", "HEAD"],
        name="media",
        summary="an image file",
        response_class=Response,
        responses={200: {"content": {"image/jpeg": {}}}, 304: {"description": "Not Modified"}},
    )
    return router


# The request bodies, for /openapi.json (the routes read them themselves).
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "maxItems": 10,
                            "description": "JPEG, PNG or WebP, 10 MB each (any part name)",
                        }
                    },
                }
            }
        },
    }
}
_REORDER_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["image_ids"],
                    "properties": {
                        "image_ids": {
                            "type": "array",
                            "maxItems": 10,
                            "items": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                        }
                    },
                }
            }
        },
    }
}


async def _run(api: Api, request: Request, action: str, fields: dict[str, Any]) -> Response:
    caller = await http_caller(api, request)
    typed = m.parse_fields(m.ACTIONS[action], fields)
    result = await api.handle(caller, action, typed, _idempotency_key(request))
    return Response(result, media_type=JSON)


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and len(key) > m.MAX_ID_LENGTH:
        raise InvalidCommand("Idempotency-Key must be at most 64 characters")
    return key


def _auction_id(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) < 17) or int(text) < 1:
        raise NotFound()
    return int(text)


def _matches(header: str, etag: str) -> bool:
    """RFC 9110 If-None-Match: `*`, or any listed tag (weak ones compare too)."""
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))
