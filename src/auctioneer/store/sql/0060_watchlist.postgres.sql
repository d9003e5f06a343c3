-- Auctioneer store, PostgreSQL, version 60: the watchlist.
--
-- The same table as the SQLite file of this version (see there for why).

CREATE TABLE watchlist (
    user_id     bigint NOT NULL,
    auction_id  bigint NOT NULL,
    since       bigint NOT NULL,
    PRIMARY KEY (user_id, auction_id)
);

CREATE INDEX watchlist_auction ON watchlist (auction_id, user_id);
