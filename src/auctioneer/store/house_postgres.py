"""`HouseRecords` on PostgreSQL: paid invoices, e-mail addresses, the mail cursor.

A mixin of `PostgresStore`: reads through its pool, writes through its one
writer connection like every other write. The tables come from migration 0010.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auctioneer.service.ports import EmailRecord, OutboxRecord, PaymentRecord
from auctioneer.store.mixin_access import PostgresAccess
from auctioneer.store.records import dumps, loads

if TYPE_CHECKING:
    import asyncpg

__all__ = ["PostgresHouseRecords"]


_EMAIL_COLUMNS = (
    "SELECT user_id, email, verified_at, verify_hash, verify_expires_at, secret, updated_at"
    " FROM user_emails"
)
_SET_EMAIL = """
INSERT INTO user_emails
    (user_id, email, verified_at, verify_hash, verify_expires_at, secret, updated_at)
VALUES ($1, $2, NULL, $3, $4, $5, $6)
ON CONFLICT (user_id) DO UPDATE SET
    email = excluded.email, verified_at = NULL, verify_hash = excluded.verify_hash,
    verify_expires_at = excluded.verify_expires_at, updated_at = excluded.updated_at
"""
_CONFIRM = (
    "UPDATE user_emails SET verified_at = $1, verify_hash = NULL, verify_expires_at = NULL,"
    " updated_at = $1 WHERE user_id = $2"
)
_CURSOR = """
INSERT INTO mail_cursors (user_id, mailed_seq) VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE
SET mailed_seq = GREATEST(mail_cursors.mailed_seq, excluded.mailed_seq)
"""
_MARK_PAID = (
    "INSERT INTO invoice_payments (auction_id, round, paid_at, paid_by) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (auction_id, round) DO NOTHING"
)
_PAYMENT_COLUMNS = "SELECT auction_id, round, paid_at, paid_by FROM invoice_payments"


def _email(row: Any) -> EmailRecord:
    return EmailRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6])


class PostgresHouseRecords(PostgresAccess):
    """The HouseRecords methods of PostgresStore."""

    async def mark_paid(self, auction_id: int, round: int, paid_by: int, at: int) -> PaymentRecord:
        async def tx(conn: asyncpg.Connection) -> PaymentRecord:
            await conn.execute(_MARK_PAID, auction_id, round, at, paid_by)
            sql = _PAYMENT_COLUMNS + " WHERE auction_id = $1 AND round = $2"
            row = await conn.fetchrow(sql, auction_id, round)
            return PaymentRecord(row[0], row[1], row[2], row[3])

        return await self._write(tx)

    async def payments(self) -> list[PaymentRecord]:
        async def q(conn: asyncpg.Connection) -> list[PaymentRecord]:
            rows = await conn.fetch(_PAYMENT_COLUMNS + " ORDER BY auction_id, round")
            return [PaymentRecord(r[0], r[1], r[2], r[3]) for r in rows]

        return await self._read(q)

    async def set_email(
        self, user_id: int, email: str, *, verify_hash: str, expires_at: int, secret: str, at: int
    ) -> None:
        async def tx(conn: asyncpg.Connection) -> None:
            await conn.execute(_SET_EMAIL, user_id, email, verify_hash, expires_at, secret, at)

        await self._write(tx)

    async def email_of(self, user_id: int) -> EmailRecord | None:
        async def q(conn: asyncpg.Connection) -> EmailRecord | None:
            row = await conn.fetchrow(_EMAIL_COLUMNS + " WHERE user_id = $1", user_id)
            return None if row is None else _email(row)

        return await self._read(q)

    async def email_by_token(self, verify_hash: str) -> EmailRecord | None:
        async def q(conn: asyncpg.Connection) -> EmailRecord | None:
            row = await conn.fetchrow(_EMAIL_COLUMNS + " WHERE verify_hash = $1", verify_hash)
            return None if row is None else _email(row)

        return await self._read(q)

    async def confirm_email(self, user_id: int, at: int, mailed_seq: int) -> None:
        async def tx(conn: asyncpg.Connection) -> None:
            await conn.execute(_CONFIRM, at, user_id)
            await conn.execute(_CURSOR, user_id, mailed_seq)

        await self._write(tx)

    async def verified_emails(self) -> list[EmailRecord]:
        async def q(conn: asyncpg.Connection) -> list[EmailRecord]:
            sql = _EMAIL_COLUMNS + " WHERE verified_at IS NOT NULL ORDER BY user_id"
            return [_email(r) for r in await conn.fetch(sql)]

        return await self._read(q)

    async def set_mail_optout(self, user_id: int, kind: str, out: bool, at: int) -> None:
        async def tx(conn: asyncpg.Connection) -> None:
            if out:
                sql = (
                    "INSERT INTO mail_optouts (user_id, kind, at) VALUES ($1, $2, $3)"
                    " ON CONFLICT (user_id, kind) DO NOTHING"
                )
                await conn.execute(sql, user_id, kind, at)
            else:
                sql = "DELETE FROM mail_optouts WHERE user_id = $1 AND kind = $2"
                await conn.execute(sql, user_id, kind)

        await self._write(tx)

    async def mail_optouts(self, user_id: int) -> set[str]:
        async def q(conn: asyncpg.Connection) -> set[str]:
            sql = "SELECT kind FROM mail_optouts WHERE user_id = $1"
            return {r[0] for r in await conn.fetch(sql, user_id)}

        return await self._read(q)

    async def mail_cursor(self, user_id: int) -> int:
        async def q(conn: asyncpg.Connection) -> int:
            sql = "SELECT mailed_seq FROM mail_cursors WHERE user_id = $1"
            seq = await conn.fetchval(sql, user_id)
            return 0 if seq is None else int(seq)

        return await self._read(q)

    async def advance_mail_cursor(self, user_id: int, seq: int) -> None:
        async def tx(conn: asyncpg.Connection) -> None:
            await conn.execute(_CURSOR, user_id, seq)

        await self._write(tx)

    async def queue_mail(self, user_id: int, kind: str, data: dict[str, Any], at: int) -> int:
        payload = dumps(data).decode()

        async def tx(conn: asyncpg.Connection) -> int:
            sql = (
                "INSERT INTO mail_outbox (user_id, kind, data, created_at)"
                " VALUES ($1, $2, $3, $4) RETURNING id"
            )
            mail_id: int = await conn.fetchval(sql, user_id, kind, payload, at)
            return mail_id

        return await self._write(tx)

    async def pending_mail(self, limit: int = 100) -> list[OutboxRecord]:
        async def q(conn: asyncpg.Connection) -> list[OutboxRecord]:
            sql = (
                "SELECT id, user_id, kind, data, created_at FROM mail_outbox"
                " WHERE sent_at IS NULL ORDER BY id LIMIT $1"
            )
            return [
                OutboxRecord(r[0], r[1], r[2], loads(r[3]), r[4])
                for r in await conn.fetch(sql, max(limit, 0))
            ]

        return await self._read(q)

    async def mail_sent(self, mail_id: int, at: int) -> None:
        async def tx(conn: asyncpg.Connection) -> None:
            sql = (
                "UPDATE mail_outbox SET sent_at = $1, data = '{}' WHERE id = $2 AND sent_at IS NULL"
            )
            await conn.execute(sql, at, mail_id)

        await self._write(tx)
