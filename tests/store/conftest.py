"""Fixtures for the store tests: the session's PostgreSQL database, if any."""

from __future__ import annotations

from tests.contracts.conftest import postgres_dsn

__all__ = ["postgres_dsn"]
