"""`BudgetRecords` on each store: bidders' budgets across a sale (migration 0050).

Three small mixins, one per store, beside the house's: SQLite writes
through its group-commit writer, PostgreSQL through its writer connection,
memory in place. A budget with both limits None is deleted.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from auctioneer.service.ports import BudgetRecord
from auctioneer.store.mixin_access import PostgresAccess, SQLiteAccess

if TYPE_CHECKING:
    import asyncpg

__all__ = ["MemoryBudgetRecords", "PostgresBudgetRecords", "SQLiteBudgetRecords"]


_COLUMNS = "SELECT sale_id, user_id, max_lots, max_spend, updated_at FROM sale_budgets"
_UPSERT = """
INSERT INTO sale_budgets (sale_id, user_id, max_lots, max_spend, updated_at)
VALUES ({0}, {1}, {2}, {3}, {4})
ON CONFLICT (sale_id, user_id) DO UPDATE SET
    max_lots = excluded.max_lots, max_spend = excluded.max_spend,
    updated_at = excluded.updated_at
"""
_DELETE = "DELETE FROM sale_budgets WHERE sale_id = {0} AND user_id = {1}"


def _record(row: Any) -> BudgetRecord:
    return BudgetRecord(row[0], row[1], row[2], row[3], row[4])


class SQLiteBudgetRecords(SQLiteAccess):
    """The BudgetRecords methods of SQLiteStore."""

    async def set_budget(self, record: BudgetRecord) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            if record.max_lots is None and record.max_spend is None:
                conn.execute(_DELETE.format("?", "?"), (record.sale_id, record.user_id))
                return
            conn.execute(
                _UPSERT.format("?", "?", "?", "?", "?"),
                (
                    record.sale_id,
                    record.user_id,
                    record.max_lots,
                    record.max_spend,
                    record.updated_at,
                ),
            )

        await self._write(tx)

    async def budgets(self, sale_id: int) -> list[BudgetRecord]:
        def q(conn: sqlite3.Connection) -> list[BudgetRecord]:
            sql = _COLUMNS + " WHERE sale_id = ? ORDER BY user_id"
            return [_record(r) for r in conn.execute(sql, (sale_id,))]

        return await self._read(q)


class PostgresBudgetRecords(PostgresAccess):
    """The BudgetRecords methods of PostgresStore."""

    async def set_budget(self, record: BudgetRecord) -> None:
        async def tx(conn: asyncpg.Connection) -> None:
            if record.max_lots is None and record.max_spend is None:
                await conn.execute(_DELETE.format("$1", "$2"), record.sale_id, record.user_id)
                return
            await conn.execute(
                _UPSERT.format("$1", "$2", "$3", "$4", "$5"),
                record.sale_id,
                record.user_id,
                record.max_lots,
                record.max_spend,
                record.updated_at,
            )

        await self._write(tx)

    async def budgets(self, sale_id: int) -> list[BudgetRecord]:
        async def q(conn: asyncpg.Connection) -> list[BudgetRecord]:
            rows = await conn.fetch(_COLUMNS + " WHERE sale_id = $1 ORDER BY user_id", sale_id)
            return [_record(r) for r in rows]

        return await self._read(q)


class MemoryBudgetRecords:
    """The BudgetRecords methods of MemoryStore (atomic on one event loop)."""

    def _check_open(self) -> None:
        raise NotImplementedError  # MemoryStore's

    def _committed(self) -> None:
        raise NotImplementedError  # MemoryStore's

    @property
    def _budgets(self) -> dict[tuple[int, int], BudgetRecord]:
        found: dict[tuple[int, int], BudgetRecord] | None = self.__dict__.get("_budget_rows")
        if found is None:
            found = self.__dict__["_budget_rows"] = {}
        return found

    async def set_budget(self, record: BudgetRecord) -> None:
        self._check_open()
        key = (record.sale_id, record.user_id)
        if record.max_lots is None and record.max_spend is None:
            self._budgets.pop(key, None)
        else:
            self._budgets[key] = record
        self._committed()

    async def budgets(self, sale_id: int) -> list[BudgetRecord]:
        self._check_open()
        return [r for (sale, _), r in sorted(self._budgets.items()) if sale == sale_id]
