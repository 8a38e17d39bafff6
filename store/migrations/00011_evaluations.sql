-- +goose Up
-- The monthly staff evaluation (每月员工考评). Supervisors tune the weights
-- of the four components and the coaching threshold; one row holds the
-- settings in force, so every process reads the same ones. Weights are
-- relative (the score renormalises them over the components a receptionist
-- has data for), so they need not add up to 1, but at least one must count.
CREATE TABLE evaluation_settings (
    -- Always true: the table has one row.
    id                boolean PRIMARY KEY DEFAULT true CHECK (id),
    weight_ratings    numeric NOT NULL CHECK (weight_ratings >= 0),
    weight_feedback   numeric NOT NULL CHECK (weight_feedback >= 0),
    weight_callbacks  numeric NOT NULL CHECK (weight_callbacks >= 0),
    weight_exam       numeric NOT NULL CHECK (weight_exam >= 0),
    threshold         numeric NOT NULL CHECK (threshold BETWEEN 0 AND 100),
    updated_by        text NOT NULL DEFAULT 'system',
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (weight_ratings + weight_feedback + weight_callbacks + weight_exam > 0)
);
-- The defaults weigh satisfaction most; under 80 a receptionist is coached.
INSERT INTO evaluation_settings (weight_ratings, weight_feedback, weight_callbacks, weight_exam, threshold)
VALUES (0.35, 0.25, 0.20, 0.20, 80);

-- Each month's evaluation as it stood when the schedule ran, for the
-- staff files: later corrections to cases, ratings or settings do not change
-- it. Each row keeps the weights and threshold it was scored with, so a
-- month can be explained after the settings have changed. A receptionist
-- without data has no score and no rank.
CREATE TABLE staff_evaluations (
    month         text NOT NULL CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
    staff         text NOT NULL REFERENCES staff(code),
    score         numeric(5,2) CHECK (score BETWEEN 0 AND 100),
    rank          integer CHECK (rank >= 1),
    flagged       boolean NOT NULL DEFAULT false,
    -- {"ratings": {"value", "numerator", "denominator", "weight"}, "feedback": …, "callbacks": …, "exam": …}
    components    jsonb NOT NULL,
    -- {"ratings", "feedback", "callbacks", "exam"}
    weights       jsonb NOT NULL,
    threshold     numeric NOT NULL,
    generated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (month, staff),
    CHECK ((score IS NULL) = (rank IS NULL)),
    CHECK (score IS NOT NULL OR NOT flagged)
);

-- The evaluation finds the complaints a receptionist recorded by joining the
-- month's complaints (cases_kpi) to their intakes by number, and reads the
-- month's ratings through ratings_period; callback_tasks_assignee and
-- training_attempts_staff serve the other two components. Only the
-- attribution of ratings to a member of staff reads the table rows: this
-- covering index lets the monthly query read the month's ratings from the
-- index alone, as the KPIs do.
CREATE INDEX ratings_staff ON ratings(rated_at) INCLUDE (source, receptionist, rated_by, score)
    WHERE source IN ('visit_exit', 'complaint_callback', 'repair_callback', 'campaign_call');

-- +goose Down
DROP INDEX ratings_staff;
DROP TABLE staff_evaluations;
DROP TABLE evaluation_settings;
