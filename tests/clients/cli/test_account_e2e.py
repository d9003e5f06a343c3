"""`auctioneer passwd` and `auctioneer logout --everywhere` against a real server (issue 20)."""

from __future__ import annotations

from tests.clients.cli.test_commands_e2e import one_error_line
from tests.clients.live import PASSWORD, Live

__all__: list[str] = []

NEW_PASSWORD = "tulip-lantern-77"


def test_passwd_changes_the_password_and_keeps_this_login(live: Live) -> None:
    name = live.bidder()
    wrong = live.cli("passwd", "--old-password", "not-it", "--new-password", NEW_PASSWORD)
    assert wrong.exit_code == 1
    one_error_line(wrong.stderr, "unauthorized")
    weak = live.cli("passwd", "--old-password", PASSWORD, "--new-password", "password1")
    assert weak.exit_code != 0
    one_error_line(weak.stderr, "too easy to guess")
    done = live.cli("passwd", "--old-password", PASSWORD, "--new-password", NEW_PASSWORD)
    assert done.exit_code == 0, done.output
    assert "Password changed" in done.stdout
    assert live.cli("purchases").exit_code == 0  # still logged in here
    assert live.cli("login", name, "--password", PASSWORD).exit_code == 1
    assert live.cli("login", name, "--password", NEW_PASSWORD).exit_code == 0


def test_passwd_prompts_for_both_passwords(live: Live) -> None:
    live.bidder()
    result = live.cli("passwd", input=f"{PASSWORD}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.stdout


def test_logout_everywhere_ends_every_session_of_the_user(live: Live) -> None:
    name = live.bidder()
    other = Live(live.server, live.config.parent / "other-terminal")
    assert other.cli("login", name, "--password", PASSWORD).exit_code == 0
    result = live.cli("logout", "--everywhere")
    assert result.exit_code == 0, result.output
    assert "everywhere" in result.stdout
    assert not (live.config / "auctioneer" / "token.json").exists()
    stale = other.cli("purchases")  # the other terminal's token died too
    assert stale.exit_code == 1
    one_error_line(stale.stderr)
