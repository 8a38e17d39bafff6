-- +goose NO TRANSACTION
-- +goose Up
-- A search by a unit's code (3-105) finds every unit of that code, one in
-- each community that has it: a thousand units on a large estate. With
-- only (unit_id), the newest page of their cases meant reading all of
-- them (2.1 s on ten million cases) or walking the newest intakes of the
-- whole centre until fifty of those units turned up. Ordered by time
-- within each unit, each unit gives its newest few in order and the page
-- is merged from them (store.queryArms). It serves every query the
-- single-column index did, which it replaces.
DROP INDEX CONCURRENTLY IF EXISTS case_intakes_unit_recent;
CREATE INDEX CONCURRENTLY case_intakes_unit_recent ON case_intakes (unit_id, kind, created_at DESC, number DESC);
DROP INDEX CONCURRENTLY IF EXISTS case_intakes_unit;

-- +goose Down
CREATE INDEX IF NOT EXISTS case_intakes_unit ON case_intakes (unit_id);
DROP INDEX IF EXISTS case_intakes_unit_recent;
