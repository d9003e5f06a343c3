"""Lot photos in a real browser against a real server.

The admin drops photos on the auction's admin page (and chooses them with
the file picker), sees previews, uploads, reorders by dragging and with the
arrow buttons, and removes one; a visitor sees the cover thumbnail in the
list and a gallery on the auction page that follows the admin's edits live.

Its own server: the shared one of test_web_app.py must hold no other
auctions (its analytics figures are checked exactly).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.helpers.server import add_user, start_server

from .conftest import ADMIN_NAME, ADMIN_PASSWORD, close_output

pytestmark = pytest.mark.browser

SECOND = 1000
DESKTOP = {"width": 1200, "height": 900}
COLOURS = {"red": (200, 40, 40), "green": (40, 160, 60), "blue": (40, 70, 200)}


@pytest.fixture(scope="module")
def photo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(HTTP URL, admin token) of a fresh server."""
    db = tmp_path_factory.mktemp("web-photos") / "auctioneer.db"
    server = start_server(db)
    try:
        add_user(server.db_url, ADMIN_NAME, ADMIN_PASSWORD, admin=True)
        reply = httpx.post(
            f"{server.http_url}/api/login",
            json={"username": ADMIN_NAME, "password": ADMIN_PASSWORD},
            timeout=60,
        )
        yield server.http_url, reply.json()["token"]
    finally:
        server.stop()
        close_output(server)


def make_photos(folder: Path) -> dict[str, Path]:
    """Three lot photos (JPEG, PNG, WebP) of clearly different colours."""
    paths = {}
    for (name, colour), fmt in zip(COLOURS.items(), ("JPEG", "PNG", "WEBP"), strict=True):
        image = Image.new("RGB", (900, 600), colour)
        image.paste((245, 245, 245), (300, 200, 600, 400))
        path = folder / f"{name}.{fmt.lower()}"
        image.save(path, fmt)
        paths[name] = path
    return paths


def new_page(browser: Browser) -> tuple[BrowserContext, Page, list[str]]:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10 * SECOND)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("dialog", lambda dialog: dialog.accept())
    return context, page, errors


def image_ids(base: str, auction_id: int) -> list[str]:
    auction = httpx.get(f"{base}/api/auctions/{auction_id}", timeout=10).json()["auction"]
    return [image["id"] for image in auction["images"]]


def drop_files(page: Page, target: Any, files: list[tuple[str, str, bytes]]) -> None:
    """Drop files on `target` the way a desktop drag does: a drop event with a DataTransfer."""
    transfer = page.evaluate_handle(
        """(files) => {
            const dt = new DataTransfer();
            for (const [name, type, bytes] of files) {
                dt.items.add(new File([new Uint8Array(bytes)], name, { type }));
            }
            return dt;
        }""",
        [[name, kind, list(data)] for name, kind, data in files],
    )
    target.dispatch_event("dragover", {"dataTransfer": transfer})
    target.dispatch_event("drop", {"dataTransfer": transfer})


def test_an_admin_manages_photos_and_a_visitor_sees_them_live(
    photo_server: tuple[str, str], browser: Browser, tmp_path: Path, screenshot_dir: Path
) -> None:
    base, token = photo_server
    created = httpx.post(
        f"{base}/api/auctions",
        json={"name": "Brass lamp", "starting_bid": 1000, "duration_s": 3600},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()["auction"]
    aid = created["id"]
    photos = make_photos(tmp_path)

    admin_ctx, admin, admin_errors = new_page(browser)
    admin.goto(f"{base}/#/login")
    admin.get_by_label("Username").fill(ADMIN_NAME)
    admin.get_by_label("Password").fill(ADMIN_PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    expect(admin.get_by_role("button", name="Log out")).to_be_visible()
    admin.goto(f"{base}/#/admin/auction/{aid}")
    expect(admin.get_by_role("heading", name="Photos")).to_be_visible()

    # Choose two, drop the third: three previews, then one upload.
    admin.get_by_label("Choose photos").set_input_files([photos["red"], photos["green"]])
    blue = photos["blue"]
    drop_files(
        admin,
        admin.get_by_test_id("photo-dropzone"),
        [(blue.name, "image/webp", blue.read_bytes())],
    )
    pending = admin.get_by_role("list", name="Photos to upload")
    expect(pending.get_by_role("img")).to_have_count(3)
    preview = pending.get_by_role("img", name="Preview of blue.webp")
    expect(preview).to_be_visible()
    # Shown from the file itself (a blob: URL), before anything is sent.
    admin.wait_for_function("(img) => img.complete", arg=preview.element_handle())
    assert admin.evaluate("(img) => img.naturalWidth", preview.element_handle()) == 900
    photos_card = admin.get_by_role("region", name="Photos")
    photos_card.screenshot(path=str(screenshot_dir / "admin-photos-previews.png"))
    admin.get_by_role("button", name="Upload 3 photos").click()
    shown = admin.get_by_role("list", name="Photos of this lot")
    expect(shown.get_by_role("listitem")).to_have_count(3)
    expect(admin.get_by_role("alert")).to_contain_text("Uploaded 3 photos.")
    red, green, blue_id = image_ids(base, aid)

    # A visitor: the cover thumbnail in the list, the gallery on the page.
    visitor_ctx, visitor, visitor_errors = new_page(browser)
    visitor.goto(f"{base}/#/")
    cover = visitor.get_by_role("img", name="Photo of Brass lamp")
    expect(cover).to_have_attribute("src", f"/media/{red}-thumb.jpg")
    assert visitor.evaluate("(img) => img.naturalWidth", cover.element_handle()) > 0
    visitor.screenshot(path=str(screenshot_dir / "auctions-photos.png"))
    visitor.get_by_role("link", name="Brass lamp").click()
    main = visitor.locator(".gallery-main img")
    expect(main).to_have_attribute("src", f"/media/{red}-large.jpg")
    visitor.get_by_role("button", name="Show photo 3 of 3").click()
    expect(main).to_have_attribute("src", f"/media/{blue_id}-large.jpg")
    expect(main).to_have_attribute("alt", "Photo 3 of 3 of Brass lamp")
    visitor.screenshot(path=str(screenshot_dir / "auction-gallery.png"))

    # Drag the third photo in front of the first: the server keeps the order,
    # and the visitor's gallery follows without a reload.
    shown.get_by_role("listitem").nth(2).drag_to(shown.get_by_role("listitem").nth(0))
    expect(shown.get_by_role("listitem").nth(0)).to_have_attribute("data-image", blue_id)
    assert image_ids(base, aid) == [blue_id, red, green]
    expect(visitor.get_by_role("button", name="Show photo 1 of 3")).to_have_attribute(
        "aria-current", "true"
    )  # the photo the visitor chose moved to the front, and stays chosen

    # The arrow buttons do the same from the keyboard.
    admin.get_by_role("button", name="Move photo 3 earlier").click()
    expect(shown.get_by_role("listitem").nth(1)).to_have_attribute("data-image", green)
    assert image_ids(base, aid) == [blue_id, green, red]
    admin.screenshot(path=str(screenshot_dir / "admin-photos.png"), full_page=True)

    # A file that is not a photo is refused by the server, and nothing changes.
    drop_files(admin, admin.get_by_test_id("photo-dropzone"), [("notes.jpg", "image/jpeg", b"hi")])
    admin.get_by_role("button", name="Upload photo").click()
    expect(admin.get_by_role("alert")).to_contain_text("Not uploaded: Not a JPEG, PNG or WebP")
    admin.get_by_role("button", name="Clear").click()
    assert len(image_ids(base, aid)) == 3

    # Removing the cover: the list and the visitor's page show the next one.
    admin.get_by_role("button", name="Remove photo 1").click()
    expect(shown.get_by_role("listitem")).to_have_count(2)
    assert image_ids(base, aid) == [green, red]
    expect(main).to_have_attribute("src", f"/media/{green}-large.jpg")
    expect(visitor.get_by_role("button", name="Show photo 2 of 2")).to_be_visible()

    assert admin_errors == [] and visitor_errors == []
    admin_ctx.close()
    visitor_ctx.close()
