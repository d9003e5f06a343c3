"""Settings read once at the entry point, then passed down.

Precedence: defaults < settings file < environment (`AUCTIONEER_*`) <
explicit arguments. The settings file (`settings_file`, from the environment
or an argument) is TOML whose top-level keys are the field names below, e.g.
`house_name = "Ashby & Co."` and `premium = "25,20@100000"`.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

__all__ = ["Settings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    host: str = "127.0.0.1"
    http_port: int = 8000
    tcp_port: int = 65432
    db: str = "sqlite:///auctioneer.db"
    broker: str = "memory://"
    # Several processes on one PostgreSQL (docs/architecture.md "Many processes"):
    # the internal door others forward commands to ("" = --host; port 0 = any).
    cluster_host: str = ""
    cluster_port: int = 0
    bid_rate: float = 20.0
    bid_burst: float = 40.0
    login_failures: int = 10  # failed logins per username and address per minute
    registrations: int = 30  # registrations per address per minute (bursts of as many)
    password_hashes: int = 1  # Argon2 hashes at once; more wait (bounded) or get rate_limited
    token_ttl_s: int = 7 * 24 * 3600
    max_message_bytes: int = 65_536
    queue_limit: int = 1024  # frames a slow subscriber may owe before it is dropped
    max_in_flight: int = 256  # pipelined requests per connection
    ping_interval_s: float = 20.0  # WebSocket keepalive: ping after this much silence (0 = off)
    media: str = ""  # lot photos' folder; "" = next to the SQLite file (service/media.py)
    media_grace_s: float = 600.0  # a photo file younger than this is never deleted (media_gc.py)
    max_connections_per_address: int = 128  # both ports together (0 = no cap)
    header_timeout_s: float = 10.0  # HTTP: a request's headers must arrive within this
    idle_timeout_s: float = 300.0  # TCP: a client silent this long is disconnected (0 = never)
    forwarded_allow_ips: str = ""  # proxies whose X-Forwarded-For is believed (comma list)
    allowed_origins: str = ""  # WebSocket Origins allowed besides the server's own (comma list)
    metrics_token: str = ""  # GET /metrics for a scraper with this bearer token ("" = off)
    behind_tls: bool = False  # HTTPS terminates at a proxy: send Strict-Transport-Security
    demo: bool = False
    settings_file: str = ""  # TOML with any of these fields (see the module docstring)
    # The house (docs/invoices.md): shown to bidders and printed on invoices.
    house_name: str = "Auctioneer"
    house_address: str = ""  # lines separated by "\n" or " | "
    currency: str = "EUR"  # a label: amounts have two decimals everywhere
    premium: str = ""  # buyer's premium bands: "20" or "25,20@100000" (rate %[@from minor])
    tax_on_premium: str = "0"  # percent, e.g. "20"
    tax_on_hammer: str = "0"  # percent
    # Mail (docs/email.md): without `smtp` no mail is sent and nothing else changes.
    smtp: str = ""  # smtp://HOST:PORT (STARTTLS if offered), smtps://HOST:PORT (TLS)
    smtp_security: str = "auto"  # auto | starttls | ssl | none
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_ca_file: str = ""  # PEM CAs trusted for the SMTP server instead of the system's
    mail_from: str = ""  # e.g. "Auctioneer <auctions@example.com>"
    public_url: str = ""  # base of the links in mails; default http://HOST:HTTP_PORT
    mail_poll_s: float = 1.0  # how often the mailer looks for new notices
    mail_scan_s: float = 30.0  # how often it reads every verified user's head (see mailer.py)
    # Watchlist (docs/protocol.md "Watchlist"): the ending-soon points, seconds
    # before a round's end, comma separated; "0" turns the notices off.
    ending_soon: str = "300,60"

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **explicit: Any) -> Settings:
        """Defaults, then `AUCTIONEER_<FIELD>` variables, then non-None `explicit` values.

        Raises:
            ValueError: naming the variable whose value does not parse.
        """
        env = os.environ if env is None else env
        settings = cls()
        changes: dict[str, Any] = {}
        path = explicit.get("settings_file") or env.get("AUCTIONEER_SETTINGS_FILE", "")
        if path:
            changes.update(_read_file(cls, str(path)))
        for f in fields(cls):
            key = f"AUCTIONEER_{f.name.upper()}"
            if key in env:
                current = getattr(settings, f.name)
                try:
                    changes[f.name] = _parse(type(current), env[key])
                except ValueError as e:
                    raise ValueError(f"{key}: {e}") from None
        changes.update({k: v for k, v in explicit.items() if v is not None})
        for key, value in changes.items():
            _check_range(key, value)
        return replace(settings, **changes)


# field -> (lowest, highest) allowed; fail fast and name the key.
_RANGES: dict[str, tuple[float, float]] = {
    "http_port": (0, 65_535),
    "tcp_port": (0, 65_535),
    "bid_rate": (0, 1e6),
    "bid_burst": (0, 1e6),
    "login_failures": (0, 1e6),
    "registrations": (0, 1e6),
    "password_hashes": (1, 64),
    "max_connections_per_address": (0, 1e6),
    "header_timeout_s": (0.1, 3_600),
    "idle_timeout_s": (0, 86_400),
    "token_ttl_s": (60, 10 * 365 * 86_400),
    "max_message_bytes": (1_024, 16 * 1_048_576),
    "queue_limit": (16, 1_000_000),
    "max_in_flight": (1, 100_000),
    "ping_interval_s": (0, 3_600),
    "mail_poll_s": (0.01, 3_600),
    "mail_scan_s": (0.01, 86_400),
    "media_grace_s": (0, 30 * 86_400),
}


def _check_range(key: str, value: Any) -> None:
    bounds = _RANGES.get(key)
    if bounds is None:
        return
    low, high = bounds
    if not isinstance(value, int | float) or math.isnan(value) or not low <= value <= high:
        raise ValueError(f"AUCTIONEER_{key.upper()}: {value!r} is not in {low:g}..{high:g}")


def _read_file(cls: type[Settings], path: str) -> dict[str, Any]:
    """The fields a TOML settings file sets, type-checked against the defaults.

    Raises:
        ValueError: the file cannot be read or parsed, names an unknown
            field, or gives a value of the wrong type.
    """
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ValueError(f"settings file {path}: {e}") from None
    defaults = cls()
    known = {f.name for f in fields(cls)} - {"settings_file"}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise ValueError(f"settings file {path}: unknown setting {key!r}")
        kind = type(getattr(defaults, key))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not kind:
            raise ValueError(f"settings file {path}: {key} must be a {kind.__name__}")
        out[key] = value
    return out


def _parse(kind: type, text: str) -> Any:
    if kind is bool:
        if text.lower() in {"1", "true", "yes", "on"}:
            return True
        if text.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"not a boolean: {text!r}")
    return kind(text)
