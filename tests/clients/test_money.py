"""Amounts typed as 125.50 travel as 12550 minor units (docs/protocol.md money)."""

from __future__ import annotations

import pytest

from auctioneer.clients.money import MAX_AMOUNT, AmountError, format_amount, parse_amount

__all__: list[str] = []


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("125.50", 12550),
        ("125.5", 12550),
        ("125", 12500),
        ("0.01", 1),
        (" 1,250.00 ", 125000),
        (10, 1000),
        ("12.", 1200),
    ],
)
def test_parse_amount_reads_major_units_into_minor_units(text: str, minor: int) -> None:
    assert parse_amount(text) == minor


@pytest.mark.parametrize(
    "text",
    ["", "abc", "1.234", "-5", "0", "nan", "inf", str(MAX_AMOUNT), True,
     "1e2", "१००", "\u0661\u0660\u0660", "²", "0x10", "1.2.3", "- 5"],
)  # fmt: skip
def test_parse_amount_rejects_what_is_not_a_price(text: object) -> None:
    with pytest.raises(AmountError):
        parse_amount(text)  # type: ignore[arg-type,unused-ignore]


def test_a_yaml_float_keeps_its_cents() -> None:
    assert parse_amount(10.1) == 1010


@pytest.mark.parametrize(
    ("minor", "text"),
    [(12550, "125.50"), (1, "0.01"), (0, "0.00"), (123456789, "1,234,567.89"), (-250, "-2.50")],
)
def test_format_amount_prints_two_decimals(minor: int, text: str) -> None:
    assert format_amount(minor) == text


def test_format_amount_prints_none_as_the_empty_marker() -> None:
    assert format_amount(None) == "-"
    assert format_amount(None, empty="") == ""


def test_amounts_are_ascii_digits_and_a_negative_one_says_so() -> None:
    with pytest.raises(AmountError, match="not an amount: '1e2'"):
        parse_amount("1e2")
    with pytest.raises(AmountError, match="not an amount: '१००'"):
        parse_amount("१००")
    with pytest.raises(AmountError, match="a negative amount: '-5'"):
        parse_amount("-5")
