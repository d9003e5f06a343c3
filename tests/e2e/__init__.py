"""End-to-end tests of issue 3: real server processes, real sockets on 127.0.0.1, real SQLite.

Modules: test_gateways (every action and error code on WebSocket, TCP and HTTP; the
checklist that maps each docs/protocol.md action and error code to a test), test_resume
(`since`, HTTP catch-up, slow subscribers), test_crash (SIGKILL, restart, replay),
test_concurrency (50 clients at once), test_permissions, test_bad_input, test_users
(accounts and rate limits), test_rules (idempotency, notices), test_formats
(multi-unit, buy-now, sales, countdown, soft close, reserve). Clients:
tests/helpers/wire_clients.py. Timeouts scale with AUCTIONEER_TEST_TIME_SCALE.
"""
