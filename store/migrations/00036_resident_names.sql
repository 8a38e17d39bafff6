-- +goose NO TRANSACTION
-- +goose Up
-- The reception's look-up by a resident's name (来电查询) matches names
-- that begin with what was typed. Without an index it read every resident:
-- a million rows on a large estate. text_pattern_ops orders by bytes, which
-- is what a LIKE 'prefix%' range needs whatever the database's collation.
-- Built concurrently so that a running centre keeps taking cases; dropped
-- first so that a build cut short (left invalid) is redone on a rerun.
DROP INDEX CONCURRENTLY IF EXISTS residents_name_prefix;
CREATE INDEX CONCURRENTLY residents_name_prefix ON residents (name text_pattern_ops);

-- +goose Down
DROP INDEX IF EXISTS residents_name_prefix;
