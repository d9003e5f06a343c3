-- Auctioneer store, PostgreSQL, version 10: what invoices and mail keep beside the log.
--
-- The same tables as the SQLite file of this version (see there for why).

CREATE TABLE invoice_payments (
    auction_id  bigint  NOT NULL,
    round       integer NOT NULL,
    paid_at     bigint  NOT NULL,
    paid_by     bigint  NOT NULL,
    PRIMARY KEY (auction_id, round)
);

CREATE TABLE user_emails (
    user_id            bigint PRIMARY KEY,
    email              text   NOT NULL,
    verified_at        bigint,
    verify_hash        text UNIQUE,
    verify_expires_at  bigint,
    secret             text   NOT NULL,
    updated_at         bigint NOT NULL
);

CREATE TABLE mail_optouts (
    user_id  bigint NOT NULL,
    kind     text   NOT NULL,
    at       bigint NOT NULL,
    PRIMARY KEY (user_id, kind)
);

CREATE TABLE mail_cursors (
    user_id     bigint PRIMARY KEY,
    mailed_seq  bigint NOT NULL
);

CREATE TABLE mail_outbox (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL,
    kind        text   NOT NULL,
    data        text   NOT NULL,
    created_at  bigint NOT NULL,
    sent_at     bigint
);

CREATE INDEX mail_outbox_pending ON mail_outbox (id) WHERE sent_at IS NULL;
