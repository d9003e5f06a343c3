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


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    """Blocking read of `size` bytes (bounded by the socket's timeout)."""
    chunks: list[bytes] = []
    while size > 0:
        chunk = sock.recv(min(size, 65_536))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


async def _order_survives_a_full_socket() -> None:
    stack = await Stack.build()
    gateway = TcpGateway(stack.api, stack.hub, Settings())
    host, port = await gateway.start("127.0.0.1", 0)
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills after a few KB
    client.settimeout(10)
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, client.connect, (host, port))
        welcome = await loop.run_in_executor(None, client.recv, 4096)
        assert welcome.endswith(b"\n")
        (door,) = gateway.doors.open
        transport = door.transport
        assert transport is not None
        transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        lines = iter(b"%06d" % i + b"x" * 1000 for i in range(100_000))
        written: list[bytes] = []

        def write(count: int) -> None:
            for _ in range(count):
                written.append(next(lines))
                door.write([written[-1]])

        # The peer reads nothing: the socket fills and the transport keeps the rest.
        while not transport.get_write_buffer_size():
            assert len(written) < 10_000, "the socket never filled: the test proves nothing"
            write(1)
        write(20)
        # The peer reads some (the loop does not run meanwhile, so the transport
        # has not flushed): the socket has room again, but what the transport
        # holds must still go first.
        read = b""
        while len(read) < 2_048:
            read += client.recv(65_536)
        write(20)
        size = sum(len(line) + 1 for line in written)
        read += await loop.run_in_executor(None, _read_exactly, client, size - len(read))
        for _ in range(500):  # every byte was read: the transport has drained
            if not transport.get_write_buffer_size():
                break
            await asyncio.sleep(0.01)
        write(20)  # and straight into the socket again
        size = sum(len(line) + 1 for line in written)
        read += await loop.run_in_executor(None, _read_exactly, client, size - len(read))
        assert read == b"".join(line + b"\n" for line in written)
    finally:
        client.close()
        await gateway.stop()
        await stack.close()


@pytest.mark.parametrize("loop_name", ["asyncio", "uvloop"])
def test_output_keeps_its_order_when_the_socket_fills_and_drains(loop_name: str) -> None:
    """A door writes to the socket itself only while the transport holds nothing unsent."""
    import uvloop

    factory = uvloop.new_event_loop if loop_name == "uvloop" else asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(_order_survives_a_full_socket())
