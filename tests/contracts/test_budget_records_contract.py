"""The BudgetRecords contract (service/ports.py), run against every store backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auctioneer.service.ports import BudgetRecord
from tests.contracts.conftest import make_store


async def test_a_budget_is_set_replaced_listed_per_sale_and_removed(store: Any) -> None:
    assert await store.budgets(1) == []
    await store.set_budget(BudgetRecord(1, 7, 2, None, 10))
    await store.set_budget(BudgetRecord(1, 3, None, 5_000, 11))
    await store.set_budget(BudgetRecord(2, 7, 1, 100, 12))  # another sale
    await store.set_budget(BudgetRecord(1, 7, 3, 900, 13))  # replaces
    assert await store.budgets(1) == [
        BudgetRecord(1, 3, None, 5_000, 11),
        BudgetRecord(1, 7, 3, 900, 13),
    ]
    await store.set_budget(BudgetRecord(1, 7, None, None, 14))  # both None: removed
    assert await store.budgets(1) == [BudgetRecord(1, 3, None, 5_000, 11)]
    assert await store.budgets(2) == [BudgetRecord(2, 7, 1, 100, 12)]


@pytest.mark.parametrize("durable", ["sqlite", "postgres"])
async def test_budgets_survive_reopening(
    durable: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if durable == "postgres":
        from tests.contracts.conftest import _empty_postgres

        await _empty_postgres(request.getfixturevalue("postgres_dsn"))
    store = make_store(durable, tmp_path, request)
    await store.open()
    try:
        await store.set_budget(BudgetRecord(4, 2, 1, 250, 9))
    finally:
        await store.close()
    again = make_store(durable, tmp_path, request)
    await again.open()
    try:
        assert await again.budgets(4) == [BudgetRecord(4, 2, 1, 250, 9)]
    finally:
        await again.close()
