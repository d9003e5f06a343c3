-- Auctioneer store, SQLite, version 60: the watchlist.
--
-- Which user follows which auction, beside the log: watching is not a fact
-- about the auction (no rule depends on it), so it is not in the auction's
-- log. The log records only whom each ending-soon point told (its
-- `ending_soon` event names them), read from here just before.

CREATE TABLE watchlist (
    user_id     INTEGER NOT NULL,
    auction_id  INTEGER NOT NULL,
    since       INTEGER NOT NULL,          -- epoch ms of the first watch_auction
    PRIMARY KEY (user_id, auction_id)
) WITHOUT ROWID;

-- Who watches one auction (the ending-soon point, the admins' count).
CREATE INDEX watchlist_auction ON watchlist (auction_id, user_id);
