-- Auctioneer store, PostgreSQL, version 20: the log is the write.
--
-- The log rows say who caused them (user_id, request_id) and where each
-- decision starts (decision: 1 when the request's first reply was the auction
-- object, 2 when it was {}, 3 for a deadline or a sale's next lot; NULL on
-- the rows that continue a decision). `requests` records the accepted
-- requests whose first replies are rebuilt from the log; keyed, because
-- several processes look a retried request up here. A unit is bought once.

ALTER TABLE events ADD COLUMN user_id bigint;

ALTER TABLE events ADD COLUMN request_id text;

ALTER TABLE events ADD COLUMN decision smallint;

CREATE TABLE requests (
    user_id     bigint  NOT NULL,
    request_id  text    NOT NULL,
    auction_id  bigint  NOT NULL,
    version     integer NOT NULL,
    reply       text    NOT NULL,
    at          bigint  NOT NULL,
    PRIMARY KEY (user_id, request_id)
);

CREATE INDEX requests_at ON requests (at);

CREATE UNIQUE INDEX purchases_unit ON purchases (auction_id, round);
