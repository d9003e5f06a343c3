"""Settings: defaults < environment < explicit arguments; bad values name their key."""

from __future__ import annotations

import dataclasses

import pytest

from auctioneer.service.settings import Settings


def test_defaults_match_the_protocol() -> None:
    s = Settings.load({})
    assert (s.host, s.http_port, s.tcp_port) == ("127.0.0.1", 8000, 65432)
    assert (s.bid_rate, s.bid_burst, s.login_failures) == (20.0, 40.0, 10)
    assert s.max_message_bytes == 65_536
    assert s.db == "sqlite:///auctioneer.db"
    assert s.broker == "memory://"
    assert s.token_ttl_s == 7 * 24 * 3600
    assert s.demo is False


def test_the_environment_overrides_defaults() -> None:
    env = {
        "AUCTIONEER_HTTP_PORT": "9000",
        "AUCTIONEER_BID_RATE": "2.5",
        "AUCTIONEER_DB": "sqlite:////tmp/x.db",
        "AUCTIONEER_DEMO": "yes",
    }
    s = Settings.load(env)
    assert s.http_port == 9000
    assert s.bid_rate == 2.5
    assert s.db == "sqlite:////tmp/x.db"
    assert s.demo is True


def test_explicit_arguments_override_the_environment() -> None:
    s = Settings.load({"AUCTIONEER_HTTP_PORT": "9000", "AUCTIONEER_HOST": "0.0.0.0"}, http_port=1)
    assert s.http_port == 1
    assert s.host == "0.0.0.0"


def test_an_explicit_none_does_not_override() -> None:
    s = Settings.load({"AUCTIONEER_TCP_PORT": "7000"}, tcp_port=None, host=None)
    assert (s.tcp_port, s.host) == (7000, "127.0.0.1")


def test_variables_without_the_prefix_are_ignored() -> None:
    assert Settings.load({"HTTP_PORT": "1", "auctioneer_http_port": "2"}).http_port == 8000


def test_load_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUCTIONEER_QUEUE_LIMIT", "32")
    assert Settings.load().queue_limit == 32


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "Yes", "on"])
def test_true_booleans(text: str) -> None:
    assert Settings.load({"AUCTIONEER_DEMO": text}).demo is True


@pytest.mark.parametrize("text", ["0", "false", "No", "OFF", ""])
def test_false_booleans(text: str) -> None:
    assert Settings.load({"AUCTIONEER_DEMO": text}).demo is False


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("AUCTIONEER_DEMO", "maybe"),
        ("AUCTIONEER_HTTP_PORT", "eighty"),
        ("AUCTIONEER_HTTP_PORT", "80.5"),
        ("AUCTIONEER_BID_RATE", "fast"),
        ("AUCTIONEER_LOGIN_FAILURES", ""),
    ],
)
def test_a_bad_value_names_its_key(key: str, value: str) -> None:
    with pytest.raises(ValueError) as caught:
        Settings.load({key: value})
    assert str(caught.value).startswith(f"{key}: ")


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().http_port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("AUCTIONEER_HTTP_PORT", "-1"),
        ("AUCTIONEER_TCP_PORT", "70000"),
        ("AUCTIONEER_BID_RATE", "nan"),
        ("AUCTIONEER_BID_RATE", "-1"),
        ("AUCTIONEER_BID_BURST", "inf"),
        ("AUCTIONEER_LOGIN_FAILURES", "-3"),
        ("AUCTIONEER_QUEUE_LIMIT", "0"),
        ("AUCTIONEER_MAX_IN_FLIGHT", "0"),
        ("AUCTIONEER_MAX_MESSAGE_BYTES", "0"),
        ("AUCTIONEER_TOKEN_TTL_S", "0"),
    ],
)
def test_an_out_of_range_value_names_its_key(key: str, value: str) -> None:
    with pytest.raises(ValueError) as caught:
        Settings.load({key: value})
    assert str(caught.value).startswith(f"{key}: ")


@pytest.mark.parametrize(
    ("option", "value", "key"),
    [
        ("queue_limit", 0, "AUCTIONEER_QUEUE_LIMIT"),
        ("http_port", -1, "AUCTIONEER_HTTP_PORT"),
        ("bid_rate", float("nan"), "AUCTIONEER_BID_RATE"),
    ],
)
def test_explicit_arguments_are_range_checked_too(option: str, value: object, key: str) -> None:
    with pytest.raises(ValueError) as caught:
        Settings.load({}, **{option: value})
    assert str(caught.value).startswith(f"{key}: ")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("AUCTIONEER_HTTP_PORT", "0"),
        ("AUCTIONEER_BID_RATE", "0"),
        ("AUCTIONEER_LOGIN_FAILURES", "0"),
    ],
)
def test_zero_is_allowed_where_it_means_pick_a_port_or_turn_a_limit_off(
    key: str, value: str
) -> None:
    Settings.load({key: value})
