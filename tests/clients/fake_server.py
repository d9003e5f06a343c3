"""A tiny JSON-lines server that speaks just enough protocol to test `Client` I/O.

Why a fake next to the real one: reconnect and resume must be tested by
cutting connections at chosen moments, which the real server (a subprocess)
does not let a test do. The real server is used by the end-to-end tests.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["FakeServer"]

NOW = "2026-11-21T10:00:00.000Z"


@dataclass
class FakeServer:
    """Topics hold event logs; `publish` appends and pushes; `drop_all` cuts everyone."""

    host: str = "127.0.0.1"
    port: int = 0
    logs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    writers: dict[asyncio.StreamWriter, set[str]] = field(default_factory=dict)
    silent: set[str] = field(default_factory=set)
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        await self.drop_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def drop_all(self) -> None:
        for writer in list(self.writers):
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        self.writers.clear()

    def publish(self, topic: str, name: str, *, push: bool = True, **data: Any) -> dict[str, Any]:
        log = self.logs.setdefault(topic, [])
        event = {"event": name, "topic": topic, "seq": len(log) + 1, "at": NOW, "data": data}
        log.append(event)
        if push:
            for writer, topics in self.writers.items():
                if topic in topics:
                    writer.write(orjson.dumps(event) + b"\n")
        return event

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        topics: set[str] = set()
        self.writers[writer] = topics

        def send(message: dict[str, Any]) -> None:
            writer.write(orjson.dumps(message) + b"\n")

        send({"event": "welcome", "data": {"protocol": 1, "server_time": NOW}})
        try:
            while line := await reader.readline():
                req = orjson.loads(line)
                self.requests.append(req)
                action = req.get("action")
                if action in self.silent:
                    continue
                result: dict[str, Any] = {}
                if action == "ping":
                    result = {"server_time": NOW}
                elif action == "auth":
                    result = {"user": {"id": 1, "username": "ann", "role": "bidder", "paddle": 1}}
                elif action == "subscribe":
                    log = self.logs.setdefault(req["topic"], [])
                    send(
                        {
                            "id": req["id"],
                            "ok": True,
                            "result": {"topic": req["topic"], "seq": len(log)},
                        }
                    )
                    if "since" in req:
                        for event in log[req["since"] :]:
                            send(event)
                    topics.add(req["topic"])
                    continue
                elif action == "unsubscribe":
                    topics.discard(req["topic"])
                elif action == "fail":
                    send(
                        {
                            "id": req["id"],
                            "ok": False,
                            "error": {"code": "bid_too_low", "message": "no"},
                        }
                    )
                    continue
                send({"id": req["id"], "ok": True, "result": result})
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.writers.pop(writer, None)
            writer.close()
