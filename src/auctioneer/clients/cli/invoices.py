"""Invoices and e-mail from the command line: `invoice`, `invoices`, `invoice-paid`, `email`.

The invoice documents (PDF, HTML, CSV) are HTTP resources, fetched with the
stored login as a bearer token; the rest are ordinary actions over the
client connection. Exit codes as in common.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich import box
from rich.table import Table

from auctioneer.clients.cli.common import (
    EXIT_INPUT,
    EXIT_UNREACHABLE,
    CliError,
    JsonOpt,
    ServerOpt,
    connected,
    print_json,
    run,
    stdout,
)
from auctioneer.clients.cli.config import DEFAULT_SERVER, TokenStore
from auctioneer.clients.cli.parsing import plural
from auctioneer.clients.money import format_amount

__all__ = ["register"]

PidArg = Annotated[str, typer.Argument(help="Purchase id, e.g. 42-1 (see `auctioneer purchases`).")]


def invoice(
    purchase_id: PidArg,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default INV-ID.pdf).")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="pdf or html (default: from --output).")
    ] = None,
    server: ServerOpt = DEFAULT_SERVER,
) -> None:
    """Save the invoice of one of your purchases (admins: any) as PDF or HTML."""
    kind = format or ("html" if output and output.suffix.lower() in (".html", ".htm") else "pdf")
    if kind not in ("pdf", "html"):
        raise typer.BadParameter("pdf or html", param_hint="--format")
    target = output or Path(f"INV-{purchase_id}.{kind}")

    async def main() -> None:
        body = await _fetch(server, f"/api/purchases/{purchase_id}/invoice?format={kind}")
        try:
            target.write_bytes(body)
        except OSError as e:
            raise CliError(f"cannot write {target}: {e.strerror}", EXIT_INPUT) from e
        stdout().print(f"Saved invoice {purchase_id} to {target} ({len(body):,} bytes).")

    run(main())


def invoices(
    unpaid: Annotated[bool, typer.Option("--unpaid", help="Only the unpaid ones.")] = False,
    csv: Annotated[Path | None, typer.Option("--csv", help="Export them to this CSV file.")] = None,
    server: ServerOpt = DEFAULT_SERVER,
    json: JsonOpt = False,
) -> None:
    """List your invoices (admins: everyone's), or export them as CSV."""

    async def main() -> None:
        if csv is not None:
            query = "?unpaid=true" if unpaid else ""
            body = await _fetch(server, f"/api/invoices.csv{query}")
            try:
                csv.write_bytes(body)
            except OSError as e:
                raise CliError(f"cannot write {csv}: {e.strerror}", EXIT_INPUT) from e
            rows = max(0, body.count(b"\n") - 1)
            stdout().print(f"Exported {plural(rows, 'invoice')} to {csv}.")
            return
        async with connected(server, login=True) as client:
            found = (await client.request("get_invoices", unpaid=unpaid))["invoices"]
        if json:
            print_json(found)
        elif not found:
            stdout().print("No unpaid invoices." if unpaid else "No invoices yet.")
        else:
            stdout().print(_table(found))

    run(main())


def invoice_paid(purchase_id: PidArg, server: ServerOpt = DEFAULT_SERVER) -> None:
    """Mark an invoice paid (admin)."""

    async def main() -> None:
        async with connected(server, login=True) as client:
            done = (await client.request("mark_invoice_paid", purchase_id=purchase_id))["invoice"]
        stdout().print(f"Invoice {done['number']} is paid ({done['paid_at']}).")

    run(main())


def email(
    address: Annotated[str | None, typer.Argument(help="Your new address.")] = None,
    server: ServerOpt = DEFAULT_SERVER,
    json: JsonOpt = False,
) -> None:
    """Show your e-mail address, or give a new one (a link to confirm it is mailed)."""

    async def main() -> None:
        async with connected(server, login=True) as client:
            if address is None:
                state = (await client.request("get_email"))["email"]
            else:
                state = (await client.request("set_email", email=address))["email"]
        if json:
            print_json(state)
            return
        if state["address"] is None:
            stdout().print("No address yet: `auctioneer email you@example.com`.")
            return
        status = "verified" if state["verified"] else "not verified yet: follow the mailed link"
        kinds = ", ".join(k for k, on in state["kinds"].items() if on) or "none"
        stdout().print(f"{state['address']} ({status}); mails: {kinds}")

    run(main())


async def _fetch(server: str, path: str) -> bytes:
    """GET an HTTP resource of `server` with the stored login."""
    if not server.startswith(("http://", "https://")):
        raise CliError("invoices need the HTTP door: use --server http://HOST:PORT", EXIT_INPUT)
    login = TokenStore().get(server)
    if login is None:
        raise CliError("not logged in: run `auctioneer login USERNAME` first")
    headers = {"Authorization": f"Bearer {login.token}"}
    try:
        async with httpx.AsyncClient(base_url=server.rstrip("/"), timeout=30) as http:
            reply = await http.get(path, headers=headers)
    except httpx.HTTPError as e:
        raise CliError(f"cannot reach {server}: {e}", EXIT_UNREACHABLE) from e
    if reply.status_code != 200:
        raise CliError(_error_line(reply))
    return reply.content


def _error_line(reply: httpx.Response) -> str:
    try:
        error: dict[str, Any] = reply.json()["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {reply.status_code}"


def _table(rows: list[dict[str, Any]]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="Invoices")
    for column in ("Number", "Lot", "Buyer", "Hammer", "Premium", "Tax", "Total", "Paid"):
        table.add_column(column, justify="right" if column in ("Hammer", "Total") else "left")
    for row in rows:
        table.add_row(
            row["number"],
            str(row["name"]),
            f"{row['buyer']['username']} #{row['buyer']['paddle']}",
            format_amount(row["hammer"]),
            format_amount(row["premium"]),
            format_amount(row["tax"]),
            f"{row['currency']} {format_amount(row['total'])}",
            (row["paid_at"] or "")[:10] if row["paid"] else "unpaid",
        )
    return table


def register(app: typer.Typer) -> None:
    """Add the invoice and e-mail commands to the `auctioneer` app."""
    app.command()(invoice)
    app.command()(invoices)
    app.command("invoice-paid")(invoice_paid)
    app.command()(email)
