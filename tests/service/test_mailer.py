"""The mailer against a real SMTP server on loopback (aiosmtpd): what arrives, and when.

The service stack is in-process (memory store, manual clock); the mails go
through the real SMTP transport to a real SMTP server that tests stop and
start to play "down for a while".
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from auctioneer.gateways.smtp import SmtpConfig, SmtpTransport
from auctioneer.service.mailer import Mailer, backoff_delays
from auctioneer.service.ports import MailDeferred
from auctioneer.service.settings import Settings
from tests.helpers.smtp import MailSink
from tests.service.conftest import People
from tests.service.stack import Stack

ANN = "ann@example.test"


@pytest.fixture
def sink() -> Iterator[MailSink]:
    sink = MailSink().start()
    yield sink
    sink.stop()


@dataclass
class Mail:
    stack: Stack
    mailer: Mailer
    people: People


@pytest.fixture
async def mail(sink: MailSink, people: People, stack: Stack) -> AsyncIterator[Mail]:
    config = SmtpConfig.from_settings(Settings(smtp=sink.url))
    mailer = Mailer(
        stack.store,
        stack.clock,
        SmtpTransport(config),
        stack.api.invoices,
        stack.api.house,
        sender="Auctioneer <auctions@house.test>",
        public_url="http://house.test",
        poll_s=0.05,
        first_backoff_s=0.05,
        max_backoff_s=0.2,
    )
    yield Mail(stack, mailer, people)
    await mailer.stop()
    await mailer.transport.close()


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None
    return str(part.get_content())


async def verified(mail: Mail, sink: MailSink, address: str = ANN) -> None:
    await mail.stack.call(mail.people.ann, "set_email", email=address)
    await mail.mailer.round()
    (confirm,) = sink.received(to=address)
    link = re.search(r"token=([A-Za-z0-9_%-]+)", body(confirm, "plain"))
    assert link is not None
    await mail.stack.call(None, "verify_email", token=link.group(1))


async def outbid_ann(mail: Mail) -> int:
    auction = await mail.stack.create(mail.people.admin, starting_bid=1000)
    await mail.stack.call(mail.people.ann, "place_bid", auction_id=auction["id"], amount=1000)
    await mail.stack.call(mail.people.bob, "place_bid", auction_id=auction["id"], amount=1500)
    auction_id: int = auction["id"]
    return auction_id


async def test_a_verified_address_gets_an_outbid_mail_once_in_text_and_html(
    mail: Mail, sink: MailSink
) -> None:
    await verified(mail, sink)
    auction_id = await outbid_ann(mail)
    assert await mail.mailer.round() == 1
    (outbid,) = sink.received(to=ANN, kind="outbid")
    assert outbid["Subject"] == "You were outbid on Lamp - Auctioneer"
    assert "EUR 15.00" in body(outbid, "plain")
    assert f"http://house.test/#/auction/{auction_id}" in body(outbid, "html")
    assert outbid["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert outbid["List-Unsubscribe"].startswith("<http://house.test/api/email/unsubscribe?token=")
    assert outbid["Message-ID"].endswith("@house.test>")
    assert await mail.mailer.round() == 0  # the cursor moved past it
    assert len(sink.received(to=ANN)) == 2  # the verification and the outbid


async def test_nothing_is_mailed_before_verification_nor_history_after_it(
    mail: Mail, sink: MailSink
) -> None:
    await mail.stack.call(mail.people.ann, "set_email", email=ANN)
    await outbid_ann(mail)
    await mail.mailer.round()
    assert [m["Subject"] for m in sink.received(to=ANN)] == ["Confirm your address - Auctioneer"]
    (confirm,) = sink.received(to=ANN)
    token = re.search(r"token=([A-Za-z0-9_%-]+)", body(confirm, "plain"))
    assert token is not None
    await mail.stack.call(None, "verify_email", token=token.group(1))
    assert await mail.mailer.round() == 0  # the outbid before verification stays unmailed


async def test_the_won_mail_carries_the_invoice_pdf(
    mail: Mail, sink: MailSink, tmp_path: Path
) -> None:
    await verified(mail, sink)
    auction = await mail.stack.create(mail.people.admin, buy_now=123_400)
    await mail.stack.call(mail.people.ann, "buy_now", auction_id=auction["id"])
    await mail.mailer.round()
    (won,) = sink.received(to=ANN, kind="won")
    assert won["Subject"].startswith("You bought Lamp")
    assert "http://house.test/api/purchases/1-1/invoice" in body(won, "plain")
    (attachment,) = list(won.iter_attachments())
    assert attachment.get_filename() == "INV-1-1.pdf"
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        path = tmp_path / "won.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "EUR 1,234.00" in text  # no premium in this house


async def test_an_unsubscribed_kind_is_skipped_and_other_kinds_still_come(
    mail: Mail, sink: MailSink
) -> None:
    await verified(mail, sink)
    await mail.stack.call(mail.people.ann, "set_mail_kind", kind="outbid", enabled=False)
    auction_id = await outbid_ann(mail)
    await mail.stack.call(mail.people.admin, "close_auction", auction_id=auction_id)
    await mail.mailer.round()
    kinds = [m["X-Auctioneer-Notice"].split(" ")[0] for m in sink.received(to=ANN)[1:]]
    assert kinds == ["auction_lost"]
    assert await mail.mailer.round() == 0


async def test_while_the_smtp_server_is_down_the_cursor_waits_and_nothing_is_lost(
    mail: Mail, sink: MailSink
) -> None:
    await verified(mail, sink)
    sink.stop()
    await outbid_ann(mail)
    with pytest.raises(MailDeferred):
        await mail.mailer.round()
    with pytest.raises(MailDeferred):
        await mail.mailer.round()
    sink.start()
    assert await mail.mailer.round() == 1
    assert len(sink.received(to=ANN, kind="outbid")) == 1


async def test_the_running_mailer_backs_off_and_delivers_once_the_server_is_back(
    mail: Mail, sink: MailSink
) -> None:
    await verified(mail, sink)
    sink.stop()
    mail.mailer.start()
    await outbid_ann(mail)
    for _ in range(200):  # bounded: 2 s at most
        if mail.mailer.failures >= 2:
            break
        await asyncio.sleep(0.01)
    assert mail.mailer.failures >= 2
    sink.start()
    await asyncio.to_thread(sink.wait_for, 1, to=ANN, kind="outbid", timeout=10)
    await asyncio.sleep(0.3)  # a few more rounds: still exactly one
    assert len(sink.received(to=ANN, kind="outbid")) == 1
    assert mail.mailer.failures == 0


def test_back_off_doubles_up_to_its_ceiling() -> None:
    assert backoff_delays(1, 60) == [1, 2, 4, 8, 16, 32, 60]
    assert backoff_delays(0.05, 0.2) == [0.05, 0.1, 0.2]


@pytest.mark.parametrize(
    ("url", "security", "expected"),
    [
        ("smtp://mail.test:2525", "auto", ("mail.test", 2525, "auto")),
        ("smtps://mail.test", "auto", ("mail.test", 465, "ssl")),
        ("smtp://u%40x:pw@mail.test", "starttls", ("mail.test", 25, "starttls")),
    ],
)
def test_the_smtp_url_and_security_are_read(
    url: str, security: str, expected: tuple[str, int, str]
) -> None:
    config = SmtpConfig.from_settings(Settings(smtp=url, smtp_security=security))
    assert (config.host, config.port, config.security) == expected


@pytest.mark.parametrize(
    ("url", "security"), [("http://x", "auto"), ("smtp://", "auto"), ("smtp://x", "tls")]
)
def test_a_bad_smtp_setting_is_named(url: str, security: str) -> None:
    with pytest.raises(ValueError, match="AUCTIONEER_SMTP"):
        SmtpConfig.from_settings(Settings(smtp=url, smtp_security=security))


async def test_a_notice_wakes_the_mailer_through_the_hub_long_before_its_next_full_pass(
    mail: Mail, sink: MailSink
) -> None:
    await verified(mail, sink)
    mail.mailer.hub = mail.stack.hub
    mail.mailer.poll_s = 30.0  # only a wake-up can deliver within this test's time
    mail.mailer.full_scan_s = 3600.0
    mail.mailer.start()
    for _ in range(200):  # the first (full) pass follows ann's topic
        if mail.mailer._followed:
            break
        await asyncio.sleep(0.01)
    assert mail.people.ann.user is not None
    assert mail.mailer._followed == {mail.people.ann.user.id}
    await outbid_ann(mail)
    await asyncio.to_thread(sink.wait_for, 1, to=ANN, kind="outbid", timeout=5)


async def test_a_won_mail_waits_a_while_for_its_purchase_then_goes_without_the_pdf(
    mail: Mail, sink: MailSink
) -> None:
    from auctioneer.service.ports import Commit, NoticeRecord

    await verified(mail, sink)
    ann = mail.people.ann.user
    assert ann is not None
    won = {"auction_id": 99, "name": "Ghost", "price": 500, "round": 1, "buy_now": False}
    await mail.stack.store.append(  # a notice whose purchase is not readable (yet)
        Commit(
            auction_id=99,
            expected_version=0,
            events=(),
            row={"id": 99, "name": "Ghost"},
            status="closed",
            public=True,
            deleted=False,
            sale_id=None,
            notices=[NoticeRecord(ann.id, "won", won, mail.stack.clock.now_ms())],
        )
    )
    assert await mail.mailer.round() == 0
    assert await mail.stack.store.mail_cursor(ann.id) == 0  # it waits, not skipped
    mail.stack.clock.advance(61)
    assert await mail.mailer.round() == 1
    (sent,) = sink.received(to=ANN, kind="won")
    assert list(sent.iter_attachments()) == []
    assert "/api/purchases/99-1/invoice" in body(sent, "plain")


def _plain(message: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@house.test", ANN, message
    mail.set_content(message)
    return mail


async def test_the_transport_logs_in_and_a_wrong_password_is_retried_later() -> None:
    sink = MailSink(login=("auctions", "s3cret")).start()
    try:
        good = SmtpTransport(
            SmtpConfig.from_settings(
                Settings(
                    smtp=sink.url,
                    smtp_security="none",
                    smtp_user="auctions",
                    smtp_password="s3cret",
                )
            )
        )
        await good.send(_plain("hello"))
        await good.close()
        assert [m["Subject"] for m in sink.received()] == ["hello"]
        wrong = SmtpTransport(
            SmtpConfig("127.0.0.1", sink.port, "none", "auctions", "x", timeout_s=2.0)
        )
        with pytest.raises(MailDeferred):
            await wrong.send(_plain("refused"))
        await wrong.close()
        # `auto` found no STARTTLS on this server: the login is never sent in the clear.
        careful = SmtpTransport(
            SmtpConfig.from_settings(
                Settings(smtp=sink.url, smtp_user="auctions", smtp_password="s3cret")
            )
        )
        with pytest.raises(MailDeferred, match="unencrypted"):
            await careful.send(_plain("in the clear"))
        await careful.close()
        assert [m["Subject"] for m in sink.received()] == ["hello"]
    finally:
        sink.stop()
