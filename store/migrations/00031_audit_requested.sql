-- +goose Up
-- An act outside PostgreSQL (a schedule paused in Temporal) is audited
-- before it is attempted, as 'requested', and again with its outcome: a
-- process that dies between the act and its outcome row leaves the request
-- in the trail, never an act with no row at all. The trail stays
-- append-only: the outcome is a second row, not an update of the first.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_outcome_check,
    ADD CONSTRAINT audit_log_outcome_check CHECK (outcome IN ('ok', 'failed', 'requested'));

-- +goose Down
-- Rows of 'requested' cannot be deleted (the trail is append-only), so the
-- old constraint comes back for new rows only.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_outcome_check,
    ADD CONSTRAINT audit_log_outcome_check CHECK (outcome IN ('ok', 'failed')) NOT VALID;
