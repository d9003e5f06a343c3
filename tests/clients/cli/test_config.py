"""Logins are kept per server in a file only its owner can read."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from auctioneer.clients.cli.config import Login, TokenStore, config_dir, server_key

__all__: list[str] = []


def test_the_config_folder_follows_xdg_and_can_be_overridden(tmp_path: Path) -> None:
    assert config_dir({"XDG_CONFIG_HOME": "/x"}) == Path("/x/auctioneer")
    assert config_dir({"AUCTIONEER_CONFIG_DIR": "/y", "XDG_CONFIG_HOME": "/x"}) == Path("/y")
    assert config_dir({}).name == "auctioneer"


def test_a_saved_login_is_read_back_and_the_file_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUCTIONEER_TOKEN", raising=False)
    store = TokenStore(tmp_path / "cfg")
    store.save("http://h:1/", Login("T", "ann", 7, "bidder"))
    assert store.get("http://h:1") == Login("T", "ann", 7, "bidder")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.get("http://other:2") is None


def test_deleting_the_last_login_removes_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUCTIONEER_TOKEN", raising=False)
    store = TokenStore(tmp_path)
    store.save("http://h:1", Login("T"))
    assert store.delete("http://h:1") is True
    assert not store.path.exists()
    assert store.delete("http://h:1") is False


def test_the_token_variable_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = TokenStore(tmp_path)
    store.save("http://h:1", Login("FILE"))
    monkeypatch.setenv("AUCTIONEER_TOKEN", "ENV")
    login = store.get("http://h:1")
    assert login is not None and login.token == "ENV"


def test_server_keys_ignore_a_trailing_slash_and_default_to_http() -> None:
    assert server_key("http://h:1/") == server_key("h:1") == "http://h:1"


def test_one_server_has_one_key_however_its_address_is_written() -> None:
    same = [
        "http://127.0.0.1:8000",
        "http://localhost:8000/",
        "ws://127.0.0.1:8000/ws",
        "127.0.0.1:8000",
        "HTTP://LOCALHOST:8000",
        "ws://[::1]:8000",
        "http://0.0.0.0:8000",
    ]
    assert {server_key(s) for s in same} == {"http://127.0.0.1:8000"}  # fmt: skip
    assert server_key("https://auctions.example") == "https://auctions.example:443"
    assert server_key("wss://auctions.example/ws") == "https://auctions.example:443"
    assert server_key("tcp://localhost:65432") == "tcp://127.0.0.1:65432"
    assert server_key("http://127.0.0.1:8001") != server_key("http://127.0.0.1:8000")


def test_a_login_is_kept_under_every_address_the_server_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUCTIONEER_TOKEN", raising=False)
    store = TokenStore(tmp_path)
    store.save("http://localhost:8000", Login("T", "ann"), aliases=["tcp://127.0.0.1:65432"])
    store.save("http://other:1", Login("U", "bob"))
    for address in ("ws://127.0.0.1:8000/ws", "tcp://localhost:65432", "http://127.0.0.1:8000"):
        assert store.get(address) == Login("T", "ann"), address
    assert store.delete("tcp://127.0.0.1:65432") is True  # logging out forgets every alias
    assert store.get("http://127.0.0.1:8000") is None
    assert store.get("http://other:1") == Login("U", "bob")


def test_a_login_file_from_before_canonical_keys_is_still_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUCTIONEER_TOKEN", raising=False)
    (tmp_path / "token.json").write_text('{"http://localhost:8000/": {"token": "OLD"}}')
    login = TokenStore(tmp_path).get("http://127.0.0.1:8000")
    assert login is not None and login.token == "OLD"
