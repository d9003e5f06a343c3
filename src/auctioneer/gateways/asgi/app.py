"""The ASGI app: HTTP routes and the web client's files.

The WebSocket door at /ws is not part of it: uvicorn hands upgrade requests
to gateways/ws/server.py directly (see there for why).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from auctioneer import __version__
from auctioneer.gateways.asgi.docs import build_docs_router
from auctioneer.gateways.asgi.headers import SecurityHeaders
from auctioneer.gateways.asgi.house_http import build_house_router
from auctioneer.gateways.asgi.http import SCHEMA_DEFS, build_router, install_error_handlers
from auctioneer.gateways.asgi.media import build_media_router
from auctioneer.gateways.asgi.openapi import finish_openapi
from auctioneer.gateways.asgi.probes import build_probe_router
from auctioneer.service.api import Api
from auctioneer.service.health import Health
from auctioneer.service.settings import Settings

__all__ = ["WEB_ROOT", "create_app"]

WEB_ROOT = Path(__file__).resolve().parents[2] / "clients" / "web"


def create_app(api: Api, settings: Settings, *, health: Health | None = None) -> FastAPI:
    """Build the HTTP app (`health`: what `/readyz` probes; the store alone without it)."""
    app = FastAPI(
        title="Auctioneer",
        version=__version__,
        description=(
            "A real-time auction house. The same actions run over WebSocket (/ws) and the "
            "TCP JSON-lines socket; docs/protocol.md in the repository is the whole contract. "
            "Money is integer minor units (12550 is 125.50). Log in with POST /api/login and "
            "use the token as `Authorization: Bearer TOKEN` (the Authorize button)."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    install_error_handlers(app)
    app.add_middleware(SecurityHeaders, hsts=settings.behind_tls)
    app.include_router(build_probe_router(api, health or Health(api.store)))
    app.include_router(build_docs_router())
    app.include_router(build_router(api, settings))
    app.include_router(build_media_router(api, settings))
    app.include_router(build_house_router(api))
    app.mount("/", StaticFiles(directory=WEB_ROOT, html=True, check_dir=False), name="web")
    _add_shared_schemas(app)
    return app


def _add_shared_schemas(app: FastAPI) -> None:
    """Put the request models that bodies refer to into the OpenAPI components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            with warnings.catch_warnings():  # finish_openapi makes the ids unique
                warnings.filterwarnings("ignore", "Duplicate Operation ID", UserWarning)
                schema = build()
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, definition in SCHEMA_DEFS.items():
                schemas.setdefault(name, definition)
            app.openapi_schema = finish_openapi(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
