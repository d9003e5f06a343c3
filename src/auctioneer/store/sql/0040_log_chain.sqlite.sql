-- Auctioneer store, SQLite, version 40: the tamper-evident log.
--
-- Every public event's log row carries its link in the auction's hash chain
-- (docs/protocol.md "The tamper-evident log"): SHA-256 over the previous
-- event's hash and the event as subscribers receive it, 32 raw bytes; NULL
-- on a private event. The service computes it when it renders the frames
-- and writes it with the row. Events written before this version get theirs
-- computed once, on the next start: `chain_todo` lists their auctions and
-- loses each one as its hashes are written. After that a public event
-- without a hash is a broken chain, never one to fill in.

ALTER TABLE events ADD COLUMN hash BLOB;

CREATE TABLE chain_todo (
    auction_id  INTEGER PRIMARY KEY
);

INSERT INTO chain_todo (auction_id) SELECT DISTINCT auction_id FROM events;
