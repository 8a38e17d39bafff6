-- +goose Up
-- Repairs share the case tables with complaints: one intake, one read model
-- and one timeline per case, told apart by kind (and by number prefix).
ALTER TABLE complaint_intakes RENAME TO case_intakes;
ALTER TABLE complaints RENAME TO cases;
ALTER TABLE complaint_events RENAME TO case_events;
ALTER TABLE case_intakes ADD COLUMN kind text NOT NULL DEFAULT 'complaint' CHECK (kind IN ('complaint', 'repair'));
ALTER TABLE case_intakes ADD COLUMN call_ref text NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN kind text NOT NULL DEFAULT 'complaint' CHECK (kind IN ('complaint', 'repair'));
CREATE INDEX cases_kind ON cases(kind, recorded_at DESC, number DESC);

-- Repair categories say when a completed repair needs a callback; keywords
-- let the email intake pick a category from the text.
ALTER TABLE handbook_categories ADD COLUMN callback_policy text NOT NULL DEFAULT 'always'
    CHECK (callback_policy IN ('always', 'unless_rated', 'never'));
ALTER TABLE handbook_categories ADD COLUMN keywords text[] NOT NULL DEFAULT '{}';

ALTER TABLE ratings DROP CONSTRAINT ratings_source_check;
ALTER TABLE ratings ADD CONSTRAINT ratings_source_check
    CHECK (source IN ('complaint_callback', 'repair_callback', 'repair_onsite', 'visit_exit', 'campaign_call'));

-- +goose Down
ALTER TABLE ratings DROP CONSTRAINT ratings_source_check;
ALTER TABLE ratings ADD CONSTRAINT ratings_source_check
    CHECK (source IN ('complaint_callback', 'visit_exit', 'campaign_call'));
ALTER TABLE handbook_categories DROP COLUMN keywords;
ALTER TABLE handbook_categories DROP COLUMN callback_policy;
DROP INDEX cases_kind;
ALTER TABLE cases DROP COLUMN kind;
ALTER TABLE case_intakes DROP COLUMN call_ref;
ALTER TABLE case_intakes DROP COLUMN kind;
ALTER TABLE case_events RENAME TO complaint_events;
ALTER TABLE cases RENAME TO complaints;
ALTER TABLE case_intakes RENAME TO complaint_intakes;
