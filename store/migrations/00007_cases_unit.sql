-- +goose Up
-- The read model keeps each case's unit, so the monthly analysis groups a
-- month of cases by building and unit without joining every case to its
-- intake (the intakes hold the personal data and are the widest table).
ALTER TABLE cases ADD COLUMN unit_id bigint REFERENCES units(id);
UPDATE cases c SET unit_id = i.unit_id FROM case_intakes i WHERE i.number = c.number;

-- +goose Down
ALTER TABLE cases DROP COLUMN unit_id;
