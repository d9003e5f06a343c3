"""Connection flood and slowloris load, run in its own process by test_flood.py.

Its own process (and uvloop when present) so the test's bid latency measures
the server, not a client loop busy opening sockets.

    python -m tests.reliability.flood flood HOST TCP_PORT HTTP_PORT RATE SECONDS
    python -m tests.reliability.flood slowloris HOST TCP_PORT HTTP_PORT COUNT SECONDS

Prints one JSON line of counts at the end. Every loop is bounded by SECONDS
(plus a few seconds to finish what is in flight).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections import Counter

__all__ = ["flood", "slowloris"]

WS_UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


async def _one(i: int, host: str, tcp_port: int, http_port: int, stats: Counter[str]) -> None:
    """One connect/disconnect, in one of five manners."""
    manner = i % 5
    port = http_port if manner == 4 else tcp_port
    door = "http" if manner == 4 else "tcp"
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
    except (OSError, TimeoutError) as e:
        stats[f"{door}:connect:{type(e).__name__}"] += 1
        return
    try:
        if manner == 0:  # wait for the welcome, then leave politely
            line = await asyncio.wait_for(reader.readline(), 5)
            stats["welcome" if line.startswith(b'{"event":"welcome"') else "no_welcome"] += 1
        elif manner == 1:  # reset at once
            writer.transport.abort()
        elif manner == 2:  # a request, then leave without reading the reply
            writer.write(b'{"action":"ping"}\n')
        elif manner == 3:  # half-close: FIN after a partial line, then read until closed
            writer.write(b'{"action":"pi')
            writer.write_eof()
            await asyncio.wait_for(reader.read(), 5)
        else:  # a WebSocket upgrade on the HTTP port, gone after the 101
            writer.write(WS_UPGRADE)
            status = await asyncio.wait_for(reader.readline(), 5)
            stats["ws_101" if b" 101 " in status else "ws_other"] += 1
        stats["ok"] += 1
    except (OSError, TimeoutError) as e:
        stats[f"{door}:manner{manner}:{type(e).__name__}"] += 1
    finally:
        writer.transport.abort() if manner == 1 else writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 2)


async def flood(host: str, tcp_port: int, http_port: int, rate: float, seconds: float) -> dict:
    """About `rate` connects/disconnects per second for `seconds`."""
    stats: Counter[str] = Counter()
    sem = asyncio.Semaphore(500)
    tasks: set[asyncio.Task[None]] = set()
    loop = asyncio.get_running_loop()

    async def bounded(i: int) -> None:
        async with sem:
            await _one(i, host, tcp_port, http_port, stats)

    start = loop.time()
    started = 0
    while (elapsed := loop.time() - start) < seconds:
        due = int(elapsed * rate)
        while started < due:
            task = loop.create_task(bounded(started))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            started += 1
        await asyncio.sleep(0.002)
    if tasks:
        await asyncio.wait(tasks, timeout=15)
    for task in tasks:
        task.cancel()
    return {"attempted": started, "seconds": round(loop.time() - start, 2), **stats}


async def slowloris(host: str, tcp_port: int, http_port: int, count: int, seconds: float) -> dict:
    """One client dripping a byte at a time with no newline, plus `count` half-open ones."""
    stats: Counter[str] = Counter()
    held: list[asyncio.StreamWriter] = []
    for i in range(count):
        port = http_port if i % 4 == 3 else tcp_port
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
        except (OSError, TimeoutError) as e:
            stats[f"connect:{type(e).__name__}"] += 1
            continue
        # Partial line on the TCP door, partial headers on the HTTP door; never read.
        writer.write(b"GET /api/ping HTTP/1.1\r\nHost: x\r\n" if port == http_port else b'{"ac')
        held.append(writer)
    stats["held"] = len(held)
    _, drip = await asyncio.open_connection(host, tcp_port)
    deadline = time.monotonic() + seconds
    dripped = 0
    try:
        while time.monotonic() < deadline:
            drip.write(b"x")
            await drip.drain()
            dripped += 1
            for writer in held[dripped % 50 :: 50]:  # the HTTP ones also drip a header byte
                with contextlib.suppress(Exception):
                    writer.write(b"X")
            await asyncio.sleep(0.05)
        stats["dripped_bytes"] = dripped
    except OSError as e:
        stats[f"drip:{type(e).__name__}"] += 1
    finally:
        for writer in [*held, drip]:
            writer.transport.abort()
    return dict(stats)


def main(argv: list[str]) -> None:
    what, host, tcp_port, http_port, amount, seconds = argv
    if what == "flood":
        coro = flood(host, int(tcp_port), int(http_port), float(amount), float(seconds))
    else:
        coro = slowloris(host, int(tcp_port), int(http_port), int(amount), float(seconds))
    try:
        import uvloop

        result = uvloop.run(coro)
    except ImportError:
        result = asyncio.run(coro)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
