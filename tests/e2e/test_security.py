"""Security hardening over the wire, on a real server (issue 20, docs/security.md).

One server for the module, with limits tight enough to reach in a test:
a 0.5 s header timeout, 8 connections per address, 2 failed logins and 2
registrations per address a minute, 127.0.0.2 as the one trusted proxy,
https://app.example as an extra WebSocket origin, and HSTS on.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.e2e.conftest import Template
from tests.e2e.support import PASSWORD, fresh_db, stop_server, unique
from tests.helpers.server import RunningServer, start_server

OPTIONS = [
    *("--header-timeout", "0.5"),
    *("--max-connections-per-address", "8"),
    *("--login-failures", "2"),
    *("--registrations", "2"),
    *("--forwarded-allow-ips", "127.0.0.2"),
    *("--allowed-origins", "https://app.example"),
    "--behind-tls",
]


@pytest.fixture(scope="module")
def guarded(
    template: Template, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    db = fresh_db(template.db, tmp_path_factory.mktemp("db"))
    server = start_server(db, *OPTIONS)
    yield server
    stop_server(server)


def _address(server: RunningServer) -> tuple[str, int]:
    host, port = server.http_url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def _http(server: RunningServer, local: str | None = None) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=local) if local else None
    return httpx.AsyncClient(base_url=server.http_url, transport=transport, timeout=10)


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


# -- browsers: headers, content types, origins --------------------------------------


async def test_every_reply_carries_the_security_headers(guarded: RunningServer) -> None:
    async with _http(guarded) as http:
        page = await http.get("/")
        api = await http.get("/api/auctions")
        login = await http.post("/api/login", json={"username": unique("n"), "password": "x"})
    for reply in (page, api, login):
        headers = reply.headers
        policy = {
            part.strip().split(" ", 1)[0]: part.strip()
            for part in headers["content-security-policy"].split(";")
        }
        assert policy["default-src"] == "default-src 'self'"
        assert policy["frame-ancestors"] == "frame-ancestors 'none'"
        assert policy["object-src"] == "object-src 'none'"
        assert "script-src" not in policy  # scripts: 'self' only, no inline
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["strict-transport-security"].startswith("max-age=")  # --behind-tls
    assert api.headers["cache-control"] == "no-store"
    assert login.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""]
)
async def test_a_write_whose_body_is_not_json_is_refused_with_415(
    guarded: RunningServer, content_type: str
) -> None:
    body = f'{{"username": "{unique("f")}", "password": "{PASSWORD}"}}'
    async with _http(guarded) as http:
        reply = await http.post(
            "/api/register", content=body, headers={"Content-Type": content_type}
        )
        assert reply.status_code == 415
        assert reply.json()["error"]["code"] == "unsupported_media_type"
        fine = await http.post(
            "/api/login",
            content=f'{{"username": "{unique("n")}", "password": "x"}}',
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        assert fine.status_code == 401


async def test_a_websocket_handshake_is_accepted_only_from_allowed_origins(
    guarded: RunningServer,
) -> None:
    host, port = _address(guarded)
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(guarded.ws_url, origin="https://evil.example"):
            pass
    assert refused.value.response.status_code == 403
    for origin in (f"http://{host}:{port}", "https://app.example", None):
        async with websockets.connect(guarded.ws_url, origin=origin) as ws:  # type: ignore[arg-type]
            assert '"welcome"' in str(await asyncio.wait_for(ws.recv(), 5))


# -- resources: bodies, slow and idle connections, connection caps --------------------


async def test_a_declared_oversized_body_is_refused_before_any_of_it_is_read(
    guarded: RunningServer,
) -> None:
    host, port = _address(guarded)
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 200000000\r\n\r\n"
    )
    status = await asyncio.wait_for(reader.readline(), 5)
    assert status.startswith(b"HTTP/1.1 413")
    writer.close()


async def test_a_streamed_body_is_cut_off_at_the_limit_and_costs_no_memory(
    guarded: RunningServer,
) -> None:
    before = _rss_kb(guarded.proc.pid)
    host, port = _address(guarded)
    sock = socket.create_connection((host, port))
    sock.settimeout(5)
    sock.sendall(
        b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
    sent = 0
    try:
        while sent < 50_000_000:
            sock.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass  # the server answered and closed: good
    reply = b""
    try:
        reply = sock.recv(200)
    except OSError:
        pass
    finally:
        sock.close()
    assert sent < 50_000_000 or reply.startswith(b"HTTP/1.1 413")
    if reply:
        assert reply.startswith(b"HTTP/1.1 413")
    assert _rss_kb(guarded.proc.pid) - before < 30_000  # KB; not the 50 MB it was sent


async def test_silent_and_half_sent_requests_are_closed_after_the_header_timeout(
    guarded: RunningServer,
) -> None:
    host, port = _address(guarded)
    silent = await asyncio.open_connection(host, port)
    half = await asyncio.open_connection(host, port)
    half[1].write(b"GET /api/auctions HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    started = time.monotonic()
    for reader, _ in (silent, half):
        assert await asyncio.wait_for(reader.read(), 5) == b""
    assert time.monotonic() - started < 3
    for _, writer in (silent, half):
        writer.close()


async def test_one_address_cannot_hold_more_than_its_connections_on_either_port(
    guarded: RunningServer,
) -> None:
    held = []
    try:
        async with asyncio.timeout(20):
            while len(held) < 8:  # earlier tests' connections may still be closing
                try:
                    ws = await websockets.connect(guarded.ws_url)
                    await ws.recv()
                    held.append(ws)
                except (OSError, websockets.ConnectionClosed, websockets.InvalidHandshake):
                    await asyncio.sleep(0.1)
        with pytest.raises((OSError, websockets.ConnectionClosed, websockets.InvalidHandshake)):
            extra = await websockets.connect(guarded.ws_url, open_timeout=5)
            await extra.recv()
        reader, writer = await asyncio.open_connection(guarded.tcp_host, guarded.tcp_port)
        assert await asyncio.wait_for(reader.read(), 5) == b""  # the TCP port counts too
        writer.close()
        await held.pop().close()
        async with asyncio.timeout(10):
            while True:
                reader, writer = await asyncio.open_connection(guarded.tcp_host, guarded.tcp_port)
                line = await asyncio.wait_for(reader.readline(), 5)
                writer.close()
                if b"welcome" in line:
                    break
                await asyncio.sleep(0.1)
    finally:
        for ws in held:
            await ws.close()


# -- who the client is: forwarded addresses, registrations ----------------------------


async def test_forwarded_for_is_believed_only_from_the_named_proxy(
    guarded: RunningServer, template: Template
) -> None:
    ann, bob = template.accounts[6], template.accounts[7]

    async def login(http: httpx.AsyncClient, name: str, forwarded: str) -> int:
        reply = await http.post(
            "/api/login",
            json={"username": name, "password": "wrong-password"},
            headers={"X-Forwarded-For": forwarded},
        )
        return reply.status_code

    async with _http(guarded) as direct:  # 127.0.0.1 is nobody's proxy: its header is ignored
        codes = [await login(direct, ann.username, f"10.0.0.{i}") for i in range(3)]
    assert codes == [401, 401, 429]
    async with _http(guarded, local="127.0.0.2") as proxy:  # the trusted proxy
        codes = [await login(proxy, bob.username, "10.9.9.9") for _ in range(3)]
        assert codes == [401, 401, 429]
        assert await login(proxy, bob.username, "10.9.9.10") == 401  # another client


async def test_a_websocket_behind_the_named_proxy_is_its_forwarded_client(
    guarded: RunningServer, template: Template
) -> None:
    name = template.accounts[5].username

    async def failures(forwarded: str, tries: int) -> list[str]:
        async with websockets.connect(
            guarded.ws_url,
            additional_headers={"X-Forwarded-For": forwarded},
            local_addr=("127.0.0.2", 0),
        ) as ws:
            await ws.recv()  # welcome
            codes = []
            for _ in range(tries):
                request = {"action": "login", "username": name, "password": "wrong-password"}
                await ws.send(json.dumps(request))
                codes.append(json.loads(await ws.recv())["error"]["code"])
            return codes

    assert await failures("10.7.7.7", 3) == ["unauthorized", "unauthorized", "rate_limited"]
    assert await failures("10.7.7.8", 1) == ["unauthorized"]  # another client


async def test_registrations_are_limited_per_address(guarded: RunningServer) -> None:
    async with _http(guarded, local="127.0.0.3") as http:
        codes = [
            (
                await http.post(
                    "/api/register", json={"username": unique("r"), "password": PASSWORD}
                )
            ).status_code
            for _ in range(3)
        ]
    assert codes == [201, 201, 429]


def test_database_files_are_readable_by_their_owner_only(template: Template) -> None:
    for path in (template.db, Path(f"{template.db}-wal")):
        if path.exists():
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
