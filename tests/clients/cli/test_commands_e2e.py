"""Each command against a real server: its happy path and its main error.

Errors must be one line on standard error and a non-zero exit code
(issue 4): 1 when the server refuses, 2 for bad input, 3 when unreachable.
"""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

from tests.clients.live import ADMIN, PASSWORD, Live, unique

__all__: list[str] = []


def one_error_line(stderr: str, *needles: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_register_logs_in_and_keeps_the_token_private(live: Live) -> None:
    name = live.bidder()
    token_file = live.config / "auctioneer" / "token.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert name in token_file.read_text()


def test_register_with_a_taken_name_fails_with_one_line(live: Live) -> None:
    name = live.bidder()
    result = live.cli("register", name, "--password", PASSWORD)
    assert result.exit_code == 1
    one_error_line(result.stderr, "username_taken")


def test_login_with_a_wrong_password_fails_and_the_right_one_works(live: Live) -> None:
    name = live.bidder()
    bad = live.cli("login", name, "--password", "wrong-password")
    assert bad.exit_code == 1
    one_error_line(bad.stderr, "unauthorized")
    good = live.cli("login", name, "--password", PASSWORD)
    assert good.exit_code == 0 and f"Logged in as {name}" in good.stdout


def test_login_prompts_for_the_password_when_it_is_left_out(live: Live) -> None:
    name = live.bidder()
    result = live.cli("login", name, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.stdout


def test_logout_forgets_the_token_and_a_second_logout_says_not_logged_in(live: Live) -> None:
    live.bidder()
    assert live.cli("logout").exit_code == 0
    assert not (live.config / "auctioneer" / "token.json").exists()
    again = live.cli("logout")
    assert again.exit_code == 1
    one_error_line(again.stderr, "not logged in")


def test_auctions_lists_a_table_and_json(live: Live) -> None:
    a = live.auction(name=unique("Brass clock "))
    table = live.cli("auctions")
    assert table.exit_code == 0 and a["name"] in table.stdout
    listed = json.loads(live.cli("auctions", "--json", "--status", "open").stdout)
    assert a["id"] in [x["id"] for x in listed]


def test_an_unreachable_server_is_one_line_and_exit_code_3(live: Live) -> None:
    result = live.cli("auctions", "--server", "http://127.0.0.1:9")
    assert result.exit_code == 3
    one_error_line(result.stderr, "cannot reach")


def test_show_prints_details_and_bids_and_an_unknown_id_is_not_found(live: Live) -> None:
    a = live.auction()
    live.bidder()
    assert live.cli("bid", str(a["id"]), "10.00").exit_code == 0
    shown = live.cli("show", str(a["id"]))
    assert shown.exit_code == 0 and a["name"] in shown.stdout and "10.00" in shown.stdout
    assert "Terms: No buyer's premium" in shown.stdout  # the house's terms, as stated
    data = json.loads(live.cli("show", str(a["id"]), "--json").stdout)
    assert data["bids"][0]["amount"] == 1000
    missing = live.cli("show", "999999")
    assert missing.exit_code == 1
    one_error_line(missing.stderr, "not_found")


def test_bid_accepts_decimal_amounts_and_reports_a_too_low_bid(live: Live) -> None:
    a = live.auction()
    live.bidder()
    ok = live.cli("bid", str(a["id"]), "12.50")
    assert ok.exit_code == 0 and "you lead at 12.50" in ok.stdout
    mine = live.cli("bid", str(a["id"]), "13.50")
    assert mine.exit_code == 1
    one_error_line(mine.stderr, "already_leading")
    live.bidder()  # someone else, in the same config folder
    low = live.cli("bid", str(a["id"]), "13.00")
    assert low.exit_code == 1
    one_error_line(low.stderr, "bid_too_low")


def test_bid_refuses_a_bad_amount_before_connecting(live: Live) -> None:
    result = live.cli("bid", "1", "12.345")
    assert result.exit_code == 2
    one_error_line(result.stderr, "invalid amount")


def test_bid_without_login_says_how_to_log_in(live: Live) -> None:
    a = live.auction()
    result = live.cli("bid", str(a["id"]), "10")
    assert result.exit_code == 1
    one_error_line(result.stderr, "not logged in", "auctioneer login")


def test_autobid_sets_and_stops_a_maximum(live: Live) -> None:
    a = live.auction()
    live.bidder()
    result = live.cli("autobid", str(a["id"]), "50")
    assert result.exit_code == 0 and "you lead at 10.00" in result.stdout
    assert live.cli("autobid", str(a["id"]), "--stop").exit_code == 0
    missing = live.cli("autobid", "999999", "50")
    assert missing.exit_code == 1
    one_error_line(missing.stderr, "not_found")


def test_buy_and_purchases_and_buying_twice_fails(live: Live) -> None:
    a = live.auction(buy_now=5000)
    live.bidder()
    bought = live.cli("buy", str(a["id"]))
    assert bought.exit_code == 0 and "50.00" in bought.stdout
    rows = json.loads(live.cli("purchases", "--json").stdout)
    assert [(r["auction_id"], r["price"]) for r in rows] == [(a["id"], 5000)]
    table = live.cli("purchases")
    assert table.exit_code == 0 and a["name"] in table.stdout
    again = live.cli("buy", str(a["id"]))
    assert again.exit_code == 1
    one_error_line(again.stderr)


def test_create_needs_an_admin_and_takes_every_field(live: Live) -> None:
    live.bidder()
    refused = live.cli("create", "Vase", "--starting-bid", "10", "--duration", "5m")
    assert refused.exit_code == 1
    one_error_line(refused.stderr, "forbidden")
    live.admin_login()
    result = live.cli(
        "create", "Vase", "--starting-bid", "10.50", "--min-increment", "0.50", "--reserve", "20",
        "--buy-now", "99", "--quantity", "2", "--duration", "10m", "--soft-close", "30",
        "--description", "Blue", "--private", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert (made["starting_bid"], made["min_increment"], made["buy_now"]) == (1050, 50, 9900)
    assert (made["quantity"], made["public"], made["soft_close_s"]) == (2, False, 30)


def test_sale_creates_lots_from_a_yaml_file_and_a_bad_file_is_exit_code_2(
    live: Live, tmp_path: Path
) -> None:
    live.admin_login()
    good = tmp_path / "sale.yaml"
    good.write_text(
        "name: Spring\nlots:\n  - {name: Vase, starting_bid: 10, countdown: 10}\n"
        "  - {name: Clock, starting_bid: 20, countdown: 10}\n"
    )
    result = live.cli("sale", str(good), "--json")
    assert result.exit_code == 0, result.output
    assert [a["name"] for a in json.loads(result.stdout)["auctions"]] == ["Vase", "Clock"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("lots: [{name: A}]")
    failed = live.cli("sale", str(bad))
    assert failed.exit_code == 2
    one_error_line(failed.stderr, "starting_bid")


def test_close_cancel_publish_unpublish_and_delete(live: Live) -> None:
    live.bidder()
    sold = live.auction()
    assert live.cli("bid", str(sold["id"]), "10").exit_code == 0
    live.admin_login()
    closed = live.cli("close", str(sold["id"]))
    assert closed.exit_code == 0 and "sold to #" in closed.stdout
    other = live.auction()
    assert live.cli("unpublish", str(other["id"])).exit_code == 0
    assert live.cli("publish", str(other["id"])).exit_code == 0
    assert live.cli("cancel", str(other["id"])).exit_code == 0
    assert live.admin("get_auction", auction_id=other["id"])["auction"]["status"] == "cancelled"
    gone = live.auction()
    assert live.cli("delete", str(gone["id"])).exit_code == 0
    listed = json.loads(live.cli("auctions", "--json").stdout)
    assert gone["id"] not in [a["id"] for a in listed]
    missing = live.cli("close", "999999")
    assert missing.exit_code == 1
    one_error_line(missing.stderr, "not_found")


def test_export_writes_auctions_bids_and_purchases_as_csv_and_json(
    live: Live, tmp_path: Path
) -> None:
    a = live.auction()
    live.bidder()
    assert live.cli("bid", str(a["id"]), "10").exit_code == 0
    live.admin_login()
    assert live.cli("close", str(a["id"])).exit_code == 0
    data = json.loads(live.cli("export", str(a["id"]), "--format", "json").stdout)
    assert data["auctions"][0]["bids"][0]["amount"] == 1000
    out = tmp_path / "all.csv"
    assert live.cli("export", "--format", "csv", "--output", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    bids = [r for r in rows if r["record"] == "bid" and r["auction_id"] == str(a["id"])]
    assert [(b["amount"], bool(b["username"])) for b in bids] == [("10.00", True)]
    bad = live.cli("export", "--format", "xml")
    assert bad.exit_code == 2
    one_error_line(bad.stderr, "xml")


def test_the_real_command_runs_as_a_subprocess(live: Live) -> None:
    name = unique("sub")
    done = live.run_cli("register", name, "--password", PASSWORD)
    assert done.returncode == 0, done.stderr
    bad = live.run_cli("bid", "999999", "10")
    assert bad.returncode == 1
    one_error_line(bad.stderr, "not_found")
    assert ADMIN not in done.stdout


def test_purchases_needs_a_login(live: Live) -> None:
    result = live.cli("purchases")
    assert result.exit_code == 1
    one_error_line(result.stderr, "not logged in")


def test_room_on_a_closed_port_is_one_line_and_exit_code_3(live: Live) -> None:
    result = live.cli("room", "127.0.0.1", "9")
    assert result.exit_code == 3
    one_error_line(result.stderr, "cannot reach")


def test_bots_run_from_the_command_line_and_report_json(live: Live) -> None:
    lot = live.auction(countdown_s=2, duration_s=None, min_increment=500)
    result = live.cli(
        "bots", "--count", "3", "--auction", str(lot["id"]), "--think", "0.05-0.15",
        "--max-price", "10-40", "--seed", "5", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    tally = json.loads(result.stdout)
    assert tally["won"] == 1 and tally["rejected"].get("internal") is None
    assert tally["lots"][str(lot["id"])]["status"] == "closed"


def test_bots_refuse_an_unknown_strategy(live: Live) -> None:
    result = live.cli("bots", "--strategy", "psychic")
    assert result.exit_code == 2
    one_error_line(result.stderr, "unknown strategy")


def test_the_command_line_keeps_its_own_promises_on_bad_input(live: Live, tmp_path: Path) -> None:
    """Issue 18 item 7: bad input exits 2, in the command line's own words, one line."""
    live.bidder()
    a = live.auction()
    cases = [
        (("auctions", "--status", "bogus"),
         "--status bogus: use scheduled, open, closed or cancelled"),
        (("bid", str(a["id"]), "-5"), "a negative amount: '-5'"),
        (("bid", str(a["id"]), "1e2"), "not an amount: '1e2'"),
        (("bid", str(a["id"]), "\u0967\u0966\u0966"), "not an amount"),  # Devanagari 100
        (("autobid", str(a["id"]), "-3"), "a negative amount: '-3'"),
    ]  # fmt: skip
    live.admin_login()
    cases += [
        (("create", "Lamp", "--starting-bid", "10", "--duration", "40d"),
         "--duration 40d is too long: the longest is 31 days"),
        (("create", "Lamp", "--starting-bid", "10", "--countdown", "2d"),
         "--countdown 2d is too long: the longest is 1 day"),
        (("create", "Lamp", "--starting-bid", "10"),
         "an auction must end: give --duration (e.g. 5m), --ends-at (e.g. +1h) or --countdown"),
        (("create", "Lamp", "--starting-bid", "10", "--duration", "1m", "--ends-at", "+5m"),
         "give --ends-at or --duration, not both"),
    ]  # fmt: skip
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nlots: [\n  - {name: a\n", encoding="utf-8")
    cases.append((("sale", str(broken)), "not valid YAML at line 3, column 3"))
    for args, needle in cases:
        result = live.cli(*args)
        assert result.exit_code == 2, (args, result.output, result.stderr)
        one_error_line(result.stderr, needle)
    bids = live.admin("get_auction", auction_id=a["id"])["bids"]
    assert bids == []  # nothing bad was sent on


def test_sale_and_export_messages_read_as_english(live: Live, tmp_path: Path) -> None:
    live.admin_login()
    one_lot = tmp_path / "sale.yaml"
    one_lot.write_text("name: sale\nlots:\n  - {name: Vase, starting_bid: 10, countdown: 10}\n")
    created = live.cli("sale", str(one_lot))
    assert created.exit_code == 0, created.output
    assert '"sale": 1 lot (#' in created.stdout
    assert "1 lots" not in created.stdout
    a = live.auction()
    out = tmp_path / "one.json"
    exported = live.cli("export", str(a["id"]), "--format", "json", "--output", str(out))
    assert exported.exit_code == 0, exported.output
    assert f"Exported 1 auction to {out}." in exported.stderr
    helped = live.cli("close", "--help")
    assert "Close an auction now" in helped.stdout


def test_every_address_of_one_server_shares_one_login(live: Live) -> None:
    """Issue 18 item 8: localhost or 127.0.0.1, http or ws, and the TCP door."""
    port = live.url.rsplit(":", 1)[1]
    name = unique("ann")
    registered = live.cli("register", name, "--password", PASSWORD, "--server",
                          f"http://localhost:{port}/")  # fmt: skip
    assert registered.exit_code == 0, registered.output
    tcp = f"tcp://{live.server.tcp_host}:{live.server.tcp_port}"
    for server in (f"http://127.0.0.1:{port}", f"ws://localhost:{port}/ws", tcp):
        mine = live.cli("purchases", "--server", server, "--json")
        assert mine.exit_code == 0, (server, mine.output, mine.stderr)
    out = live.cli("logout", "--server", f"ws://127.0.0.1:{port}/ws")
    assert out.exit_code == 0, out.output
    after = live.cli("purchases", "--server", tcp)
    assert after.exit_code == 1
    one_error_line(after.stderr, "not logged in")


def test_create_takes_a_pass_time_for_a_countdown_lot(live: Live) -> None:
    live.admin_login()
    result = live.cli("create", "Clock", "--starting-bid", "5", "--countdown", "10",
                      "--pass-after", "2m", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["pass_after_s"] == 120 and made["passes_at"] is not None


def test_create_takes_increment_bands_and_a_cap_and_show_prints_them(live: Live) -> None:
    live.admin_login()
    result = live.cli("create", "Print", "--starting-bid", "0.50", "--duration", "5m",
                      "--increments", "0:0.05,1:0.25,5:0.50", "--soft-close", "30s",
                      "--max-extension", "2m", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["increments"] == [
        {"from": 0, "increment": 5},
        {"from": 100, "increment": 25},
        {"from": 500, "increment": 50},
    ]
    assert made["max_extension_s"] == 120 and made["end_cap"] is not None
    shown = live.cli("show", str(made["id"]))
    assert shown.exit_code == 0, shown.output
    assert "0.05 from 0.00, 0.25 from 1.00, 0.50 from 5.00" in shown.stdout
    broken = live.cli("create", "Print", "--starting-bid", "1", "--duration", "5m",
                      "--increments", "1:0.25")  # fmt: skip
    assert broken.exit_code != 0 and "increment band starts at 0" in broken.output


def test_budget_shows_sets_and_clears_a_sale_budget(live: Live) -> None:
    lot = {"starting_bid": 500, "countdown_s": 5}
    made = live.admin("create_sale", name=unique("Sale "), lots=[
        {"name": "One", **lot}, {"name": "Two", **lot}])  # fmt: skip
    sale_id = made["sale"]["id"]
    live.bidder()
    shown = live.cli("budget", str(sale_id))
    assert shown.exit_code == 0, shown.output
    assert f"Sale {sale_id}: won 0 lots for 0.00; no budget." in shown.stdout
    set_ = live.cli("budget", str(sale_id), "--max-lots", "1", "--max-spend", "6.00")
    assert "limit 1 lot (1 left), 6.00 (6.00 left)" in set_.stdout, set_.output
    refused = live.cli("bid", str(made["auctions"][0]["id"]), "7.00")
    assert refused.exit_code == 1
    one_error_line(refused.stderr, "budget_exceeded", "6.00 left")
    data = json.loads(live.cli("budget", str(sale_id), "--clear", "--json").stdout)
    assert data["max_lots"] is None and data["max_spend"] is None
