"""The admin side of the command line: sale files and exports.

Why here and not in the commands: a sale file is read and checked before any
connection is made (a typo in lot 7 should not create lots 1 to 6), and an
export walks every page of bids; both are plain functions worth testing alone.

A sale file (YAML or JSON) uses the auction fields of docs/protocol.md, with
amounts in major units as on the command line and times as ISO or ``+10m``::

    name: Spring sale
    starts_at: +1m
    pass_after: 2m    # a live lot with no bid passes unsold (default 1m)
    lots:
      - {name: Vase, starting_bid: 10.00, min_increment: 1, countdown_s: 10}
      - {name: Clock, starting_bid: 25, reserve: 40, duration: 2m}
      - name: Print
        starting_bid: 0.50
        increments: "0:0.05, 1:0.25, 5:0.50"   # or a list of {from, increment}
        duration: 5m
        soft_close: 30s
        max_extension: 2m    # late bids add at most 2 minutes in all (or max_end: ISO time)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
import yaml

from auctioneer.clients.cli.common import EXIT_INPUT, CliError
from auctioneer.clients.cli.parsing import parse_duration, parse_increments, parse_moment
from auctioneer.clients.connection import Client
from auctioneer.clients.errors import RequestFailed
from auctioneer.clients.money import AmountError, format_amount, parse_amount

__all__ = [
    "ALL_STATUSES",
    "CSV_COLUMNS",
    "MONEY_FIELDS",
    "auction_fields",
    "collect_export",
    "export_csv",
    "load_sale",
]

MONEY_FIELDS = ("starting_bid", "min_increment", "reserve", "buy_now")
TIME_FIELDS = ("starts_at", "ends_at", "max_end")
DURATION_FIELDS = {
    "duration": "duration_s",
    "countdown": "countdown_s",
    "soft_close": "soft_close_s",
    "pass_after": "pass_after_s",
    "max_extension": "max_extension_s",
}
INT_FIELDS = (
    "quantity",
    "duration_s",
    "countdown_s",
    "soft_close_s",
    "pass_after_s",
    "max_extension_s",
)
TEXT_FIELDS = ("name", "description")
ALL_STATUSES = ["scheduled", "open", "closed", "cancelled"]

CSV_COLUMNS = [
    "record", "auction_id", "name", "status", "round", "seq", "amount", "bidder",
    "username", "auto", "at", "winner", "winner_username", "price", "reason",
]  # fmt: skip


def auction_fields(raw: Mapping[str, Any], *, where: str = "") -> dict[str, Any]:
    """Check one lot's fields and convert them to wire values.

    Raises:
        CliError: an unknown field or a bad value, naming it (exit code 2).
    """
    out: dict[str, Any] = {}
    prefix = f"{where}: " if where else ""
    for key, value in raw.items():
        if value is None:
            continue
        try:
            if key in MONEY_FIELDS:
                out[key] = parse_amount(value)
            elif key in TIME_FIELDS:
                out[key] = parse_moment(str(value))
            elif key in DURATION_FIELDS or key in INT_FIELDS[1:]:
                wire = DURATION_FIELDS.get(key, key)
                out[wire] = value if isinstance(value, int) else parse_duration(str(value))
            elif key == "quantity":
                out[key] = int(value)
            elif key in TEXT_FIELDS:
                out[key] = str(value)
            elif key == "public":
                out[key] = bool(value)
            elif key == "increments":
                out[key] = parse_increments(value)
            else:
                raise CliError(f"{prefix}unknown field {key!r}", EXIT_INPUT)
        except (AmountError, ValueError, TypeError) as e:
            raise CliError(f"{prefix}{key}: {e}", EXIT_INPUT) from None
    if "name" not in out:
        raise CliError(f"{prefix}a lot needs a name", EXIT_INPUT)
    if "starting_bid" not in out:
        raise CliError(f"{prefix}a lot needs a starting_bid", EXIT_INPUT)
    _check_timing(out, raw, prefix=prefix, options=not where)
    return out


# The longest each duration may be (docs/protocol.md "Validation on create"),
# with how a person says it.
LONGEST = {
    "duration_s": (31 * 86400, "31 days"),
    "countdown_s": (86400, "1 day"),
    "soft_close_s": (86400, "1 day"),
    "pass_after_s": (86400, "1 day"),
    "max_extension_s": (31 * 86400, "31 days"),
}


def _check_timing(
    out: dict[str, Any], raw: Mapping[str, Any], *, prefix: str, options: bool
) -> None:
    """Durations in range and exactly one way to end, in the command line's words.

    Args:
        options: name things as command-line options (`--duration`), else as
            the sale file's keys.

    Raises:
        CliError: exit code 2, naming the option or key to change or give.
    """
    # As the person wrote it: `duration` (the default) or `duration_s`.
    names = {wire: key for key, wire in DURATION_FIELDS.items()}
    names.update({wire: wire for wire in LONGEST if wire in raw})

    def name(key: str) -> str:
        key = names.get(key, key)
        return "--" + key.removesuffix("_s").replace("_", "-") if options else key

    for key, (longest, words) in LONGEST.items():
        value = out.get(key)
        if value is None:
            continue
        given = raw.get(names.get(key, key))
        if value > longest:
            raise CliError(f"{prefix}{name(key)} {given} is too long: the longest is {words}", 2)
        if value < 1:
            raise CliError(f"{prefix}{name(key)} {given} is too short: at least 1 second", 2)
    if "ends_at" in out and "duration_s" in out:
        raise CliError(f"{prefix}give {name('ends_at')} or {name('duration_s')}, not both", 2)
    if not {"ends_at", "duration_s", "countdown_s"} & out.keys():
        ways = f"{name('duration_s')}, {name('ends_at')} or {name('countdown_s')}"
        if options:
            ways = "--duration (e.g. 5m), --ends-at (e.g. +1h) or --countdown (e.g. 10s)"
        raise CliError(f"{prefix}an auction must end: give {ways}", 2)


def load_sale(path: Path) -> dict[str, Any]:
    """Read a sale file into ``create_sale`` fields.

    Raises:
        CliError: unreadable, not YAML/JSON, or a bad lot (exit code 2).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise CliError(f"cannot read {path}: {e.strerror}", EXIT_INPUT) from None
    try:
        data = orjson.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (orjson.JSONDecodeError, yaml.YAMLError) as e:
        raise CliError(_syntax_error(path, e), EXIT_INPUT) from None
    if isinstance(data, list):
        data = {"lots": data}
    if not isinstance(data, dict) or not isinstance(data.get("lots"), list) or not data["lots"]:
        raise CliError(f"{path}: expected a mapping with a non-empty list of lots", EXIT_INPUT)
    fields: dict[str, Any] = {"name": str(data.get("name") or path.stem)}
    if data.get("starts_at"):
        try:
            fields["starts_at"] = parse_moment(str(data["starts_at"]))
        except ValueError as e:
            raise CliError(f"{path}: starts_at: {e}", EXIT_INPUT) from None
    for key in ("pass_after", "pass_after_s"):  # a live lot with no bid passes after this
        if data.get(key) is not None:
            value = data[key]
            try:
                fields["pass_after_s"] = (
                    value if isinstance(value, int) else parse_duration(str(value))
                )
            except ValueError as e:
                raise CliError(f"{path}: {key}: {e}", EXIT_INPUT) from None
    fields["lots"] = [
        auction_fields(lot if isinstance(lot, dict) else {}, where=f"{path.name} lot {i}")
        for i, lot in enumerate(data["lots"], 1)
    ]
    return fields


def _syntax_error(path: Path, error: Exception) -> str:
    """A broken sale file in one line: where, and what the parser expected."""
    kind = "JSON" if path.suffix == ".json" else "YAML"
    mark = getattr(error, "problem_mark", None)
    if mark is not None:  # PyYAML: a 0-based line and column, and the problem
        problem = getattr(error, "problem", None) or "cannot be read"
        return (
            f"{path}: not valid {kind} at line {mark.line + 1}, column {mark.column + 1}: {problem}"
        )
    first = str(error).splitlines()[0] if str(error) else "cannot be read"
    return f"{path}: not valid {kind}: {first}"


async def _all_bids(client: Client, auction_id: int) -> list[dict[str, Any]]:
    bids: list[dict[str, Any]] = []
    before: int | None = None
    while True:
        page = (
            await client.request("get_bids", auction_id=auction_id, before_seq=before, limit=500)
        )["bids"]
        bids.extend(page)
        if len(page) < 500 or not page:
            return bids
        before = min(int(b["seq"]) for b in page)


async def collect_export(client: Client, auction_id: int | None) -> dict[str, Any]:
    """Auctions with all their bids, and the purchases, as one JSON-able dict."""
    if auction_id is None:
        auctions = (await client.request("get_auctions", status=ALL_STATUSES))["auctions"]
    else:
        auctions = [(await client.request("get_auction", auction_id=auction_id))["auction"]]
    out = []
    for auction in auctions:
        out.append({**auction, "bids": await _all_bids(client, int(auction["id"]))})
    try:
        purchases = (await client.request("get_purchases"))["purchases"]
    except RequestFailed as e:
        if e.code not in ("unknown_action", "forbidden", "unauthorized"):
            raise
        purchases = []
    if auction_id is not None:
        purchases = [p for p in purchases if p.get("auction_id") == auction_id]
    return {"auctions": out, "purchases": purchases}


def _money(value: Any) -> str:
    return "" if value is None else format_amount(int(value)).replace(",", "")


def export_csv(data: Mapping[str, Any]) -> str:
    """One long table, first column `record` (auction, sale, bid, purchase); money as 125.50."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for a in data["auctions"]:
        base = {"auction_id": a.get("id"), "name": a.get("name")}
        writer.writerow(
            {
                **base,
                "record": "auction",
                "status": a.get("status"),
                "round": a.get("round"),
                "seq": a.get("seq"),
                "winner": a.get("winner"),
                "winner_username": a.get("winner_username"),
                "price": _money(a.get("price")),
                "reason": a.get("close_reason") or a.get("reason"),
            }
        )
        for sale in a.get("sales") or []:
            sold = {"round": sale.get("round"), "winner": sale.get("winner")}
            writer.writerow({**base, **sold, "record": "sale", "price": _money(sale.get("price"))})
        for b in sorted(a.get("bids", []), key=lambda b: b.get("seq") or 0):
            writer.writerow(
                {
                    **base,
                    "record": "bid",
                    "round": b.get("round"),
                    "seq": b.get("seq"),
                    "amount": _money(b.get("amount")),
                    "bidder": b.get("bidder"),
                    "username": b.get("username"),
                    "auto": b.get("auto"),
                    "at": b.get("at"),
                }
            )
    for p in data["purchases"]:
        writer.writerow(
            {
                "record": "purchase",
                "auction_id": p.get("auction_id"),
                "name": p.get("name"),
                "round": p.get("round"),
                "price": _money(p.get("price")),
                "username": p.get("username"),
                "at": p.get("at"),
            }
        )
    return buf.getvalue()
