"""An invoice as printable HTML, and invoices as CSV.

The HTML page stands alone (inline CSS, no script, nothing fetched) so it
prints the same from a browser, a saved file or a mail. Every value from a
user or an admin is escaped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from html import escape

from auctioneer.service.house import format_money, format_rate
from auctioneer.service.invoices import Invoice
from auctioneer.wire.timefmt import format_time

__all__ = ["CSV_COLUMNS", "invoice_html", "invoice_lines", "invoices_csv"]

CSV_COLUMNS = (
    "number",
    "purchase_id",
    "date",
    "auction_id",
    "round",
    "lot",
    "buyer",
    "paddle",
    "currency",
    "hammer",
    "premium",
    "tax",
    "total",
    "paid_at",
)

_STYLE = """
body { font: 14px/1.45 "Helvetica Neue", Arial, sans-serif; color: #1d232a; margin: 0; }
.sheet { max-width: 760px; margin: 32px auto; padding: 40px 48px; border: 1px solid #d8dde3; }
header { display: flex; justify-content: space-between; align-items: flex-start; }
h1 { font-size: 26px; letter-spacing: .04em; margin: 0 0 4px; }
.house { font-size: 18px; font-weight: 600; }
.muted { color: #5b6673; }
.meta { text-align: right; }
.parties { display: flex; justify-content: space-between; margin: 32px 0 24px; }
table { width: 100%; border-collapse: collapse; margin-top: 8px; }
th, td { padding: 8px 6px; border-bottom: 1px solid #e4e8ec; text-align: left; }
td.amount, th.amount { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { border-top: 2px solid #1d232a; border-bottom: none;
              font-weight: 700; font-size: 16px; }
.stamp { display: inline-block; padding: 2px 10px; border: 2px solid; border-radius: 4px;
         font-weight: 700; letter-spacing: .08em; }
.stamp.paid { color: #1e7d3c; } .stamp.unpaid { color: #a23b1d; }
footer { margin-top: 32px; font-size: 12px; }
@media print { .sheet { border: none; margin: 0; padding: 0; } }
"""


def invoice_lines(invoice: Invoice) -> list[tuple[str, int]]:
    """The invoice's lines as (label, minor units), total last; the same on every medium."""
    t = invoice.totals
    terms = invoice.house.terms
    kind = "buy-now price" if invoice.buy_now else "hammer price"
    lines = [(f"Lot {invoice.auction_id}: {invoice.lot_name} ({kind})", t.hammer)]
    lines.append(("Buyer's premium", t.premium))
    if terms.tax_on_premium_bp:
        lines.append((f"Tax on premium ({format_rate(terms.tax_on_premium_bp)})", t.tax_on_premium))
    if terms.tax_on_hammer_bp:
        lines.append(
            (f"Tax on hammer price ({format_rate(terms.tax_on_hammer_bp)})", t.tax_on_hammer)
        )
    lines.append(("Total due", t.total))
    return lines


def invoice_html(invoice: Invoice) -> str:
    """A complete, printable HTML page for one invoice."""
    h = invoice.house
    lines = invoice_lines(invoice)
    rows = "\n".join(
        f'<tr><td>{escape(label)}</td><td class="amount">{_money(invoice, amount)}</td></tr>'
        for label, amount in lines[:-1]
    )
    label, total = lines[-1]
    address = "<br>".join(escape(line) for line in h.address)
    status = '<span class="stamp unpaid">UNPAID</span>'
    if invoice.paid_at is not None:
        status = (
            '<span class="stamp paid">PAID</span> '
            f'<span class="muted">{_date(invoice.paid_at)}</span>'
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Invoice {escape(invoice.number)} - {escape(h.name)}</title>
<style>{_STYLE}</style></head>
<body><main class="sheet">
<header>
  <div><div class="house">{escape(h.name)}</div><div class="muted">{address}</div></div>
  <div class="meta"><h1>INVOICE</h1>
    <div>No. <strong id="invoice-number">{escape(invoice.number)}</strong></div>
    <div>Date: {_date(invoice.date)}</div>
    <div>Purchase {escape(invoice.purchase_id)}</div></div>
</header>
<section class="parties">
  <div><div class="muted">Bill to</div>
    <div><strong>{escape(invoice.buyer_username)}</strong></div>
    <div>Paddle #{invoice.buyer_paddle}</div></div>
  <div class="meta">{status}</div>
</section>
<table>
<thead><tr><th>Description</th><th class="amount">Amount</th></tr></thead>
<tbody>
{rows}
<tr class="total"><td>{escape(label)}</td>
<td class="amount" id="invoice-total">{_money(invoice, total)}</td></tr>
</tbody></table>
<footer class="muted">Terms: {escape(h.premium_text())}{_tax_note(invoice)}.
Amounts in {escape(h.currency)}; each of premium and tax is rounded once to the nearest
cent, half a cent up.</footer>
</main></body></html>
"""


def _tax_note(invoice: Invoice) -> str:
    text = invoice.house.tax_text()
    return f"; {escape(text)}" if text else ""


def _date(at: int) -> str:
    return (format_time(at) or "")[:10]


def _money(invoice: Invoice, amount: int) -> str:
    return f"{escape(invoice.house.currency)} {format_money(amount)}"


def invoices_csv(invoices: Iterable[Invoice]) -> str:
    """Invoices as CSV (RFC 4180, a header row, amounts in minor units).

    Text cells that a spreadsheet would read as a formula (=, +, -, @ first)
    get a leading apostrophe, so an exported lot name cannot run anything.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for inv in invoices:
        t = inv.totals
        writer.writerow(
            [
                inv.number,
                inv.purchase_id,
                format_time(inv.date) or "",
                inv.auction_id,
                inv.round,
                _cell(inv.lot_name),
                _cell(inv.buyer_username),
                inv.buyer_paddle,
                inv.house.currency,
                t.hammer,
                t.premium,
                t.tax,
                t.total,
                format_time(inv.paid_at) or "",
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
