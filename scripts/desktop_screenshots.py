"""Screenshots of the desktop apps for docs/screenshots/ (run it, then look at them).

Why a script: the pictures in README.md and docs/desktop.md should show the
apps as they are, so they are remade from a real server with the demo
auctions, real bids from two bidders, on a private Xvfb at 1280x800.

    .venv/bin/python scripts/desktop_screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "shots-password-1"


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    number = b""
    while not number.endswith(b"\n"):
        chunk = os.read(read_fd, 16)
        if not chunk:
            raise SystemExit("Xvfb did not start")
        number += chunk
    os.close(read_fd)
    return proc, f":{number.strip().decode()}"


def start_server(db: Path) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "auctioneer", "serve", "--demo", "--host", "127.0.0.1"]
    cmd += ["--http-port", "0", "--tcp-port", "0", "--db", f"sqlite:///{db}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if m := re.match(r"^http: (\S+)$", line.strip()):
            return proc, m.group(1)
    raise SystemExit("server did not start")


async def populate(url: str) -> None:
    """Two bidders bid on a few demo lots; the admin adds a sale and a closed lot."""
    from auctioneer.clients.connection import Client

    async with Client(url) as admin, Client(url) as ann, Client(url) as bob:
        await admin.login("boss", PASSWORD)
        for client, name in ((ann, "ann"), (bob, "bob")):
            await client.register(name, PASSWORD)
            await client.login(name, PASSWORD)
        listed = (await admin.request("get_auctions", status=["open"]))["auctions"]
        lots = [a for a in listed if a.get("ends_at") and not a.get("sale_id")]
        for auction in lots[:3]:
            price = auction["starting_bid"]
            for i in range(7):
                client = ann if i % 2 == 0 else bob
                await client.request("place_bid", auction_id=auction["id"], amount=price)
                price += auction["min_increment"] * (1 + i % 3)
                await asyncio.sleep(0.3)
        sold = await admin.request(
            "create_auction", name="Art deco clock", starting_bid=4000, duration_s=3600
        )
        await bob.request("place_bid", auction_id=sold["auction"]["id"], amount=4500)
        await ann.request("place_bid", auction_id=sold["auction"]["id"], amount=5200)
        await admin.request("close_auction", auction_id=sold["auction"]["id"])


async def outbid(url: str, auction_id: int) -> None:
    from auctioneer.clients.connection import Client

    async with Client(url) as bob:
        await bob.login("bob", PASSWORD)
        auction = (await bob.request("get_auction", auction_id=auction_id))["auction"]
        await bob.request("place_bid", auction_id=auction_id, amount=auction["minimum_bid"])


def pump(root: object, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        root.update()  # type: ignore[attr-defined]
        time.sleep(0.01)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    xvfb, display = start_xvfb()
    os.environ["DISPLAY"] = display
    work = Path(tempfile.mkdtemp(prefix="auctioneer-shots-"))
    server, url = start_server(work / "auctioneer.db")
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "auctioneer",
                "user",
                "add",
                "boss",
                "--password",
                PASSWORD,
                "--admin",
                "--db",
                f"sqlite:///{work / 'auctioneer.db'}",
            ],
            check=True,
            capture_output=True,
        )
        asyncio.run(populate(url))
        shoot(url, work, out, display, stop_server=server.terminate)
    finally:
        server.terminate()
        server.wait(10)
        xvfb.terminate()
        xvfb.wait(10)


def shoot(url: str, work: Path, out: Path, display: str, *, stop_server: object) -> None:
    from PIL import ImageGrab

    from auctioneer.clients.cli.config import Login, TokenStore
    from auctioneer.clients.connection import Client
    from auctioneer.clients.tk.admin import AdminApp
    from auctioneer.clients.tk.bidder import BidderApp
    from auctioneer.clients.tk.launch import make_root

    async def token(name: str) -> Login:
        async with Client(url) as client:
            return Login.from_reply(await client.login(name, PASSWORD))

    def grab(name: str) -> None:
        ImageGrab.grab(xdisplay=display).save(out / name)
        print("wrote", out / name)

    stores = {}
    for name in ("boss", "ann"):
        stores[name] = TokenStore(work / name)
        stores[name].save(url, asyncio.run(token(name)))

    root = make_root()
    bidder = BidderApp(root, server=url, token_store=stores["ann"])
    bidder.start()
    pump(root, 2.5)
    busy = max(bidder.auctions.visible(), key=lambda a: a.get("bid_count") or 0)
    bidder.open_auction(int(busy["id"]))
    pump(root, 1.5)
    grab("desktop-bidder.png")
    asyncio.run(outbid(url, int(busy["id"])))  # a real outbid notice: toast and My bids
    pump(root, 1.0)
    bidder.tabs.select(1)
    pump(root, 0.5)
    grab("desktop-my-bids.png")
    bidder.tabs.select(2)
    pump(root, 1.0)
    grab("desktop-live-room.png")
    bidder.dispose()
    root.destroy()
    gc.collect()

    root = make_root()
    admin = AdminApp(root, server=url, token_store=stores["boss"])
    admin.start()
    pump(root, 2.5)
    grab("desktop-admin.png")
    admin.tabs.select(1)
    admin.form.fields.set("name", "Brass telescope")
    admin.form.fields.set("starting_bid", "12.345")
    admin.form.fields.set("duration_s", "5 minutes")
    admin.form.create_button.invoke()
    pump(root, 0.5)
    grab("desktop-admin-form.png")
    admin.tabs.select(3)
    pump(root, 2.0)
    grab("desktop-analytics.png")
    admin.tabs.select(0)
    stop_server()  # type: ignore[operator]
    pump(root, 1.5)
    grab("desktop-reconnecting.png")
    admin.dispose()
    root.destroy()
    gc.collect()


if __name__ == "__main__":
    main()
