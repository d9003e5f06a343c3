"""Fan-out through different WebSocket servers: which door costs what (issue 6).

Why: the issue asks, if the ASGI server's WebSocket path stands between us and
a target, to measure the alternatives and choose by the numbers. Each
alternative here is a tiny server that speaks the same subset of docs/protocol.md
as the floor (welcome, auth, subscribe, place_bid; a bid is accepted if it is
higher, and its `bid_placed` event is serialized once and sent to every
subscriber), without any store, so only the door differs. The `hot-full`
shape of `bench.scenarios` (1,000 subscribers, 10 bidders, one bid in flight)
is run against each by the same load generator; `--shape idle` measures the
server's RSS per idle subscribed connection instead.

- `raw`: asyncio Protocol over TCP, JSON lines, `transport.write` per subscriber;
- `picows`: picows' Cython WebSocket server, `transport.send` per subscriber;
- `websockets`: the `websockets` library's asyncio server and `broadcast()`;
- `uvicorn-<impl>`: Starlette on uvicorn with the `websockets-sansio` or
  `websockets` (legacy) implementation, `await ws.send_text()` per subscriber,
  as an ASGI app must;
- `uvicorn-hook`: what Auctioneer chose (gateways/ws/server.py): uvicorn keeps
  the HTTP port and parses the upgrade, its `ws` hook hands the socket to an
  asyncio Protocol that runs `websockets`' sans-I/O protocol for the
  handshake and client frames and writes server frames straight to the
  transport.

Usage: `python -m bench.ws_alternatives [--runs 3] [--duration 3]` runs them
all and prints a table; `python -m bench.ws_alternatives serve KIND` runs one
server (prints `tcp: HOST:PORT`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

__all__ = ["KINDS", "main"]

KINDS = (
    "raw",
    "picows",
    "websockets",
    "uvicorn-hook",
    "uvicorn-websockets-sansio",
    "uvicorn-websockets",
)
ROOT = Path(__file__).resolve().parent.parent


class Book:
    """The least state: current amount and seq per auction; subscribers by topic."""

    def __init__(self) -> None:
        self.current: dict[int, int] = {}
        self.seq: dict[int, int] = {}

    def bid(self, aid: int, amount: int) -> int | None:
        if amount <= self.current.get(aid, 0):
            return None
        self.current[aid] = amount
        seq = self.seq.get(aid, 1) + 1
        self.seq[aid] = seq
        return seq

    def event(self, aid: int, seq: int, amount: int) -> bytes:
        return (
            b'{"event":"bid_placed","topic":"auction:%d","seq":%d,"data":{"amount":%d,'
            b'"bidder":"#1","auto":false,"current_bid":%d,"leader":"#1","ends_at":null}}'
            % (aid, seq, amount, amount)
        )


WELCOME = b'{"event":"welcome","data":{"protocol":1}}'


def handle(book: Book, msg: dict[str, Any]) -> tuple[dict[str, Any], tuple[int, bytes] | None]:
    """One request: the reply object and, for an accepted bid, (auction, event)."""
    action = msg.get("action")
    rid = msg.get("id")
    if action == "place_bid":
        aid, amount = int(msg["auction_id"]), int(msg["amount"])
        seq = book.bid(aid, amount)
        if seq is None:
            return {"id": rid, "ok": False, "error": {"code": "bid_too_low"}}, None
        reply = {"id": rid, "ok": True, "result": {"auction": {"id": aid, "seq": seq}}}
        return reply, (aid, book.event(aid, seq, amount))
    if action == "subscribe":
        aid = int(str(msg["topic"]).split(":", 1)[1])
        return {
            "id": rid,
            "ok": True,
            "result": {"topic": msg["topic"], "seq": book.seq.get(aid, 1)},
        }, None
    return {"id": rid, "ok": True, "result": {}}, None


def _topic_aid(msg: dict[str, Any]) -> int:
    return int(str(msg["topic"]).split(":", 1)[1])


async def serve_raw(host: str) -> None:
    book = Book()
    subs: dict[int, set[asyncio.Transport]] = {}

    class P(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.t: asyncio.Transport = transport  # type: ignore[assignment]
            self.buf = b""
            self.t.write(WELCOME + b"\n")

        def data_received(self, data: bytes) -> None:
            lines = (self.buf + data).split(b"\n")
            self.buf = lines.pop()
            for line in lines:
                msg = orjson.loads(line)
                reply, ev = handle(book, msg)
                if msg.get("action") == "subscribe":
                    subs.setdefault(_topic_aid(msg), set()).add(self.t)
                self.t.write(orjson.dumps(reply) + b"\n")
                if ev is not None:
                    line_out = ev[1] + b"\n"
                    for t in tuple(subs.get(ev[0], ())):
                        t.write(line_out)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(P, host, 0, backlog=4096)
    print(f"tcp: {host}:{server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


async def serve_websockets(host: str) -> None:
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    book = Book()
    subs: dict[int, set[ServerConnection]] = {}

    async def handler(ws: ServerConnection) -> None:
        await ws.send(WELCOME.decode())
        async for raw in ws:
            msg = orjson.loads(raw)
            reply, ev = handle(book, msg)
            if msg.get("action") == "subscribe":
                subs.setdefault(_topic_aid(msg), set()).add(ws)
            await ws.send(orjson.dumps(reply).decode())
            if ev is not None:
                broadcast(subs.get(ev[0], set()), ev[1].decode())

    async with serve(handler, host, 0, compression=None, backlog=4096) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"tcp: {host}:{port}", flush=True)
        await asyncio.Event().wait()


async def serve_picows(host: str) -> None:
    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_create_server

    book = Book()
    subs: dict[int, set[WSTransport]] = {}

    class L(WSListener):
        def on_ws_connected(self, transport: WSTransport) -> None:
            self.t = transport
            transport.send(WSMsgType.TEXT, WELCOME)

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type == WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()
                return
            if frame.msg_type != WSMsgType.TEXT:
                return
            msg = orjson.loads(frame.get_payload_as_bytes())
            reply, ev = handle(book, msg)
            if msg.get("action") == "subscribe":
                subs.setdefault(_topic_aid(msg), set()).add(transport)
            transport.send(WSMsgType.TEXT, orjson.dumps(reply))
            if ev is not None:
                for t in tuple(subs.get(ev[0], ())):
                    t.send(WSMsgType.TEXT, ev[1])

        def on_ws_disconnected(self, transport: WSTransport) -> None:
            for group in subs.values():
                group.discard(transport)

    # a small initial read buffer: the default 16 KB per connection dominates idle RSS
    server = await ws_create_server(
        lambda _req: L(), host, 0, backlog=4096, read_buffer_init_size=1024
    )
    print(f"tcp: {host}:{server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


def serve_uvicorn(host: str, impl: str) -> None:
    import socket

    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    book = Book()
    subs: dict[int, set[WebSocket]] = {}

    async def endpoint(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text(WELCOME.decode())
        try:
            while True:
                msg = orjson.loads(await ws.receive_text())
                reply, ev = handle(book, msg)
                if msg.get("action") == "subscribe":
                    subs.setdefault(_topic_aid(msg), set()).add(ws)
                await ws.send_text(orjson.dumps(reply).decode())
                if ev is not None:
                    text = ev[1].decode()
                    for sub in tuple(subs.get(ev[0], ())):
                        await sub.send_text(text)
        except (WebSocketDisconnect, RuntimeError):
            for group in subs.values():
                group.discard(ws)

    app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    print(f"tcp: {host}:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(
        app,
        ws=impl,
        log_level="warning",
        ws_per_message_deflate=False,
        backlog=4096,
    )
    uvicorn.Server(config).run(sockets=[sock])


def serve_uvicorn_hook(host: str) -> None:
    import socket

    import uvicorn
    from starlette.applications import Starlette
    from websockets.frames import Frame as WsFrame
    from websockets.frames import Opcode
    from websockets.http11 import Request
    from websockets.server import ServerProtocol

    book = Book()
    subs: dict[int, set[asyncio.Transport]] = {}

    def text_frame(data: bytes) -> bytes:
        n = len(data)
        if n < 126:
            return bytes((0x81, n)) + data
        return b"\x81\x7e" + n.to_bytes(2, "big") + data

    class Hook(asyncio.Protocol):
        def __init__(self, **_: Any) -> None:
            self.ws = ServerProtocol(max_size=65_536)

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.t: asyncio.Transport = transport  # type: ignore[assignment]

        def data_received(self, data: bytes) -> None:
            self.ws.receive_data(data)
            for event in self.ws.events_received():
                if isinstance(event, Request):
                    self.ws.send_response(self.ws.accept(event))
                    for out in self.ws.data_to_send():
                        self.t.write(out)
                    self.t.write(text_frame(WELCOME))
                elif isinstance(event, WsFrame) and event.opcode is Opcode.TEXT:
                    msg = orjson.loads(event.data)
                    reply, ev = handle(book, msg)
                    if msg.get("action") == "subscribe":
                        subs.setdefault(_topic_aid(msg), set()).add(self.t)
                    self.t.write(text_frame(orjson.dumps(reply)))
                    if ev is not None:
                        out = text_frame(ev[1])
                        for t in tuple(subs.get(ev[0], ())):
                            t.write(out)
            for out in self.ws.data_to_send():
                if out:
                    self.t.write(out)
                else:
                    self.t.close()

        def connection_lost(self, exc: Exception | None) -> None:
            for group in subs.values():
                group.discard(self.t)

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    print(f"tcp: {host}:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(Starlette(), ws=Hook, log_level="warning", backlog=4096)
    uvicorn.Server(config).run(sockets=[sock])


def _serve(kind: str) -> None:
    import uvloop

    from bench.measure import raise_nofile_limit

    raise_nofile_limit()
    if kind == "uvicorn-hook":
        serve_uvicorn_hook("127.0.0.1")
    elif kind.startswith("uvicorn-"):
        serve_uvicorn("127.0.0.1", kind.removeprefix("uvicorn-"))
    elif kind == "websockets":
        uvloop.run(serve_websockets("127.0.0.1"))
    elif kind == "picows":
        uvloop.run(serve_picows("127.0.0.1"))
    else:
        uvloop.run(serve_raw("127.0.0.1"))


def _measure(kind: str, runs: int, duration: float, shape: str) -> list[dict[str, Any]]:
    from bench.scenarios import by_name
    from bench.servers import spawn

    scenario = by_name(shape)
    results = []
    for i in range(runs):
        cmd = [sys.executable, "-m", "bench.ws_alternatives", "serve", kind]
        server = spawn(kind, cmd, want_http=False)
        try:
            config = scenario.loadgen_config(
                "floor" if kind == "raw" else "real",
                host=server.tcp_host,
                port=server.tcp_port,
                tokens=[],
                auctions=[1000 + i * 100 + j for j in range(scenario.auctions)],
                server_pid=server.pid,
                duration_s=duration if scenario.duration_s else 0.0,
            )
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            proc = subprocess.run(
                [sys.executable, "-m", "bench.loadgen"],
                input=json.dumps(config),
                capture_output=True,
                text=True,
                timeout=180,
                cwd=ROOT,
                env=env,
            )
            line = proc.stdout.strip().splitlines()
            result = json.loads(line[-1]) if line else {"fatal": proc.stderr[-300:]}
            cpu, pushes = result.get("server_cpu"), result.get("deliveries_per_s")
            if isinstance(cpu, int | float) and cpu > 0.01 and isinstance(pushes, int | float):
                result["deliv_per_cpu_s"] = pushes / cpu
            results.append(result)
        finally:
            server.stop()
        r = results[-1]
        print(
            f"  {kind:28} run {i + 1}: bids/s={r.get('bids_per_s')} "
            f"last p99={r.get('last_p99_ms')} ms deliveries/s={r.get('deliveries_per_s')} "
            f"server cpu={r.get('server_cpu')} client cpu={r.get('client_cpu')} "
            f"others={r.get('other_cpu')} seq errors={r.get('seq_errors')} "
            f"rss={r.get('rss_after_mb')} MB ({r.get('rss_per_conn_kb')} KB/conn)",
            flush=True,
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("command", nargs="?", default="measure", choices=["measure", "serve"])
    parser.add_argument("kind", nargs="?", default="raw", choices=KINDS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--shape", default="hot-full", choices=["hot-full", "idle"])
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), choices=KINDS)
    args = parser.parse_args(argv)
    if args.command == "serve":
        _serve(args.kind)
        return 0
    rows = []
    for kind in args.kinds:
        if kind == "picows" and importlib.util.find_spec("picows") is None:
            print("  picows is not installed: skipped (pip install picows)")
            continue
        t = time.monotonic()
        res = [r for r in _measure(kind, args.runs, args.duration, args.shape) if "fatal" not in r]

        def med(key: str, res: list[dict[str, Any]] = res) -> float | None:
            vals = [r[key] for r in res if isinstance(r.get(key), int | float)]
            return statistics.median(vals) if vals else None

        rows.append(
            (
                kind,
                med("bids_per_s"),
                med("deliveries_per_s"),
                med("deliver_p99_ms"),
                med("last_p99_ms"),
                med("server_cpu"),
                med("client_cpu"),
                med("other_cpu"),
                sum(r.get("seq_errors", 0) for r in res),
                med("rss_per_conn_kb"),
                med("deliv_per_cpu_s"),
                time.monotonic() - t,
            )
        )
    head = ["door", "bids/s", "deliveries/s", "push p99 ms", "last sub p99 ms"]
    head += ["server CPU", "client CPU", "others", "seq errors", "RSS KB/conn"]
    head += ["pushes per server CPU-s"]
    print("| " + " | ".join(head) + " |")
    print("| " + " | ".join("---" for _ in head) + " |")
    for kind, *vals, _took in rows:
        cells = [f"{v:,.2f}" if isinstance(v, float) else str(v) for v in vals]
        print("| " + " | ".join([kind, *cells]) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
