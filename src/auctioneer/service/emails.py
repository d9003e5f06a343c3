"""E-mail addresses: given, verified by a link, unsubscribed per kind by a link.

An address is stored unverified with the SHA-256 of a random token; the
token itself goes only into the verification mail (queued in the durable
outbox, sent by the mailer). Following the link (`verify_email`) marks the
address verified and starts the user's mail cursor at their newest notice,
so mail covers what happens from then on, not the history.

Unsubscribe links carry `USER.KIND.SIGNATURE`, an HMAC-SHA256 of "USER:KIND"
under a random secret kept with the address: one click, no login, good for
that user and kind only, and still valid after the address changes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, cast

from auctioneer.engine.errors import InvalidCommand
from auctioneer.service.errors import RateLimited
from auctioneer.service.ports import Clock, EventStore, HouseRecords, UserRecord

__all__ = ["MAIL_KINDS", "VERIFY_TTL_MS", "EmailService", "unsubscribe_token"]

MAIL_KINDS = ("outbid", "won", "auction_lost", "auto_bid_exhausted", "ending_soon")
VERIFY_TTL_MS = 3 * 24 * 3600 * 1000  # a verification link lives three days
RESEND_MS = 60_000  # at most one verification mail a minute per account


def unsubscribe_token(user_id: int, kind: str, secret: str) -> str:
    """The one-click unsubscribe token for `user_id` and `kind`."""
    mac = hmac.new(secret.encode(), f"{user_id}:{kind}".encode(), hashlib.sha256)
    return f"{user_id}.{kind}.{mac.hexdigest()[:32]}"


class EmailService:
    """Addresses, verification and unsubscribes; the mailer sends what this queues."""

    def __init__(self, store: EventStore, clock: Clock) -> None:
        self.store = store
        self.records = cast(HouseRecords, store)
        self.clock = clock

    async def set_email(self, user: UserRecord, email: str) -> dict[str, Any]:
        """Store `email` unverified and queue its verification mail.

        Returns the caller's `email` object (docs/protocol.md).

        Raises:
            RateLimited: a verification mail was asked for less than a minute
                ago and is still pending.
        """
        now = self.clock.now_ms()
        old = await self.records.email_of(user.id)
        if old is not None and old.verify_hash is not None and now - old.updated_at < RESEND_MS:
            # Each call mails a link: without a pause, an account could flood an inbox.
            wait = (old.updated_at + RESEND_MS - now) / 1000
            raise RateLimited("Wait a minute before asking for another verification mail", wait)
        token = secrets.token_urlsafe(32)
        await self.records.set_email(
            user.id,
            email,
            verify_hash=_hash(token),
            expires_at=now + VERIFY_TTL_MS,
            secret=secrets.token_hex(32),
            at=now,
        )
        await self.records.queue_mail(user.id, "verify", {"email": email, "token": token}, now)
        return await self.email_object(user)

    async def verify(self, token: str) -> UserRecord:
        """Follow a verification link: the address becomes verified.

        Raises:
            InvalidCommand: an unknown, used or expired token (`bad_request`).
        """
        record = await self.records.email_by_token(_hash(token))
        now = self.clock.now_ms()
        if record is None or (record.verify_expires_at or 0) <= now:
            raise InvalidCommand("This verification link is unknown or has expired", field="token")
        user = await self.store.user_by_id(record.user_id)
        if user is None:
            raise InvalidCommand("This verification link is unknown or has expired", field="token")
        start = await self.store.last_notice_seq(user.id)
        await self.records.confirm_email(user.id, now, start)
        return user

    async def email_object(self, user: UserRecord) -> dict[str, Any]:
        """{address, verified, kinds: {kind: enabled}}; address null when none."""
        record = await self.records.email_of(user.id)
        off = await self.records.mail_optouts(user.id)
        return {
            "address": record.email if record else None,
            "verified": bool(record and record.verified_at is not None),
            "kinds": {kind: kind not in off for kind in MAIL_KINDS},
        }

    async def set_kind(self, user: UserRecord, kind: str, enabled: bool) -> dict[str, Any]:
        await self.records.set_mail_optout(user.id, kind, not enabled, self.clock.now_ms())
        return await self.email_object(user)

    async def unsubscribe(self, token: str) -> tuple[int, str]:
        """Follow a one-click unsubscribe link; returns (user id, kind).

        Raises:
            InvalidCommand: a token that is not one of ours.
        """
        bad = InvalidCommand("This unsubscribe link is not valid", field="token")
        user_text, _, rest = token.partition(".")
        kind, _, _ = rest.partition(".")
        if not user_text.isascii() or not user_text.isdigit() or kind not in MAIL_KINDS:
            raise bad
        user_id = int(user_text[:18])
        record = await self.records.email_of(user_id)
        if record is None:
            raise bad
        if not hmac.compare_digest(unsubscribe_token(user_id, kind, record.secret), token):
            raise bad
        await self.records.set_mail_optout(user_id, kind, True, self.clock.now_ms())
        return user_id, kind


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
