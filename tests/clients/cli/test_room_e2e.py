"""`auctioneer room` over the TCP socket, driven through a pipe as a script would."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from tests.clients.live import Live

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
