-- Auctioneer store, SQLite, version 3: the event log keeps one key.
--
-- Every commit dirtied, for each auction in it, a leaf page of the events
-- table and of each of its two secondary indexes (public seq, bids by seq),
-- so a group-committed transaction wrote three pages per auction for the
-- event log alone. Both indexes go: a public event's seq is never above its
-- version (seq counts the public events, version every event, both from 1),
-- so reads by seq walk the primary key (auction_id, version) from the seq on,
-- and a page of bids walks it backwards from the newest. In the spread
-- benchmark this wrote 20% fewer bytes per bid.

DROP INDEX events_public_seq;

DROP INDEX events_bids;
