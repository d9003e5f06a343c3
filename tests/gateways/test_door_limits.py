"""What one TCP client may hold (issue 20, items 5 and 6), on an in-process gateway."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest

from auctioneer.gateways.guard import ConnectionGuard
from auctioneer.gateways.tcp.server import TcpDoor, TcpGateway
from auctioneer.service.settings import Settings
from tests.service.stack import Stack


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    stack = await Stack.build()
    yield stack
    await stack.close()


async def _gateway(
    stack: Stack, guard: ConnectionGuard | None = None, **options: float
) -> tuple[TcpGateway, str, int]:
    gateway = TcpGateway(stack.api, stack.hub, Settings(**options), guard=guard)  # type: ignore[arg-type]
    host, port = await gateway.start("127.0.0.1", 0)
    return gateway, host, port


async def _welcomed(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port)
    assert b"welcome" in await asyncio.wait_for(reader.readline(), 5)
    return reader, writer


async def test_one_address_may_hold_only_its_share_of_connections(stack: Stack) -> None:
    gateway, host, port = await _gateway(stack, ConnectionGuard(3))
    try:
        held = [await _welcomed(host, port) for _ in range(3)]
        reader, writer = await asyncio.open_connection(host, port)
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed, not even a welcome
        writer.close()
        held[0][1].close()
        async with asyncio.timeout(5):  # its place is free once the server sees it close
            while len(gateway.doors.open) > 2:
                await asyncio.sleep(0.01)
        held.append(await _welcomed(host, port))
        for _, w in held[1:]:
            w.close()
    finally:
        await gateway.stop()


async def test_a_silent_client_is_disconnected_after_the_idle_timeout(stack: Stack) -> None:
    gateway, host, port = await _gateway(stack, idle_timeout_s=0.3)
    try:
        quiet_reader, quiet_writer = await _welcomed(host, port)
        talker_reader, talker_writer = await _welcomed(host, port)
        started = time.monotonic()
        for _ in range(6):  # a client that pings now and then stays
            talker_writer.write(b'{"action":"ping"}\n')
            assert b"server_time" in await asyncio.wait_for(talker_reader.readline(), 5)
            await asyncio.sleep(0.1)
        assert await asyncio.wait_for(quiet_reader.read(), 5) == b""
        assert time.monotonic() - started < 3
        talker_writer.write(b'{"id":"still","action":"ping"}\n')
        assert b'"still"' in await asyncio.wait_for(talker_reader.readline(), 5)
        quiet_writer.close()
        talker_writer.close()
    finally:
        await gateway.stop()


async def test_a_client_that_never_reads_cannot_make_the_server_queue_without_end(
    stack: Stack,
) -> None:
    gateway, host, port = await _gateway(stack, max_in_flight=16)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # it will not read anyway
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    try:
        await loop.sock_connect(sock, (host, port))
        line = b'{"id":"a-request-id-long-enough-to-fill-things","action":"ping"}\n'
        lines = 0  # whole lines the server has been sent
        pending = b""
        stalled_since = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            data = pending or line * 64
            try:
                sent = sock.send(data)
                lines += data[:sent].count(b"\n")
                pending = data[sent:]
                stalled_since = None
            except BlockingIOError:  # the server stopped reading us
                stalled_since = stalled_since or time.monotonic()
                if time.monotonic() - stalled_since > 0.5:
                    break
            await asyncio.sleep(0)
        assert stalled_since is not None, "the server kept reading a client that never reads"
        (door,) = [d for d in gateway.doors.open if isinstance(d, TcpDoor)]
        assert door.transport is not None and door.conn is not None
        assert not door.transport.is_reading()
        # What the server holds for it is bounded: the transport's buffer above
        # its high-water mark plus at most max_in_flight replies.
        assert len(door.conn._outbox) <= 16 + 1
        assert door.transport.get_write_buffer_size() < 1_000_000
        # It reads at last: every reply comes, in order, and the socket goes on.
        wanted = lines + pending.count(b"\n") + 1  # and the welcome
        replies = 0

        async def read_all() -> None:
            nonlocal replies
            while replies < wanted:
                replies += (await loop.sock_recv(sock, 65536)).count(b"\n")

        reading = asyncio.ensure_future(read_all())
        await loop.sock_sendall(sock, pending)
        async with asyncio.timeout(20):
            await reading
        assert replies == wanted
    finally:
        sock.close()
        await gateway.stop()
