"""Transports frame whole JSON messages; a URL picks the door."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from auctioneer.clients.errors import PeerProtocolError
from auctioneer.clients.transports import (
    TransportClosed,
    connect_tcp,
    connect_url,
    decode,
    encode,
    websocket_url,
)

__all__: list[str] = []


@pytest.mark.parametrize(
    ("server", "url"),
    [
        ("http://127.0.0.1:8000", "ws://127.0.0.1:8000/ws"),
        ("http://127.0.0.1:8000/", "ws://127.0.0.1:8000/ws"),
        ("https://example.org", "wss://example.org/ws"),
        ("ws://h:1/custom", "ws://h:1/custom"),
        ("ws://h:1", "ws://h:1/ws"),
        ("127.0.0.1:8000", "ws://127.0.0.1:8000/ws"),
    ],
)
def test_an_http_server_url_gives_its_websocket_url(server: str, url: str) -> None:
    assert websocket_url(server) == url


def test_a_url_of_another_scheme_is_refused() -> None:
    with pytest.raises(ValueError):
        websocket_url("ftp://h")


def test_messages_are_compact_json_and_bad_json_is_a_peer_error() -> None:
    assert encode({"a": 1}) == b'{"a":1}'
    assert decode(b'{"a":1}') == {"a": 1}
    with pytest.raises(PeerProtocolError):
        decode(b"{nope")


@pytest.fixture
async def echo_lines() -> AsyncIterator[tuple[str, int, list[bytes]]]:
    received: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b'{"event":"welcome","data":{}}\n\n{"split":')
        await writer.drain()
        writer.write(b'"yes"}\n')
        received.append(await reader.readline())
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    yield host, port, received
    server.close()
    await server.wait_closed()


async def test_tcp_reads_whole_lines_skips_blank_ones_and_reports_the_close(
    echo_lines: tuple[str, int, list[bytes]],
) -> None:
    host, port, received = echo_lines
    transport = await connect_url(f"tcp://{host}:{port}")
    assert await transport.receive() == {"event": "welcome", "data": {}}
    assert await transport.receive() == {"split": "yes"}
    await transport.send({"action": "ping"})
    with pytest.raises(TransportClosed):
        await transport.receive()
    await transport.close()
    await transport.close()  # twice is fine
    assert received == [b'{"action":"ping"}\n']


async def test_connecting_to_a_closed_port_raises_os_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(OSError):
        await connect_tcp("127.0.0.1", port, timeout=2)
