-- Auctioneer store, SQLite, version 50: bidders' budgets across a sale's lots.
--
-- A bidder's "win at most max_lots lots, spend at most max_spend" for one
-- sale (NULL: no limit of that kind). What a lot applies is in that lot's
-- own log (a private budget_set event, engine/budget.py): this table is
-- where the service reads a bidder's budget when the next lot opens and
-- answers get_budget.

CREATE TABLE sale_budgets (
    sale_id     INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    max_lots    INTEGER,              -- NULL: no limit on lots
    max_spend   INTEGER,              -- minor units; NULL: no limit on money
    updated_at  INTEGER NOT NULL,     -- epoch ms
    PRIMARY KEY (sale_id, user_id)
);
