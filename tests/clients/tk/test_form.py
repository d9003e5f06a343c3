"""The admin form's checks: typed text to wire fields, or a message per field."""

from __future__ import annotations

from auctioneer.clients.tk.form import validate_auction, validate_sale

__all__: list[str] = []

NOW = 1_800_000_000.0


def test_a_well_formed_auction_becomes_wire_fields_in_minor_units() -> None:
    result = validate_auction(
        {
            "name": "  Lamp ",
            "starting_bid": "125.50",
            "min_increment": "1,000",
            "duration_s": "1h30m",
            "countdown_s": "10s",
            "quantity": "3",
            "starts_at": "+10m",
            "public": False,
        },
        now=NOW,
    )
    assert result.ok, result.errors
    assert result.fields == {
        "name": "Lamp",
        "starting_bid": 12550,
        "min_increment": 100000,
        "duration_s": 5400,
        "countdown_s": 10,
        "quantity": 3,
        "starts_at": "2027-01-15T08:10:00.000Z",
        "public": False,
    }


def test_each_bad_field_gets_its_own_message() -> None:
    result = validate_auction(
        {
            "name": "",
            "starting_bid": "12.345",
            "quantity": "0",
            "soft_close_s": "soon",
            "public": True,
        }
    )
    assert set(result.errors) == {"name", "starting_bid", "quantity", "soft_close_s", "duration_s"}
    assert "required" in result.errors["name"]
    assert "two decimals" in result.errors["starting_bid"]
    assert "whole number" in result.errors["quantity"]
    assert "not a duration" in result.errors["soft_close_s"]


def test_an_auction_must_end_somehow_but_not_two_ways() -> None:
    base = {"name": "Lamp", "starting_bid": "10"}
    assert "duration" in validate_auction(base).errors["duration_s"]
    both = validate_auction({**base, "duration_s": "5m", "ends_at": "2027-01-01T10:00"})
    assert "not both" in both.errors["ends_at"]
    assert validate_auction({**base, "countdown_s": "90s"}).ok


def test_now_and_blank_mean_no_start_field() -> None:
    for text in ("", "now", "NOW"):
        result = validate_auction(
            {"name": "L", "starting_bid": "1", "duration_s": "90", "starts_at": text}
        )
        assert result.ok and "starts_at" not in result.fields


def test_a_sale_needs_a_name_and_valid_lots_named_by_number() -> None:
    result = validate_sale("", [])
    assert set(result.errors) == {"name", "lots"}
    lots = [
        {"name": "A", "starting_bid": "10", "duration_s": "2m"},
        {"name": "B", "starting_bid": "x", "countdown_s": "10s"},
    ]
    result = validate_sale("Evening sale", lots, starts_at="+1m", now=NOW)
    assert list(result.errors) == ["lot 2: starting_bid"]
    good = validate_sale("Evening sale", lots[:1], now=NOW)
    assert good.ok
    assert good.fields == {
        "name": "Evening sale",
        "lots": [{"name": "A", "starting_bid": 1000, "duration_s": 120}],
    }


def test_the_form_takes_increment_bands_and_a_longest_extension() -> None:
    base = {"name": "Print", "starting_bid": "0.50", "duration_s": "5m", "soft_close_s": "30s"}
    result = validate_auction({**base, "increments": "0:0.05, 1:0.25", "max_extension_s": "2m"})
    assert result.ok, result.errors
    assert result.fields["increments"] == [
        {"from": 0, "increment": 5},
        {"from": 100, "increment": 25},
    ]
    assert result.fields["max_extension_s"] == 120
    bad = validate_auction({**base, "increments": "0-0.05"})
    assert "not a band" in bad.errors["increments"]
