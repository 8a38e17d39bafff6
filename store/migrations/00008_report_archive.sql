-- +goose Up
-- The monthly complaint analysis as it stood when the schedule ran, for the
-- quality meeting's minutes: later corrections to cases do not change it.
CREATE TABLE complaint_reports (
    month        text NOT NULL CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
    community    text NOT NULL DEFAULT '',
    report       jsonb NOT NULL,
    generated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (month, community)
);

-- +goose Down
DROP TABLE complaint_reports;
