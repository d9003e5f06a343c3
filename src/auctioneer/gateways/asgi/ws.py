"""The WebSocket door: one JSON object per text frame, at /ws.

The same Connection as the TCP door; this file only moves frames. A frame
over 65,536 bytes never reaches us: uvicorn closes with 1009 (its
`ws_max_size` is set from the same limit). A subscriber that falls too far
behind is closed with 1008 and a reason; it can resume with `since`.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.websockets import WebSocket, WebSocketDisconnect

from auctioneer.gateways.connection import Connection
from auctioneer.pubsub.hub import Hub
from auctioneer.service.api import Api
from auctioneer.service.ports import Frame
from auctioneer.service.settings import Settings

__all__ = ["WebSocketGateway"]

POLICY_VIOLATION = 1008


class WebSocketGateway:
    def __init__(self, api: Api, hub: Hub, settings: Settings) -> None:
        self.api = api
        self.hub = hub
        self.settings = settings
        self.connections: set[Connection] = set()

    async def endpoint(self, websocket: WebSocket) -> None:
        await websocket.accept()
        client = websocket.client
        conn = Connection(
            self.api,
            self.hub,
            address=client.host if client else "",
            queue_limit=self.settings.queue_limit,
            max_in_flight=self.settings.max_in_flight,
        )
        self.connections.add(conn)
        sender = asyncio.get_running_loop().create_task(self._send(conn, websocket))
        try:
            while not conn.closed:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                data = message.get("text")
                if data is None:
                    data = message.get("bytes") or b""
                await conn.receive(data)
        except (WebSocketDisconnect, RuntimeError, ConnectionError):
            pass
        finally:
            conn.close(conn.close_reason or "client left")
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
            await conn.finish()
            self.connections.discard(conn)

    async def _send(self, conn: Connection, websocket: WebSocket) -> None:
        try:
            while True:
                items = await conn.take()
                if not items:
                    break
                for item in items:
                    text = item.text if isinstance(item, Frame) else item.decode("utf-8")
                    await websocket.send_text(text)
            reason = conn.close_reason or ""
            if reason.startswith("slow consumer") or reason.startswith("closed after"):
                await websocket.close(code=POLICY_VIOLATION, reason=reason[:120])
        except (WebSocketDisconnect, RuntimeError, ConnectionError):
            conn.close("write failed")

    def close_all(self) -> None:
        for conn in list(self.connections):
            conn.close("server shutting down")
