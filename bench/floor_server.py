"""The floor: the least a durable, pushing bid server can do on this machine.

Why it exists (issue 6): absolute numbers on a shared 2-core box say little, so
every figure of the real server is also printed as a ratio to this server,
measured in the same run by the same load generator. It does only what no
auction server can skip, each step as cheaply as Python allows:

- asyncio on uvloop, raw TCP, JSON lines parsed with orjson;
- `place_bid`: accept if `amount` > the auction's current amount (in memory);
- one SQLite writer thread with group commit (WAL, synchronous=FULL): every
  bid that arrives while a commit is running goes into the next transaction;
- the reply is sent only after the commit (docs/protocol.md rule 9), then one
  pre-serialized `bid_placed` line is written to every subscriber of the
  auction (full feed); `"mode": "latest"` subscribers get only the newest
  event of each auction, at most once per 5 ms (and only the newest while a
  subscriber's socket is backed up).

It speaks just enough of docs/protocol.md for `bench.loadgen` and the setup code in
`bench.servers` to drive it exactly like the real server's TCP gateway: the
welcome event, `register`/`login`/`auth` (accepted without any check),
`create_auction`, `subscribe`, `place_bid` and `ping`, with replies in request
order per connection. It is not used by the product and enforces no rules.

With `--db postgresql://...` the writer is PostgreSQL's (bench/floor_pg.py),
the floor of the real server's PostgreSQL rows.

Run: `python -m bench.floor_server --db PATH [--host H] [--port P]`; it prints
`tcp: HOST:PORT` once it accepts connections, like `auctioneer serve`.
"""

from __future__ import annotations

import argparse
import asyncio
import queue
import signal
import sqlite3
import sys
import threading
import time
from collections import deque
from typing import Any, cast

import orjson

__all__ = ["FloorConnection", "FloorServer", "GroupCommitWriter", "main"]

SLOW_SUBSCRIBER_BYTES = 8 * 2**20  # a full-feed subscriber this far behind is dropped
LATEST_HIGH_WATER = 64 * 1024
LATEST_INTERVAL_S = 0.02
WELCOME = orjson.dumps(
    {"event": "welcome", "data": {"protocol": 1, "server_time": "", "server": "floor 1"}}
)


def _now_iso() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


# A pending write: the row, then what to do once it is durable.
Row = tuple[int, int, int, str, str]
Pending = tuple[Row, "FloorConnection", list[bytes | None], bytes, int, bytes]


class GroupCommitWriter(threading.Thread):
    """The one SQLite writer: drains the queue into one transaction per commit."""

    def __init__(self, path: str, loop: asyncio.AbstractEventLoop, server: FloorServer) -> None:
        super().__init__(name="floor-writer", daemon=True)
        self.queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self.loop = loop
        self.server = server
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS bids (auction_id INTEGER, seq INTEGER, amount INTEGER,"
            " bidder TEXT, at TEXT, PRIMARY KEY (auction_id, seq))"
        )
        self.commits = 0
        self.rows = 0

    def run(self) -> None:
        get, get_nowait, empty = self.queue.get, self.queue.get_nowait, queue.Empty
        while True:
            first = get()
            if first is None:
                return
            batch = [first]
            try:
                while True:
                    item = get_nowait()
                    if item is None:
                        self._commit(batch)
                        return
                    batch.append(item)
            except empty:
                pass
            self._commit(batch)

    def _commit(self, batch: list[Pending]) -> None:
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO bids VALUES (?, ?, ?, ?, ?)", [p[0] for p in batch])
        self.db.execute("COMMIT")
        self.commits += 1
        self.rows += len(batch)
        self.loop.call_soon_threadsafe(self.server.committed, batch)

    def stop(self) -> None:
        self.queue.put(None)
        self.join(10)
        self.db.close()


class FloorServer:
    """In-memory auction state and subscriptions; the writer keeps the log."""

    def __init__(self) -> None:
        self.current: dict[int, int] = {}
        self.seq: dict[int, int] = {}
        self.full: dict[int, set[FloorConnection]] = {}
        self.latest: dict[int, set[FloorConnection]] = {}
        self.next_auction = 0
        self.writer: GroupCommitWriter | None = None
        self.loop = asyncio.get_running_loop()
        self.pending_latest: dict[int, bytes] = {}
        self.latest_timer: asyncio.TimerHandle | None = None
        self.last_latest_flush = 0.0

    def committed(self, batch: list[Pending]) -> None:
        """Runs on the loop after a commit: the replies, then the fan-out in seq order."""
        newest: dict[int, bytes] = {}
        repliers: set[FloorConnection] = set()
        for _row, conn, slot, reply, _aid, _event in batch:
            slot[0] = reply
            repliers.add(conn)
        for conn in repliers:
            conn.flush_replies()
        full = self.full
        for _row, _conn, _slot, _reply, aid, event in batch:
            subs = full.get(aid)
            if subs:
                for sub in tuple(subs):
                    sub.push(event)
            newest[aid] = event
        if newest:
            self.pending_latest.update(newest)
            if self.latest_timer is None:
                # at most one latest-value push per auction per LATEST_INTERVAL_S
                delay = max(0.0, self.last_latest_flush + LATEST_INTERVAL_S - self.loop.time())
                self.latest_timer = self.loop.call_later(delay, self.flush_latest)

    def flush_latest(self) -> None:
        self.latest_timer = None
        self.last_latest_flush = self.loop.time()
        pending, self.pending_latest = self.pending_latest, {}
        for aid, event in pending.items():
            subs = self.latest.get(aid)
            if subs:
                for sub in tuple(subs):
                    sub.push_latest(aid, event)


class FloorConnection(asyncio.Protocol):
    """One client: JSON lines in, replies in request order, events out."""

    def __init__(self, server: FloorServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.slots: deque[list[bytes | None]] = deque()
        self.topics: list[tuple[bool, int]] = []
        self.paused = False
        self.stashed: dict[int, bytes] = {}
        self.user = "#0"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        t = self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        t.set_write_buffer_limits(high=LATEST_HIGH_WATER)
        t.write(WELCOME + b"\n")

    def connection_lost(self, exc: Exception | None) -> None:
        for latest, aid in self.topics:
            (self.server.latest if latest else self.server.full).get(aid, set()).discard(self)
        self.topics = []

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if self.stashed and self.transport is not None:
            self.transport.write(b"".join(self.stashed.values()))
            self.stashed = {}

    def push(self, event: bytes) -> None:
        t = self.transport
        if t is None or t.is_closing():
            return
        if t.get_write_buffer_size() > SLOW_SUBSCRIBER_BYTES:
            t.abort()  # the slow subscriber is dropped, never the others slowed
            return
        t.write(event)

    def push_latest(self, aid: int, event: bytes) -> None:
        if self.paused:
            self.stashed[aid] = event  # newest state replaces what was waiting
        elif self.transport is not None and not self.transport.is_closing():
            self.transport.write(event)

    def data_received(self, data: bytes) -> None:
        if self.buf:
            data = self.buf + data
        lines = data.split(b"\n")
        self.buf = lines.pop()
        for line in lines:
            if line:
                self.handle(line)

    def reply_now(self, obj: dict[str, Any]) -> None:
        self.slots.append([orjson.dumps(obj) + b"\n"])
        self.flush_replies()

    def flush_replies(self) -> None:
        slots = self.slots
        out = []
        while slots and slots[0][0] is not None:
            out.append(slots.popleft()[0])
        if out and self.transport is not None:
            self.transport.write(b"".join(out))  # type: ignore[arg-type]

    def handle(self, line: bytes) -> None:
        try:
            msg = orjson.loads(line)
            action = msg["action"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            self.reply_now({"ok": False, "error": {"code": "bad_request", "message": "bad"}})
            return
        rid = msg.get("id")
        if action == "place_bid":
            self.place_bid(msg, rid)
            return
        handler = _ACTIONS.get(action)
        if handler is None:
            res: dict[str, Any] = {"ok": False, "error": {"code": "unknown_action", "message": ""}}
        else:
            res = {"ok": True, "result": handler(self, msg)}
        if rid is not None:
            res["id"] = rid
        self.reply_now(res)

    def place_bid(self, msg: dict[str, Any], rid: Any) -> None:
        srv = self.server
        aid = msg.get("auction_id")
        amount = msg.get("amount")
        current = srv.current.get(aid) if isinstance(aid, int) else None
        if current is None or type(amount) is not int or amount <= current:
            code = "not_found" if current is None else "bid_too_low"
            res: dict[str, Any] = {"ok": False, "error": {"code": code, "message": ""}}
            if rid is not None:
                res["id"] = rid
            self.reply_now(res)
            return
        assert isinstance(aid, int)
        seq = srv.seq[aid] + 1
        srv.seq[aid] = seq
        srv.current[aid] = amount
        at = _now_iso()
        event = (
            b'{"event":"bid_placed","topic":"auction:%d","seq":%d,"at":"%s","data":'
            b'{"amount":%d,"bidder":"%s","auto":false,"current_bid":%d,"leader":"%s",'
            b'"ends_at":null}}\n'
            % (aid, seq, at.encode(), amount, self.user.encode(), amount, self.user.encode())
        )
        reply = orjson.dumps(
            {
                "id": rid,
                "ok": True,
                "result": {"auction": {"id": aid, "current_bid": amount, "seq": seq}},
            }
        )
        slot: list[bytes | None] = [None]
        self.slots.append(slot)
        assert srv.writer is not None
        srv.writer.queue.put(
            ((aid, seq, amount, self.user, at), self, slot, reply + b"\n", aid, event)
        )

    # the other actions: enough for setup, no checks
    def a_login(self, msg: dict[str, Any]) -> dict[str, Any]:
        name = str(msg.get("username", "x"))
        self.user = f"#{abs(hash(name)) % 100000}"
        return {"token": name, "user": self._user(name)}

    def a_auth(self, msg: dict[str, Any]) -> dict[str, Any]:
        name = str(msg.get("token", "x"))
        self.user = f"#{abs(hash(name)) % 100000}"
        return {"user": self._user(name)}

    def a_register(self, msg: dict[str, Any]) -> dict[str, Any]:
        return {"user": self._user(str(msg.get("username", "x")))}

    def _user(self, name: str) -> dict[str, Any]:
        return {"id": 1, "username": name, "role": "admin", "paddle": 1}

    def a_create_auction(self, msg: dict[str, Any]) -> dict[str, Any]:
        srv = self.server
        srv.next_auction += 1
        aid = srv.next_auction
        start = int(msg.get("starting_bid", 1))
        srv.current[aid] = start - 1  # the first bid must be >= starting_bid
        srv.seq[aid] = 1  # auction_created
        return {"auction": {"id": aid, "status": "open", "current_bid": None, "seq": 1}}

    def a_subscribe(self, msg: dict[str, Any]) -> dict[str, Any]:
        topic = str(msg.get("topic", ""))
        aid = int(topic.split(":", 1)[1]) if topic.startswith("auction:") else 0
        latest = msg.get("mode") == "latest"
        (self.server.latest if latest else self.server.full).setdefault(aid, set()).add(self)
        self.topics.append((latest, aid))
        return {"topic": topic, "seq": self.server.seq.get(aid, 0)}

    def a_ping(self, msg: dict[str, Any]) -> dict[str, Any]:
        return {"server_time": _now_iso()}


_ACTIONS = {
    "login": FloorConnection.a_login,
    "auth": FloorConnection.a_auth,
    "register": FloorConnection.a_register,
    "create_auction": FloorConnection.a_create_auction,
    "subscribe": FloorConnection.a_subscribe,
    "ping": FloorConnection.a_ping,
}


async def serve(host: str, port: int, db: str) -> None:
    loop = asyncio.get_running_loop()
    state = FloorServer()
    if db.startswith(("postgresql://", "postgres://")):
        from bench.floor_pg import PostgresCommitWriter

        state.writer = PostgresCommitWriter(db, loop, state)  # type: ignore[assignment]
    else:
        state.writer = GroupCommitWriter(db, loop, state)
    state.writer.start()
    server = await loop.create_server(lambda: FloorConnection(state), host, port, backlog=4096)
    sock_host, sock_port = server.sockets[0].getsockname()[:2]
    print(f"tcp: {sock_host}:{sock_port}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    state.writer.stop()
    print(f"commits: {state.writer.commits} rows: {state.writer.rows}", file=sys.stderr)


def main() -> None:
    import uvloop

    from bench.measure import raise_nofile_limit

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    raise_nofile_limit()
    uvloop.run(serve(args.host, args.port, args.db))


if __name__ == "__main__":
    main()
