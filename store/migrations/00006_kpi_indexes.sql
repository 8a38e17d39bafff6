-- +goose Up
-- KPIs and reports on a large history (measured on a million complaints, see
-- the README): each rating carries its community, so the satisfaction and
-- coverage figures read one table instead of joining every rating to its
-- case, visit and household; and covering indexes let the complaint
-- figures be counted from the index alone.
ALTER TABLE ratings ADD COLUMN community text;
UPDATE ratings r SET community = coalesce(
    (SELECT i.community FROM case_intakes i WHERE i.number = r.number),
    (SELECT v.community FROM visits v WHERE v.id = r.visit_id),
    (SELECT u.community FROM households h JOIN units u ON u.id = h.unit_id WHERE h.id = r.household_id));
-- The writers set it; the trigger fills it for any that does not, so no
-- rating is left out of its community's figures.
-- +goose StatementBegin
CREATE FUNCTION ratings_fill_community() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.community IS NULL THEN
        NEW.community := coalesce(
            (SELECT i.community FROM case_intakes i WHERE i.number = NEW.number),
            (SELECT v.community FROM visits v WHERE v.id = NEW.visit_id),
            (SELECT u.community FROM households h JOIN units u ON u.id = h.unit_id WHERE h.id = NEW.household_id));
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER ratings_community BEFORE INSERT ON ratings FOR EACH ROW EXECUTE FUNCTION ratings_fill_community();
CREATE INDEX ratings_community ON ratings(community, rated_at) INCLUDE (score);
CREATE INDEX ratings_period ON ratings(rated_at) INCLUDE (score, community);
CREATE INDEX ratings_callbacks ON ratings(rated_at) INCLUDE (household_id, community)
    WHERE source IN ('complaint_callback', 'repair_callback', 'campaign_call') AND rated_by <> 'resident';
CREATE INDEX cases_kpi ON cases(kind, recorded_at)
    INCLUDE (community, routed_at, first_feedback_at, resolved_at);
CREATE INDEX cases_kpi_community ON cases(kind, community, recorded_at)
    INCLUDE (routed_at, first_feedback_at, resolved_at);

-- +goose Down
DROP TRIGGER ratings_community ON ratings;
DROP FUNCTION ratings_fill_community();
DROP INDEX cases_kpi_community;
DROP INDEX cases_kpi;
DROP INDEX ratings_callbacks;
DROP INDEX ratings_period;
DROP INDEX ratings_community;
ALTER TABLE ratings DROP COLUMN community;
