"""What an admin types into the auction form, checked and turned into wire fields.

Why pure: the form's messages next to each field (``125.50`` is an amount,
``5m`` a duration) are decided here and tested without a display. Only the
shape of the input is checked; the auction rules themselves (reserve at least
the starting bid, and so on) are the server's, and its refusal is shown next
to the field it names (``error.field``), so the app never restates a rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auctioneer.clients.cli.parsing import parse_duration, parse_increments, parse_moment
from auctioneer.clients.money import AmountError, parse_amount

__all__ = [
    "AUCTION_FIELDS",
    "FieldSpec",
    "FormResult",
    "LOT_FIELDS",
    "validate_auction",
    "validate_sale",
]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One entry of the form: its wire name, label, kind and an example."""

    name: str
    label: str
    kind: str  # text | amount | int | duration | moment | bool | bands
    required: bool = False
    hint: str = ""


AUCTION_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "Name", "text", True, "Signed first edition"),
    FieldSpec("description", "Description", "text", False, "optional"),
    FieldSpec("starting_bid", "Starting bid", "amount", True, "125.50"),
    FieldSpec("min_increment", "Increment", "amount", False, "1.00 (default)"),
    FieldSpec("increments", "Increment bands", "bands", False, "optional: 0:0.05, 1:0.25, 5:0.50"),
    FieldSpec("reserve", "Reserve", "amount", False, "optional"),
    FieldSpec("buy_now", "Buy now", "amount", False, "optional"),
    FieldSpec("quantity", "Quantity", "int", False, "1"),
    FieldSpec("starts_at", "Starts", "moment", False, "now, +10m or 2026-12-24 18:00"),
    FieldSpec("duration_s", "Duration", "duration", False, "90s, 5m, 1h30m"),
    FieldSpec("ends_at", "Ends at", "moment", False, "instead of a duration"),
    FieldSpec("countdown_s", "Countdown", "duration", False, "resets on each bid, e.g. 10s"),
    FieldSpec("soft_close_s", "Soft close", "duration", False, "e.g. 30s"),
    FieldSpec("max_extension_s", "Longest extension", "duration", False, "optional cap, e.g. 2m"),
    FieldSpec("public", "Public", "bool", False, ""),
)

#: The columns of the sale builder's lot rows.
LOT_FIELDS = tuple(
    f
    for f in AUCTION_FIELDS
    if f.name in ("name", "starting_bid", "min_increment", "reserve", "duration_s", "countdown_s")
)


@dataclass(slots=True)
class FormResult:
    """Wire fields when the input is well formed, else a message per field."""

    fields: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _convert(spec: FieldSpec, raw: Any, now: float | None) -> Any:
    """One value; raises ValueError with the message to show."""
    if spec.kind == "bool":
        return bool(raw)
    text = str(raw).strip()
    if spec.kind == "text":
        return text
    if spec.kind == "amount":
        try:
            return parse_amount(text)
        except AmountError as e:
            hint = "" if "125.50" in str(e) else " (type an amount like 125.50)"
            raise ValueError(f"{e}{hint}") from None
    if spec.kind == "int":
        if not text.isdigit() or int(text) < 1:
            raise ValueError("a whole number, 1 or more")
        return int(text)
    if spec.kind == "duration":
        seconds = parse_duration(text)
        if seconds < 1:
            raise ValueError("at least one second (90s, 5m)")
        return seconds
    if spec.kind == "bands":  # FROM:STEP pairs, as on the command line
        return parse_increments(text)
    if spec.kind == "moment":
        if text.lower() == "now":
            return None
        return parse_moment(text, now=now)
    raise ValueError(f"unknown kind {spec.kind}")  # pragma: no cover - specs are ours


def _check(
    values: Mapping[str, Any], specs: tuple[FieldSpec, ...], now: float | None
) -> FormResult:
    result = FormResult()
    for spec in specs:
        raw = values.get(spec.name, "")
        if spec.kind != "bool" and not str(raw if raw is not None else "").strip():
            if spec.required:
                result.errors[spec.name] = f"{spec.label} is required"
            continue
        try:
            value = _convert(spec, raw, now)
        except ValueError as e:
            result.errors[spec.name] = str(e)
            continue
        if value is not None:
            result.fields[spec.name] = value
    return result


def _needs_an_end(result: FormResult) -> None:
    # docs/protocol.md: ends_at and duration_s exclude each other, and an
    # auction must end somehow. Said here so the message sits by the field.
    f = result.fields
    if "ends_at" in f and "duration_s" in f:
        result.errors["ends_at"] = "give a duration or an end time, not both"
    elif not ({"ends_at", "duration_s", "countdown_s"} & f.keys()) and not (
        {"ends_at", "duration_s", "countdown_s"} & result.errors.keys()
    ):
        result.errors["duration_s"] = "give a duration (5m), an end time or a countdown"


def validate_auction(values: Mapping[str, Any], *, now: float | None = None) -> FormResult:
    """Check the auction form.

    Args:
        values: the typed text per wire field name (``public`` a bool).
        now: the time ``+10m`` counts from (defaults to the clock).

    Returns:
        The wire fields for ``create_auction``, or a message per bad field.
    """
    result = _check(values, AUCTION_FIELDS, now)
    _needs_an_end(result)
    return result


def validate_sale(
    name: str, lots: Sequence[Mapping[str, Any]], *, starts_at: str = "", now: float | None = None
) -> FormResult:
    """Check a sale: its name, optional start, and at least one valid lot.

    Errors are keyed ``name``, ``starts_at``, ``lots`` or ``lot N: field``.
    """
    result = FormResult()
    if not name.strip():
        result.errors["name"] = "Sale name is required"
    if starts_at.strip() and starts_at.strip().lower() != "now":
        try:
            result.fields["starts_at"] = parse_moment(starts_at, now=now)
        except ValueError as e:
            result.errors["starts_at"] = str(e)
    if not lots:
        result.errors["lots"] = "add at least one lot"
    checked = []
    for number, lot in enumerate(lots, 1):
        one = _check(lot, LOT_FIELDS, now)
        _needs_an_end(one)
        for key, message in one.errors.items():
            result.errors[f"lot {number}: {key}"] = message
        checked.append(one.fields)
    result.fields["name"] = name.strip()
    result.fields["lots"] = checked
    return result
