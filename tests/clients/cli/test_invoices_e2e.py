"""`auctioneer invoice | invoices | invoice-paid | email` against a real server."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.clients.live import Live

__all__: list[str] = []


def bought(live: Live) -> str:
    """A fresh bidder (logged in here) buys a fresh lot; returns the purchase id."""
    live.bidder()
    auction = live.auction(buy_now=12_345)
    result = live.cli("buy", str(auction["id"]))
    assert result.exit_code == 0, result.output
    rows = json.loads(live.cli("purchases", "--json").stdout)
    pid: str = rows[0]["id"]
    assert pid == f"{auction['id']}-1"
    assert pid in live.cli("purchases").stdout
    return pid


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_the_buyer_saves_the_invoice_as_pdf_and_html(live: Live, tmp_path: Path) -> None:
    pid = bought(live)
    pdf = tmp_path / "inv.pdf"
    saved = live.cli("invoice", pid, "--output", str(pdf))
    assert saved.exit_code == 0, saved.output
    assert f"Saved invoice {pid} to {pdf}" in saved.stdout.replace("\n", "")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"INV-{pid}" in text and "EUR 123.45" in text  # the default house has no premium
    page = tmp_path / "inv.html"
    assert live.cli("invoice", pid, "-o", str(page)).exit_code == 0
    assert "<!doctype html>" in page.read_text()

    listed = json.loads(live.cli("invoices", "--json").stdout)
    assert [(i["purchase_id"], i["total"], i["paid"]) for i in listed] == [(pid, 12_345, False)]


def test_another_bidders_invoice_is_refused_in_one_line(live: Live, tmp_path: Path) -> None:
    pid = bought(live)
    live.bidder()  # someone else is logged in now
    result = live.cli("invoice", pid, "-o", str(tmp_path / "x.pdf"))
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: not_found: No such purchase"
    assert not (tmp_path / "x.pdf").exists()


def test_an_admin_lists_unpaid_marks_paid_and_exports_csv(live: Live, tmp_path: Path) -> None:
    pid = bought(live)
    live.admin_login()
    unpaid = json.loads(live.cli("invoices", "--unpaid", "--json").stdout)
    assert pid in [i["purchase_id"] for i in unpaid]
    paid = live.cli("invoice-paid", pid)
    assert paid.exit_code == 0 and f"Invoice INV-{pid} is paid" in paid.stdout
    unpaid = json.loads(live.cli("invoices", "--unpaid", "--json").stdout)
    assert pid not in [i["purchase_id"] for i in unpaid]
    out = tmp_path / "all.csv"
    exported = live.cli("invoices", "--csv", str(out))
    assert exported.exit_code == 0, exported.output
    assert any(line.startswith(f"INV-{pid},") for line in out.read_text().splitlines())


def test_a_bidder_gives_an_address_and_sees_it_unverified(live: Live) -> None:
    live.bidder()
    given = live.cli("email", "me@example.test")
    assert given.exit_code == 0, given.output
    assert "me@example.test (not verified yet" in given.stdout
    bad = live.cli("email", "not-an-address")
    assert bad.exit_code == 1 and "email" in bad.stderr


def test_register_takes_an_address(live: Live) -> None:
    from tests.clients.live import PASSWORD, unique

    name = unique("eve")
    made = live.cli("register", name, "--password", PASSWORD, "--email", f"{name}@example.test")
    assert made.exit_code == 0, made.output
    shown = json.loads(live.cli("email", "--json").stdout)
    assert shown["address"] == f"{name}@example.test" and shown["verified"] is False
