"""Invoice money: premium by bands, tax, totals; Hypothesis against an exact reference."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auctioneer.service.invoice_math import (
    Band,
    Terms,
    invoice_totals,
    parse_bands,
    parse_rate,
    premium_of,
    round_half_up,
)

HAMMER = st.integers(min_value=0, max_value=10**12)
RATE = st.integers(min_value=0, max_value=10_000)


@st.composite
def terms(draw: st.DrawFn) -> Terms:
    starts = draw(st.lists(st.integers(1, 10**11), max_size=4, unique=True))
    bands = tuple(Band(s, draw(RATE)) for s in [0, *sorted(starts)])
    return Terms(bands=bands, tax_on_premium_bp=draw(RATE), tax_on_hammer_bp=draw(RATE))


def exact_premium(hammer: int, bands: tuple[Band, ...]) -> Fraction:
    """The premium as a fraction, summed unit by unit band (the reference)."""
    total = Fraction(0)
    for i, band in enumerate(bands):
        end = bands[i + 1].start if i + 1 < len(bands) else hammer
        part = max(0, min(hammer, end) - band.start)
        total += Fraction(part * band.rate_bp, 10_000)
    return total


def half_up(value: Fraction) -> int:
    floor = value.numerator // value.denominator
    return floor + 1 if value - floor >= Fraction(1, 2) else floor


@given(HAMMER, terms())
def test_every_line_is_the_exact_amount_rounded_half_up_once(hammer: int, t: Terms) -> None:
    totals = invoice_totals(hammer, t)
    premium = half_up(exact_premium(hammer, t.bands))
    assert totals.premium == premium
    assert totals.tax_on_premium == half_up(Fraction(premium * t.tax_on_premium_bp, 10_000))
    assert totals.tax_on_hammer == half_up(Fraction(hammer * t.tax_on_hammer_bp, 10_000))


@given(HAMMER, terms())
def test_the_lines_add_up_to_the_total_in_whole_minor_units(hammer: int, t: Terms) -> None:
    totals = invoice_totals(hammer, t)
    parts = (totals.hammer, totals.premium, totals.tax_on_premium, totals.tax_on_hammer)
    assert all(isinstance(p, int) and p >= 0 for p in parts)
    assert totals.tax == totals.tax_on_premium + totals.tax_on_hammer
    assert totals.total == totals.hammer + totals.premium + totals.tax
    assert totals.hammer == hammer


@given(HAMMER, HAMMER, terms())
def test_a_higher_hammer_price_never_costs_less(a: int, b: int, t: Terms) -> None:
    low, high = sorted((a, b))
    assert invoice_totals(low, t).premium <= invoice_totals(high, t).premium
    assert invoice_totals(low, t).total <= invoice_totals(high, t).total


@given(HAMMER, terms())
def test_the_premium_lies_between_the_lowest_and_highest_band_rate(hammer: int, t: Terms) -> None:
    rates = [b.rate_bp for b in t.bands]
    premium = premium_of(hammer, t.bands)
    assert round_half_up(hammer * min(rates), 10_000) <= premium
    assert premium <= round_half_up(hammer * max(rates), 10_000)


@given(HAMMER, RATE)
def test_one_band_is_a_flat_percentage(hammer: int, rate: int) -> None:
    assert premium_of(hammer, (Band(0, rate),)) == half_up(Fraction(hammer * rate, 10_000))


@given(HAMMER, RATE, st.integers(1, 10**12))
def test_splitting_a_band_at_the_same_rate_changes_nothing(hammer: int, rate: int, at: int) -> None:
    assert premium_of(hammer, (Band(0, rate),)) == premium_of(
        hammer, (Band(0, rate), Band(at, rate))
    )


def test_bands_apply_by_slice_like_an_auction_house_states_them() -> None:
    # 25% up to 1,000.00; 20% from 1,000.00 to 45,000.00; 12% above.
    bands = parse_bands("25,20@100000,12@4500000")
    assert premium_of(100_000, bands) == 25_000
    assert premium_of(200_000, bands) == 25_000 + 20_000
    assert premium_of(5_000_000, bands) == 25_000 + 880_000 + 60_000


def test_halves_round_up_and_everything_else_to_the_nearest() -> None:
    assert [round_half_up(n, 10) for n in (4, 5, 6, 14, 15, 25)] == [0, 1, 1, 1, 2, 3]
    # 12.5% of 1 cent is 0.125 cents: 0; of 4 cents 0.5: 1.
    assert premium_of(1, (Band(0, 1250),)) == 0
    assert premium_of(4, (Band(0, 1250),)) == 1
    totals = invoice_totals(10_050, Terms(bands=(Band(0, 2000),), tax_on_premium_bp=2000))
    assert (totals.premium, totals.tax_on_premium, totals.total) == (2010, 402, 12_462)


@pytest.mark.parametrize(
    ("text", "bp"), [("20", 2000), ("12.5", 1250), ("7.25%", 725), (" 0 ", 0), ("100", 10_000)]
)
def test_rates_read_as_percentages_with_up_to_two_decimals(text: str, bp: int) -> None:
    assert parse_rate(text) == bp


@pytest.mark.parametrize("text", ["", "-1", "1.234", "101", "abc", "1e2", "\uff12\uff10", "20\n"])
def test_a_rate_that_is_not_a_percentage_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(text)


@pytest.mark.parametrize(
    "text", ["20@100", "20,15", "20,15@0", "20,15@200,10@100", "20,x@5", "20,15@-1"]
)
def test_bands_that_do_not_start_at_zero_and_increase_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_bands(text)


def test_no_bands_mean_no_premium_and_a_negative_hammer_is_refused() -> None:
    assert parse_bands(" ") == (Band(0, 0),)
    with pytest.raises(ValueError):
        invoice_totals(-1, Terms())
