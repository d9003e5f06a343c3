-- Auctioneer store, SQLite, version 4: accounts that can be taken back (issue 20).
--
-- `disabled`: an operator took the account back; it cannot log in and none of
-- its tokens works. `changed_at` (epoch ms) is stamped by every change to a
-- user (role, disabled, password, tokens revoked): each server process polls
-- the users changed since its last look, so a change made by the command
-- line or by another process reaches every running server within seconds.
-- The token indexes serve "log out everywhere" (by user) and the purge of
-- expired tokens (by expiry).

ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;

ALTER TABLE users ADD COLUMN changed_at INTEGER NOT NULL DEFAULT 0;

CREATE INDEX users_changed ON users (changed_at);

CREATE INDEX tokens_user ON tokens (user_id);

CREATE INDEX tokens_expiry ON tokens (expires_at);
