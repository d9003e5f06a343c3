"""The load generator: real clients, in their own process, cheap enough not to be measured.

Why it looks like this (issue 6): a plain Python client with one request in
flight per connection tops out near 2,500 bids/s here even against a server
that does nothing, so the generator would be measuring itself. Instead it runs
on uvloop, decodes with orjson, writes pre-encoded request bytes (a per-auction
prefix plus the amount and id), keeps several requests in flight per connection
when asked, and runs in a separate process from the server and from the
orchestrator (`bench.run`), which starts it as `python -m bench.loadgen` with a
JSON config on standard input and reads one JSON result from standard output.

What it measures, inside a timed window after a warm-up:

- accepted bids/s and reply latency (send to reply) p50/p99;
- bid-to-subscriber latency: every watcher matches the `(auction, amount)` of
  each `bid_placed` event it sees to the time that bid was sent (events do not
  echo client data), per delivery and to the last subscriber of each bid;
- seq on every subscriber: a full feed must grow by exactly 1, a latest-value
  feed must strictly grow, and every subscriber must end at the auction's final
  seq (from the replies), so loss, duplication and reordering are all caught;
- CPU seconds of this process (getrusage) and of the server (/proc/PID/stat)
  over the same window, and the server's RSS (idle scenario).

How bids are chosen so that they are accepted: auction `i`'s k-th bid has
amount `base + k * increment` and is sent by bidder `(i + k) % bidders`, so a
bidder never tops itself (`already_leading`). `depth` bids per auction are in
flight at once (from different bidders); `cap` bounds the requests in flight
per connection (1 = one request in flight per client, as the seeds measured).
With `plain`, the bidders are instead written the way the seeds' clients are
(`PlainBidders`): the like-for-like comparison with their numbers.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench.conn import REQUEST_TIMEOUT_S, Conn, connect
from bench.measure import (
    percentile,
    proc_cpu_seconds,
    proc_rss_bytes,
    raise_nofile_limit,
    self_cpu_seconds,
    stolen_seconds,
    system_busy_seconds,
)

__all__ = ["BidDriver", "LoadConfig", "PlainBidders", "Stats", "Watcher", "main", "run_load"]

CONNECT_CONCURRENCY = 200
AMOUNT_KEY = 10**13  # bid key = auction_id * AMOUNT_KEY + amount (amounts are <= 10**12)


def _result(reply: dict[str, Any], what: str) -> dict[str, Any]:
    if not reply.get("ok"):
        raise RuntimeError(f"{what} failed: {reply.get('error')}")
    result: dict[str, Any] = reply["result"]
    return result


@dataclass
class LoadConfig:
    """What one load-generator run does (sent as JSON by `bench.run`)."""

    host: str
    port: int
    bidder_kind: str = "tcp"  # "tcp" or "ws"
    watcher_kind: str = "tcp"
    ws_path: str = "/ws"
    tokens: list[str] = field(default_factory=list)
    auctions: list[int] = field(default_factory=list)
    bidders: int = 50
    depth: int = 1
    cap: int = 0  # max requests in flight per connection; 0 = no cap
    watchers_per_auction: int = 1
    watch_mode: str = "full"  # "full" or "latest"
    idle: int = 0  # idle subscribed connections (of `watcher_kind`) to open
    base_amount: int = 100
    increment: int = 1
    warmup_s: float = 0.5
    duration_s: float = 3.0
    settle_s: float = 10.0
    server_pid: int = 0
    # Several server processes (`spread` on 2 or 3): every [host, port] door, the
    # clients dealt round-robin over them, and every process's pid for its CPU.
    endpoints: list[list[Any]] = field(default_factory=list)
    server_pids: list[int] = field(default_factory=list)
    plain: bool = False  # bidders as the seeds' clients: threads, blocking sockets, stdlib json


class Stats:
    """Raw samples; percentiles are computed once at the end."""

    def __init__(self) -> None:
        self.sent_at: dict[int, float] = {}
        self.ok_send: list[float] = []
        self.ok_recv: list[float] = []
        self.rejected: dict[str, int] = {}
        self.rejected_at: list[float] = []
        self.id_mismatch = 0
        self.final_seq: dict[int, int] = {}
        # deliveries: bid key -> (count, last receive time); per-delivery samples
        self.deliv_count: dict[int, int] = {}
        self.deliv_last: dict[int, float] = {}
        self.deliv_send: list[float] = []
        self.deliv_recv: list[float] = []
        self.unmatched_events = 0


def _run_tag() -> str:
    """A prefix that makes request ids unique across passes (docs/protocol.md rule 10)."""
    return os.urandom(3).hex() + "-"


class BidDriver:
    """Keeps `depth` bids per auction in flight, rotating bidders (see module doc)."""

    def __init__(self, cfg: LoadConfig, bidders: list[Conn], stats: Stats) -> None:
        self.cfg = cfg
        self.bidders = bidders
        self.stats = stats
        self.next_k = [0] * len(cfg.auctions)
        self.prefix = [
            b'{"action":"place_bid","auction_id":%d,"amount":' % aid for aid in cfg.auctions
        ]
        self.reqid = 0
        # Request ids must be unique per user across passes: the server answers a
        # repeated id with the first reply and does nothing (docs/protocol.md rule 10).
        self.tag = _run_tag()
        self.id_prefix = self.tag.encode()
        self.stopped = False
        self.inflight = 0

    def start(self) -> None:
        for i in range(len(self.cfg.auctions)):
            for _ in range(self.cfg.depth):
                self._issue(i)

    def _issue(self, i: int) -> None:
        k = self.next_k[i]
        self.next_k[i] = k + 1
        amount = self.cfg.base_amount + k * self.cfg.increment
        b = self.bidders[(i + k) % len(self.bidders)]
        if self.cfg.cap and b.inflight >= self.cfg.cap:
            b.backlog.append((i, amount))
        else:
            self._send(b, i, amount)

    def _send(self, b: Conn, i: int, amount: int) -> None:
        self.reqid += 1
        rid = self.reqid
        t = time.perf_counter()
        b.fifo.append((self._on_reply, (b, i, amount, t, f"{self.tag}{rid}")))
        b.inflight += 1
        self.inflight += 1
        self.stats.sent_at[self.cfg.auctions[i] * AMOUNT_KEY + amount] = t
        b.send(self.prefix[i] + b'%d,"id":"%s%d"}' % (amount, self.id_prefix, rid))

    def _on_reply(
        self, ctx: tuple[Conn, int, int, float, str], obj: dict[str, Any], now: float
    ) -> None:
        b, i, _amount, t, rid = ctx
        b.inflight -= 1
        self.inflight -= 1
        st = self.stats
        if obj.get("id") != rid:
            st.id_mismatch += 1
        if obj.get("ok"):
            st.ok_send.append(t)
            st.ok_recv.append(now)
            try:
                seq = obj["result"]["auction"]["seq"]
            except (KeyError, TypeError):
                seq = None
            if seq is not None:
                aid = self.cfg.auctions[i]
                if seq > st.final_seq.get(aid, 0):
                    st.final_seq[aid] = seq
        else:
            code = str((obj.get("error") or {}).get("code"))
            st.rejected[code] = st.rejected.get(code, 0) + 1
            st.rejected_at.append(now)
        if self.stopped:
            return
        self._issue(i)
        if b.backlog and b.inflight < (self.cfg.cap or 1 << 30):
            bi, bamount = b.backlog.popleft()
            self._send(b, bi, bamount)


class PlainBidders:
    """The seeds' clients: a thread per client, a blocking socket, stdlib json.

    One request in flight per client, encoded and decoded per message, under
    one GIL, over TCP: what the seeds measured with. Client `j` at step `k`
    bids `base + k` on auction `(j + k) % auctions`, so clients that drift
    apart can cross on an auction (counted as rejected, as in the seeds).
    """

    def __init__(self, cfg: LoadConfig, stats: Stats) -> None:
        self.cfg = cfg
        self.stats = stats
        self.stopped = False
        self.lock = threading.Lock()
        self.ready = threading.Barrier(cfg.bidders + 1, timeout=REQUEST_TIMEOUT_S)
        self.threads = [
            threading.Thread(target=self._client, args=(j,), daemon=True)
            for j in range(cfg.bidders)
        ]
        self.inflight = 0
        self.tag = _run_tag()

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def join(self, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.perf_counter()))
        self.inflight = sum(t.is_alive() for t in self.threads)

    def _client(self, j: int) -> None:
        cfg, st = self.cfg, self.stats
        with socket.create_connection((cfg.host, cfg.port), timeout=REQUEST_TIMEOUT_S) as sock:
            f = sock.makefile("rwb")
            json.loads(f.readline())  # welcome
            if cfg.tokens:
                token = cfg.tokens[j % len(cfg.tokens)]
                f.write(json.dumps({"action": "auth", "token": token}).encode() + b"\n")
                f.flush()
                json.loads(f.readline())
            self.ready.wait()
            n = len(cfg.auctions)
            k = 0
            while not self.stopped:
                aid = cfg.auctions[(j + k) % n]
                amount = cfg.base_amount + k * cfg.increment
                rid = f"{self.tag}{j}.{k}"
                msg = {"id": rid, "action": "place_bid", "auction_id": aid, "amount": amount}
                t = time.perf_counter()
                st.sent_at[aid * AMOUNT_KEY + amount] = t
                f.write(json.dumps(msg).encode() + b"\n")
                f.flush()
                reply = json.loads(f.readline())
                now = time.perf_counter()
                k += 1
                if reply.get("ok"):
                    seq = reply["result"]["auction"].get("seq")
                    with self.lock:
                        st.ok_send.append(t)
                        st.ok_recv.append(now)
                        if isinstance(seq, int) and seq > st.final_seq.get(aid, 0):
                            st.final_seq[aid] = seq
                else:
                    code = str((reply.get("error") or {}).get("code"))
                    with self.lock:
                        st.rejected[code] = st.rejected.get(code, 0) + 1
                        st.rejected_at.append(now)


class Watcher:
    """Checks seq on one subscribed connection and records bid deliveries."""

    def __init__(self, conn: Conn, aid: int, first_seq: int, mode: str, stats: Stats) -> None:
        self.conn = conn
        self.aid = aid
        self.topic = f"auction:{aid}"
        self.last_seq = first_seq
        self.latest = mode == "latest"
        self.stats = stats
        self.events = 0
        self.gaps = 0
        self.dups = 0
        self.reorders = 0
        self.foreign = 0
        conn.on_event = self.on_event

    def on_event(self, obj: dict[str, Any], now: float) -> None:
        if obj.get("topic") != self.topic:
            self.foreign += 1
            return
        self.events += 1
        seq = obj.get("seq")
        last = self.last_seq
        if not isinstance(seq, int):
            self.reorders += 1
            return
        if seq != last + 1:
            if seq == last:
                self.dups += 1
            elif seq < last:
                self.reorders += 1
            elif not self.latest:
                self.gaps += 1
        if seq > last:
            self.last_seq = seq
        data = obj.get("data")
        if not isinstance(data, dict):
            return
        amount = data.get("amount")
        if amount is None:
            amount = data.get("current_bid")
            if isinstance(amount, dict):  # a latest-value snapshot may carry an auction object
                amount = amount.get("current_bid")
        if not isinstance(amount, int):
            auction = data.get("auction")
            amount = auction.get("current_bid") if isinstance(auction, dict) else None
            if not isinstance(amount, int):
                return
        st = self.stats
        key = self.aid * AMOUNT_KEY + amount
        sent = st.sent_at.get(key)
        if sent is None:
            st.unmatched_events += 1
            return
        st.deliv_count[key] = st.deliv_count.get(key, 0) + 1
        st.deliv_last[key] = now
        st.deliv_send.append(sent)
        st.deliv_recv.append(now)


async def _open_many(n: int, opener: Callable[[int], Any]) -> list[Any]:
    sem = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(i: int) -> Any:
        async with sem:
            return await opener(i)

    return list(await asyncio.gather(*(one(i) for i in range(n))))


def _ms(x: float | None) -> float | None:
    return None if x is None else round(x * 1000, 3)


async def run_load(cfg: LoadConfig) -> dict[str, Any]:
    """Run one load pass as configured and return the measured figures."""
    stats = Stats()
    out: dict[str, Any] = {"errors": []}
    conns: list[Conn] = []
    try:
        return await _run_load(cfg, stats, out, conns)
    finally:
        for c in conns:
            c.close()
        await asyncio.sleep(0.05)


async def _run_load(
    cfg: LoadConfig, stats: Stats, out: dict[str, Any], conns: list[Conn]
) -> dict[str, Any]:
    path = cfg.ws_path
    doors = [(str(h), int(p)) for h, p in cfg.endpoints] or [(cfg.host, cfg.port)]

    async def open_bidder(i: int) -> Conn:
        host, port = doors[i % len(doors)]
        c = await connect(cfg.bidder_kind, host, port, path)
        conns.append(c)
        if cfg.tokens:
            _result(await c.request("auth", token=cfg.tokens[i % len(cfg.tokens)]), "auth")
        return c

    async def open_watcher(i: int) -> Watcher:
        aid = cfg.auctions[i % len(cfg.auctions)]
        host, port = doors[(i + 1) % len(doors)]  # beside its auction's bidder, not with it
        c = await connect(cfg.watcher_kind, host, port, path)
        conns.append(c)
        fields: dict[str, Any] = {"topic": f"auction:{aid}"}
        if cfg.watch_mode != "full":
            fields["mode"] = cfg.watch_mode
        res = _result(await c.request("subscribe", **fields), "subscribe")
        return Watcher(c, aid, int(res.get("seq") or 0), cfg.watch_mode, stats)

    plain = PlainBidders(cfg, stats) if cfg.plain else None
    n_async = 0 if plain else cfg.bidders
    bidders: list[Conn] = await _open_many(n_async, open_bidder) if n_async else []
    watchers: list[Watcher] = await _open_many(
        cfg.watchers_per_auction * len(cfg.auctions), open_watcher
    )

    if cfg.idle:
        rss0 = proc_rss_bytes(cfg.server_pid) if cfg.server_pid else 0
        _window_started()  # for bench.profile: the idle scenario measures its connects
        t_open = time.perf_counter()
        idle_watchers = await _open_many(cfg.idle, _idle_opener(cfg, stats, conns))
        out["connect_s"] = round(time.perf_counter() - t_open, 3)
        await asyncio.sleep(1.0)
        rss1 = proc_rss_bytes(cfg.server_pid) if cfg.server_pid else 0
        out["rss_before_mb"] = round(rss0 / 2**20, 1)
        out["rss_after_mb"] = round(rss1 / 2**20, 1)
        out["rss_per_conn_kb"] = round((rss1 - rss0) / cfg.idle / 1024, 2)
        out["idle_connections"] = len(idle_watchers)
        watchers.extend(idle_watchers)

    gc.collect()
    gc.freeze()
    gc.disable()
    driver = BidDriver(cfg, bidders, stats)
    if plain is not None:
        plain.start()
        await asyncio.get_running_loop().run_in_executor(None, plain.ready.wait)
        await asyncio.sleep(cfg.warmup_s)
        _window_started()
        t0, c0, m0 = time.perf_counter(), self_cpu_seconds(), system_busy_seconds()
        st0 = stolen_seconds()
        s0 = _server_cpu(cfg)
        await asyncio.sleep(cfg.duration_s)
        t1, c1, m1 = time.perf_counter(), self_cpu_seconds(), system_busy_seconds()
        st1 = stolen_seconds()
        s1 = _server_cpu(cfg)
        plain.stopped = True
        await asyncio.get_running_loop().run_in_executor(None, plain.join, cfg.settle_s)
    elif bidders and cfg.duration_s > 0:
        driver.start()
        await asyncio.sleep(cfg.warmup_s)
        _window_started()
        t0, c0, m0 = time.perf_counter(), self_cpu_seconds(), system_busy_seconds()
        st0 = stolen_seconds()
        s0 = _server_cpu(cfg)
        lags = await _loop_lags(cfg.duration_s)
        out["client_lag_p50_ms"] = _ms(percentile(lags, 0.5))
        out["client_lag_p99_ms"] = _ms(percentile(lags, 0.99))
        t1, c1, m1 = time.perf_counter(), self_cpu_seconds(), system_busy_seconds()
        st1 = stolen_seconds()
        s1 = _server_cpu(cfg)
        driver.stopped = True
    else:
        if bidders:  # idle: one bid reaches every subscriber, so each one's seq is checked too
            driver.stopped = True
            driver.start()
        t0 = t1 = time.perf_counter()
        c0 = c1 = s0 = s1 = m0 = m1 = st0 = st1 = 0.0
    # drain: outstanding replies, then subscribers catch up to the final seq
    deadline = time.perf_counter() + cfg.settle_s
    while driver.inflight and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    out["unanswered"] = driver.inflight + (plain.inflight if plain else 0)
    while time.perf_counter() < deadline:
        if all(w.last_seq >= stats.final_seq.get(w.aid, 0) for w in watchers):
            break
        await asyncio.sleep(0.02)
    out["settle_s"] = round(time.perf_counter() - t1, 3)
    lagging = [w for w in watchers if w.last_seq < stats.final_seq.get(w.aid, 0)]
    if lagging:
        # Diagnosis: are the missing events lost, or stuck until something else
        # is written to that connection? A ping's reply shares the outbox.
        out["behind_before_nudge"] = len(lagging)
        pings = [w.conn.request("ping") for w in lagging[:1000] if not w.conn.closing]
        await asyncio.gather(*pings, return_exceptions=True)
        await asyncio.sleep(1.0)
        out["behind_after_ping"] = sum(
            1 for w in lagging if w.last_seq < stats.final_seq.get(w.aid, 0)
        )
    gc.enable()
    window = t1 - t0
    out.update(_summarize(cfg, stats, watchers, t0, t1))
    out["window_s"] = round(window, 3)
    out["client_cpu"] = round((c1 - c0) / window, 3) if window else None
    out["server_cpu"] = round((s1 - s0) / window, 3) if window and cfg.server_pid else None
    if window:  # everything else busy on the machine meanwhile (other users' tests...)
        others = (m1 - m0) - (c1 - c0) - (s1 - s0)
        out["other_cpu"] = round(max(0.0, others) / window, 3)  # stolen time included
        out["stolen_cpu"] = round((st1 - st0) / window, 3)
    errors: list[str] = out["errors"]
    for c in conns:
        errors.extend(c.errors[:3])
    out["connection_errors"] = sum(1 for c in conns if c.errors)
    out["errors"] = errors[:10]
    return out


async def _loop_lags(duration_s: float, tick_s: float = 0.002) -> list[float]:
    """Sleep `duration_s` in 2 ms ticks, returning how late each tick woke: this
    process's own loop lag, which every reply it times also waits out."""
    lags: list[float] = []
    end = time.perf_counter() + duration_s
    while (now := time.perf_counter()) < end:
        await asyncio.sleep(tick_s)
        lags.append(time.perf_counter() - now - tick_s)
    return lags


def _window_started() -> None:
    """Tell a watching parent (bench.profile) that the measured window starts now."""
    sys.stderr.write("window-start\n")
    sys.stderr.flush()


def _server_cpu(cfg: LoadConfig) -> float:
    """CPU seconds of every server process so far."""
    pids = cfg.server_pids or ([cfg.server_pid] if cfg.server_pid else [])
    return sum(proc_cpu_seconds(pid) for pid in pids)


def _idle_opener(cfg: LoadConfig, stats: Stats, conns: list[Conn]) -> Callable[[int], Any]:
    async def open_idle(i: int) -> Watcher:
        aid = cfg.auctions[i % len(cfg.auctions)]
        c = await connect(cfg.watcher_kind, cfg.host, cfg.port, cfg.ws_path)
        conns.append(c)
        res = _result(await c.request("subscribe", topic=f"auction:{aid}"), "subscribe")
        return Watcher(c, aid, int(res.get("seq") or 0), "full", stats)

    return open_idle


def _summarize(
    cfg: LoadConfig, stats: Stats, watchers: list[Watcher], t0: float, t1: float
) -> dict[str, Any]:
    in_window = [r for r in stats.ok_recv if t0 <= r < t1]
    reply_lat = [r - s for s, r in zip(stats.ok_send, stats.ok_recv, strict=True) if t0 <= s < t1]
    deliv_lat = [
        r - s for s, r in zip(stats.deliv_send, stats.deliv_recv, strict=True) if t0 <= s < t1
    ]
    n_watch = cfg.watchers_per_auction
    last_lat: list[float] = []
    incomplete = 0
    for key, count in stats.deliv_count.items():
        sent = stats.sent_at[key]
        if not t0 <= sent < t1:
            continue
        if count >= n_watch:
            last_lat.append(stats.deliv_last[key] - sent)
        else:
            incomplete += 1
    window = t1 - t0
    lagging = [w for w in watchers if w.last_seq < stats.final_seq.get(w.aid, 0)]
    behind = len(lagging)
    rejected_in_window = sum(1 for r in stats.rejected_at if t0 <= r < t1)
    gaps = sum(w.gaps for w in watchers)
    dups = sum(w.dups for w in watchers)
    reorders = sum(w.reorders for w in watchers)
    return {
        "seq_errors": gaps + dups + reorders + behind,
        "accepted": len(stats.ok_recv),
        "bids_per_s": round(len(in_window) / window, 1) if window else None,
        "rejected_per_s": round(rejected_in_window / window, 1) if window else None,
        "rejected": stats.rejected,
        "reply_p50_ms": _ms(percentile(reply_lat, 0.50)),
        "reply_p99_ms": _ms(percentile(reply_lat, 0.99)),
        "deliver_p50_ms": _ms(percentile(deliv_lat, 0.50)),
        "deliver_p99_ms": _ms(percentile(deliv_lat, 0.99)),
        "last_p50_ms": _ms(percentile(last_lat, 0.50)),
        "last_p99_ms": _ms(percentile(last_lat, 0.99)),
        "deliveries_per_s": round(len(deliv_lat) / window, 1) if window else None,
        "bids_not_seen_by_all": incomplete,
        "watchers": len(watchers),
        "events_seen": sum(w.events for w in watchers),
        "seq_gaps": gaps,
        "seq_dups": dups,
        "seq_reorders": reorders,
        "watchers_behind_final": behind,
        "behind_examples": [
            f"auction {w.aid}: saw seq {w.last_seq}, final {stats.final_seq.get(w.aid)}"
            for w in lagging[:3]
        ],
        "unmatched_events": stats.unmatched_events,
        "id_mismatch": stats.id_mismatch,
        "final_seq_known": bool(stats.final_seq),
    }


def main() -> None:
    """Read a LoadConfig as JSON from stdin, run it, print one JSON result line."""
    import uvloop

    raise_nofile_limit()
    cfg = LoadConfig(**orjson.loads(sys.stdin.buffer.read()))
    try:
        result = uvloop.run(run_load(cfg))
    except Exception as exc:  # reported to the orchestrator, which shows it in the table
        result = {"fatal": f"{type(exc).__name__}: {exc}"}
    sys.stdout.buffer.write(orjson.dumps(result) + b"\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
