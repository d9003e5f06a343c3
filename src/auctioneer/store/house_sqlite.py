"""`HouseRecords` on SQLite: paid invoices, e-mail addresses, the mail cursor.

A mixin of `SQLiteStore`: reads go through its reader pool, writes through
its group-commit writer like every other write. The tables come from
migration 0010.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from auctioneer.service.ports import EmailRecord, OutboxRecord, PaymentRecord
from auctioneer.store.mixin_access import SQLiteAccess
from auctioneer.store.records import dumps, loads

__all__ = ["SQLiteHouseRecords"]


_EMAIL_COLUMNS = (
    "SELECT user_id, email, verified_at, verify_hash, verify_expires_at, secret, updated_at"
    " FROM user_emails"
)
_SET_EMAIL = """
INSERT INTO user_emails
    (user_id, email, verified_at, verify_hash, verify_expires_at, secret, updated_at)
VALUES (?, ?, NULL, ?, ?, ?, ?)
ON CONFLICT (user_id) DO UPDATE SET
    email = excluded.email, verified_at = NULL, verify_hash = excluded.verify_hash,
    verify_expires_at = excluded.verify_expires_at, updated_at = excluded.updated_at
"""
_CONFIRM = (
    "UPDATE user_emails SET verified_at = ?, verify_hash = NULL, verify_expires_at = NULL,"
    " updated_at = ? WHERE user_id = ?"
)
_CURSOR = """
INSERT INTO mail_cursors (user_id, mailed_seq) VALUES (?, ?)
ON CONFLICT (user_id) DO UPDATE SET mailed_seq = MAX(mailed_seq, excluded.mailed_seq)
"""
_MARK_PAID = (
    "INSERT INTO invoice_payments (auction_id, round, paid_at, paid_by) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (auction_id, round) DO NOTHING"
)


def _email(row: tuple[Any, ...]) -> EmailRecord:
    return EmailRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6])


class SQLiteHouseRecords(SQLiteAccess):
    """The HouseRecords methods of SQLiteStore."""

    async def mark_paid(self, auction_id: int, round: int, paid_by: int, at: int) -> PaymentRecord:
        def tx(conn: sqlite3.Connection) -> PaymentRecord:
            conn.execute(_MARK_PAID, (auction_id, round, at, paid_by))
            sql = (
                "SELECT auction_id, round, paid_at, paid_by FROM invoice_payments"
                " WHERE auction_id = ? AND round = ?"
            )
            return PaymentRecord(*conn.execute(sql, (auction_id, round)).fetchone())

        return await self._write(tx)

    async def payments(self) -> list[PaymentRecord]:
        def q(conn: sqlite3.Connection) -> list[PaymentRecord]:
            sql = (
                "SELECT auction_id, round, paid_at, paid_by FROM invoice_payments"
                " ORDER BY auction_id, round"
            )
            return [PaymentRecord(*r) for r in conn.execute(sql)]

        return await self._read(q)

    async def set_email(
        self, user_id: int, email: str, *, verify_hash: str, expires_at: int, secret: str, at: int
    ) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            conn.execute(_SET_EMAIL, (user_id, email, verify_hash, expires_at, secret, at))

        await self._write(tx)

    async def email_of(self, user_id: int) -> EmailRecord | None:
        def q(conn: sqlite3.Connection) -> EmailRecord | None:
            row = conn.execute(_EMAIL_COLUMNS + " WHERE user_id = ?", (user_id,)).fetchone()
            return None if row is None else _email(row)

        return await self._read(q)

    async def email_by_token(self, verify_hash: str) -> EmailRecord | None:
        def q(conn: sqlite3.Connection) -> EmailRecord | None:
            row = conn.execute(_EMAIL_COLUMNS + " WHERE verify_hash = ?", (verify_hash,))
            found = row.fetchone()
            return None if found is None else _email(found)

        return await self._read(q)

    async def confirm_email(self, user_id: int, at: int, mailed_seq: int) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            conn.execute(_CONFIRM, (at, at, user_id))
            conn.execute(_CURSOR, (user_id, mailed_seq))

        await self._write(tx)

    async def verified_emails(self) -> list[EmailRecord]:
        def q(conn: sqlite3.Connection) -> list[EmailRecord]:
            sql = _EMAIL_COLUMNS + " WHERE verified_at IS NOT NULL ORDER BY user_id"
            return [_email(r) for r in conn.execute(sql)]

        return await self._read(q)

    async def set_mail_optout(self, user_id: int, kind: str, out: bool, at: int) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            if out:
                sql = (
                    "INSERT INTO mail_optouts (user_id, kind, at) VALUES (?, ?, ?)"
                    " ON CONFLICT (user_id, kind) DO NOTHING"
                )
                conn.execute(sql, (user_id, kind, at))
            else:
                sql = "DELETE FROM mail_optouts WHERE user_id = ? AND kind = ?"
                conn.execute(sql, (user_id, kind))

        await self._write(tx)

    async def mail_optouts(self, user_id: int) -> set[str]:
        def q(conn: sqlite3.Connection) -> set[str]:
            sql = "SELECT kind FROM mail_optouts WHERE user_id = ?"
            return {r[0] for r in conn.execute(sql, (user_id,))}

        return await self._read(q)

    async def mail_cursor(self, user_id: int) -> int:
        def q(conn: sqlite3.Connection) -> int:
            sql = "SELECT mailed_seq FROM mail_cursors WHERE user_id = ?"
            row = conn.execute(sql, (user_id,)).fetchone()
            return 0 if row is None else int(row[0])

        return await self._read(q)

    async def advance_mail_cursor(self, user_id: int, seq: int) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            conn.execute(_CURSOR, (user_id, seq))

        await self._write(tx)

    async def queue_mail(self, user_id: int, kind: str, data: dict[str, Any], at: int) -> int:
        payload = dumps(data).decode()

        def tx(conn: sqlite3.Connection) -> int:
            sql = (
                "INSERT INTO mail_outbox (user_id, kind, data, created_at) VALUES (?, ?, ?, ?)"
                " RETURNING id"
            )
            mail_id: int = conn.execute(sql, (user_id, kind, payload, at)).fetchone()[0]
            return mail_id

        return await self._write(tx)

    async def pending_mail(self, limit: int = 100) -> list[OutboxRecord]:
        def q(conn: sqlite3.Connection) -> list[OutboxRecord]:
            sql = (
                "SELECT id, user_id, kind, data, created_at FROM mail_outbox"
                " WHERE sent_at IS NULL ORDER BY id LIMIT ?"
            )
            return [
                OutboxRecord(r[0], r[1], r[2], loads(r[3]), r[4])
                for r in conn.execute(sql, (max(limit, 0),))
            ]

        return await self._read(q)

    async def mail_sent(self, mail_id: int, at: int) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            sql = "UPDATE mail_outbox SET sent_at = ?, data = '{}' WHERE id = ? AND sent_at IS NULL"
            conn.execute(sql, (at, mail_id))

        await self._write(tx)
