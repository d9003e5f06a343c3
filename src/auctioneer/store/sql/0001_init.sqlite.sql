-- Auctioneer store, SQLite, version 1: the event log, current-state rows,
-- users, tokens, notices, purchases and idempotent replies.

CREATE TABLE events (
    auction_id  INTEGER NOT NULL,
    version     INTEGER NOT NULL,          -- position in the auction's log, gapless from 1
    seq         INTEGER,                   -- public topic seq; NULL for a private event
    type        TEXT    NOT NULL,          -- the event's `event` name
    at          INTEGER NOT NULL,          -- epoch ms
    data        TEXT    NOT NULL,          -- JSON: the fields beyond the columns above
    PRIMARY KEY (auction_id, version)
) WITHOUT ROWID;

CREATE UNIQUE INDEX events_public_seq ON events (auction_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX events_bids ON events (auction_id, seq) WHERE type = 'bid_placed';

CREATE TABLE auctions (
    id       INTEGER PRIMARY KEY,
    status   TEXT    NOT NULL,
    public   INTEGER NOT NULL,
    deleted  INTEGER NOT NULL,
    sale_id  INTEGER,
    lot      INTEGER,
    row      TEXT    NOT NULL,             -- JSON: the admin view of the auction object
    version  INTEGER NOT NULL,             -- last event version written
    seq      INTEGER NOT NULL              -- last public seq written
);

CREATE INDEX auctions_status ON auctions (status);
CREATE INDEX auctions_sale ON auctions (sale_id, lot);

CREATE TABLE sales (
    id   INTEGER PRIMARY KEY,
    row  TEXT NOT NULL                     -- JSON
);

CREATE TABLE counters (
    kind  TEXT PRIMARY KEY,                -- "auction", "sale", "paddle", ...
    last  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    password_hash  TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    paddle         INTEGER NOT NULL UNIQUE,
    created_at     INTEGER NOT NULL
);

CREATE TABLE tokens (
    token_hash  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE notices (
    user_id  INTEGER NOT NULL,
    seq      INTEGER NOT NULL,             -- per-user, gapless from 1
    kind     TEXT    NOT NULL,
    data     TEXT    NOT NULL,             -- JSON
    at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;

CREATE TABLE notice_seqs (
    user_id   INTEGER PRIMARY KEY,
    last_seq  INTEGER NOT NULL
);

CREATE TABLE purchases (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    auction_id  INTEGER NOT NULL,
    round       INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    price       INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    buy_now     INTEGER NOT NULL
);

CREATE INDEX purchases_user ON purchases (user_id, id);

CREATE TABLE idempotency (
    user_id     INTEGER NOT NULL,
    request_id  TEXT    NOT NULL,
    reply       BLOB    NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (user_id, request_id)
) WITHOUT ROWID;

CREATE INDEX idempotency_at ON idempotency (at);
