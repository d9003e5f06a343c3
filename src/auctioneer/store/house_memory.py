"""`HouseRecords` in memory: paid invoices, e-mail addresses, the mail cursor.

A mixin of `MemoryStore`, with its state in one object made on first use so
the store's own constructor stays as it is. Each method runs without
awaiting, so it is atomic on one event loop like a transaction.
"""

from __future__ import annotations

from typing import Any

from auctioneer.service.ports import EmailRecord, OutboxRecord, PaymentRecord
from auctioneer.store.records import dumps, loads

__all__ = ["MemoryHouseRecords"]


class _State:
    def __init__(self) -> None:
        self.payments: dict[tuple[int, int], PaymentRecord] = {}
        self.emails: dict[int, EmailRecord] = {}
        self.optouts: set[tuple[int, str]] = set()
        self.cursors: dict[int, int] = {}
        self.outbox: dict[int, tuple[OutboxRecord, bytes, int | None]] = {}


class MemoryHouseRecords:
    """The HouseRecords methods of MemoryStore."""

    def _check_open(self) -> None:
        raise NotImplementedError  # MemoryStore's

    def _committed(self) -> None:
        raise NotImplementedError  # MemoryStore's

    @property
    def _house(self) -> _State:
        state: _State | None = self.__dict__.get("_house_state")
        if state is None:
            state = self.__dict__["_house_state"] = _State()
        return state

    async def mark_paid(self, auction_id: int, round: int, paid_by: int, at: int) -> PaymentRecord:
        self._check_open()
        record = self._house.payments.setdefault(
            (auction_id, round), PaymentRecord(auction_id, round, at, paid_by)
        )
        self._committed()
        return record

    async def payments(self) -> list[PaymentRecord]:
        self._check_open()
        return [self._house.payments[k] for k in sorted(self._house.payments)]

    async def set_email(
        self, user_id: int, email: str, *, verify_hash: str, expires_at: int, secret: str, at: int
    ) -> None:
        self._check_open()
        old = self._house.emails.get(user_id)
        keep = old.secret if old is not None else secret
        self._house.emails[user_id] = EmailRecord(
            user_id, email, None, verify_hash, expires_at, keep, at
        )
        self._committed()

    async def email_of(self, user_id: int) -> EmailRecord | None:
        self._check_open()
        return self._house.emails.get(user_id)

    async def email_by_token(self, verify_hash: str) -> EmailRecord | None:
        self._check_open()
        for record in self._house.emails.values():
            if record.verify_hash == verify_hash:
                return record
        return None

    async def confirm_email(self, user_id: int, at: int, mailed_seq: int) -> None:
        self._check_open()
        old = self._house.emails.get(user_id)
        if old is not None:
            self._house.emails[user_id] = EmailRecord(
                user_id, old.email, at, None, None, old.secret, at
            )
        cursors = self._house.cursors
        cursors[user_id] = max(cursors.get(user_id, 0), mailed_seq)
        self._committed()

    async def verified_emails(self) -> list[EmailRecord]:
        self._check_open()
        emails = self._house.emails
        return [emails[i] for i in sorted(emails) if emails[i].verified_at is not None]

    async def set_mail_optout(self, user_id: int, kind: str, out: bool, at: int) -> None:
        self._check_open()
        if out:
            self._house.optouts.add((user_id, kind))
        else:
            self._house.optouts.discard((user_id, kind))
        self._committed()

    async def mail_optouts(self, user_id: int) -> set[str]:
        self._check_open()
        return {kind for uid, kind in self._house.optouts if uid == user_id}

    async def mail_cursor(self, user_id: int) -> int:
        self._check_open()
        return self._house.cursors.get(user_id, 0)

    async def advance_mail_cursor(self, user_id: int, seq: int) -> None:
        self._check_open()
        cursors = self._house.cursors
        cursors[user_id] = max(cursors.get(user_id, 0), seq)
        self._committed()

    async def queue_mail(self, user_id: int, kind: str, data: dict[str, Any], at: int) -> int:
        self._check_open()
        payload = dumps(data)
        mail_id = max(self._house.outbox, default=0) + 1
        self._house.outbox[mail_id] = (OutboxRecord(mail_id, user_id, kind, {}, at), payload, None)
        self._committed()
        return mail_id

    async def pending_mail(self, limit: int = 100) -> list[OutboxRecord]:
        self._check_open()
        out: list[OutboxRecord] = []
        for mail_id in sorted(self._house.outbox):
            record, payload, sent_at = self._house.outbox[mail_id]
            if sent_at is None and len(out) < limit:
                out.append(
                    OutboxRecord(
                        record.id, record.user_id, record.kind, loads(payload), record.created_at
                    )
                )
        return out

    async def mail_sent(self, mail_id: int, at: int) -> None:
        self._check_open()
        entry = self._house.outbox.get(mail_id)
        if entry is not None and entry[2] is None:
            self._house.outbox[mail_id] = (entry[0], b"{}", at)
        self._committed()
