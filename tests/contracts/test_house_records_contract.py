"""The HouseRecords contract (service/ports.py), run against every store backend.

Paid invoices, e-mail addresses and their verification, unsubscribes, the
per-user mail cursor and the outbox: the same behaviour in memory, SQLite
and PostgreSQL, and durable where the backend is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.contracts.conftest import make_store


async def test_an_invoice_is_paid_once_and_the_first_record_stays(store: Any) -> None:
    first = await store.mark_paid(7, 1, paid_by=1, at=1_000)
    again = await store.mark_paid(7, 1, paid_by=2, at=2_000)
    assert (first.paid_at, first.paid_by) == (1_000, 1)
    assert again == first
    await store.mark_paid(3, 2, paid_by=1, at=3_000)
    assert [(p.auction_id, p.round) for p in await store.payments()] == [(3, 2), (7, 1)]


async def test_an_address_is_unverified_until_its_token_confirms_it(store: Any) -> None:
    assert await store.email_of(5) is None
    await store.set_email(5, "ann@example.test", verify_hash="h1", expires_at=9, secret="s", at=1)
    record = await store.email_of(5)
    assert record.email == "ann@example.test"
    assert record.verified_at is None and record.verify_hash == "h1"
    assert await store.verified_emails() == []
    assert (await store.email_by_token("h1")).user_id == 5
    assert await store.email_by_token("nope") is None

    await store.confirm_email(5, at=4, mailed_seq=3)
    confirmed = await store.email_of(5)
    assert confirmed.verified_at == 4 and confirmed.verify_hash is None
    assert [e.user_id for e in await store.verified_emails()] == [5]
    assert await store.mail_cursor(5) == 3
    assert await store.email_by_token("h1") is None


async def test_a_new_address_needs_verifying_again_and_keeps_the_secret(store: Any) -> None:
    await store.set_email(5, "a@example.test", verify_hash="h1", expires_at=9, secret="s1", at=1)
    await store.confirm_email(5, at=2, mailed_seq=0)
    await store.set_email(5, "b@example.test", verify_hash="h2", expires_at=9, secret="s2", at=3)
    record = await store.email_of(5)
    assert (record.email, record.verified_at, record.verify_hash) == ("b@example.test", None, "h2")
    assert record.secret == "s1"  # links already mailed keep working


async def test_the_mail_cursor_never_moves_back(store: Any) -> None:
    assert await store.mail_cursor(9) == 0
    await store.advance_mail_cursor(9, 4)
    await store.advance_mail_cursor(9, 2)
    assert await store.mail_cursor(9) == 4
    await store.advance_mail_cursor(9, 6)
    assert await store.mail_cursor(9) == 6
    assert await store.mail_cursor(10) == 0


async def test_unsubscribes_are_per_kind_and_can_be_undone(store: Any) -> None:
    await store.set_mail_optout(2, "outbid", True, at=1)
    await store.set_mail_optout(2, "outbid", True, at=2)
    await store.set_mail_optout(2, "won", True, at=3)
    await store.set_mail_optout(3, "auction_lost", True, at=3)
    assert await store.mail_optouts(2) == {"outbid", "won"}
    await store.set_mail_optout(2, "won", False, at=4)
    assert await store.mail_optouts(2) == {"outbid"}


async def test_the_outbox_lists_unsent_mail_oldest_first_and_forgets_sent_data(
    store: Any,
) -> None:
    a = await store.queue_mail(1, "verify", {"token": "t1"}, at=1)
    b = await store.queue_mail(2, "verify", {"token": "t2"}, at=2)
    assert b > a
    pending = await store.pending_mail()
    assert [(m.id, m.user_id, m.data) for m in pending] == [
        (a, 1, {"token": "t1"}),
        (b, 2, {"token": "t2"}),
    ]
    await store.mail_sent(a, at=3)
    await store.mail_sent(a, at=4)
    assert [m.id for m in await store.pending_mail()] == [b]
    assert [m.id for m in await store.pending_mail(limit=0)] == []


@pytest.mark.parametrize("durable", ["sqlite", "postgres"])
async def test_house_records_survive_reopening(
    durable: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if durable == "postgres":
        request.getfixturevalue("postgres_dsn")
        from tests.contracts.conftest import _empty_postgres

        await _empty_postgres(request.getfixturevalue("postgres_dsn"))
    store = make_store(durable, tmp_path, request)
    await store.open()
    try:
        await store.mark_paid(1, 1, paid_by=1, at=5)
        await store.set_email(2, "x@example.test", verify_hash="h", expires_at=9, secret="s", at=1)
        await store.confirm_email(2, at=2, mailed_seq=7)
        await store.set_mail_optout(2, "won", True, at=3)
        await store.queue_mail(2, "verify", {"k": 1}, at=4)
    finally:
        await store.close()
    again = make_store(durable, tmp_path, request)
    await again.open()
    try:
        assert len(await again.payments()) == 1
        assert (await again.email_of(2)).verified_at == 2
        assert await again.mail_cursor(2) == 7
        assert await again.mail_optouts(2) == {"won"}
        assert [m.data for m in await again.pending_mail()] == [{"k": 1}]
    finally:
        await again.close()
