"""`auctioneer images add | remove | order | list`: an auction's photos (admin).

Why images are named by id prefix: an image id is 32 hex digits; like git,
any unique start of one (4 characters or more) names it, or its position in
the list (1, 2, ...) as `auctioneer images list` shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from auctioneer.clients.cli.common import (
    EXIT_INPUT,
    CliError,
    IdArg,
    JsonOpt,
    ServerOpt,
    connected,
    print_json,
    run,
)
from auctioneer.clients.cli.config import DEFAULT_SERVER, TokenStore
from auctioneer.clients.cli.parsing import plural
from auctioneer.clients.photos import http_base, media_url, upload_images

__all__ = ["images_app", "register", "resolve_images"]

images_app = typer.Typer(help="An auction's photos: add, remove, order, list (admin).")

ImagesArg = Annotated[
    list[str], typer.Argument(help="Image ids, unique starts of them (4+), or positions 1, 2...")
]


def resolve_images(shown: list[str], names: list[str]) -> list[str]:
    """The ids that `names` stand for, in order.

    Raises:
        CliError: a name that matches no image, or more than one (exit 2).
    """
    ids = []
    for name in names:
        text = name.strip().lower()
        if text.isdigit() and len(text) <= 2:
            position = int(text)
            if not 1 <= position <= len(shown):
                raise CliError(f"no image number {position}: the auction has {len(shown)}", 2)
            ids.append(shown[position - 1])
            continue
        matches = [i for i in shown if i.startswith(text)] if len(text) >= 4 else []
        if len(matches) != 1:
            why = "matches several images" if matches else "is not an image of this auction"
            raise CliError(f"{name!r} {why}", EXIT_INPUT)
        ids.append(matches[0])
    return ids


def _summary(server: str, auction: dict[str, Any]) -> str:
    """One line per photo: position, id, then its large and small URLs (never cut short)."""
    lines = []
    for index, image in enumerate(auction.get("images") or [], start=1):
        lines.append(f"{index:>2}  {image.get('id', '')}")
        lines.append(f"    large  {media_url(server, str(image.get('large', '')))}")
        lines.append(f"    thumb  {media_url(server, str(image.get('thumb', '')))}")
    return "\n".join(lines)


def _print(server: str, auction: dict[str, Any], json: bool, done: str) -> None:
    if json:
        print_json(auction)
        return
    count = len(auction.get("images") or [])
    print(f"Auction #{auction.get('id')} {done}; it has {plural(count, 'photo')}.")
    if count:
        print(_summary(server, auction))


@images_app.command("add")
def add(
    auction_id: IdArg,
    files: Annotated[list[Path], typer.Argument(help="JPEG, PNG or WebP files, 10 MB each.")],
    server: ServerOpt = DEFAULT_SERVER,
    json: JsonOpt = False,
) -> None:
    """Attach photos (up to 10 per auction); the server checks each file's content."""
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        run(_fail(CliError(f"no such file: {', '.join(missing)}", EXIT_INPUT)))
    if http_base(server) is None:
        message = "photos are uploaded over HTTP: use --server http://HOST:PORT"
        run(_fail(CliError(message, EXIT_INPUT)))

    async def main() -> None:
        login = TokenStore().get(server)
        if login is None:
            raise CliError("not logged in: run `auctioneer login USERNAME` first")
        result = await upload_images(server, login.token, auction_id, files)
        _print(server, result["auction"], json, f"got {plural(len(files), 'file')}")

    run(main())


@images_app.command("remove")
def remove(
    auction_id: IdArg,
    images: ImagesArg,
    server: ServerOpt = DEFAULT_SERVER,
    json: JsonOpt = False,
) -> None:
    """Take photos off an auction (the files stay on the server)."""
    _edit(server, auction_id, images, json, "remove_images", lambda n: f"lost {plural(n, 'photo')}")


@images_app.command("order")
def order(
    auction_id: IdArg,
    images: ImagesArg,
    server: ServerOpt = DEFAULT_SERVER,
    json: JsonOpt = False,
) -> None:
    """Put the photos in this order (name every one; the first is the cover)."""
    _edit(
        server,
        auction_id,
        images,
        json,
        "reorder_images",
        lambda _: "has its photos in the new order",
    )


def _edit(
    server: str,
    auction_id: int,
    images: list[str],
    json: bool,
    action: str,
    said: Callable[[int], str],
) -> None:
    """Name the photos as shown, send `action` with their ids, print the result."""

    async def main() -> None:
        async with connected(server, login=True) as client:
            shown = await _shown(client, auction_id)
            ids = resolve_images(shown, images)
            result = await client.request(action, auction_id=auction_id, image_ids=ids)
        _print(server, result["auction"], json, said(len(ids)))

    run(main())


@images_app.command("list")
def list_images(
    auction_id: IdArg, server: ServerOpt = DEFAULT_SERVER, json: JsonOpt = False
) -> None:
    """The auction's photos, in order, with their addresses."""

    async def main() -> None:
        async with connected(server) as client:
            result = await client.request("get_auction", auction_id=auction_id)
        auction = result["auction"]
        if json:
            print_json(auction.get("images") or [])
        elif not auction.get("images"):
            print(f"Auction #{auction_id} has no photos.")
        else:
            print(_summary(server, auction))

    run(main())


async def _shown(client: Any, auction_id: int) -> list[str]:
    result = await client.request("get_auction", auction_id=auction_id)
    return [str(image["id"]) for image in result["auction"].get("images") or []]


async def _fail(error: Exception) -> None:
    raise error


def register(app: typer.Typer) -> None:
    """Add `images` to `app`."""
    app.add_typer(images_app, name="images")
