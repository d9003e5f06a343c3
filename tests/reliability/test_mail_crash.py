"""Mail across a crash: a real `auctioneer serve` killed with SIGKILL, a real SMTP server
that is down for a while. Every notice of a verified address arrives once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from tests.helpers.server import RunningServer, add_user, start_server
from tests.helpers.smtp import MailSink

ANN = "ann@example.test"
PASSWORD = "correct horse battery"


@pytest.fixture
def sink() -> Iterator[MailSink]:
    sink = MailSink().start()
    yield sink
    sink.stop()


def serve(db: Path, sink: MailSink) -> RunningServer:
    return start_server(
        db,
        "--smtp",
        sink.url,
        "--mail-from",
        "Auctioneer <auctions@house.test>",
        env={"AUCTIONEER_MAIL_POLL_S": "0.1"},
    )


def _wait_for_output(server: RunningServer, text: str, timeout: float = 20.0) -> None:
    """Until the server has logged `text` (its output is read as it comes)."""
    deadline = time.monotonic() + timeout
    while not any(text in line for line in list(server.output)):
        assert time.monotonic() < deadline, f"the server never said {text!r}"
        time.sleep(0.02)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def login(http: httpx.Client, name: str) -> dict[str, str]:
    reply = http.post("/api/login", json={"username": name, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['token']}"}


def bid(http: httpx.Client, who: dict[str, str], auction_id: int, amount: int) -> None:
    reply = http.post(f"/api/auctions/{auction_id}/bids", json={"amount": amount}, headers=who)
    assert reply.status_code == 200, reply.text


def test_mail_survives_kill_9_and_an_smtp_outage_once_each(tmp_path: Path, sink: MailSink) -> None:
    db = tmp_path / "house.db"
    add_user(f"sqlite:///{db}", "root", PASSWORD, admin=True)
    server = serve(db, sink)
    try:
        with httpx.Client(base_url=server.http_url, timeout=10) as http:
            for name, email in (("ann", ANN), ("bob", None)):
                fields = {"username": name, "password": PASSWORD}
                if email:
                    fields["email"] = email
                assert http.post("/api/register", json=fields).status_code == 201
            (confirm,) = sink.wait_for(1, to=ANN)
            link = re.search(r"http://\S+/api/email/verify\?token=\S+", text_of(confirm))
            assert link is not None
            assert httpx.get(link.group(0), timeout=10).status_code == 200

            root, ann, bob = login(http, "root"), login(http, "ann"), login(http, "bob")
            created = http.post(
                "/api/auctions",
                json={"name": "Clock", "starting_bid": 1000, "duration_s": 3600},
                headers=root,
            )
            auction_id = created.json()["auction"]["id"]
            bid(http, ann, auction_id, 1000)
            bid(http, bob, auction_id, 1500)
            sink.wait_for(1, to=ANN, kind="outbid")

            sink.stop()  # the SMTP server goes down
            bid(http, ann, auction_id, 2000)
            bid(http, bob, auction_id, 2500)
            _wait_for_output(server, "mail server unavailable")  # it tried, failed, backs off
            assert len(sink.received(to=ANN, kind="outbid")) == 1
        server.kill()  # SIGKILL, mid back-off
    finally:
        server.stop()

    sink.start()  # the SMTP server is back, on the same port
    again = serve(db, sink)
    try:
        outbids = sink.wait_for(2, to=ANN, kind="outbid", timeout=30)
        time.sleep(1.0)  # several more mailer rounds: nothing more arrives
        outbids = sink.received(to=ANN, kind="outbid")
        assert [("EUR 15.00" in text_of(m), "EUR 25.00" in text_of(m)) for m in outbids] == [
            (True, False),
            (False, True),
        ]
        assert len({m["Message-ID"] for m in outbids}) == 2
        assert len(sink.received(to=ANN)) == 3  # verification + two outbids, no copy
    finally:
        assert again.stop() == 0
