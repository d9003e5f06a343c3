"""The socket doors at the byte level: what a WebSocket or TCP peer sees.

The WebSocket door is our own asyncio Protocol behind uvicorn's upgrade hook
(gateways/ws/server.py), so the handshake, fragments, pings, close codes and
back-pressure are checked here with a real `websockets` client and raw
sockets against a real server process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.e2e.support import House, stop_server
from tests.helpers.server import RunningServer, start_server

TIMEOUT = 10.0


async def _next_json(ws: Any) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    return result


async def test_websocket_upgrades_are_only_accepted_at_ws(house: House) -> None:
    base = house.server.ws_url.removesuffix("/ws")
    with pytest.raises(InvalidStatus) as refused:
        async with connect(base + "/elsewhere", open_timeout=TIMEOUT):
            pass
    assert refused.value.response.status_code == 404
    async with connect(house.server.ws_url + "?client=test", open_timeout=TIMEOUT) as ws:
        assert (await _next_json(ws))["event"] == "welcome"


async def test_a_fragmented_message_is_read_whole(house: House) -> None:
    async with connect(house.server.ws_url, open_timeout=TIMEOUT) as ws:
        await _next_json(ws)
        await ws.send(iter(['{"id":"frag",', '"action":', '"ping"}']))
        reply = await _next_json(ws)
        assert reply["id"] == "frag" and reply["ok"] is True


async def test_pings_are_answered_and_binary_frames_read_as_json(house: House) -> None:
    async with connect(house.server.ws_url, open_timeout=TIMEOUT) as ws:
        await _next_json(ws)
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, TIMEOUT)
        await ws.send(b'{"id":"bin","action":"ping"}')
        reply = await _next_json(ws)
        assert reply["id"] == "bin" and reply["ok"] is True


async def test_a_text_frame_that_is_not_utf8_closes_with_1007(house: House) -> None:
    reader, writer = await _raw_websocket(house.server)
    try:
        # A masked text frame whose payload is not UTF-8 (mask of zeros).
        payload = b'{"action":"ping","x":"\xff"}'
        writer.write(bytes((0x81, 0x80 | len(payload))) + b"\0\0\0\0" + payload)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), TIMEOUT)  # until the server closes
        close = data[data.rindex(b"\x88") :]
        assert int.from_bytes(close[2:4], "big") == 1007
    finally:
        writer.close()


async def test_a_client_close_is_answered_and_the_server_goes_on(house: House) -> None:
    async with connect(house.server.ws_url, open_timeout=TIMEOUT) as ws:
        await _next_json(ws)
        await ws.close(code=1000, reason="bye")
        assert ws.close_code == 1000
    async with connect(house.server.ws_url, open_timeout=TIMEOUT) as ws:
        await _next_json(ws)
        await ws.send('{"id":"again","action":"ping"}')
        assert (await _next_json(ws))["id"] == "again"


async def test_a_client_that_sends_without_reading_is_throttled_not_dropped(
    house: House,
) -> None:
    """Thousands of pipelined requests while reading nothing: the server stops
    reading from this client (its replies wait in the socket), others are
    served meanwhile, and every reply arrives in order once it reads again."""
    count = 5000
    sock = socket.create_connection((house.server.tcp_host, house.server.tcp_port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    try:
        lines = b"".join(b'{"id":"p%d","action":"ping"}\n' % i for i in range(count))
        await asyncio.wait_for(loop.sock_sendall(sock, lines), TIMEOUT)
        bystander = await house.connect("ws")
        assert (await bystander.request("ping"))["ok"]
        got: list[str] = []
        buffer = b""
        async with asyncio.timeout(30):
            while len(got) < count + 1:  # the welcome, then the replies
                buffer += await loop.sock_recv(sock, 65536)
                *complete, buffer = buffer.split(b"\n")
                got += [json.loads(line).get("id") for line in complete]
        assert got[1:] == [f"p{i}" for i in range(count)]
    finally:
        sock.close()


async def test_a_shutdown_closes_websockets_with_1001_and_tcp_cleanly(
    tmp_path: Any,
) -> None:
    server = start_server(tmp_path / "shutdown.db")
    stopped = False
    try:
        async with connect(server.ws_url, open_timeout=TIMEOUT) as ws:
            await _next_json(ws)
            reader, writer = await asyncio.open_connection(server.tcp_host, server.tcp_port)
            await reader.readline()  # the welcome
            loop = asyncio.get_running_loop()
            code = await loop.run_in_executor(None, stop_server, server)
            stopped = True
            assert code == 0
            with pytest.raises(ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert ws.close_code == 1001
            assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""
            writer.close()
    finally:
        if not stopped:
            stop_server(server)


async def _raw_websocket(server: RunningServer) -> tuple[asyncio.StreamReader, Any]:
    """A hand-made WebSocket handshake, for frames no client library would send."""
    host, port = server.http_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    assert head.startswith(b"HTTP/1.1 101")
    with contextlib.suppress(asyncio.IncompleteReadError):
        first = await asyncio.wait_for(reader.readexactly(2), TIMEOUT)  # the welcome frame
        await reader.readexactly(first[1] & 0x7F)
    return reader, writer


async def test_a_silent_websocket_is_pinged_then_closed_with_1011_and_a_live_one_stays(
    tmp_path: Any,
) -> None:
    server = start_server(tmp_path / "keepalive.db", env={"AUCTIONEER_PING_INTERVAL_S": "0.3"})
    try:
        async with connect(server.ws_url, open_timeout=TIMEOUT, ping_interval=None) as live:
            await _next_json(live)  # this client's library answers pings by itself
            reader, writer = await _raw_websocket(server)
            try:
                head = await asyncio.wait_for(reader.readexactly(2), TIMEOUT)
                assert head[0] == 0x89  # a ping, after 0.3 s of silence
                await reader.readexactly(head[1] & 0x7F)
                rest = await asyncio.wait_for(reader.read(), TIMEOUT)  # unanswered: closed
                assert rest[0] == 0x88 and int.from_bytes(rest[2:4], "big") == 1011
            finally:
                writer.close()
            await asyncio.sleep(1.0)  # several intervals: answered pings keep it open
            await live.send('{"id":"still","action":"ping"}')
            assert (await _next_json(live))["id"] == "still"
    finally:
        stop_server(server)
