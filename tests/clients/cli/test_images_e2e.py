"""`auctioneer images add | remove | order | list` and `show` against a real server."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest
from PIL import Image

from auctioneer.clients.cli.common import CliError
from auctioneer.clients.cli.images import resolve_images
from auctioneer.clients.photos import http_base, media_url
from tests.clients.live import Live

__all__: list[str] = []


def photo(folder: Path, name: str, color: tuple[int, int, int], fmt: str = "PNG") -> Path:
    path = folder / name
    out = io.BytesIO()
    Image.new("RGB", (80, 60), color).save(out, fmt)
    path.write_bytes(out.getvalue())
    return path


def one_error_line(stderr: str, *needles: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def images_of(live: Live, auction_id: int) -> list[str]:
    auction = live.admin("get_auction", auction_id=auction_id)["auction"]
    return [image["id"] for image in auction["images"]]


def test_an_admin_adds_lists_orders_and_removes_photos(live: Live, tmp_path: Path) -> None:
    live.admin_login()
    auction = live.auction()
    aid = str(auction["id"])
    red, green = photo(tmp_path, "red.png", (255, 0, 0)), photo(tmp_path, "g.webp", (0, 255, 0))
    added = live.cli("images", "add", aid, str(red), str(green))
    assert added.exit_code == 0, added.output
    first, second = images_of(live, auction["id"])
    assert f"Auction #{aid} got 2 files; it has 2 photos." in added.stdout
    assert f"{live.url}/media/{first}-large.jpg" in added.stdout

    listed = json.loads(live.cli("images", "list", aid, "--json").stdout)
    assert [image["id"] for image in listed] == [first, second]
    text = live.cli("images", "list", aid).stdout
    assert f"{live.url}/media/{second}-thumb.jpg" in text
    assert httpx.get(f"{live.url}/media/{second}-thumb.jpg").status_code == 200

    ordered = live.cli("images", "order", aid, second[:6], "1")
    assert ordered.exit_code == 0, ordered.output
    assert images_of(live, auction["id"]) == [second, first]

    shown = live.cli("show", aid)
    assert shown.exit_code == 0
    assert "Photos" in shown.stdout and f"{second}-large.jpg" in shown.stdout.replace("\n", "")

    removed = live.cli("images", "remove", aid, "1")
    assert removed.exit_code == 0, removed.output
    assert images_of(live, auction["id"]) == [first]
    assert "it has 1 photo." in removed.stdout


def test_a_file_that_is_not_an_image_is_refused_by_the_server_in_one_line(
    live: Live, tmp_path: Path
) -> None:
    live.admin_login()
    auction = live.auction()
    fake = tmp_path / "holiday.jpg"
    fake.write_text("this is not a photo")
    result = live.cli("images", "add", str(auction["id"]), str(fake))
    assert result.exit_code == 1
    one_error_line(result.stderr, "unsupported_media_type")
    assert images_of(live, auction["id"]) == []


def test_a_bidder_is_forbidden_and_a_missing_file_is_bad_input(live: Live, tmp_path: Path) -> None:
    auction = live.auction()
    live.bidder()
    red = photo(tmp_path, "red.jpg", (255, 0, 0), "JPEG")
    refused = live.cli("images", "add", str(auction["id"]), str(red))
    assert refused.exit_code == 1
    one_error_line(refused.stderr, "forbidden")
    missing = live.cli("images", "add", str(auction["id"]), str(tmp_path / "nope.jpg"))
    assert missing.exit_code == 2
    one_error_line(missing.stderr, "no such file")


def test_an_unknown_image_name_is_bad_input(live: Live, tmp_path: Path) -> None:
    live.admin_login()
    auction = live.auction()
    live.cli("images", "add", str(auction["id"]), str(photo(tmp_path, "a.png", (1, 2, 3))))
    result = live.cli("images", "remove", str(auction["id"]), "ffffffff")
    assert result.exit_code == 2
    one_error_line(result.stderr, "not an image of this auction")


def test_resolve_images_takes_ids_unique_starts_and_positions() -> None:
    shown = ["abcd" + "0" * 28, "abce" + "1" * 28]
    assert resolve_images(shown, ["2", "ABCD", shown[1]]) == [shown[1], shown[0], shown[1]]
    for bad in ("abc", "3", "0", "ffff"):
        with pytest.raises(CliError):
            resolve_images(shown, [bad])


def test_http_base_and_media_urls_follow_the_server_address() -> None:
    assert http_base("http://h:1") == "http://h:1"
    assert http_base("ws://h:1/ws") == "http://h:1"
    assert http_base("wss://h") == "https://h"
    assert http_base("h:2") == "http://h:2"
    assert http_base("tcp://h:3") is None
    assert media_url("http://h:1/", "/media/x-thumb.jpg") == "http://h:1/media/x-thumb.jpg"
    assert media_url("tcp://h:3", "/media/x-thumb.jpg") == "/media/x-thumb.jpg"
