-- Auctioneer store, SQLite, version 30: the processes of one house.
--
-- Kept in step with PostgreSQL's schema. An SQLite house is one process,
-- which owns every auction, so nothing writes these tables today.

CREATE TABLE members (
    id            TEXT    PRIMARY KEY,
    address       TEXT    NOT NULL,
    backend_pid   INTEGER NOT NULL,
    started_at    INTEGER NOT NULL,
    heartbeat_at  INTEGER NOT NULL
);

CREATE TABLE cluster (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
