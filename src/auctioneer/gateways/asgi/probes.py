"""The operator's routes: `/healthz`, `/readyz` and `/metrics` (docs/deploy.md).

Unauthenticated and tiny, for a load balancer and an orchestrator: live is
"the process answers HTTP", ready is "its store and broker answer" (503 with
the names of what is down). `/metrics` is the Prometheus text for a scraper
that sends the `--metrics-token` as a bearer token; without a token set it
does not exist. Not in the OpenAPI document: they are not part of the API.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from auctioneer.service.api import Api
from auctioneer.service.health import Health
from auctioneer.service.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE

__all__ = ["build_probe_router"]

_JSON = "application/json"
_NO_STORE = {"Cache-Control": "no-store"}


def build_probe_router(api: Api, health: Health) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> Response:
        return Response(b'{"status":"ok"}', media_type=_JSON, headers=_NO_STORE)

    @router.get("/readyz")
    async def readyz() -> Response:
        down = await health.down()
        if not down:
            return Response(b'{"status":"ready"}', media_type=_JSON, headers=_NO_STORE)
        body = orjson.dumps({"status": "unavailable", "down": down})
        return Response(body, status_code=503, media_type=_JSON, headers=_NO_STORE)

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        text = api.metrics_for_scraper(token.strip() if scheme.lower() == "bearer" else "")
        return Response(text, media_type=METRICS_CONTENT_TYPE, headers=_NO_STORE)

    return router
