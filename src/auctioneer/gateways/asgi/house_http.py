"""HTTP routes of the house's extensions: terms, invoices (HTML, PDF, CSV), e-mail.

JSON routes call `Api.handle` like every other route. The invoice documents
are rendered from the same `Invoice` the service returns, after the service
checked who may see it. Errors go through the app's one exception handler.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from auctioneer.engine.errors import InvalidCommand
from auctioneer.gateways.asgi.bodies import read_json_body
from auctioneer.service.api import Api
from auctioneer.service.errors import Unauthorized
from auctioneer.service.invoice_pdf import invoice_pdf
from auctioneer.service.invoice_render import invoice_html, invoices_csv
from auctioneer.service.users import Caller
from auctioneer.wire import messages as m

__all__ = ["build_house_router"]

JSON = "application/json"
PDF = "application/pdf"
_MAX_BODY = 4096


def build_house_router(api: Api) -> APIRouter:
    """The /api routes of get_house, invoices and e-mail (docs/protocol.md)."""
    router = APIRouter(prefix="/api")

    async def caller_of(request: Request) -> Caller:
        caller = Caller(address=request.client.host if request.client else "")
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("Use Authorization: Bearer TOKEN")
            await api.users.auth(caller, token.strip())
        return caller

    async def body_of(request: Request) -> dict[str, Any]:
        return await read_json_body(request, _MAX_BODY)

    async def run(request: Request, action: str, fields: dict[str, Any]) -> Response:
        caller = await caller_of(request)
        typed = m.parse_fields(m.ACTIONS[action], fields)
        return Response(await api.handle(caller, action, typed), media_type=JSON)

    @router.get("/house", name="get_house", summary="get house")
    async def get_house(request: Request) -> Response:
        """The house: name, address, currency, buyer's premium and tax (anyone)."""
        return await run(request, "get_house", {})

    @router.get("/invoices", name="get_invoices", summary="get invoices")
    async def get_invoices(request: Request) -> Response:
        """Your invoices (admins: everyone's); `?unpaid=true` for the unpaid ones."""
        return await run(request, "get_invoices", {"unpaid": _flag(request, "unpaid")})

    @router.get(
        "/invoices.csv",
        name="export_invoices",
        summary="export invoices",
        response_class=Response,
        responses=_document_responses("text/csv"),
    )
    async def export_invoices(request: Request) -> Response:
        """The invoices as CSV (the same ones `get_invoices` lists)."""
        caller = await caller_of(request)
        found = await api.invoices.invoices(caller, unpaid=_flag(request, "unpaid"))
        return Response(
            invoices_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="invoices.csv"'},
        )

    @router.get(
        "/purchases/{purchase_id}/invoice",
        name="invoice",
        summary="invoice",
        response_class=HTMLResponse,
        responses=_document_responses("text/html", PDF),
    )
    async def invoice(request: Request, purchase_id: str) -> Response:
        """The invoice of a purchase as printable HTML, or PDF (`?format=pdf` or
        `Accept: application/pdf`); for its buyer or an admin."""
        wanted = request.query_params.get("format", "")
        if wanted not in ("", "html", "pdf"):
            raise InvalidCommand("format must be html or pdf", field="format")
        if not wanted:
            wanted = "pdf" if PDF in request.headers.get("accept", "") else "html"
        return await _document(request, purchase_id, wanted)

    @router.get(
        "/purchases/{purchase_id}/invoice.pdf",
        name="invoice_pdf",
        summary="invoice pdf",
        response_class=Response,
        responses=_document_responses(PDF),
    )
    async def invoice_as_pdf(request: Request, purchase_id: str) -> Response:
        """The invoice of a purchase as PDF; for its buyer or an admin."""
        return await _document(request, purchase_id, "pdf")

    async def _document(request: Request, purchase_id: str, kind: str) -> Response:
        caller = await caller_of(request)
        found = await api.invoices.invoice(caller, purchase_id)
        headers = {"Cache-Control": "private, no-store"}
        if kind == "pdf":
            body = await asyncio.to_thread(invoice_pdf, found)
            headers["Content-Disposition"] = f'inline; filename="{found.number}.pdf"'
            return Response(body, media_type=PDF, headers=headers)
        return HTMLResponse(invoice_html(found), headers=headers)

    @router.post("/purchases/{purchase_id}/invoice/paid", name="mark_invoice_paid")
    async def mark_paid(request: Request, purchase_id: str) -> Response:
        """Mark the invoice paid (admins only)."""
        return await run(request, "mark_invoice_paid", {"purchase_id": purchase_id})

    @router.get("/email", name="get_email", summary="get email")
    async def get_email(request: Request) -> Response:
        """Your address, whether it is verified, and which mails you get."""
        return await run(request, "get_email", {})

    @router.put("/email", name="set_email", summary="set email")
    async def set_email(request: Request) -> Response:
        """Give (or change) your address; a verification link is mailed to it."""
        return await run(request, "set_email", await body_of(request))

    @router.post("/email/kinds", name="set_mail_kind", summary="set mail kind")
    async def set_mail_kind(request: Request) -> Response:
        """Turn one kind of mail on or off: `{kind, enabled}`."""
        return await run(request, "set_mail_kind", await body_of(request))

    @router.post("/email/verify", name="verify_email", summary="verify email")
    async def verify_post(request: Request) -> Response:
        """Verify an address with the token from its mail: `{token}`."""
        return await run(request, "verify_email", await body_of(request))

    @router.get(
        "/email/verify",
        name="verify_email_link",
        response_class=HTMLResponse,
        responses=_document_responses("text/html"),
    )
    async def verify_link(request: Request) -> Response:
        """The link in the verification mail: verifies, then says so on a page."""
        token = request.query_params.get("token", "")
        fields = m.parse_fields(m.VerifyEmail, {"token": token})
        assert isinstance(fields, m.VerifyEmail)
        user = await api.emails.verify(fields.token)
        return _page("Address verified", f"Thank you, {user.username}: mail will reach you now.")

    @router.get(
        "/email/unsubscribe",
        name="unsubscribe_page",
        response_class=HTMLResponse,
        responses=_document_responses("text/html"),
    )
    async def unsubscribe_page(request: Request) -> Response:
        """The link in a mail's footer: one button that unsubscribes (a GET changes nothing,
        so a mail scanner that follows links unsubscribes no one)."""
        token = request.query_params.get("token", "")
        kind = token.split(".")[1] if token.count(".") == 2 else "these"
        form = (
            '<form method="post"><button type="submit">Unsubscribe from '
            f"{_esc(kind.replace('_', ' '))} mails</button></form>"
        )
        return _page("Unsubscribe", "One click and these mails stop.", form)

    @router.post(
        "/email/unsubscribe",
        name="unsubscribe",
        response_class=HTMLResponse,
        responses=_document_responses("text/html"),
    )
    async def unsubscribe(request: Request) -> Response:
        """One-click unsubscribe (RFC 8058 `List-Unsubscribe-Post`): `?token=...`."""
        token = request.query_params.get("token", "")
        if not token or len(token) > 200:
            raise InvalidCommand("token is missing", field="token")
        _, kind = await api.emails.unsubscribe(token)
        return _page("Unsubscribed", f"You will get no more {kind.replace('_', ' ')} mails.")

    return router


_ERROR = {
    "description": "an error object (docs/protocol.md)",
    "content": {JSON: {"schema": {"type": "object", "required": ["error"]}}},
}


def _document_responses(*media: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: the document's media types on 200, the error object otherwise."""
    ok = {"description": "the document", "content": {kind: {} for kind in media}}
    return {200: ok, **{code: _ERROR for code in (400, 401, 403, 404)}}


def _flag(request: Request, name: str) -> bool:
    text = request.query_params.get(name, "false").lower()
    if text not in ("true", "false", "1", "0"):
        raise InvalidCommand(f"{name} must be true or false", field=name)
    return text in ("true", "1")


def _esc(text: str) -> str:
    from html import escape

    return escape(text)


def _page(title: str, message: str, extra: str = "") -> HTMLResponse:
    body = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
        "<style>body{font:16px/1.5 sans-serif;max-width:36em;margin:4em auto;padding:0 1em}"
        "button{font:inherit;padding:.5em 1em}</style></head>"
        f"<body><h1>{_esc(title)}</h1><p>{_esc(message)}</p>{extra}</body></html>"
    )
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})
