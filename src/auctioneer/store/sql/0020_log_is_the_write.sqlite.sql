-- Auctioneer store, SQLite, version 20: the log is the write.
--
-- A command makes durable only its events before its reply: the log rows now
-- say who caused them (user_id, request_id) and where each decision starts
-- (decision: 1 when the request's first reply was the auction object, 2 when
-- it was {}, 3 for a deadline or a sale's next lot; NULL on the rows that
-- continue a decision). Every other table is a projection of the log,
-- written behind the replies; auctions.version says how far an auction's
-- projections go, and what is beyond it is projected again on start.
--
-- `requests` records the accepted requests whose first replies are rebuilt
-- from the log (the reply bytes are no longer stored): appended in order,
-- with no index (read whole on start, for the idempotency window).
-- `notice_seqs` goes: a user's last notice seq is the end of their notices'
-- key. A unit is bought once, so projecting a purchase again changes nothing.

ALTER TABLE events ADD COLUMN user_id INTEGER;

ALTER TABLE events ADD COLUMN request_id TEXT;

ALTER TABLE events ADD COLUMN decision INTEGER;

CREATE TABLE requests (
    user_id     INTEGER NOT NULL,
    request_id  TEXT    NOT NULL,
    auction_id  INTEGER NOT NULL,
    version     INTEGER NOT NULL,          -- the auction's version after the request
    reply       TEXT    NOT NULL,          -- 'auction' or 'empty'
    at          INTEGER NOT NULL
);

DROP TABLE notice_seqs;

CREATE UNIQUE INDEX purchases_unit ON purchases (auction_id, round);
