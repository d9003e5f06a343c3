"""Creating, opening, closing and editing auctions (the admin's commands and Tick).

Which command is allowed in which status is the table in `state.py`; this
module says what an allowed command emits.

Decisions where docs/protocol.md is silent:

- CreateAuction validation (the first failure is the answer; `field` names it):
  money (`starting_bid`, `min_increment`, `reserve`, `buy_now`) must be ints
  of minor units in 0..10^12 (`invalid_amount`); `starting_bid >= 1`,
  `min_increment >= 1`, `reserve >= starting_bid`, `buy_now >= starting_bid`
  and `buy_now >= reserve` (`invalid_amount`). Everything else is
  `bad_request`: `name` 1-200 characters after trimming (stored trimmed);
  `description` at most 10,000 characters; `quantity` 1-10,000;
  `duration_s` 1 s to 31 days; `countdown_s`, `soft_close_s` and
  `pass_after_s` 1 s to 1 day; `max_extension_s` 1 s to 31 days;
  `increments` as engine/increments.py says (with a table, `min_increment`
  is stored as the increment at `starting_bid`); the cap's own rules in
  engine/softclose.py;
  `starts_at`/`ends_at` non-negative epoch ms; `ends_at` and `duration_s`
  exclude each other; at least one of `ends_at`, `duration_s`, `countdown_s`
  (an auction must end somehow); `ends_at` after the start (`starts_at`, or
  now if that is earlier or absent) and at most 31 days after it; a lot that
  waits for its previous lot needs a `sale_id`; `lot >= 1`.
- `starts_at` absent or not in the future: `auction_created` then
  `auction_opened` in the same command. Else the auction is scheduled and
  opens on the Tick at `starts_at`. A lot with `waits_for_previous` is
  scheduled whatever `starts_at` says and opens on OpenLot, at that moment.
- OpenLot opens any scheduled auction now. If its end already passed, the
  same command closes its round.
- A Tick does everything due at `now`: it opens a scheduled auction whose
  start has come, then closes the round whose end has come, or passes a
  round with no end and no bid at its `passes_at` (`no_bids`). A Tick with
  nothing due (or on a closed, cancelled or deleted auction) emits nothing.
- UpdateAuction needs at least one field (`bad_request`), validates `name`
  and `description` as on create, and is allowed in every status but deleted.
- CancelAuction: `auction_closed` `cancelled`, no winner; units already sold
  in earlier rounds stay sold. DeleteAuction: a scheduled or open auction is
  first cancelled, then `auction_deleted`; a closed or cancelled one gets
  only `auction_deleted`. A deleted auction refuses every later command
  (`auction_not_open`), except a Tick, which does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from auctioneer.engine.commands import (
    AuctionSpec,
    CancelAuction,
    CloseAuction,
    CreateAuction,
    DeleteAuction,
    OpenLot,
    Tick,
    UpdateAuction,
)
from auctioneer.engine.errors import InvalidAmount, InvalidCommand
from auctioneer.engine.events import (
    AuctionCreated,
    AuctionDeleted,
    AuctionOpened,
    AuctionUpdated,
    CloseReason,
    Event,
)
from auctioneer.engine.fold import Draft
from auctioneer.engine.increments import increment_at, validate_increments
from auctioneer.engine.money import check_amount
from auctioneer.engine.multiunit import close_round, emit_close
from auctioneer.engine.softclose import MS, deadline_passed, first_ends_at
from auctioneer.engine.state import Auction, Status
from auctioneer.engine.units import format_amount

__all__ = [
    "LIMITS",
    "decide_cancel",
    "decide_close",
    "decide_create",
    "decide_delete",
    "decide_open_lot",
    "decide_tick",
    "decide_update",
    "validate_create",
    "validate_spec",
]

DAY_S = 86_400
NAME_MAX = 200
DESCRIPTION_MAX = 10_000

# Whole-number fields of AuctionSpec: (lowest, highest) allowed when given.
LIMITS: dict[str, tuple[int, int]] = {
    "quantity": (1, 10_000),
    "duration_s": (1, 31 * DAY_S),
    "countdown_s": (1, DAY_S),
    "soft_close_s": (1, DAY_S),
    "pass_after_s": (1, DAY_S),
    "max_extension_s": (1, 31 * DAY_S),
    "starts_at": (0, 2**53),
    "ends_at": (0, 2**53),
    "max_end": (0, 2**53),
}

# Money fields that must not fall below another field (or a constant) when given.
_MONEY_FLOORS: tuple[tuple[str, Callable[[AuctionSpec], int]], ...] = (
    ("starting_bid", lambda s: 1),
    ("min_increment", lambda s: 1),
    ("reserve", lambda s: s.starting_bid),
    ("buy_now", lambda s: max(s.starting_bid, s.reserve or 0)),
)


_OPTIONAL_MONEY = frozenset({"reserve", "buy_now"})
_REQUIRED = frozenset({"quantity"})  # whole-number fields that may not be None


def _check_text(value: object, field: str, *, lowest: int, highest: int) -> str:
    if not isinstance(value, str) or not lowest <= len(value.strip()) <= highest:
        raise InvalidCommand(f"{field} must be {lowest}-{highest} characters", field=field)
    return value.strip()


def validate_spec(spec: AuctionSpec, now: int) -> AuctionSpec:
    """Check an AuctionSpec against the create rules above.

    Returns:
        The spec as stored (name trimmed).

    Raises:
        InvalidAmount: a money field out of range or below its floor.
        InvalidCommand: any other field out of range; `field` names it.
    """
    for field, floor_of in _MONEY_FLOORS:
        value = getattr(spec, field)
        if value is None and field in _OPTIONAL_MONEY:
            continue
        check_amount(value, field=field)
        floor = floor_of(spec)
        if value < floor:
            raise InvalidAmount(f"{field} must be at least {format_amount(floor)}", field=field)
    name = _check_text(spec.name, "name", lowest=1, highest=NAME_MAX)
    description = _check_text(spec.description, "description", lowest=0, highest=DESCRIPTION_MAX)
    for field, (lowest, highest) in LIMITS.items():
        value = getattr(spec, field)
        if (value is not None or field in _REQUIRED) and (
            isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest
        ):
            raise InvalidCommand(
                f"{field} must be a whole number from {lowest} to {highest}", field=field
            )
    if not isinstance(spec.public, bool):
        raise InvalidCommand("public must be true or false", field="public")
    if spec.ends_at is not None and spec.duration_s is not None:
        raise InvalidCommand("give ends_at or duration_s, not both", field="duration_s")
    if spec.ends_at is None and spec.duration_s is None and spec.countdown_s is None:
        raise InvalidCommand("give ends_at, duration_s or countdown_s", field="ends_at")
    start = max(now, spec.starts_at or 0)
    if spec.ends_at is not None and not start < spec.ends_at <= start + 31 * DAY_S * MS:
        raise InvalidCommand(
            "ends_at must be after the start and at most 31 days after it", field="ends_at"
        )
    _check_cap(spec, start)
    min_increment = spec.min_increment
    increments = spec.increments
    if increments:
        increments = validate_increments(increments)
        min_increment = increment_at(replace(spec, increments=increments), spec.starting_bid)
    return replace(
        spec,
        name=name,
        description=description,
        increments=increments,
        min_increment=min_increment,
    )


def _check_cap(spec: AuctionSpec, start: int) -> None:
    """The soft-close cap's rules (engine/softclose.py)."""
    if spec.max_end is None and spec.max_extension_s is None:
        return
    field = "max_end" if spec.max_end is not None else "max_extension_s"
    if spec.soft_close_s is None and spec.countdown_s is None:
        raise InvalidCommand(
            f"{field} caps extensions: give soft_close_s or countdown_s too", field=field
        )
    if spec.max_end is None:
        return
    if spec.ends_at is None and spec.duration_s is None:
        raise InvalidCommand("max_end needs ends_at or duration_s", field="max_end")
    if spec.max_end <= start or (spec.ends_at is not None and spec.max_end < spec.ends_at):
        raise InvalidCommand(
            "max_end must be after the start and not before ends_at", field="max_end"
        )


def _open(draft: Draft) -> None:
    spec = draft.state.spec
    assert spec is not None
    draft.emit(AuctionOpened, round=1, ends_at=first_ends_at(spec, draft.now))


def validate_create(command: CreateAuction, now: int) -> AuctionSpec:
    """Every check `decide_create` makes, without an auction to create.

    The service asks this before it takes an id from the store, so a refused
    create uses up no auction id (ids come only from created auctions).

    Returns:
        The spec as stored (name trimmed).

    Raises:
        InvalidAmount: a money field out of range.
        InvalidCommand: any other invalid field (see `validate_spec`).
    """
    spec = validate_spec(command.spec, now)
    if command.waits_for_previous and command.sale_id is None:
        raise InvalidCommand("a waiting lot needs a sale_id", field="sale_id")
    if command.lot is not None and command.lot < 1:
        raise InvalidCommand("lot must be 1 or more", field="lot")
    return spec


def decide_create(state: Auction, command: CreateAuction, now: int) -> list[Event]:
    """Create the auction; open it at once unless it starts later or waits.

    Raises:
        InvalidAmount: a money field out of range.
        InvalidCommand: any other invalid field (see `validate_spec`).
    """
    spec = validate_create(command, now)
    draft = Draft(state, now)
    draft.emit(
        AuctionCreated,
        spec=spec,
        sale_id=command.sale_id,
        lot=command.lot,
        waits_for_previous=command.waits_for_previous,
    )
    if not command.waits_for_previous and (spec.starts_at is None or spec.starts_at <= now):
        _open(draft)
    return draft.events


def _close_if_due(draft: Draft) -> None:
    if draft.state.status is Status.OPEN and deadline_passed(draft.state, draft.now):
        close_round(draft)


def decide_tick(state: Auction, command: Tick, now: int) -> list[Event]:
    """Do what is due at `now`: open a scheduled auction, close an ended round.

    Returns:
        The events, or `[]` when nothing is due.
    """
    draft = Draft(state, now)
    starts_at = state.spec.starts_at if state.spec is not None else None
    due = state.status is Status.SCHEDULED and not state.waits_for_previous
    if due and starts_at is not None and starts_at <= now:
        _open(draft)
    _close_if_due(draft)
    return draft.events


def decide_open_lot(state: Auction, command: OpenLot, now: int) -> list[Event]:
    """Open a scheduled lot now (its previous lot closed)."""
    draft = Draft(state, now)
    _open(draft)
    _close_if_due(draft)
    return draft.events


def decide_update(state: Auction, command: UpdateAuction, now: int) -> list[Event]:
    """Admin edit of `public`, `name`, `description`.

    Raises:
        InvalidCommand: no field given, or a name/description out of range.
    """
    if command.public is None and command.name is None and command.description is None:
        raise InvalidCommand("nothing to update")
    name = command.name
    if name is not None:
        name = _check_text(name, "name", lowest=1, highest=NAME_MAX)
    description = command.description
    if description is not None:
        description = _check_text(description, "description", lowest=0, highest=DESCRIPTION_MAX)
    if command.public is not None and not isinstance(command.public, bool):
        raise InvalidCommand("public must be true or false", field="public")
    draft = Draft(state, now)
    draft.emit(AuctionUpdated, public=command.public, name=name, description=description)
    return draft.events


def decide_close(state: Auction, command: CloseAuction, now: int) -> list[Event]:
    """Admin close now: the leader wins if the reserve is met (reason `admin`)."""
    draft = Draft(state, now)
    if state.status is Status.OPEN:
        close_round(draft, admin=True)
    else:
        emit_close(draft, CloseReason.ADMIN)
    return draft.events


def decide_cancel(state: Auction, command: CancelAuction, now: int) -> list[Event]:
    """Admin cancel: closed with no winner (reason `cancelled`)."""
    draft = Draft(state, now)
    emit_close(draft, CloseReason.CANCELLED)
    return draft.events


def decide_delete(state: Auction, command: DeleteAuction, now: int) -> list[Event]:
    """Admin delete: cancel if still scheduled or open, then hide it."""
    draft = Draft(state, now)
    if state.status in (Status.SCHEDULED, Status.OPEN):
        emit_close(draft, CloseReason.CANCELLED)
    draft.emit(AuctionDeleted)
    return draft.events
