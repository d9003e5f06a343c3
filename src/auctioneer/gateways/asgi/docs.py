"""Swagger UI at /api/docs (and /docs), served from this server only.

Why not FastAPI's built-in page: it loads Swagger UI's script and style from
a public CDN, so the API page would run code this server does not control
(a security finding). The assets come from the pinned PyPI package
`fastapi-offline` (its `static/` folder: Swagger UI 5's bundle and style,
Apache-2.0) and the page has no inline script, so a strict
Content-Security-Policy (`script-src 'self'`) allows it. "Authorize" takes
the bearer token from `POST /api/login`.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auctioneer.service.errors import NotFound

__all__ = ["ASSETS", "DOCS_PATH", "build_docs_router"]

DOCS_PATH = "/api/docs"

_STATIC = files("fastapi_offline") / "static"

#: The files the page loads: name -> media type.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}

_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Auctioneer API</title>
<link rel="stylesheet" href="{DOCS_PATH}/swagger-ui.css">
<link rel="icon" href="{DOCS_PATH}/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{DOCS_PATH}/swagger-ui-bundle.js"></script>
<script src="{DOCS_PATH}/init.js"></script>
</body>
</html>
"""

_INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: true,
  presets: [SwaggerUIBundle.presets.apis],
});
"""

_CACHE = {"Cache-Control": "public, max-age=86400"}


def build_docs_router() -> APIRouter:
    """The page, its start-up script and the package's assets; none in the API description."""
    router = APIRouter(include_in_schema=False)

    @router.get(DOCS_PATH)
    async def page() -> Response:
        return HTMLResponse(_PAGE)

    @router.get("/docs")
    async def docs_alias() -> Response:
        return RedirectResponse(DOCS_PATH)

    @router.get(DOCS_PATH + "/init.js")
    async def init() -> Response:
        return Response(_INIT, media_type="text/javascript; charset=utf-8")

    @router.get(DOCS_PATH + "/{name}")
    async def asset(name: str) -> Response:
        media = ASSETS.get(name)
        if media is None:
            raise NotFound("file")
        return Response((_STATIC / name).read_bytes(), media_type=media, headers=_CACHE)

    return router
