"""Money: ints of minor units, parsed from and formatted for people."""

from __future__ import annotations

import math

import pytest

from auctioneer.engine import (
    MAX_AMOUNT,
    InvalidAmount,
    check_amount,
    format_amount,
    parse_amount,
)


@pytest.mark.parametrize("value", [0, 1, 12550, MAX_AMOUNT])
def test_check_amount_accepts_ints_in_range(value: int) -> None:
    assert check_amount(value) == value


@pytest.mark.parametrize(
    "value",
    [True, False, 1.0, 12.5, math.nan, math.inf, "100", None, -1, MAX_AMOUNT + 1],
)
def test_check_amount_rejects_floats_nan_strings_bools_negatives_and_absurd_values(
    value: object,
) -> None:
    with pytest.raises(InvalidAmount) as caught:
        check_amount(value, field="max_amount")
    assert caught.value.code == "invalid_amount"
    assert caught.value.fields == {"field": "max_amount"}


@pytest.mark.parametrize(
    ("text", "minor"),
    [("125.50", 12550), ("125", 12500), ("1.5", 150), (" 0.01 ", 1), ("0", 0)],
)
def test_parse_amount_turns_what_people_type_into_minor_units(text: str, minor: int) -> None:
    assert parse_amount(text) == minor


@pytest.mark.parametrize("text", ["", "abc", "1.234", "-1", "1e3", "NaN", "1,5", "99999999999"])
def test_parse_amount_rejects_anything_but_digits_with_two_decimals(text: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount(text)


@pytest.mark.parametrize(
    ("minor", "text"), [(12550, "125.50"), (5, "0.05"), (0, "0.00"), (-150, "-1.50")]
)
def test_format_amount_writes_minor_units_for_people(minor: int, text: str) -> None:
    assert format_amount(minor) == text


def test_parse_and_format_round_trip() -> None:
    for minor in (0, 1, 99, 100, 12550, 10**11):
        assert parse_amount(format_amount(minor)) == minor
