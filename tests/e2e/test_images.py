"""Lot photos over HTTP against a real server: upload, refuse, serve, remove, reorder.

The server is the module's (SQLite in a temporary folder), so its photos land
in the default media folder next to the database file; the tests look at the
files there too (modes, no EXIF, orientation applied).
"""

from __future__ import annotations

import asyncio
import io
import socket
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.e2e.support import House, new_auction, stop_server
from tests.helpers.server import RunningServer, start_server
from tests.helpers.wire_clients import MS, TIMEOUT

REGULARS = 1
ORIENTATION, MAKE, GPS_IFD = 0x0112, 0x010F, 0x8825


def jpeg_rotated() -> bytes:
    """A 600x400 JPEG whose EXIF says "rotate 90° clockwise to show", with a
    camera make and a GPS position, and a blue top-left corner to follow."""
    image = Image.new("RGB", (600, 400), (200, 30, 30))
    image.paste((0, 0, 255), (0, 0, 150, 50))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "SpyCam"
    exif.get_ifd(GPS_IFD)[2] = (51.0, 30.0, 0.0)  # GPSLatitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def picture(fmt: str, size: tuple[int, int] = (320, 240), color: Any = (20, 120, 60)) -> bytes:
    mode = "RGBA" if isinstance(color, tuple) and len(color) == 4 else "RGB"
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt)
    return out.getvalue()


def media_dir(server: RunningServer) -> Path:
    db = Path(server.db_url.removeprefix("sqlite:///"))
    return db.with_name(f"{db.stem}-media")


class Photos:
    """HTTP calls of the photo routes, as one user."""

    def __init__(self, server: RunningServer, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(base_url=server.http_url, headers=headers, timeout=TIMEOUT)

    async def upload(self, auction_id: int, *files: tuple[str, bytes, str]) -> httpx.Response:
        parts = [("file", f) for f in files]
        return await self.http.post(f"/api/auctions/{auction_id}/images", files=parts)

    async def close(self) -> None:
        await self.http.aclose()


@pytest.fixture
async def admin_photos(house: House) -> Any:
    photos = Photos(house.server, house.admin.token)
    yield photos
    await photos.close()


def error_of(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


async def test_an_admin_uploads_jpeg_png_and_webp_and_the_auction_lists_them(
    house: House, admin_photos: Photos
) -> None:
    admin = await house.admin_client("ws")
    auction = await new_auction(admin)
    watcher = await house.connect("ws")
    await watcher.ok("subscribe", topic=f"auction:{auction['id']}")
    response = await admin_photos.upload(
        auction["id"],
        ("a.jpg", jpeg_rotated(), "image/jpeg"),
        ("b.png", picture("PNG", color=(0, 200, 0, 90)), "image/png"),
        ("c.webp", picture("WEBP"), "image/webp"),
    )
    assert response.status_code == 200, response.text
    images = response.json()["auction"]["images"]
    assert len(images) == 3
    for image in images:
        assert set(image) == {"id", "thumb", "large"}
        assert image["thumb"] == f"/media/{image['id']}-thumb.jpg"
        assert image["large"] == f"/media/{image['id']}-large.jpg"
    # Subscribers see it live, and the listing and get_auction show it.
    event = await watcher.next_event("auction_updated")
    assert event["data"] == {"images": images, "auction_id": auction["id"]}
    bidder = await house.regular(0, "http")
    assert (await bidder.ok("get_auction", auction_id=auction["id"]))["auction"]["images"] == images
    listed = await bidder.ok("get_auctions")
    assert next(a for a in listed["auctions"] if a["id"] == auction["id"])["images"] == images


async def test_exif_is_gone_the_photo_is_upright_and_both_sizes_are_jpeg(
    house: House, admin_photos: Photos
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    response = await admin_photos.upload(auction["id"], ("x.jpg", jpeg_rotated(), "image/jpeg"))
    (image,) = response.json()["auction"]["images"]
    large = await admin_photos.http.get(image["large"])
    thumb = await admin_photos.http.get(image["thumb"])
    assert large.headers["content-type"] == thumb.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(large.content)) as shown:
        assert shown.format == "JPEG"
        assert shown.size == (400, 600)  # turned upright: portrait
        assert dict(shown.getexif()) == {}
        assert "exif" not in shown.info and "icc_profile" not in shown.info
        # The blue corner was top left; a quarter turn clockwise puts it top right.
        r, _, b = shown.getpixel((390, 10))  # type: ignore[misc]
        assert b > 200 and r < 60
    assert b"SpyCam" not in large.content and b"SpyCam" not in thumb.content
    with Image.open(io.BytesIO(thumb.content)) as small:
        assert max(small.size) <= 400 and small.size[0] < small.size[1]


async def test_files_are_served_with_a_strong_etag_immutable_caching_and_304(
    house: House, admin_photos: Photos
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    response = await admin_photos.upload(auction["id"], ("p.png", picture("PNG"), "image/png"))
    (image,) = response.json()["auction"]["images"]
    anonymous = httpx.AsyncClient(base_url=house.server.http_url, timeout=TIMEOUT)
    try:
        first = await anonymous.get(image["thumb"])
        assert first.status_code == 200
        etag = first.headers["etag"]
        assert etag == f'"{image["id"]}-thumb"' and not etag.startswith("W/")
        assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert first.headers["x-content-type-options"] == "nosniff"
        again = await anonymous.get(image["thumb"], headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        other = await anonymous.get(image["thumb"], headers={"If-None-Match": '"other"'})
        assert other.status_code == 200 and other.content == first.content
        head = await anonymous.head(image["large"])
        assert head.status_code == 200 and int(head.headers["content-length"]) > 0
        for missing in ("/media/" + "0" * 32 + "-thumb.jpg", "/media/../auctioneer.db"):
            gone = await anonymous.get(missing)
            assert gone.status_code == 404
        gone = await anonymous.get("/media/" + "0" * 32 + "-thumb.jpg")
        assert gone.json()["error"]["code"] == "not_found"
    finally:
        await anonymous.aclose()


async def test_files_are_private_to_the_server_user(house: House, admin_photos: Photos) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    response = await admin_photos.upload(auction["id"], ("p.png", picture("PNG"), "image/png"))
    (image,) = response.json()["auction"]["images"]
    root = media_dir(house.server)
    files = sorted(root.rglob(f"{image['id']}-*"))
    assert [f.name for f in files] == [f"{image['id']}-large.jpg", f"{image['id']}-thumb.jpg"]
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}


@pytest.mark.parametrize(
    ("name", "data", "declared"),
    [
        ("gif.jpg", picture("GIF"), "image/jpeg"),
        ("bmp.png", picture("BMP"), "image/png"),
        ("text.jpg", b"definitely not a picture", "image/jpeg"),
        ("cut.jpg", jpeg_rotated()[:300], "image/jpeg"),
        ("empty.png", b"", "image/png"),
    ],
)
async def test_anything_but_a_readable_jpeg_png_or_webp_is_415_by_content(
    house: House, admin_photos: Photos, name: str, data: bytes, declared: str
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    response = await admin_photos.upload(auction["id"], (name, data, declared))
    assert response.status_code == 415, response.text
    assert error_of(response) == "unsupported_media_type"
    assert (await admin.ok("get_auction", auction_id=auction["id"]))["auction"]["images"] == []


async def test_the_name_and_declared_type_do_not_matter_only_the_content(
    house: House, admin_photos: Photos
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    response = await admin_photos.upload(
        auction["id"], ("notes.txt", picture("WEBP"), "text/plain")
    )
    assert response.status_code == 200
    assert len(response.json()["auction"]["images"]) == 1


async def test_a_body_that_is_not_multipart_is_415(house: House, admin_photos: Photos) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    response = await admin_photos.http.post(
        f"/api/auctions/{auction['id']}/images",
        content=picture("PNG"),
        headers={"Content-Type": "image/png"},
    )
    assert response.status_code == 415
    assert error_of(response) == "unsupported_media_type"
    no_file = await admin_photos.http.post(
        f"/api/auctions/{auction['id']}/images", files={"caption": (None, b"no file here")}
    )
    assert no_file.status_code == 400 and error_of(no_file) == "bad_request"


async def test_an_image_over_10_mb_is_413_and_nothing_is_attached(
    house: House, admin_photos: Photos
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    big = b"\xff\xd8" + bytes(10 * 1024 * 1024)  # starts like a JPEG, one file over the cap
    response = await admin_photos.upload(auction["id"], ("big.jpg", big, "image/jpeg"))
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "payload_too_large",
        "message": "An image may be at most 10 MB",
        "limit": 10 * 1024 * 1024,
    }
    assert (await admin.ok("get_auction", auction_id=auction["id"]))["auction"]["images"] == []


async def test_too_many_pixels_is_413_before_decoding(house: House, admin_photos: Photos) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    huge = picture("PNG", size=(8000, 8000))  # 64 megapixels of one colour: a small file
    assert len(huge) < 1024 * 1024
    response = await admin_photos.upload(auction["id"], ("huge.png", huge, "image/png"))
    assert response.status_code == 413
    assert error_of(response) == "payload_too_large"


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    house: House,
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    host, port = house.server.http_url.removeprefix("http://").split(":")
    head = (
        f"POST /api/auctions/{auction['id']}/images HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {house.admin.token}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
        "Content-Length: 500000000\r\n\r\n"
    )

    def exchange() -> bytes:
        with socket.create_connection((host, int(port)), timeout=TIMEOUT) as sock:
            sock.sendall(head.encode())  # and not one byte of the 500 MB
            answer = b""
            while b"}}" not in answer:  # the headers, then the error body
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
            return answer

    answer = await asyncio.to_thread(exchange)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"code":"payload_too_large"' in answer


async def test_more_than_ten_images_are_refused_with_409(
    house: House, admin_photos: Photos
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    files = [(f"{i}.png", picture("PNG", (40, 30), (i * 20, 0, 0)), "image/png") for i in range(11)]
    response = await admin_photos.upload(auction["id"], *files)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "too_many_images"
    assert response.json()["error"]["limit"] == 10
    assert (await admin.ok("get_auction", auction_id=auction["id"]))["auction"]["images"] == []
    ok = await admin_photos.upload(auction["id"], *files[:10])
    assert len(ok.json()["auction"]["images"]) == 10
    one_more = await admin_photos.upload(auction["id"], files[10])
    assert one_more.status_code == 409 and error_of(one_more) == "too_many_images"


async def test_bidders_anonymous_callers_and_unknown_auctions_are_refused(house: House) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    await house.regular(0, "tcp")  # makes sure the shared bidder exists
    cases = [
        (None, auction["id"], 401, "unauthorized"),
        (house.regulars[0].token, auction["id"], 403, "forbidden"),
        (house.admin.token, 10**9, 404, "not_found"),
    ]
    for token, target, status, code in cases:
        photos = Photos(house.server, token)
        try:
            response = await photos.upload(target, ("p.png", picture("PNG"), "image/png"))
            assert (response.status_code, error_of(response)) == (status, code)
        finally:
            await photos.close()


async def test_remove_and_reorder_over_http_and_the_sockets(
    house: House, admin_photos: Photos
) -> None:
    admin = await house.admin_client("ws")
    auction = await new_auction(admin)
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    files = [(f"{i}.png", picture("PNG", (50, 50), c), "image/png") for i, c in enumerate(colours)]
    response = await admin_photos.upload(auction["id"], *files)
    a, b, c = (image["id"] for image in response.json()["auction"]["images"])
    path = f"/api/auctions/{auction['id']}/images"

    reordered = await admin_photos.http.put(path, json={"image_ids": [c, a, b]})
    assert reordered.status_code == 200
    assert [i["id"] for i in reordered.json()["auction"]["images"]] == [c, a, b]
    not_all = await admin_photos.http.put(path, json={"image_ids": [c, a]})
    assert not_all.status_code == 400 and not_all.json()["error"]["field"] == "image_ids"
    body = f'{{"image_ids": ["{a}", "{b}", "{c}"]}}'
    as_text = await admin_photos.http.put(
        path, content=body, headers={"Content-Type": "text/plain"}
    )
    assert as_text.status_code == 415  # JSON bodies only, as on every route

    removed = await admin_photos.http.delete(f"{path}/{a}")
    assert removed.status_code == 200
    assert [i["id"] for i in removed.json()["auction"]["images"]] == [c, b]
    again = await admin_photos.http.delete(f"{path}/{a}")
    assert again.status_code == 404 and error_of(again) == "not_found"
    malformed = await admin_photos.http.delete(f"{path}/not-an-id")
    assert malformed.status_code == 400

    result = await admin.ok("reorder_images", auction_id=auction["id"], image_ids=[b, c])
    assert [i["id"] for i in result["auction"]["images"]] == [b, c]
    result = await admin.ok("remove_images", auction_id=auction["id"], image_ids=[b])
    assert [i["id"] for i in result["auction"]["images"]] == [c]
    bidder = await house.regular(0, "tcp")
    assert await bidder.error("remove_images", auction_id=auction["id"], image_ids=[c]) == (
        "forbidden"
    )
    # The removed files stay (ids are content addresses and may be shown elsewhere).
    assert (await admin_photos.http.get(f"/media/{a}-thumb.jpg")).status_code == 200


async def test_the_same_photo_twice_is_one_image(house: House, admin_photos: Photos) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    same = ("p.png", picture("PNG", (60, 60), (9, 9, 9)), "image/png")
    first = await admin_photos.upload(auction["id"], same)
    second = await admin_photos.upload(auction["id"], same, same)
    assert second.status_code == 200
    assert second.json()["auction"]["images"] == first.json()["auction"]["images"]


async def test_an_upload_retried_with_its_idempotency_key_answers_the_same(
    house: House, admin_photos: Photos
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    url = f"/api/auctions/{auction['id']}/images"
    headers = {"Idempotency-Key": f"photo-{auction['id']}"}
    one = ("p.png", picture("PNG", (61, 60)), "image/png")
    first = await admin_photos.http.post(url, files=[("file", one)], headers=headers)
    other = ("q.png", picture("PNG", (62, 60)), "image/png")
    retry = await admin_photos.http.post(url, files=[("file", other)], headers=headers)
    assert retry.content == first.content
    # Still the same answer once the auction is full (the retry is answered before
    # the room left is counted).
    fill = [(f"{i}.png", picture("PNG", (63 + i, 60)), "image/png") for i in range(9)]
    assert (await admin_photos.upload(auction["id"], *fill)).status_code == 200
    late = await admin_photos.http.post(url, files=[("file", other)], headers=headers)
    assert late.status_code == 200 and late.content == first.content
    await asyncio.sleep(50 * MS)
    assert len((await admin.ok("get_auction", auction_id=auction["id"]))["auction"]["images"]) == 10


async def test_a_body_without_a_length_is_capped_as_it_streams_in(
    house: House, admin_photos: Photos
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    files = [(f"{i}.png", picture("PNG", (30, 30), (i * 25, 9, 9)), "image/png") for i in range(9)]
    assert (await admin_photos.upload(auction["id"], *files)).status_code == 200
    # One slot left: the body may be about 10 MB. Small form fields (each under
    # its own cap), sent chunked with no Content-Length, pass that in total.
    field = b"x" * 60_000

    async def body() -> Any:
        for i in range(200):  # 12 MB
            yield (
                b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n' % i + field + b"\r\n"
            )
        yield b"--b--\r\n"

    response = await admin_photos.http.post(
        f"/api/auctions/{auction['id']}/images",
        content=body(),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["message"].startswith("The upload may be at most")
    assert len((await admin.ok("get_auction", auction_id=auction["id"]))["auction"]["images"]) == 9


async def test_a_malformed_multipart_body_is_a_bad_request(
    house: House, admin_photos: Photos
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    url = f"/api/auctions/{auction['id']}/images"
    cases = [
        ("multipart/form-data; boundary=b", b"--b\r\nno headers end here"),
        ("multipart/form-data; boundary=b", b"garbage before any boundary"),
        ("multipart/form-data", b"--b--\r\n"),
    ]
    for content_type, content in cases:
        response = await admin_photos.http.post(
            url, content=content, headers={"Content-Type": content_type}
        )
        assert response.status_code == 400, (content, response.text)
        assert error_of(response) == "bad_request"


async def test_a_second_server_process_on_the_same_database_serves_the_photos(
    house: House, admin_photos: Photos
) -> None:
    """Several processes share photos through one folder: here the default one
    next to the shared SQLite file (with PostgreSQL, the same --media on each)."""
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    response = await admin_photos.upload(auction["id"], ("p.png", picture("PNG", (70, 70)), "x"))
    (image,) = response.json()["auction"]["images"]
    second = start_server(house.server.db_url, "--bid-rate", "0")
    try:
        other = Photos(second, house.admin.token)
        try:
            served = await other.http.get(image["large"])
            assert served.status_code == 200
            assert served.content == (await admin_photos.http.get(image["large"])).content
            shown = await other.http.get(f"/api/auctions/{auction['id']}")
            assert shown.json()["auction"]["images"] == [image]
            more = await other.upload(auction["id"], ("q.png", picture("PNG", (71, 70)), "x"))
            added = more.json()["auction"]["images"][1]
            assert (await admin_photos.http.get(added["thumb"])).status_code == 200
        finally:
            await other.close()
    finally:
        stop_server(second)
