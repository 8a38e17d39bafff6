-- +goose Up
-- The kinds of case are declared once, in code (domain/kinds.go). This table
-- holds their names so that foreign keys keep the records to declared kinds;
-- store.Migrate adds every declared kind after the migrations, so a new kind
-- needs no migration of its own.
CREATE TABLE case_kinds (
    kind text PRIMARY KEY CHECK (kind ~ '^[a-z][a-z_]*$')
);
INSERT INTO case_kinds (kind) VALUES ('complaint'), ('repair');

ALTER TABLE handbook_categories DROP CONSTRAINT handbook_categories_kind_check,
    ADD CONSTRAINT handbook_categories_kind_fkey FOREIGN KEY (kind) REFERENCES case_kinds (kind);
ALTER TABLE case_intakes DROP CONSTRAINT case_intakes_kind_check,
    ADD CONSTRAINT case_intakes_kind_fkey FOREIGN KEY (kind) REFERENCES case_kinds (kind);
ALTER TABLE cases DROP CONSTRAINT cases_kind_check,
    ADD CONSTRAINT cases_kind_fkey FOREIGN KEY (kind) REFERENCES case_kinds (kind);
ALTER TABLE visits DROP CONSTRAINT visits_case_kind_check,
    ADD CONSTRAINT visits_case_kind_fkey FOREIGN KEY (case_kind) REFERENCES case_kinds (kind);
ALTER TABLE inbound_emails DROP CONSTRAINT inbound_emails_case_kind_check,
    ADD CONSTRAINT inbound_emails_case_kind_fkey FOREIGN KEY (case_kind) REFERENCES case_kinds (kind);
-- A callback on a case is rated as <kind>_callback (store/cases.go).
ALTER TABLE ratings DROP CONSTRAINT ratings_source_check,
    ADD CONSTRAINT ratings_source_check
        CHECK (source IN ('repair_onsite', 'visit_exit', 'campaign_call') OR source ~ '^[a-z][a-z_]*_callback$');

-- +goose Down
ALTER TABLE ratings DROP CONSTRAINT ratings_source_check,
    ADD CONSTRAINT ratings_source_check
        CHECK (source IN ('complaint_callback', 'repair_callback', 'repair_onsite', 'visit_exit', 'campaign_call'));
ALTER TABLE inbound_emails DROP CONSTRAINT inbound_emails_case_kind_fkey,
    ADD CONSTRAINT inbound_emails_case_kind_check CHECK (case_kind IN ('complaint', 'repair'));
ALTER TABLE visits DROP CONSTRAINT visits_case_kind_fkey,
    ADD CONSTRAINT visits_case_kind_check CHECK (case_kind IN ('complaint', 'repair'));
ALTER TABLE cases DROP CONSTRAINT cases_kind_fkey,
    ADD CONSTRAINT cases_kind_check CHECK (kind IN ('complaint', 'repair'));
ALTER TABLE case_intakes DROP CONSTRAINT case_intakes_kind_fkey,
    ADD CONSTRAINT case_intakes_kind_check CHECK (kind IN ('complaint', 'repair'));
ALTER TABLE handbook_categories DROP CONSTRAINT handbook_categories_kind_fkey,
    ADD CONSTRAINT handbook_categories_kind_check CHECK (kind IN ('complaint', 'repair'));
DROP TABLE case_kinds;
