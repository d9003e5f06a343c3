"""What each mail says: subject, plain text and HTML, from a notice (pure functions).

One table, `NOTICE_MAILS`, maps a notice kind to its subject and sentence;
a kind missing from it is not mailed (a notice added later stays on the
wire and in `get_notices`). Every value from a user or an admin is escaped
in the HTML part. The footer names the kind and links its one-click
unsubscribe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from auctioneer.service.house import format_money

__all__ = ["NOTICE_MAILS", "Links", "MailText", "notice_mail", "verification_mail"]


@dataclass(frozen=True, slots=True)
class MailText:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class Links:
    """The absolute links a mail carries (built by the mailer from the public URL)."""

    auction: str
    unsubscribe: str
    invoice: str | None = None


def _money(data: Mapping[str, Any], key: str, currency: str) -> str:
    value = data.get(key)
    return f"{currency} {format_money(value)}" if isinstance(value, int) else "no price"


def _outbid(d: Mapping[str, Any], c: str) -> tuple[str, str]:
    return (
        f"You were outbid on {d.get('name')}",
        f"Someone bid {_money(d, 'amount', c)} on {d.get('name')}. Bid again to stay in.",
    )


def _won(d: Mapping[str, Any], c: str) -> tuple[str, str]:
    how = "bought" if d.get("buy_now") else "won"
    return (
        f"You {how} {d.get('name')}",
        f"You {how} {d.get('name')} for {_money(d, 'price', c)}. "
        "Your invoice is attached and online.",
    )


def _lost(d: Mapping[str, Any], c: str) -> tuple[str, str]:
    price = d.get("price")
    end = f"It sold for {_money(d, 'price', c)}." if isinstance(price, int) else "It did not sell."
    return (f"{d.get('name')} has closed", f"Bidding on {d.get('name')} has closed. {end}")


def _exhausted(d: Mapping[str, Any], c: str) -> tuple[str, str]:
    return (
        f"Your maximum on {d.get('name')} was reached",
        f"Your automatic bidding on {d.get('name')} stopped at its maximum "
        f"{_money(d, 'max_amount', c)}; the bid is now {_money(d, 'current_bid', c)}.",
    )


def _in(seconds: object) -> str:
    """300 -> "5 minutes", 60 -> "1 minute", 45 -> "45 seconds"."""
    if not isinstance(seconds, int) or seconds <= 0:
        return "a moment"
    count, unit = (seconds // 60, "minute") if seconds % 60 == 0 else (seconds, "second")
    return f"{count} {unit}{'' if count == 1 else 's'}"


def _ending_soon(d: Mapping[str, Any], c: str) -> tuple[str, str]:
    ends = str(d.get("ends_at") or "")[:16].replace("T", " ")
    price = d.get("current_bid")
    bid = f"The bid is {_money(d, 'current_bid', c)}." if isinstance(price, int) else "No bid yet."
    return (
        f"{d.get('name')} ends in {_in(d.get('threshold_s'))}",
        f"{d.get('name')}, which you watch, ends in {_in(d.get('threshold_s'))} "
        f"({ends} UTC). {bid}",
    )


# kind -> (subject, sentence) of a notice's data and the currency
NOTICE_MAILS: dict[str, Callable[[Mapping[str, Any], str], tuple[str, str]]] = {
    "outbid": _outbid,
    "won": _won,
    "auction_lost": _lost,
    "auto_bid_exhausted": _exhausted,
    "ending_soon": _ending_soon,
}

_KIND_NAMES = {
    "outbid": "outbid",
    "won": "won and bought",
    "auction_lost": "closed auctions you bid on",
    "auto_bid_exhausted": "automatic bidding",
    "ending_soon": "ending soon (watched auctions)",
}


def notice_mail(
    kind: str, data: Mapping[str, Any], *, house: str, currency: str, links: Links
) -> MailText | None:
    """The mail of one notice, or None for a kind that is not mailed."""
    make = NOTICE_MAILS.get(kind)
    if make is None:
        return None
    subject, sentence = make(data, currency)
    actions = [("See the auction", links.auction)]
    if links.invoice is not None:
        actions.append(("Your invoice", links.invoice))
    footer = (
        f"You get this mail because you have an account at {_sentence(house)} "
        f"Stop {_KIND_NAMES[kind]} mails: {links.unsubscribe}"
    )
    text = "\n".join([sentence, "", *(f"{label}: {url}" for label, url in actions), "", footer])
    buttons = " ".join(
        f'<a href="{escape(url)}" style="display:inline-block;padding:8px 14px;'
        f'background:#1f5fbf;color:#fff;text-decoration:none;border-radius:4px">{escape(label)}</a>'
        for label, url in actions
    )
    html = (
        '<!doctype html><html><body style="font-family:Arial,sans-serif;color:#1d232a">'
        f'<p style="font-size:16px">{escape(sentence)}</p><p>{buttons}</p>'
        f'<p style="font-size:12px;color:#5b6673">You get this mail because you have an account '
        f"at {escape(_sentence(house))} "
        f'<a href="{escape(links.unsubscribe)}">Stop {escape(_KIND_NAMES[kind])} mails</a>.</p>'
        "</body></html>"
    )
    return MailText(f"{subject} - {house}", text, html)


def _sentence(text: str) -> str:
    """End a sentence with the name: "Ashby & Co." takes no second full stop."""
    return text if text.endswith(".") else text + "."


def verification_mail(*, house: str, email: str, link: str) -> MailText:
    """The mail that asks to confirm an address."""
    sentence = f"Please confirm that {email} is your address at {house}."
    text = f"{sentence}\n\nConfirm: {link}\n\nIf you did not ask for this, ignore this mail.\n"
    html = (
        '<!doctype html><html><body style="font-family:Arial,sans-serif;color:#1d232a">'
        f"<p>{escape(sentence)}</p>"
        f'<p><a href="{escape(link)}">Confirm my address</a></p>'
        '<p style="font-size:12px;color:#5b6673">If you did not ask for this, ignore this mail.</p>'
        "</body></html>"
    )
    return MailText(f"Confirm your address - {house}", text, html)
