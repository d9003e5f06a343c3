"""The ports the service needs: event store, broker, clock (typing.Protocol).

Concrete backends (store/memory.py, store/sqlite.py, store/postgres.py,
pubsub/memory.py, pubsub/redis.py) implement these; only the composition root
picks one. The service never imports a backend.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

from auctioneer.engine.events import Event

__all__ = [
    "Broker",
    "Clock",
    "Commit",
    "Decision",
    "EmailRecord",
    "Accounts",
    "AuctionLog",
    "EventStore",
    "Projections",
    "RequestLog",
    "Frame",
    "HouseRecords",
    "Leases",
    "BudgetRecord",
    "BudgetRecords",
    "MailDeferred",
    "MailRefused",
    "MailTransport",
    "Member",
    "NoticeRecord",
    "OutboxRecord",
    "PeerUnavailable",
    "Peers",
    "PaymentRecord",
    "Projected",
    "PurchaseRecord",
    "RequestRecord",
    "SenderLock",
    "StoreCounters",
    "StoredNotice",
    "TokenRecord",
    "UserRecord",
    "WatchRecords",
]


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    username: str
    password_hash: str
    role: str  # "admin" | "bidder"
    paddle: int
    created_at: int  # epoch ms
    disabled: bool = False  # an operator took the account back: no login, no token works
    changed_at: int = 0  # epoch ms of the last change after creation (0: never changed)


@dataclass(frozen=True, slots=True)
class TokenRecord:
    token_hash: str  # sha256 hex of the random token; the token itself is never stored
    user_id: int
    expires_at: int  # epoch ms
    revoked: bool


# The records a write builds per bid (notices, decisions, requests, the
# commit) are plain slotted dataclasses, not frozen ones: a frozen one's
# __init__ sets every field through object.__setattr__, five times the cost
# of a plain store, and they were 8% of a bid's instructions (callgrind,
# docs/benchmarks.md). Nothing changes them once built.
@dataclass(slots=True)
class NoticeRecord:
    """A personal notification to append to `user:<id>`; the store assigns its seq."""

    user_id: int
    kind: str  # outbid | won | auction_lost | auto_bid_exhausted | ending_soon
    data: dict[str, Any]
    at: int


@dataclass(slots=True)
class StoredNotice:
    user_id: int
    seq: int  # per-user, gapless, 1-based
    kind: str
    data: dict[str, Any]
    at: int


@dataclass(frozen=True, slots=True)
class PurchaseRecord:
    auction_id: int
    round: int
    user_id: int
    price: int
    at: int
    buy_now: bool = False


@dataclass(slots=True)
class Decision:
    """Who caused a run of an auction's events: one command (or one deadline).

    Written on the log rows from `first_version` on, so the log alone says
    which request made which events, and where each decision starts (the
    notices of a decision are derived from it as a whole). `reply` says what
    the request's first reply was: the auction object in the caller's view
    ("auction") or `{}` ("empty"); None for a deadline or a sale's next lot.
    """

    first_version: int
    user_id: int | None = None
    request_id: str | None = None
    reply: str | None = None


@dataclass(slots=True)
class RequestRecord:
    """An accepted request whose first reply is rebuilt from the log (rule 10).

    The reply is the auction as it stood at `version` (the request's last
    event), rendered as `reply` says ("auction": in the caller's view, "empty":
    `{}`).
    """

    user_id: int
    request_id: str
    auction_id: int
    version: int
    reply: str
    at: int


@dataclass(slots=True)
class Commit:
    """One auction's decided batch: its log entries and what they project.

    The log is the write (docs/architecture.md): `append` makes durable the
    `events` (with their `version`, expected_version+1, +2, ..., and public
    `seq`), the `decisions` that caused them, and `idempotency` replies that
    cannot be rebuilt from the log (a sale's). Everything else is a
    projection of those events, which a store may write behind the reply: the
    auction's `row` for listings (the admin view of the auction object) and
    its filter columns, the personal `notices`, the `purchases`, and the
    `requests` whose first replies a retry gets (docs/protocol.md rule 10).
    """

    auction_id: int
    expected_version: int
    events: Sequence[Event]
    row: dict[str, Any]
    status: str
    public: bool
    deleted: bool
    sale_id: int | None
    notices: Sequence[NoticeRecord] = ()
    purchases: Sequence[PurchaseRecord] = ()
    idempotency: Sequence[tuple[int, str, bytes]] = ()  # (user_id, request_id, result)
    extra: dict[str, Any] = field(default_factory=dict)
    row_json: bytes | None = None  # `row` already encoded, when the caller has it
    decisions: Sequence[Decision] = ()
    requests: Sequence[RequestRecord] = ()
    # Each event's link in the auction's hash chain (32 bytes; None for a
    # private event), in the order of `events`; empty when not given.
    hashes: Sequence[bytes | None] = ()


Projected = Awaitable[list[StoredNotice]]


class StoreCounters(Protocol):
    """What every store counts (`store.base.StoreStats`), read by the metrics."""

    transactions: int
    append_transactions: int
    appends: int
    conflicts: int


class AuctionLog(Protocol):
    """The truth: each auction's append-only log, and what recovery needs of it.

    `append` raises ConcurrencyConflict when (auction_id, expected_version+1)
    already exists, and then writes nothing of that commit.
    """

    async def allocate_ids(self, kind: str, count: int = 1) -> list[int]:
        """Durably reserve `count` new ids of `kind` ("auction" or "sale")."""

    async def append(self, commit: Commit) -> Projected:
        """Write one commit's log entries durably (group-committed with others).

        Returns once the events are durable. Its projections (row, notices,
        purchases, requests) may be written after that, in a later
        transaction; the returned future then gives the notices as stored,
        with their per-user seq (at once for a store that writes everything
        together). Every read of a projection waits for the projections of
        the appends before it.
        """

    async def append_all(self, commits: Sequence[Commit]) -> list[list[StoredNotice]]:
        """Write the commits of several auctions (one each) in one transaction.

        All or nothing: a conflict in any of them writes none (a sale's lots).
        """

    async def load_events(
        self, auction_id: int, after_version: int = 0, *, limit: int | None = None
    ) -> list[Event]:
        """The events (public and private) after `after_version`, in version order;
        at most `limit` of them when given (a caller pages a long log)."""

    async def decisions(self, auction_id: int, after_version: int = 0) -> list[Decision]:
        """The decisions recorded on the auction's log rows after `after_version`."""

    async def unprojected(self) -> list[tuple[int, int]]:
        """(auction id, projected version) of every auction whose log is ahead of
        its projections (a crash between the two): the service projects the rest."""

    async def project(self, commit: Commit) -> list[StoredNotice]:
        """Write only the projections of a commit whose events the log already
        has (after a crash, from `unprojected`); the stored notices."""

    async def unfinished_auction_ids(self) -> list[int]:
        """Auctions whose status is scheduled or open (their timers need setting)."""

    async def sale_lots(self, sale_id: int) -> list[int]:
        """The auction ids of a sale, in lot order."""

    # -- the hash chain (docs/protocol.md "The tamper-evident log") -------------
    async def log_hashes(
        self, auction_id: int, after_seq: int = 0, upto_seq: int | None = None
    ) -> dict[int, bytes | None]:
        """The stored hash of each public event with after_seq < seq <= upto_seq, by seq."""

    async def sealed_hash(self, auction_id: int) -> bytes | None:
        """The stored hash of the auction's `auction_closed` event, if it closed."""

    async def unchained(self) -> list[int]:
        """Auctions whose events were written before the chain (hashes never computed)."""

    async def chain(self, auction_id: int, hashes: dict[int, bytes]) -> None:
        """Write the computed hashes of an unchained auction (by seq) and take it
        off the list, in one transaction."""


class Projections(Protocol):
    """What is derived from the log and read by clients: listings, bids,
    notices, purchases. Every read waits for the projections of the appends
    before it (a caller reads its own writes)."""

    async def auction_rows(
        self,
        *,
        statuses: Sequence[str] | None = None,
        sale_id: int | None = None,
        include_private: bool = False,
        include_deleted: bool = False,
    ) -> list[dict[str, Any]]:
        """Current-state rows (as stored by `append`), ordered by auction id."""

    async def auction_row(self, auction_id: int) -> dict[str, Any] | None:
        """One current-state row, deleted or not; None if it never existed."""

    async def bids(
        self, auction_id: int, *, before_seq: int | None = None, limit: int = 100
    ) -> list[Event]:
        """BidPlaced events, newest first, with seq < before_seq when given."""

    async def notices(self, user_id: int, after_seq: int = 0) -> list[StoredNotice]: ...

    async def last_notice_seq(self, user_id: int) -> int: ...

    async def purchases(self, user_id: int | None = None) -> list[PurchaseRecord]:
        """A user's purchases, or everyone's when user_id is None, oldest first."""


class RequestLog(Protocol):
    """The requests already answered, so that a retry gets its first reply."""

    async def stored_reply(self, user_id: int, request_id: str) -> bytes | RequestRecord | None:
        """The reply first sent to this (user, request id): its bytes when they
        were stored, where the log says to rebuild it from, or None."""

    async def save_reply(self, user_id: int, request_id: str, result: bytes) -> None:
        """Store a reply outside an auction commit (a sale spans several)."""

    async def request_ids(self, since_ms: int) -> list[tuple[int, str]]:
        """Every (user_id, request_id) with a stored reply written at or after since_ms."""

    async def requests(self, since_ms: int) -> list[RequestRecord]:
        """Every accepted request recorded at or after since_ms (replies to rebuild)."""

    async def forget_replies(self, before_ms: int, limit: int) -> int:
        """Delete up to `limit` stored replies (and request records) written
        before `before_ms`; how many went."""


class Accounts(Protocol):
    """Users and their tokens."""

    async def create_user(self, username: str, password_hash: str, role: str) -> UserRecord:
        """Insert a user with the next paddle number.

        Raises: UsernameTaken (store.errors) if the name exists (case-insensitive).
        """

    async def user_by_name(self, username: str) -> UserRecord | None: ...

    async def user_by_id(self, user_id: int) -> UserRecord | None: ...

    async def users_by_ids(self, user_ids: Sequence[int]) -> dict[int, UserRecord]: ...

    async def add_token(self, token_hash: str, user_id: int, expires_at: int) -> None: ...

    async def token(self, token_hash: str) -> TokenRecord | None: ...

    async def revoke_token(self, token_hash: str) -> None: ...

    async def update_user(
        self,
        user_id: int,
        *,
        role: str | None = None,
        disabled: bool | None = None,
        password_hash: str | None = None,
    ) -> UserRecord | None:
        """Change what is given and stamp the user changed (now), so every server
        process reloads it (`users_changed`); None if there is no such user."""

    async def revoke_tokens(self, user_id: int, *, keep: str | None = None) -> int:
        """Revoke every token of the user except `keep`, stamp the user changed;
        returns how many were revoked."""

    async def users_changed(self, since_ms: int) -> list[UserRecord]:
        """Users stamped changed after `since_ms` (by `update_user`, `revoke_tokens`)."""

    async def purge_tokens(self, before_ms: int, limit: int) -> int:
        """Delete up to `limit` tokens that expired before `before_ms` or were
        revoked; returns how many went."""


class EventStore(AuctionLog, Projections, RequestLog, Accounts, Protocol):
    """One store plays every role above; a service takes only the roles it uses.

    Every method may raise StoreUnavailable.
    """

    @property
    def stats(self) -> StoreCounters:
        """Counters of committed transactions, appends and conflicts."""

    async def open(self) -> None:
        """Connect and run pending migrations."""

    async def close(self) -> None:
        """Finish in-flight commits, then release connections."""

    async def ping(self) -> None:
        """One trivial read: returns if the store answers (`GET /readyz`).

        Raises:
            StoreUnavailable: it does not.
        """


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """An invoice marked paid: the purchase is (auction_id, round), one unit each."""

    auction_id: int
    round: int
    paid_at: int  # epoch ms
    paid_by: int  # the admin's user id


@dataclass(frozen=True, slots=True)
class EmailRecord:
    """A user's e-mail address; mail goes only to a verified one."""

    user_id: int
    email: str
    verified_at: int | None  # epoch ms; None until the link was followed
    verify_hash: str | None  # sha256 hex of the pending verification token
    verify_expires_at: int | None
    secret: str  # random key of the user's unsubscribe links (HMAC)
    updated_at: int


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A mail that is not a notice (a verification link), waiting to be sent."""

    id: int
    user_id: int
    kind: str
    data: dict[str, Any]
    created_at: int


@dataclass(frozen=True, slots=True)
class BudgetRecord:
    """A bidder's budget across one sale's lots; None: no limit of that kind."""

    sale_id: int
    user_id: int
    max_lots: int | None
    max_spend: int | None  # minor units
    updated_at: int  # epoch ms


class BudgetRecords(Protocol):
    """Bidders' budgets across a sale (migration 0050; service/budgets.py)."""

    async def set_budget(self, record: BudgetRecord) -> None:
        """Store the budget; one with both limits None is removed."""

    async def budgets(self, sale_id: int) -> list[BudgetRecord]:
        """Every budget set for the sale, by user id."""


class HouseRecords(Protocol):
    """What invoices and mail keep beside the log (migration 0010).

    Small writes outside any auction's commit: paid invoices, e-mail
    addresses and their verification, unsubscribes per kind, the per-user
    "mailed up to" cursor over the notices, and an outbox for other mail.
    """

    async def mark_paid(self, auction_id: int, round: int, paid_by: int, at: int) -> PaymentRecord:
        """Record the invoice of (auction_id, round) as paid; the first record stays."""

    async def payments(self) -> list[PaymentRecord]:
        """Every paid invoice, in (auction_id, round) order."""

    async def set_email(
        self, user_id: int, email: str, *, verify_hash: str, expires_at: int, secret: str, at: int
    ) -> None:
        """Store (or replace) the user's address as unverified, with a pending token."""

    async def email_of(self, user_id: int) -> EmailRecord | None: ...

    async def email_by_token(self, verify_hash: str) -> EmailRecord | None:
        """The address whose pending verification token hashes to `verify_hash`."""

    async def confirm_email(self, user_id: int, at: int, mailed_seq: int) -> None:
        """Mark the address verified and start its mail cursor at `mailed_seq`."""

    async def verified_emails(self) -> list[EmailRecord]:
        """Every verified address, by user id."""

    async def set_mail_optout(self, user_id: int, kind: str, out: bool, at: int) -> None:
        """Unsubscribe the user from mails of `kind` (or subscribe again)."""

    async def mail_optouts(self, user_id: int) -> set[str]: ...

    async def mail_cursor(self, user_id: int) -> int:
        """The seq of the user's last notice whose mail was handed over (0: none)."""

    async def advance_mail_cursor(self, user_id: int, seq: int) -> None:
        """Move the cursor to `seq`; it never moves back."""

    async def queue_mail(self, user_id: int, kind: str, data: dict[str, Any], at: int) -> int:
        """Put a mail in the outbox; returns its id."""

    async def pending_mail(self, limit: int = 100) -> list[OutboxRecord]:
        """Outbox mails not yet sent, oldest first."""

    async def mail_sent(self, mail_id: int, at: int) -> None:
        """Mark an outbox mail sent (its data is dropped: it may hold a token)."""


class SenderLock(Protocol):
    """The right to send this database's mail, held by one process at a time
    (store/sender_lock.py): the other processes' mailers stand by."""

    async def held(self) -> bool:
        """Take the lock if it is free; True while this process holds it."""

    async def release(self) -> None:
        """Let another process take it (also at exit, or when the process dies)."""


class WatchRecords(Protocol):
    """The watchlist (migration 0060): which user follows which auction.

    Small writes outside any auction's commit, like `HouseRecords`. Watching
    twice keeps the first `since`; unwatching what is not watched is a no-op.
    """

    async def watch(self, user_id: int, auction_id: int, at: int) -> bool:
        """Add the pair; True if it is new."""
        ...

    async def unwatch(self, user_id: int, auction_id: int) -> bool:
        """Remove the pair; True if it was there."""
        ...

    async def watched(self, user_id: int) -> list[tuple[int, int]]:
        """(auction_id, since) of every auction the user watches, oldest first."""
        ...

    async def watchers_of(self, auction_id: int) -> list[int]:
        """The users who watch the auction, by id."""
        ...

    async def watcher_counts(self, auction_ids: Sequence[int]) -> dict[int, int]:
        """How many users watch each of these auctions (absent: none)."""
        ...


class MailDeferred(Exception):
    """The mail server cannot take mail now (down, 4xx): try again later, same mail."""


class MailRefused(Exception):
    """The mail server refused this one mail for good (5xx, e.g. no such recipient)."""


class MailTransport(Protocol):
    """Hands mail to an SMTP server (gateways/smtp.py); the mailer decides what and when.

    `send` returns once the server accepted the message (250 after DATA).
    """

    async def send(self, message: EmailMessage) -> None:
        """Raises: MailDeferred (try later) or MailRefused (drop this one)."""

    async def close(self) -> None:
        """End the connection kept between sends, if any."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One encoded event, shared by every subscriber that receives it.

    `seq` is the event's topic seq (None on latest-value feeds); subscribers
    use it to drop what a catch-up already sent. `hides` marks the event that
    made an auction private or deleted it: bidders' subscriptions end there.
    The doors write `data` as it is (a WebSocket text frame carries the same bytes).
    """

    data: bytes
    seq: int | None = None
    hides: bool = False  # after this frame, only admins may go on receiving the topic


class Broker(Protocol):
    """Topic transport between server processes (in-process or Redis).

    `listen(topic)` returns once messages on `topic` are guaranteed to reach the
    local `deliver` callback given at construction; only then may a subscriber
    read its catch-up from the store without a gap. The store is the truth; the
    broker is a fast hint.
    """

    async def publish(self, topic: str, frame: Frame) -> None: ...

    async def listen(self, topic: str) -> None: ...

    async def unlisten(self, topic: str) -> None: ...

    async def ping(self) -> None:
        """Returns if the broker answers (`GET /readyz`); raises if it does not."""

    async def close(self) -> None: ...


class Clock(Protocol):
    """Injectable time source: epoch milliseconds."""

    def now_ms(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Member:
    """A running server process of the house: where the others reach it."""

    id: str
    address: str  # host:port of its internal door (gateways/cluster.py)


class Leases(Protocol):
    """Who owns which bucket of auctions (service/ownership.py).

    `solo`: one process owns every bucket for good (memory, SQLite); then
    nothing else here is called. Otherwise a bucket's lease lasts as long as
    the session that took it: when the process dies, it is free at once.
    Every method may raise StoreUnavailable; after that the process holds no
    lease any more (`join` again).
    """

    solo: bool

    async def join(self, member_id: str, address: str) -> str:
        """Register this process (again); returns the house's cluster secret."""

    async def heartbeat(self) -> None:
        """Say this process is alive; raises if its lease session is gone."""

    async def members(self) -> list[Member]:
        """The processes alive now (heartbeat within a few seconds), this one too."""

    async def owners(self) -> dict[int, str]:
        """bucket -> member id, for every bucket whose lease is held now."""

    async def try_acquire(self, bucket: int) -> bool:
        """Take the bucket's lease if it is free; True if this process holds it."""

    async def release(self, bucket: int) -> None:
        """Give the bucket's lease back."""

    async def leave(self) -> None:
        """Release every lease and forget this member."""


class PeerUnavailable(Exception):
    """Another process could not be reached, or the connection broke before its reply."""


class Peers(Protocol):
    """The internal connections between the processes of one house
    (gateways/cluster.py): a request header out, a header and raw bytes back."""

    async def call(self, address: str, header: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        """Send `header` to the process at `address` and wait for its answer.

        Raises:
            PeerUnavailable: not reached, or the connection broke meanwhile.
        """
