"""Forwarding: any process takes any command; the auction's owner decides it.

The receiving process has already authenticated and authorized the command
(service/api.py); if it does not own the auction it sends the decided-upon
`Work` (command, user, admin flag, request id) to the owner over the
internal connection (gateways/cluster.py) and relays the owner's reply bytes
unchanged. The owner answers with the auction's durable version too, so the
forwarding process's read copy is at least as new as the reply it relays.

While ownership moves (no owner yet, the owner is handing it back, or it
died) the command waits, up to MOVE_WAIT_S, and is sent again to whoever
owns the auction then. Sending again is safe: a command with a user always
carries a request id (one is made up when the client gave none), so the new
owner answers a second arrival with the first reply (idempotency). Commands
without a user (a deadline's Tick, a sale's next lot) are idempotent by the
rules. Past the wait: `conflict` ("Try again"), nothing written.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Callable
from typing import Any

from auctioneer.engine import commands as cmd
from auctioneer.engine.errors import AuctionError, InvalidCommand
from auctioneer.service.actor import Work
from auctioneer.service.errors import Conflict, Internal
from auctioneer.service.metrics import Metrics
from auctioneer.service.ownership import Ownership
from auctioneer.service.ports import Peers, PeerUnavailable

__all__ = [
    "MOVE_WAIT_S",
    "Forwarder",
    "Relayed",
    "decode_work",
    "encode_work",
    "hand_on",
    "log_failure",
]

log = logging.getLogger(__name__)

MOVE_WAIT_S = 10.0  # how long a command waits for its auction's (new) owner
_COMMANDS: dict[str, type[Any]] = {
    c.__name__: c
    for c in (
        cmd.CreateAuction, cmd.PlaceBid, cmd.StartAutoBid, cmd.StopAutoBid, cmd.BuyNow,
        cmd.UpdateAuction, cmd.EditImages, cmd.CloseAuction, cmd.CancelAuction,
        cmd.DeleteAuction, cmd.OpenLot, cmd.Tick, cmd.Remind, cmd.SetBudget,
    )
}  # fmt: skip


class Relayed(AuctionError):
    """An error the owner answered, passed on as it was (same code, message, fields)."""

    def __init__(self, wire: dict[str, Any]) -> None:
        fields = dict(wire)
        code = str(fields.pop("code", "internal"))
        message = str(fields.pop("message", ""))
        super().__init__(message, **fields)
        self.code = code


def _tuples(value: Any) -> Any:
    """JSON arrays back to the tuples every command field holds (images, bands)."""
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value


def encode_work(auction_id: int, work: Work) -> dict[str, Any]:
    """The forwarded form of a command already authorized by the receiving process."""
    command = work.command
    fields = {f.name: getattr(command, f.name) for f in dataclasses.fields(command)}
    if isinstance(command, cmd.CreateAuction):
        fields["spec"] = dataclasses.asdict(command.spec)
    return {
        "auction": auction_id,
        "command": type(command).__name__,
        "fields": fields,
        "user": work.user_id,
        "admin": work.admin,
        "rid": work.request_id,
        "now": work.now,
        "result": work.result,
    }


def decode_work(message: dict[str, Any]) -> tuple[int, Work]:
    """Raises InvalidCommand for anything that is not a forwarded command."""
    try:
        kind = _COMMANDS[message["command"]]
        fields = {name: _tuples(value) for name, value in message["fields"].items()}
        if kind is cmd.CreateAuction:
            fields["spec"] = cmd.AuctionSpec(**fields["spec"])
        work = Work(
            kind(**fields),
            user_id=message["user"],
            admin=bool(message["admin"]),
            request_id=message["rid"],
            now=message["now"],
            result=message["result"],
        )
        return int(message["auction"]), work
    except (KeyError, TypeError, ValueError) as e:
        raise InvalidCommand(f"not a forwarded command: {e}") from None


class Forwarder:
    """Sends commands to their auction's owner; answers the ones sent here.

    Args:
        ownership: who owns what.
        peers: the internal connections.
        local: queue a command on this process's own writer.
        version_of: the durable version of an auction this process owns.
        heard: tell the read copies an auction reached a version.
    """

    def __init__(
        self,
        ownership: Ownership,
        peers: Peers,
        local: Callable[[int, Work], asyncio.Future[bytes]],
        version_of: Callable[[int], int],
        heard: Callable[[int, int], None],
        metrics: Metrics | None = None,
        *,
        wait_s: float = MOVE_WAIT_S,
    ) -> None:
        self._ownership = ownership
        self._peers = peers
        self._local = local
        self._version_of = version_of
        self._heard = heard
        self._metrics = metrics or Metrics()
        self.wait_s = wait_s

    async def forward(self, auction_id: int, work: Work) -> bytes:
        """The owner's reply to `work`, as bytes; raises the owner's error."""
        if work.user_id and not work.request_id:
            work.request_id = "~" + uuid.uuid4().hex  # so that sending again is safe
        message: dict[str, Any] | None = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_s
        while True:
            if self._ownership.owns(auction_id):  # it moved here meanwhile
                return await self._local(auction_id, work)
            address = self._ownership.owner_address(auction_id)
            if address is not None:
                message = message or encode_work(auction_id, work)
                try:
                    header, body = await self._peers.call(address, message)
                except PeerUnavailable:
                    self._ownership.forget_owner(address)
                else:
                    if "error" in header:
                        raise Relayed(header["error"])
                    if not header.get("moved"):
                        self._metrics.forwarded += 1
                        self._heard(auction_id, int(header.get("version", 0)))
                        return body
            if loop.time() >= deadline:
                log.warning("auction %s found no owner within %.0f s", auction_id, self.wait_s)
                raise Conflict("The auction is moving to another server; try again")
            await self._ownership.changed(timeout=0.2)

    async def serve(self, message: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        """Answer a command another process forwarded here (the owner's side)."""
        try:
            auction_id, work = decode_work(message)
        except AuctionError as e:
            return {"error": e.to_wire()}, b""
        if not self._ownership.owns(auction_id):
            return {"moved": True}, b""
        try:
            body = await self._local(auction_id, work)
        except AuctionError as e:
            return {"error": e.to_wire()}, b""
        except Exception:
            log.exception("forwarded command on auction %s failed", auction_id)
            return {"error": Internal().to_wire()}, b""
        return {"version": self._version_of(auction_id)}, body


def hand_on(forwarder: Forwarder, auction_id: int, work: Work) -> None:
    """A command queued here while its auction moved away: the new owner
    decides it, and its caller (waiting on `work.future`) gets that answer."""
    waiting = work.future
    task = asyncio.get_running_loop().create_task(forwarder.forward(auction_id, work))

    def relay(done: asyncio.Task[bytes]) -> None:
        if waiting.done():
            return
        if done.cancelled():
            waiting.cancel()
        elif (error := done.exception()) is not None:
            waiting.set_exception(error)
        else:
            waiting.set_result(done.result())

    task.add_done_callback(relay)


def log_failure(future: asyncio.Future[bytes]) -> None:
    """For a command nobody waits for (a new lot's owner told to take it up)."""
    if not future.cancelled() and future.exception() is not None:
        log.warning("a command nobody waits for failed: %r", future.exception())
