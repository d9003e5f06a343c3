-- Auctioneer store, SQLite, version 10: what invoices and mail keep beside the log.
--
-- Numbered 10, not 4, so that schema changes of the write path made at the
-- same time take the numbers in between; migrations.py applies every version
-- a database lacks, in order, so the gap is harmless.
--
-- An invoice itself is not stored: it is computed from its purchase (the
-- house's terms and the hammer price), so only whether it was paid is kept.
-- Mail is driven by the notices already stored: `mail_cursors` says up to
-- which notice seq a user's mails were handed to the SMTP server.

CREATE TABLE invoice_payments (
    auction_id  INTEGER NOT NULL,
    round       INTEGER NOT NULL,          -- a purchase is one unit: (auction, round)
    paid_at     INTEGER NOT NULL,          -- epoch ms
    paid_by     INTEGER NOT NULL,          -- the admin who marked it paid
    PRIMARY KEY (auction_id, round)
);

CREATE TABLE user_emails (
    user_id            INTEGER PRIMARY KEY,
    email              TEXT    NOT NULL,
    verified_at        INTEGER,            -- NULL until the link was followed
    verify_hash        TEXT UNIQUE,        -- sha256 hex of the pending token
    verify_expires_at  INTEGER,
    secret             TEXT    NOT NULL,   -- key of the unsubscribe links
    updated_at         INTEGER NOT NULL
);

CREATE TABLE mail_optouts (
    user_id  INTEGER NOT NULL,
    kind     TEXT    NOT NULL,             -- outbid | won | auction_lost | auto_bid_exhausted
    at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind)
);

CREATE TABLE mail_cursors (
    user_id     INTEGER PRIMARY KEY,
    mailed_seq  INTEGER NOT NULL           -- notices up to this seq were mailed (or skipped)
);

CREATE TABLE mail_outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL,
    kind        TEXT    NOT NULL,          -- verify
    data        TEXT    NOT NULL,          -- JSON; emptied once sent
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER
);

CREATE INDEX mail_outbox_pending ON mail_outbox (id) WHERE sent_at IS NULL;
