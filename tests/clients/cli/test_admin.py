"""Sale files are checked before anything is sent; exports flatten to one CSV table."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from auctioneer.clients.cli.admin import CSV_COLUMNS, auction_fields, export_csv, load_sale
from auctioneer.clients.cli.common import CliError

__all__: list[str] = []


def test_a_yaml_sale_turns_amounts_into_minor_units_and_durations_into_seconds(
    tmp_path: Path,
) -> None:
    path = tmp_path / "spring.yaml"
    path.write_text(
        "name: Spring\nlots:\n"
        "  - {name: Vase, starting_bid: 10.10, min_increment: 1, countdown: 10}\n"
        "  - {name: Clock, starting_bid: '25', reserve: 40, duration: 2m, quantity: 2}\n"
    )
    sale = load_sale(path)
    assert sale["name"] == "Spring"
    assert sale["lots"][0] == {
        "name": "Vase",
        "starting_bid": 1010,
        "min_increment": 100,
        "countdown_s": 10,
    }
    assert sale["lots"][1] == {
        "name": "Clock",
        "starting_bid": 2500,
        "reserve": 4000,
        "duration_s": 120,
        "quantity": 2,
    }


def test_a_json_list_of_lots_is_a_sale_named_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "lots.json"
    path.write_text('[{"name": "Vase", "starting_bid": 5, "countdown": "10s"}]')
    lots = [{"name": "Vase", "starting_bid": 500, "countdown_s": 10}]
    assert load_sale(path) == {"name": "lots", "lots": lots}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("lots: []", "non-empty list"),
        ("lots: [{name: A, starting_bid: abc}]", "starting_bid"),
        ("lots: [{name: A, starting_bid: 1, colour: red}]", "unknown field 'colour'"),
        ("lots: [{starting_bid: 1}]", "needs a name"),
        ("lots: [", "not valid"),
        ("lots: [{name: A, starting_bid: 1}]", "an auction must end: give duration, ends_at or"),
        ("lots: [{name: A, starting_bid: 1, duration: 40d}]", "duration 40d is too long"),
        ("lots: [{name: A, starting_bid: 1, duration: 1m, ends_at: +2m}]", "not both"),
    ],
)
def test_a_bad_sale_file_names_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(CliError, match=message) as info:
        load_sale(path)
    assert info.value.exit_code == 2


def test_a_missing_sale_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(CliError, match="cannot read"):
        load_sale(tmp_path / "nope.yaml")


def test_auction_fields_keep_private_and_times() -> None:
    raw = {"name": "A", "starting_bid": "1", "public": False, "starts_at": "+0s", "duration": "5m"}
    fields = auction_fields(raw)
    assert fields["public"] is False and fields["starts_at"].endswith("Z")


def test_the_csv_export_has_one_row_per_auction_sale_bid_and_purchase() -> None:
    data = {
        "auctions": [
            {
                "id": 1,
                "name": "Vase",
                "status": "closed",
                "winner": "#2",
                "price": 1100,
                "round": 1,
                "sales": [{"round": 1, "winner": "#2", "price": 1100}],
                "bids": [
                    {"seq": 3, "amount": 1100, "bidder": "#2", "round": 1},
                    {"seq": 2, "amount": 1000, "bidder": "#3", "round": 1},
                ],
            },
        ],
        "purchases": [{"auction_id": 1, "name": "Vase", "round": 1, "price": 1100, "at": "t"}],
    }
    rows = list(csv.DictReader(io.StringIO(export_csv(data))))
    assert [r["record"] for r in rows] == ["auction", "sale", "bid", "bid", "purchase"]
    assert [r["amount"] for r in rows if r["record"] == "bid"] == ["10.00", "11.00"]
    assert rows[0]["price"] == "11.00"
    assert list(rows[0]) == CSV_COLUMNS


def test_a_sale_file_sets_when_live_lots_with_no_bid_pass(tmp_path: Path) -> None:
    path = tmp_path / "live.yaml"
    path.write_text(
        "name: Live\npass_after: 2m\nlots:\n  - {name: A, starting_bid: 1, countdown: 10}\n"
        "  - {name: B, starting_bid: 1, countdown: 10, pass_after: 30s}\n"
    )
    fields = load_sale(path)
    assert fields["pass_after_s"] == 120
    assert [lot.get("pass_after_s") for lot in fields["lots"]] == [None, 30]


def test_a_sale_file_takes_increment_bands_and_a_soft_close_cap(tmp_path: Path) -> None:
    path = tmp_path / "banded.yaml"
    path.write_text(
        "lots:\n"
        "  - {name: A, starting_bid: 0.5, duration: 5m, increments: '0:0.05, 1:0.25',"
        " soft_close: 30s, max_extension: 2m}\n"
        "  - name: B\n    starting_bid: 1\n    duration: 5m\n"
        "    increments: [{from: 0, increment: 0.10}, {from: 10, increment: 1}]\n"
        "    soft_close: 30s\n    max_end: 2030-01-01T00:10:00Z\n"
    )
    a, b = load_sale(path)["lots"]
    assert a["increments"] == [{"from": 0, "increment": 5}, {"from": 100, "increment": 25}]
    assert a["max_extension_s"] == 120
    assert b["increments"] == [{"from": 0, "increment": 10}, {"from": 1000, "increment": 100}]
    assert b["max_end"] == "2030-01-01T00:10:00.000Z"


@pytest.mark.parametrize("bad", ["0-0.05", "0:x", ""])
def test_a_broken_increment_table_in_a_sale_file_names_the_lot(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"lots:\n  - {{name: A, starting_bid: 1, duration: 5m, increments: '{bad}'}}\n")
    with pytest.raises(CliError, match=r"bad\.yaml lot 1: increments"):
        load_sale(path)
