"""Ending-soon mails for watched auctions, through a real SMTP server (aiosmtpd).

The stack is in process (memory store, manual clock); the point is decided
through the scheduler's `send_reminder` as its timer would, and the mail
goes through the real SMTP transport.
"""

from __future__ import annotations

from urllib.parse import unquote

from tests.helpers.smtp import MailSink
from tests.service.test_mailer import ANN, Mail, body, mail, sink, verified

__all__ = ["mail", "sink"]  # the fixtures, used by name


async def watched_lot(m: Mail, **fields: object) -> int:
    auction = await m.stack.create(m.people.admin, name="Clock <1780>", duration_s=600, **fields)
    auction_id: int = auction["id"]
    await m.stack.call(m.people.ann, "watch_auction", auction_id=auction_id)
    return auction_id


async def test_a_watcher_gets_one_ending_soon_mail_per_point(mail: Mail, sink: MailSink) -> None:
    await verified(mail, sink)
    auction_id = await watched_lot(mail)
    await mail.stack.call(mail.people.bob, "place_bid", auction_id=auction_id, amount=2500)
    mail.stack.clock.advance(300)
    await mail.stack.auctions.scheduler.send_reminder(auction_id)
    assert await mail.mailer.round() == 1
    assert await mail.mailer.round() == 0
    (soon,) = sink.received(to=ANN, kind="ending_soon")
    assert soon["Subject"] == "Clock <1780> ends in 5 minutes - Auctioneer"
    text = body(soon, "plain")
    assert "Clock <1780>, which you watch, ends in 5 minutes" in text
    assert "The bid is EUR 25.00." in text
    assert f"http://house.test/#/auction/{auction_id}" in text
    assert "Clock &lt;1780&gt;" in body(soon, "html")  # escaped in the HTML part
    assert soon["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert ".ending_soon." in soon["List-Unsubscribe"]

    # One click on its link stops this kind only; the 1-minute point is not mailed.
    token = unquote(soon["List-Unsubscribe"].split("token=")[1].rstrip(">"))
    assert await mail.stack.api.emails.unsubscribe(token) == (
        mail.people.ann.user.id,
        "ending_soon",
    )
    email = await mail.stack.call(mail.people.ann, "get_email")
    assert email["email"]["kinds"]["ending_soon"] is False
    assert email["email"]["kinds"]["outbid"] is True
    mail.stack.clock.advance(240)
    await mail.stack.auctions.scheduler.send_reminder(auction_id)
    assert await mail.mailer.round() == 0
    notices = (await mail.stack.call(mail.people.ann, "get_notices"))["notices"]
    assert [n["data"]["threshold_s"] for n in notices if n["event"] == "ending_soon"] == [300, 60]


async def test_an_ending_soon_mail_due_after_the_end_is_skipped(mail: Mail, sink: MailSink) -> None:
    await verified(mail, sink)
    auction_id = await watched_lot(mail)
    mail.stack.clock.advance(541)
    await mail.stack.auctions.scheduler.send_reminder(auction_id)
    mail.stack.clock.advance(60)  # the mailer's turn comes after the end (it was behind)
    assert await mail.mailer.round() == 0
    assert sink.received(to=ANN, kind="ending_soon") == []
