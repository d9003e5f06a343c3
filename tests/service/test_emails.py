"""E-mail addresses through the API: set, verify by token, unsubscribe per kind."""

from __future__ import annotations

from typing import Any

import pytest

from auctioneer.engine.errors import AuctionError
from auctioneer.service.emails import unsubscribe_token
from auctioneer.service.users import Caller
from tests.service.conftest import People
from tests.service.stack import Stack


async def code_of(stack: Stack, caller: Caller | None, action: str, **fields: Any) -> str:
    with pytest.raises(AuctionError) as caught:
        await stack.call(caller, action, **fields)
    return caught.value.code


async def token_of(stack: Stack, user_id: int) -> str:
    mails = [m for m in await stack.store.pending_mail() if m.user_id == user_id]
    token: str = mails[-1].data["token"]
    return token


async def test_an_address_is_verified_by_its_newest_token_only(
    stack: Stack, people: People
) -> None:
    assert people.ann.user is not None
    ann = people.ann.user.id
    await stack.call(people.ann, "set_email", email="a@example.test")
    first = await token_of(stack, ann)
    assert await code_of(stack, people.ann, "set_email", email="b@example.test") == "rate_limited"
    stack.clock.advance(61)
    await stack.call(people.ann, "set_email", email="b@example.test")
    second = await token_of(stack, ann)
    assert await code_of(stack, None, "verify_email", token=first) == "bad_request"
    done = await stack.call(None, "verify_email", token=second)
    assert done["email"]["address"] == "b@example.test" and done["email"]["verified"] is True


async def test_a_token_expires_after_three_days(stack: Stack, people: People) -> None:
    assert people.ann.user is not None
    await stack.call(people.ann, "set_email", email="a@example.test")
    token = await token_of(stack, people.ann.user.id)
    stack.clock.advance(3 * 24 * 3600)
    assert await code_of(stack, None, "verify_email", token=token) == "bad_request"


async def test_registering_with_an_address_queues_its_verification(stack: Stack) -> None:
    result = await stack.call(
        None, "register", username="cleo", password="cleo-walnut-desk-42", email="cleo@example.test"
    )
    (mail,) = await stack.store.pending_mail()
    assert mail.user_id == result["user"]["id"] and mail.data["email"] == "cleo@example.test"


async def test_mail_kinds_are_turned_off_and_on_and_need_a_login(
    stack: Stack, people: People
) -> None:
    assert await code_of(stack, people.anon, "get_email") == "unauthorized"
    empty = (await stack.call(people.bob, "get_email"))["email"]
    assert empty["address"] is None and empty["verified"] is False
    off = await stack.call(people.bob, "set_mail_kind", kind="auction_lost", enabled=False)
    assert off["email"]["kinds"]["auction_lost"] is False
    on = await stack.call(people.bob, "set_mail_kind", kind="auction_lost", enabled=True)
    assert on["email"]["kinds"]["auction_lost"] is True


async def test_an_unsubscribe_token_works_for_its_user_and_kind_only(
    stack: Stack, people: People
) -> None:
    assert people.ann.user is not None and people.bob.user is not None
    ann, bob = people.ann.user.id, people.bob.user.id
    await stack.call(people.ann, "set_email", email="a@example.test")
    record = await stack.store.email_of(ann)
    assert record is not None
    emails = stack.api.emails
    assert await emails.unsubscribe(unsubscribe_token(ann, "won", record.secret)) == (ann, "won")
    assert await stack.store.mail_optouts(ann) == {"won"}
    for forged in (
        unsubscribe_token(bob, "won", record.secret),  # bob has no address: no secret
        unsubscribe_token(ann, "won", "another secret"),
        f"{ann}.nonsense.abc",
        "x.won.abc",
        "",
    ):
        with pytest.raises(AuctionError):
            await emails.unsubscribe(forged)
    assert await stack.store.mail_optouts(bob) == set()
