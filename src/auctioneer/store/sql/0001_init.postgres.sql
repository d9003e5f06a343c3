-- Auctioneer store, PostgreSQL, version 1: the event log, current-state rows,
-- users, tokens, notices, purchases and idempotent replies.

CREATE TABLE events (
    auction_id  bigint  NOT NULL,
    version     integer NOT NULL,          -- position in the auction's log, gapless from 1
    seq         integer,                   -- public topic seq; NULL for a private event
    type        text    NOT NULL,          -- the event's `event` name
    at          bigint  NOT NULL,          -- epoch ms
    data        jsonb   NOT NULL,          -- the fields beyond the columns above
    PRIMARY KEY (auction_id, version)
);

CREATE UNIQUE INDEX events_public_seq ON events (auction_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX events_bids ON events (auction_id, seq) WHERE type = 'bid_placed';

CREATE TABLE auctions (
    id       bigint  PRIMARY KEY,
    status   text    NOT NULL,
    public   boolean NOT NULL,
    deleted  boolean NOT NULL,
    sale_id  bigint,
    lot      integer,
    row      jsonb   NOT NULL,             -- the admin view of the auction object
    version  integer NOT NULL,             -- last event version written
    seq      integer NOT NULL              -- last public seq written
);

CREATE INDEX auctions_status ON auctions (status);
CREATE INDEX auctions_sale ON auctions (sale_id, lot);

CREATE TABLE sales (
    id   bigint PRIMARY KEY,
    row  jsonb  NOT NULL
);

CREATE TABLE counters (
    kind  text   PRIMARY KEY,              -- "auction", "sale", "paddle", ...
    last  bigint NOT NULL
);

CREATE TABLE users (
    id             bigserial PRIMARY KEY,
    username       text    NOT NULL,
    password_hash  text    NOT NULL,
    role           text    NOT NULL,
    paddle         integer NOT NULL UNIQUE,
    created_at     bigint  NOT NULL
);

CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

CREATE TABLE tokens (
    token_hash  text    PRIMARY KEY,
    user_id     bigint  NOT NULL,
    expires_at  bigint  NOT NULL,
    revoked     boolean NOT NULL DEFAULT false
);

CREATE TABLE notices (
    user_id  bigint  NOT NULL,
    seq      integer NOT NULL,             -- per-user, gapless from 1
    kind     text    NOT NULL,
    data     jsonb   NOT NULL,
    at       bigint  NOT NULL,
    PRIMARY KEY (user_id, seq)
);

CREATE TABLE notice_seqs (
    user_id   bigint  PRIMARY KEY,
    last_seq  integer NOT NULL
);

CREATE TABLE purchases (
    id          bigserial PRIMARY KEY,
    auction_id  bigint  NOT NULL,
    round       integer NOT NULL,
    user_id     bigint  NOT NULL,
    price       bigint  NOT NULL,
    at          bigint  NOT NULL,
    buy_now     boolean NOT NULL
);

CREATE INDEX purchases_user ON purchases (user_id, id);

CREATE TABLE idempotency (
    user_id     bigint NOT NULL,
    request_id  text   NOT NULL,
    reply       bytea  NOT NULL,
    at          bigint NOT NULL,
    PRIMARY KEY (user_id, request_id)
);

CREATE INDEX idempotency_at ON idempotency (at);
