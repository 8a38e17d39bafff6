-- +goose Up
-- The retention schedule (store/retention.go, docs/DESIGN.md §11.14)
-- anonymises residents' personal data some time after a case closes, a
-- visit ends or a campaign call is made, and marks the record here, so a
-- run resumes where the last one stopped and a second run changes nothing.
-- Only the personal columns change: every count, time, code, score and
-- link the figures are computed from stays as it was.
ALTER TABLE case_intakes ADD COLUMN anonymised_at timestamptz;
ALTER TABLE visits ADD COLUMN anonymised_at timestamptz;
ALTER TABLE callback_tasks ADD COLUMN anonymised_at timestamptz;
ALTER TABLE inbound_emails ADD COLUMN anonymised_at timestamptz;
-- What is still to do is found by these, not by reading every old row.
CREATE INDEX cases_closed ON cases (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX case_intakes_not_anonymised ON case_intakes (number) WHERE anonymised_at IS NULL;
CREATE INDEX visits_not_anonymised ON visits (arrived_at) WHERE anonymised_at IS NULL;
CREATE INDEX callback_tasks_not_anonymised ON callback_tasks (called_at) WHERE anonymised_at IS NULL;
CREATE INDEX inbound_emails_not_anonymised ON inbound_emails (received_at) WHERE anonymised_at IS NULL;

-- +goose Down
DROP INDEX inbound_emails_not_anonymised;
DROP INDEX callback_tasks_not_anonymised;
DROP INDEX visits_not_anonymised;
DROP INDEX case_intakes_not_anonymised;
DROP INDEX cases_closed;
ALTER TABLE inbound_emails DROP COLUMN anonymised_at;
ALTER TABLE callback_tasks DROP COLUMN anonymised_at;
ALTER TABLE visits DROP COLUMN anonymised_at;
ALTER TABLE case_intakes DROP COLUMN anonymised_at;
