"""`auctioneer room` over the TCP socket, driven through a pipe as a script would."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from auctioneer.clients.connection import Client
from auctioneer.clients.errors import RequestFailed
from tests.clients.live import PASSWORD, Live, close_output, unique
from tests.helpers.server import start_server

__all__: list[str] = []


def room_args(live: Live, auction_id: int) -> list[str]:
    server = live.server
    return ["room", server.tcp_host, str(server.tcp_port), "--auction", str(auction_id)]


def test_room_reads_bids_from_a_pipe_and_quit_leaves(live: Live) -> None:
    a = live.auction()
    live.bidder()
    script = "help\nabc\n5\n10.00\n10.50\nquit\n12.00\n"
    done = live.run_cli(*room_args(live, a["id"]), input=script)
    out = done.stdout
    assert done.returncode == 0, done.stderr + out
    assert f"Now selling #{a['id']} {a['name']}" in out
    assert "Type an amount to bid" in out
    assert "Not a bid" in out
    assert "Refused: bid_too_low" in out
    assert "Bid 10.00 accepted: you lead" in out
    assert "Refused: already_leading" in out
    assert out.rstrip().endswith("Left the room.")
    bids = live.admin("get_auction", auction_id=a["id"])["bids"]
    assert [b["amount"] for b in bids] == [1000]  # nothing after `quit`


def test_room_counts_down_and_calls_the_hammer(live: Live) -> None:
    a = live.auction(countdown_s=3, duration_s=None)
    live.bidder()
    proc = subprocess.Popen(
        [sys.executable, "-m", "auctioneer", *room_args(live, a["id"])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=live.process_env(),
    )
    lines: list[str] = []
    assert proc.stdout is not None and proc.stdin is not None
    out = proc.stdout
    reader = threading.Thread(target=lambda: lines.extend(iter(out.readline, "")), daemon=True)
    reader.start()
    try:
        proc.stdin.write("10\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any("SOLD" in line for line in lines):
            time.sleep(0.1)
        proc.stdin.write("quit\n")
        proc.stdin.close()
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    reader.join(5)
    out.close()
    text = "".join(lines)
    assert "going" in text, text
    assert "SOLD to you for 10.00!" in text, text


class Racer:
    """Another bidder hammering lots the room must not follow, until stopped."""

    def __init__(self, live: Live, auction_ids: list[int]) -> None:
        self.live, self.ids = live, auction_ids
        self.stop = threading.Event()
        self.bids = 0
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        async with Client(self.live.url) as client:
            name = unique("racer")
            await client.register(name, PASSWORD)
            await client.login(name, PASSWORD)
            amount = 1000
            while not self.stop.is_set():
                for aid in self.ids:
                    try:
                        await client.request("place_bid", auction_id=aid, amount=amount)
                        self.bids += 1
                    except RequestFailed:
                        pass
                amount += 100
                await asyncio.sleep(0.05)


def test_room_follows_one_sale_lot_by_lot_while_others_bid_elsewhere(live: Live) -> None:
    countdown = {"starting_bid": 1000, "countdown_s": 2}
    lots = [{"name": f"Room lot {n}", **countdown} for n in (1, 2, 3)]
    lots[0]["pass_after_s"] = 60  # lot 1 waits for our bid; lots 2 and 3 pass after 2 s
    sale = live.admin("create_sale", name="Room sale", lots=lots, pass_after_s=2)
    ours = [a["id"] for a in sale["auctions"]]
    other = live.admin("create_sale", name="Other sale", lots=[{"name": "Elsewhere", **countdown}])
    racer = Racer(live, [other["auctions"][0]["id"], live.auction(duration_s=30)["id"]])
    racer.thread.start()
    live.bidder()
    server = live.server
    args = ["room", server.tcp_host, str(server.tcp_port), "--sale", str(sale["sale"]["id"])]
    proc = subprocess.Popen(
        [sys.executable, "-m", "auctioneer", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=live.process_env(),
    )
    lines: list[str] = []
    assert proc.stdout is not None and proc.stdin is not None
    out = proc.stdout
    reader = threading.Thread(target=lambda: lines.extend(iter(out.readline, "")), daemon=True)
    reader.start()

    def wait_for(text: str, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not any(text in line for line in lines):
            time.sleep(0.05)
        assert any(text in line for line in lines), "".join(lines)

    try:
        wait_for("Lot 1 of 3")
        proc.stdin.write("10\n")
        proc.stdin.flush()
        wait_for("That was the last lot of this sale")
        proc.stdin.write("11\nquit\n")  # lot 3 was shown last: it has ended, so refused
        proc.stdin.close()
        assert proc.wait(15) == 0
    finally:
        racer.stop.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    racer.thread.join(10)
    reader.join(5)
    out.close()
    text = "".join(lines)
    assert racer.bids > 0  # the other lots really were busy meanwhile
    for number, aid in enumerate(ours, start=1):
        assert text.count(f"Lot {number} of 3: #{aid} Room lot {number}") == 1, text
    assert "Now selling" not in text, text  # never a lot outside the sale
    assert "SOLD to you for 10.00!" in text, text
    assert "Lot 2 of 3 (Room lot 2) passed unsold: no bids." in text, text
    assert "Refused: Lot 3 of 3 has ended; nothing was placed." in text, text
    bids = live.admin("get_auction", auction_id=ours[2])["bids"]
    assert bids == []  # the late amount never reached lot 3


def test_plain_room_on_the_demo_joins_its_five_lot_sale(tmp_path: Path) -> None:
    server = start_server(tmp_path / "demo.db", "--demo")
    try:
        env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "NO_COLOR": "1"}
        env.pop("AUCTIONEER_SERVER", None)
        done = subprocess.run(
            [sys.executable, "-m", "auctioneer", "room", server.tcp_host, str(server.tcp_port)],
            input="quit\n",
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
        )
    finally:
        server.stop()
        close_output(server)
    assert done.returncode == 0, done.stderr
    assert "Lot 1 of 5: #1 Vintage Watch, opening bid 50.00" in done.stdout, done.stdout
    assert re.search(r"passes unsold in (1:00|0:[0-5]\d) without a bid", done.stdout), done.stdout
