-- Auctioneer store, PostgreSQL, version 2: nothing to change.
--
-- SQLite's version 2 moves idempotent replies from a WITHOUT ROWID table to a
-- rowid table with a unique index; a PostgreSQL table is already a heap with
-- its primary key in a separate index. This file keeps the two dialects at the
-- same schema version.
SELECT 1;
