-- +goose Up
-- The households living in each community, kept by a trigger as households
-- come, go and change (docs/DESIGN.md §8): every KPI and coverage figure
-- divides by it, and counting a million households joined to their units
-- took longer than the rest of the month's KPIs together.
CREATE TABLE community_households (
    community text PRIMARY KEY,
    active    bigint NOT NULL DEFAULT 0 CHECK (active >= 0)
);
INSERT INTO community_households (community, active)
    SELECT u.community, count(*) FILTER (WHERE h.active) FROM households h JOIN units u ON u.id = h.unit_id
    GROUP BY u.community;

-- +goose StatementBegin
CREATE FUNCTION community_households_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.active THEN
        UPDATE community_households SET active = active - 1
        WHERE community = (SELECT community FROM units WHERE id = OLD.unit_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.active THEN
        INSERT INTO community_households AS ch (community, active)
            SELECT community, 1 FROM units WHERE id = NEW.unit_id
        ON CONFLICT (community) DO UPDATE SET active = ch.active + 1;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER community_households_count AFTER INSERT OR DELETE OR UPDATE OF active, unit_id ON households
    FOR EACH ROW EXECUTE FUNCTION community_households_count();

-- +goose Down
DROP TRIGGER community_households_count ON households;
DROP FUNCTION community_households_count();
DROP TABLE community_households;
