-- Auctioneer store, PostgreSQL, version 40: the tamper-evident log.
--
-- Every public event's log row carries its link in the auction's hash chain
-- (docs/protocol.md "The tamper-evident log"): SHA-256 over the previous
-- event's hash and the event as subscribers receive it, 32 raw bytes; NULL
-- on a private event. Events written before this version get theirs computed
-- once, on the next start: `chain_todo` lists their auctions and loses each
-- one as its hashes are written.

ALTER TABLE events ADD COLUMN hash bytea;

CREATE TABLE chain_todo (
    auction_id  bigint PRIMARY KEY
);

INSERT INTO chain_todo (auction_id) SELECT DISTINCT auction_id FROM events;
