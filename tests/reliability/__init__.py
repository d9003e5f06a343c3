"""The reliability suite of issue 6: faults the server must survive.

- test_crash.py: kill -9 under spread load, three times on one database;
  every acknowledged bid kept, state equal to the replay of the log.
- test_slow_subscriber.py: a subscriber that stops reading; the others are
  unaffected, it is dropped and resumes by seq with exactly what it missed.
- test_openapi_fuzz.py: schemathesis on /openapi.json as anonymous, bidder
  and admin; no 5xx, responses within their declared schema.
- test_frame_fuzz.py: Hypothesis frames at the WebSocket and TCP doors; no
  `internal` error, no crash, no other connection or stored data harmed.
- test_flood.py (load from flood.py): connection flood and slowloris; bidding
  goes on at normal latency.

Quick versions run with the normal tests; `@pytest.mark.slow` ones with
`make chaos` (`pytest -m slow tests/reliability`; conftest.py skips them otherwise).
Measured numbers are printed as `[reliability] ...` lines (use `-s` to see them).
"""
