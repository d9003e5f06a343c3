-- Auctioneer store, PostgreSQL, version 50: bidders' budgets across a sale's lots.
--
-- The same table as the SQLite file of this version (see there for why).

CREATE TABLE sale_budgets (
    sale_id     bigint NOT NULL,
    user_id     bigint NOT NULL,
    max_lots    integer,
    max_spend   bigint,
    updated_at  bigint NOT NULL,
    PRIMARY KEY (sale_id, user_id)
);
