-- Auctioneer store, PostgreSQL, version 30: the processes of one house.
--
-- Each server process is a member while it runs: where the others reach it
-- (its internal address), the backend pid of the session that holds its
-- leases (advisory locks, released by PostgreSQL when that session ends) and
-- a heartbeat in the database's own clock. `cluster` holds the secret the
-- processes prove to each other when they forward a command.

CREATE TABLE members (
    id            text    PRIMARY KEY,
    address       text    NOT NULL,
    backend_pid   integer NOT NULL,
    started_at    bigint  NOT NULL,
    heartbeat_at  bigint  NOT NULL
);

CREATE TABLE cluster (
    name   text PRIMARY KEY,
    value  text NOT NULL
);
