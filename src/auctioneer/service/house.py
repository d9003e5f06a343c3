"""The house: its name, address, currency and terms, as bidders and invoices see them.

Built once from Settings at the composition root (`House.from_settings`),
then passed down. `house_object()` is what `get_house` answers, including the
sentence every auction page shows before a bid ("+ 20% buyer's premium").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from auctioneer.service.invoice_math import Band, Terms, parse_bands, parse_rate
from auctioneer.service.settings import Settings

__all__ = ["House", "format_money", "format_rate"]

_CURRENCY = re.compile(r"^[A-Z]{3}$")


def format_money(minor: int) -> str:
    """12550 -> "125.50", 123456789 -> "1,234,567.89" (two decimals, as on the wire)."""
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def format_rate(bp: int) -> str:
    """2000 -> "20%", 1250 -> "12.5%", 725 -> "7.25%"."""
    whole, rest = divmod(bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


@dataclass(frozen=True, slots=True)
class House:
    """The house's identity and terms (docs/invoices.md)."""

    name: str = "Auctioneer"
    address: tuple[str, ...] = ()
    currency: str = "EUR"
    terms: Terms = field(default_factory=Terms)

    @classmethod
    def from_settings(cls, settings: Settings) -> House:
        """Parse the house's settings.

        Raises:
            ValueError: naming the setting (AUCTIONEER_<NAME>) that does not parse.
        """
        try:
            bands = parse_bands(settings.premium)
        except ValueError as e:
            raise ValueError(f"AUCTIONEER_PREMIUM: {e}") from None
        rates: dict[str, int] = {}
        for key in ("tax_on_premium", "tax_on_hammer"):
            try:
                rates[key] = parse_rate(getattr(settings, key) or "0")
            except ValueError as e:
                raise ValueError(f"AUCTIONEER_{key.upper()}: {e}") from None
        currency = settings.currency.strip().upper()
        if not _CURRENCY.match(currency):
            raise ValueError(f"AUCTIONEER_CURRENCY: not a three-letter code: {settings.currency!r}")
        name = settings.house_name.strip()
        if not name or len(name) > 200:
            raise ValueError("AUCTIONEER_HOUSE_NAME: give 1 to 200 characters")
        lines = re.split(r"\n| \| ", settings.house_address)
        return cls(
            name=name,
            address=tuple(line.strip() for line in lines if line.strip()),
            currency=currency,
            terms=Terms(
                bands=bands,
                tax_on_premium_bp=rates["tax_on_premium"],
                tax_on_hammer_bp=rates["tax_on_hammer"],
            ),
        )

    def premium_text(self) -> str:
        """The sentence bidders see: "+ 20% buyer's premium", or its bands."""
        bands = self.terms.bands
        if len(bands) == 1 and bands[0].rate_bp == 0:
            return "No buyer's premium"
        if len(bands) == 1:
            return f"+ {format_rate(bands[0].rate_bp)} buyer's premium"
        parts = [
            f"{format_rate(band.rate_bp)} {_upto(i, bands, self.currency)}"
            for i, band in enumerate(bands)
        ]
        return "+ buyer's premium of " + ", ".join(parts)

    def tax_text(self) -> str:
        """ "+ 20% tax on the premium", "" when there is no tax."""
        parts = []
        if self.terms.tax_on_premium_bp:
            parts.append(f"{format_rate(self.terms.tax_on_premium_bp)} tax on the premium")
        if self.terms.tax_on_hammer_bp:
            parts.append(f"{format_rate(self.terms.tax_on_hammer_bp)} tax on the hammer price")
        return "+ " + " and ".join(parts) if parts else ""

    def house_object(self) -> dict[str, Any]:
        """The `house` of `get_house` (docs/protocol.md)."""
        return {
            "name": self.name,
            "address": list(self.address),
            "currency": self.currency,
            "premium": [{"from": b.start, "rate_bp": b.rate_bp} for b in self.terms.bands],
            "tax_on_premium_bp": self.terms.tax_on_premium_bp,
            "tax_on_hammer_bp": self.terms.tax_on_hammer_bp,
            "premium_text": self.premium_text(),
            "tax_text": self.tax_text(),
        }


def _upto(i: int, bands: tuple[Band, ...], currency: str) -> str:
    if i + 1 < len(bands):
        return f"up to {currency} {format_money(bands[i + 1].start)}"
    return "above"
