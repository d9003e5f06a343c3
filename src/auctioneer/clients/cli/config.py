"""Where the command line finds its server and keeps its login.

Why a file per user, mode 0600: a token is a password for as long as it
lives, so it goes where the user's other client secrets go (the XDG config
folder, as platformdirs would choose on Linux) and only its owner may read
it. Tokens are kept per server, so one user can be logged in to a test
server and a real one at once. One server is found however its address is
written: `server_key` makes `http://localhost:8000/`, `ws://127.0.0.1:8000/ws`
and `http://127.0.0.1:8000` one key, and a login is also kept under every
address the server announces (`ping` names its doors, the TCP one too).
Precedence: defaults < environment < explicit option.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

__all__ = [
    "DEFAULT_SERVER",
    "DEFAULT_TCP",
    "ENV_CONFIG_DIR",
    "ENV_SERVER",
    "ENV_TOKEN",
    "Login",
    "TokenStore",
    "config_dir",
    "server_key",
]

DEFAULT_SERVER = "http://127.0.0.1:8000"
DEFAULT_TCP = ("127.0.0.1", 65432)
ENV_SERVER = "AUCTIONEER_SERVER"
ENV_TOKEN = "AUCTIONEER_TOKEN"
ENV_CONFIG_DIR = "AUCTIONEER_CONFIG_DIR"


def config_dir(environ: dict[str, str] | None = None) -> Path:
    """The config folder: ``$AUCTIONEER_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/auctioneer``,
    else ``~/.config/auctioneer``."""
    env = os.environ if environ is None else environ
    if env.get(ENV_CONFIG_DIR):
        return Path(env[ENV_CONFIG_DIR])
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "auctioneer"


_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https", "tcp": "tcp"}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK = {"localhost", "ip6-localhost", "::1", "0.0.0.0", "::"}


def server_key(server: str) -> str:
    """The key a server's login is stored under, the same however the address is written.

    WebSocket URLs count as their HTTP twins (`ws://h/ws` is `http://h`),
    every loopback name as 127.0.0.1 (and a server listening on all
    addresses as well), the scheme's default port is spelled out, and paths
    and trailing slashes go: ``http://localhost:8000/`` -> ``http://127.0.0.1:8000``.
    """
    text = server.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # not a URL at all: keep it as written
        return text.rstrip("/")
    scheme = _SCHEMES.get(parts.scheme.lower(), parts.scheme.lower())
    host = (parts.hostname or "").lower()
    if host in _LOOPBACK or host.startswith("127."):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    port = port or _DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


@dataclass(frozen=True, slots=True)
class Login:
    """A stored login: the token and who it belongs to."""

    token: str
    username: str = ""
    paddle: int | None = None
    role: str = ""

    @classmethod
    def from_reply(cls, result: dict[str, Any]) -> Login:
        user = result.get("user") or {}
        return cls(
            token=str(result["token"]),
            username=str(user.get("username", "")),
            paddle=user.get("paddle"),
            role=str(user.get("role", "")),
        )


class TokenStore:
    """``token.json`` in the config folder: ``{server URL: login}``."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or config_dir()
        self.path = self.directory / "token.json"

    def _read(self) -> dict[str, Any]:
        try:
            data = orjson.loads(self.path.read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return {}
        if not isinstance(data, dict):
            return {}
        # Files written before keys were canonical: read them as if they were.
        return {server_key(str(key)): value for key, value in data.items()}

    def _write(self, data: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(".tmp")
        # Create with 0600 from the start: never a moment where others can read it.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def get(self, server: str) -> Login | None:
        """The login for `server`; ``$AUCTIONEER_TOKEN`` wins over the file."""
        if os.environ.get(ENV_TOKEN):
            return Login(os.environ[ENV_TOKEN])
        entry = self._read().get(server_key(server))
        if not isinstance(entry, dict) or not entry.get("token"):
            return None
        return Login(
            token=str(entry["token"]),
            username=str(entry.get("username", "")),
            paddle=entry.get("paddle"),
            role=str(entry.get("role", "")),
        )

    def save(self, server: str, login: Login, *, aliases: Iterable[str] = ()) -> None:
        """Keep `login` for `server` and for the other addresses of the same server."""
        data = self._read()
        entry = {
            "token": login.token,
            "username": login.username,
            "paddle": login.paddle,
            "role": login.role,
        }
        for address in (server, *aliases):
            data[server_key(address)] = entry
        self._write(data)

    def delete(self, server: str) -> bool:
        """Forget the login for `server` (under all its addresses); True if there was one."""
        data = self._read()
        gone = data.pop(server_key(server), None)
        if gone is None:
            return False
        token = gone.get("token") if isinstance(gone, dict) else None
        data = {
            key: value
            for key, value in data.items()
            if not (isinstance(value, dict) and token and value.get("token") == token)
        }
        if data:
            self._write(data)
        else:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        return True
