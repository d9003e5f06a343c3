"""The house's terms: read from settings (a TOML file, the environment, options), checked,
and worded for bidders."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from auctioneer.service.house import House, format_money, format_rate
from auctioneer.service.invoice_math import Band
from auctioneer.service.settings import Settings


def test_a_settings_file_sits_between_the_defaults_and_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "house.toml"
    path.write_text(
        'house_name = "Ashby & Co."\npremium = "25,20@100000"\ncurrency = "GBP"\nbid_rate = 5\n'
    )
    env = {"AUCTIONEER_SETTINGS_FILE": str(path), "AUCTIONEER_CURRENCY": "USD"}
    settings = Settings.load(env, premium="10")
    assert settings.house_name == "Ashby & Co."  # from the file
    assert settings.currency == "USD"  # the environment wins over the file
    assert settings.premium == "10"  # an option wins over both
    assert settings.bid_rate == 5.0  # an int where a float is expected is fine


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('nonsense = "x"', "unknown setting 'nonsense'"),
        ("premium = 20", "premium must be a str"),
        ("house_name = ", "settings file"),
    ],
)
def test_a_bad_settings_file_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        Settings.load({}, settings_file=str(path))


def test_a_missing_settings_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="settings file"):
        Settings.load({}, settings_file=str(tmp_path / "nowhere.toml"))


@pytest.mark.parametrize(
    ("setting", "value", "key"),
    [
        ("premium", "20@5", "AUCTIONEER_PREMIUM"),
        ("premium", "abc", "AUCTIONEER_PREMIUM"),
        ("tax_on_premium", "120", "AUCTIONEER_TAX_ON_PREMIUM"),
        ("tax_on_hammer", "-1", "AUCTIONEER_TAX_ON_HAMMER"),
        ("currency", "euro", "AUCTIONEER_CURRENCY"),
        ("house_name", "  ", "AUCTIONEER_HOUSE_NAME"),
    ],
)
def test_bad_terms_fail_naming_the_setting(setting: str, value: str, key: str) -> None:
    with pytest.raises(ValueError, match=key):
        House.from_settings(Settings(**{setting: value}))


def test_the_house_reads_its_address_lines_and_terms() -> None:
    house = House.from_settings(
        Settings(
            house_address="12 Quay St | Bristol\nUK",
            currency="gbp",
            premium="25,20@100000",
            tax_on_premium="20",
        )
    )
    assert house.address == ("12 Quay St", "Bristol", "UK")
    assert house.currency == "GBP"
    assert house.terms.bands == (Band(0, 2500), Band(100_000, 2000))
    assert house.terms.tax_on_premium_bp == 2000


@pytest.mark.parametrize(
    ("premium", "text"),
    [
        ("", "No buyer's premium"),
        ("20", "+ 20% buyer's premium"),
        ("12.5", "+ 12.5% buyer's premium"),
        (
            "25,20@100000,12@4500000",
            "+ buyer's premium of 25% up to EUR 1,000.00, 20% up to EUR 45,000.00, 12% above",
        ),
    ],
)
def test_bidders_read_the_premium_in_one_sentence(premium: str, text: str) -> None:
    assert House.from_settings(Settings(premium=premium)).premium_text() == text


def test_the_tax_sentence_names_each_base() -> None:
    both = House.from_settings(Settings(tax_on_premium="20", tax_on_hammer="5.5"))
    assert both.tax_text() == "+ 20% tax on the premium and 5.5% tax on the hammer price"
    assert House.from_settings(Settings()).tax_text() == ""


def test_money_and_rates_are_formatted_without_floats() -> None:
    assert [format_money(m) for m in (0, 5, 12_550, 123_456_789, -150)] == [
        "0.00",
        "0.05",
        "125.50",
        "1,234,567.89",
        "-1.50",
    ]
    assert [format_rate(bp) for bp in (2000, 1250, 725, 5, 0)] == [
        "20%",
        "12.5%",
        "7.25%",
        "0.05%",
        "0%",
    ]


def test_serve_refuses_bad_terms_before_starting(tmp_path: Path) -> None:
    from auctioneer.main import app

    result = CliRunner().invoke(
        app, ["serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--premium", "20,10"]
    )
    assert result.exit_code == 2
    assert "AUCTIONEER_PREMIUM" in result.output and "@FROM" in result.output
    assert not (tmp_path / "x.db").exists()


def test_serve_refuses_a_bad_smtp_url_before_starting(tmp_path: Path) -> None:
    from auctioneer.main import app

    result = CliRunner().invoke(
        app, ["serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--smtp", "mail.example.com"]
    )
    assert result.exit_code == 2
    assert "AUCTIONEER_SMTP: use smtp://HOST:PORT" in result.output
