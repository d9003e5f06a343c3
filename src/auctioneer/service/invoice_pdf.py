"""An invoice as a PDF (ReportLab, pure Python), the same lines as the HTML page.

Built in memory; callers on the event loop run it in a worker thread
(`asyncio.to_thread`), since a page takes a few milliseconds of CPU.
"""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from auctioneer.service.house import format_money
from auctioneer.service.invoice_render import invoice_lines
from auctioneer.service.invoices import Invoice
from auctioneer.wire.timefmt import format_time

__all__ = ["invoice_pdf"]

_LEFT = 20 * mm
_RIGHT = A4[0] - 20 * mm


def invoice_pdf(invoice: Invoice) -> bytes:
    """One A4 page: house, invoice number and date, buyer, lines, total, paid state."""
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=A4, invariant=True)
    pdf.setTitle(f"Invoice {invoice.number}")
    pdf.setAuthor(invoice.house.name)
    h = invoice.house
    y = A4[1] - 25 * mm
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(_LEFT, y, _fit(h.name, 48))
    pdf.setFont("Helvetica-Bold", 22)
    pdf.drawRightString(_RIGHT, y, "INVOICE")
    pdf.setFont("Helvetica", 10)
    pdf.setFillColor(colors.HexColor("#5b6673"))
    for i, line in enumerate(h.address[:6]):
        pdf.drawString(_LEFT, y - (6 + 5 * i) * mm, _fit(line, 60))
    pdf.setFillColor(colors.black)
    pdf.drawRightString(_RIGHT, y - 8 * mm, f"No. {invoice.number}")
    pdf.drawRightString(_RIGHT, y - 13 * mm, f"Date: {_date(invoice.date)}")
    pdf.drawRightString(_RIGHT, y - 18 * mm, f"Purchase {invoice.purchase_id}")

    y -= 48 * mm
    pdf.setFont("Helvetica", 9)
    pdf.setFillColor(colors.HexColor("#5b6673"))
    pdf.drawString(_LEFT, y, "BILL TO")
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(_LEFT, y - 5 * mm, _fit(invoice.buyer_username, 40))
    pdf.setFont("Helvetica", 10)
    pdf.drawString(_LEFT, y - 10 * mm, f"Paddle #{invoice.buyer_paddle}")
    paid = "PAID " + _date(invoice.paid_at) if invoice.paid_at is not None else "UNPAID"
    pdf.setFont("Helvetica-Bold", 12)
    pdf.setFillColor(colors.HexColor("#1e7d3c" if invoice.paid else "#a23b1d"))
    pdf.drawRightString(_RIGHT, y - 5 * mm, paid)
    pdf.setFillColor(colors.black)

    y -= 25 * mm
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(_LEFT, y, "Description")
    pdf.drawRightString(_RIGHT, y, f"Amount ({h.currency})")
    pdf.setStrokeColor(colors.HexColor("#d8dde3"))
    pdf.line(_LEFT, y - 2 * mm, _RIGHT, y - 2 * mm)
    lines = invoice_lines(invoice)
    pdf.setFont("Helvetica", 10)
    for label, amount in lines[:-1]:
        y -= 8 * mm
        pdf.drawString(_LEFT, y, _fit(label, 80))
        pdf.drawRightString(_RIGHT, y, format_money(amount))
    y -= 5 * mm
    pdf.setStrokeColor(colors.black)
    pdf.setLineWidth(1.2)
    pdf.line(_LEFT, y, _RIGHT, y)
    y -= 7 * mm
    label, total = lines[-1]
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(_LEFT, y, label)
    pdf.drawRightString(_RIGHT, y, f"{h.currency} {format_money(total)}")

    pdf.setFont("Helvetica", 8)
    pdf.setFillColor(colors.HexColor("#5b6673"))
    note = f"Terms: {h.premium_text()}. {h.tax_text()}".strip()
    pdf.drawString(_LEFT, 20 * mm, _fit(note, 130))
    pdf.drawString(
        _LEFT, 16 * mm, "Premium and tax are each rounded once to the cent, half a cent up."
    )
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _date(at: int) -> str:
    return (format_time(at) or "")[:10]


def _fit(text: str, limit: int) -> str:
    """Cut text that would run off the page (the HTML page shows it whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
