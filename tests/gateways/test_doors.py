"""The TCP door in-process: socket options and what a shutdown does to its clients."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from auctioneer.gateways.tcp.server import TcpGateway
from auctioneer.service.settings import Settings
from tests.service.stack import Stack


@pytest.fixture
async def served() -> AsyncIterator[tuple[TcpGateway, asyncio.StreamReader, asyncio.StreamWriter]]:
    """A TCP gateway on a free port and one client past its welcome."""
    stack = await Stack.build()
    gateway = TcpGateway(stack.api, stack.hub, Settings())
    host, port = await gateway.start("127.0.0.1", 0)
    reader, writer = await asyncio.open_connection(host, port)
    await reader.readline()  # the welcome: the door is open
    yield gateway, reader, writer
    writer.close()
    await gateway.stop()
    await stack.close()


async def test_accepted_sockets_have_tcp_keepalive_so_vanished_peers_are_found(
    served: tuple[TcpGateway, asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    gateway, _, _ = served
    (door,) = gateway.doors.open
    assert door.transport is not None
    sock = door.transport.get_extra_info("socket")
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    if hasattr(socket, "TCP_KEEPIDLE"):
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 60


async def test_stopping_the_gateway_closes_its_clients_after_a_last_flush(
    served: tuple[TcpGateway, asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    gateway, reader, writer = served
    writer.write(b'{"id":"p","action":"ping"}\n')
    assert b'"id":"p"' in await asyncio.wait_for(reader.readline(), 5)
    await gateway.stop()
    assert await asyncio.wait_for(reader.read(), 5) == b""  # closed, nothing more
    assert gateway.doors.open == set()


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65_535, 65_536, 200_000])
def test_server_frames_parse_as_one_final_unmasked_text_frame(size: int) -> None:
    """Our frame header, read back by `websockets`' own client-side parser."""
    from websockets.frames import Frame as WsFrame
    from websockets.frames import Opcode
    from websockets.streams import StreamReader

    from auctioneer.gateways.ws.server import _header

    payload = b"x" * size
    reader = StreamReader()
    reader.feed_data(_header(len(payload)) + payload)
    parser = WsFrame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame = done.value
    else:
        raise AssertionError("the header promised more bytes than it carried")
    assert (frame.opcode, frame.fin, frame.data) == (Opcode.TEXT, True, payload)
