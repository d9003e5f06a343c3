"""An invoice as a PDF (ReportLab, pure Python), the same lines as the HTML page.

Built in memory; callers on the event loop run it in a worker thread
(`asyncio.to_thread`), since a page takes a few milliseconds of CPU.

The text is set in DejaVu Sans when the system has it (Debian's
fonts-dejavu-core: Latin, Greek, Cyrillic, so "Łódź" prints), embedded as a
subset; otherwise in the PDF's built-in Helvetica, which shows Latin-1 only.
"""

from __future__ import annotations

import functools
import io
import logging
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from auctioneer.service.house import format_money
from auctioneer.service.invoice_render import invoice_lines
from auctioneer.service.invoices import Invoice
from auctioneer.wire.timefmt import format_time

__all__ = ["invoice_pdf"]

log = logging.getLogger(__name__)

_LEFT = 20 * mm
_RIGHT = A4[0] - 20 * mm
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@functools.cache
def _fonts() -> tuple[str, str]:
    """(regular, bold) font names: DejaVu Sans if installed, else Helvetica."""
    regular, bold = _DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        try:
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            return "DejaVuSans", "DejaVuSans-Bold"
        except Exception:  # a broken font file: fall back, never fail an invoice
            log.warning("cannot load DejaVu Sans; invoices use Helvetica", exc_info=True)
    return "Helvetica", "Helvetica-Bold"


def invoice_pdf(invoice: Invoice) -> bytes:
    """One A4 page: house, invoice number and date, buyer, lines, total, paid state."""
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=A4, invariant=True)
    pdf.setTitle(f"Invoice {invoice.number}")
    pdf.setAuthor(invoice.house.name)
    h = invoice.house
    regular, bold = _fonts()
    y = A4[1] - 25 * mm
    pdf.setFont(bold, 16)
    pdf.drawString(_LEFT, y, _fit(h.name, 48))
    pdf.setFont(bold, 22)
    pdf.drawRightString(_RIGHT, y, "INVOICE")
    pdf.setFont(regular, 10)
    pdf.setFillColor(colors.HexColor("#5b6673"))
    for i, line in enumerate(h.address[:6]):
        pdf.drawString(_LEFT, y - (6 + 5 * i) * mm, _fit(line, 60))
    pdf.setFillColor(colors.black)
    pdf.drawRightString(_RIGHT, y - 8 * mm, f"No. {invoice.number}")
    pdf.drawRightString(_RIGHT, y - 13 * mm, f"Date: {_date(invoice.date)}")
    pdf.drawRightString(_RIGHT, y - 18 * mm, f"Purchase {invoice.purchase_id}")

    y -= 48 * mm
    pdf.setFont(regular, 9)
    pdf.setFillColor(colors.HexColor("#5b6673"))
    pdf.drawString(_LEFT, y, "BILL TO")
    pdf.setFillColor(colors.black)
    pdf.setFont(bold, 11)
    pdf.drawString(_LEFT, y - 5 * mm, _fit(invoice.buyer_username, 40))
    pdf.setFont(regular, 10)
    pdf.drawString(_LEFT, y - 10 * mm, f"Paddle #{invoice.buyer_paddle}")
    paid = "PAID " + _date(invoice.paid_at) if invoice.paid_at is not None else "UNPAID"
    pdf.setFont(bold, 12)
    pdf.setFillColor(colors.HexColor("#1e7d3c" if invoice.paid else "#a23b1d"))
    pdf.drawRightString(_RIGHT, y - 5 * mm, paid)
    pdf.setFillColor(colors.black)

    y -= 25 * mm
    pdf.setFont(bold, 10)
    pdf.drawString(_LEFT, y, "Description")
    pdf.drawRightString(_RIGHT, y, f"Amount ({h.currency})")
    pdf.setStrokeColor(colors.HexColor("#d8dde3"))
    pdf.line(_LEFT, y - 2 * mm, _RIGHT, y - 2 * mm)
    lines = invoice_lines(invoice)
    pdf.setFont(regular, 10)
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
    pdf.setFont(bold, 12)
    pdf.drawString(_LEFT, y, label)
    pdf.drawRightString(_RIGHT, y, f"{h.currency} {format_money(total)}")

    pdf.setFont(regular, 8)
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
