"""The internal door: the processes of one house forward commands to each other.

A plain TCP connection per pair of processes, kept open and multiplexed
(each request carries an id; answers may come in any order). A frame is a
4-byte big-endian length, then a JSON header, a newline, and raw bytes (the
owner's reply, relayed unchanged). The first frame on a connection proves
the house's cluster secret (stored in the database, so only processes that
can read the database can forward); anything else closes it. This door knows
framing and the secret only; what a forwarded command means is
service/forwarding.py's.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from auctioneer.service.ports import PeerUnavailable

__all__ = ["ClusterDoor", "PeerLinks"]

log = logging.getLogger(__name__)

MAX_FRAME = 4 * 1024 * 1024
CONNECT_TIMEOUT_S = 2.0
_LENGTH = struct.Struct(">I")

Serve = Callable[[dict[str, Any]], Awaitable[tuple[dict[str, Any], bytes]]]


def _frame(header: dict[str, Any], body: bytes = b"") -> bytes:
    payload = orjson.dumps(header) + b"\n" + body
    return _LENGTH.pack(len(payload)) + payload


async def _read_frame(reader: asyncio.StreamReader) -> tuple[dict[str, Any], bytes]:
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    if length > MAX_FRAME:
        raise ValueError(f"frame of {length} bytes")
    payload = await reader.readexactly(length)
    head, _, body = payload.partition(b"\n")
    header = orjson.loads(head)
    if not isinstance(header, dict):
        raise ValueError("header is not an object")
    return header, body


class ClusterDoor:
    """Listens for the other processes' forwarded commands."""

    def __init__(self, serve: Serve, secret: Callable[[], str]) -> None:
        self._serve = serve
        self._secret = secret  # read when a peer connects (known once the house is joined)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.address = ""

    async def start(self, host: str, port: int = 0) -> str:
        """Listen; returns the address the others reach this process at."""
        self._server = await asyncio.start_server(self._handle, host, port)
        bound = self._server.sockets[0].getsockname()
        shown = host if host not in ("", "0.0.0.0", "::") else socket.gethostname()
        self.address = f"{shown}:{bound[1]}"
        return self.address

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        running: set[asyncio.Task[None]] = set()
        try:
            hello, _ = await asyncio.wait_for(_read_frame(reader), CONNECT_TIMEOUT_S)
            secret = self._secret()
            if not secret or not hmac.compare_digest(str(hello.get("secret", "")), secret):
                log.warning("a peer without the cluster secret was refused")
                return
            while True:
                header, _ = await _read_frame(reader)
                answer = asyncio.get_running_loop().create_task(self._answer(header, writer))
                running.add(answer)
                answer.add_done_callback(running.discard)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, TimeoutError):
            pass
        finally:
            for answer in running:
                answer.cancel()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self._tasks.discard(task)

    async def _answer(self, header: dict[str, Any], writer: asyncio.StreamWriter) -> None:
        ref = header.pop("ref", None)
        reply, body = await self._serve(header)
        if not writer.is_closing():
            writer.write(_frame({**reply, "ref": ref}, body))


class _Link:
    """One open connection to one peer, multiplexed."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.waiting: dict[int, asyncio.Future[tuple[dict[str, Any], bytes]]] = {}
        self.next_ref = 0
        self.reading = asyncio.get_running_loop().create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                header, body = await _read_frame(reader)
                waiter = self.waiting.pop(int(header.pop("ref", -1)), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result((header, body))
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, OSError):
            pass
        finally:
            self.close()

    def close(self) -> None:
        self.writer.close()
        for waiter in self.waiting.values():
            if not waiter.done():
                waiter.set_exception(PeerUnavailable("the connection to the owner broke"))
        self.waiting.clear()

    @property
    def alive(self) -> bool:
        return not self.writer.is_closing() and not self.reading.done()


class PeerLinks:
    """The `Peers` port: one kept-open link per peer address."""

    def __init__(self, secret: Callable[[], str]) -> None:
        self._secret = secret
        self._links: dict[str, _Link] = {}
        self._opening: dict[str, asyncio.Task[_Link]] = {}

    async def call(self, address: str, header: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        link = await self._link(address)
        ref = link.next_ref = link.next_ref + 1
        waiter: asyncio.Future[tuple[dict[str, Any], bytes]]
        waiter = asyncio.get_running_loop().create_future()
        link.waiting[ref] = waiter
        try:
            link.writer.write(_frame({**header, "ref": ref}))
        except (ConnectionError, OSError) as e:
            link.waiting.pop(ref, None)
            link.close()
            raise PeerUnavailable(str(e)) from e
        return await waiter

    async def _link(self, address: str) -> _Link:
        link = self._links.get(address)
        if link is not None and link.alive:
            return link
        opening = self._opening.get(address)
        if opening is None:
            opening = asyncio.get_running_loop().create_task(self._open(address))
            self._opening[address] = opening
            opening.add_done_callback(lambda _: self._opening.pop(address, None))
        return await asyncio.shield(opening)

    async def _open(self, address: str) -> _Link:
        host, _, port = address.rpartition(":")
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, int(port)), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError, ValueError) as e:
            raise PeerUnavailable(f"{address}: {e}") from e
        writer.write(_frame({"secret": self._secret()}))
        link = self._links[address] = _Link(reader, writer)
        return link

    async def close(self) -> None:
        for link in self._links.values():
            link.close()
            link.reading.cancel()
        self._links.clear()
