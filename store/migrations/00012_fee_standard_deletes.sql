-- +goose Up
-- A fee standard entered by mistake is deleted softly: the row stays in the
-- history with who deleted it and when, and is no longer in force.
--
-- Adding a standard may cut short the open-ended one it replaces (a price
-- change). Deleting the new one must give the replaced standard back the
-- end it had, so the new row records which standard it cut (replaced_id)
-- and that standard's effective_to before the cut (replaced_to; NULL: it was
-- open-ended).
ALTER TABLE fee_standards
    ADD COLUMN replaced_id  bigint REFERENCES fee_standards(id),
    ADD COLUMN replaced_to  date,
    ADD COLUMN deleted_by   text,
    ADD COLUMN deleted_at   timestamptz,
    ADD CONSTRAINT fee_standards_deleted_by_whom CHECK ((deleted_at IS NULL) = (deleted_by IS NULL)),
    ADD CONSTRAINT fee_standards_replaced_to_needs_replaced CHECK (replaced_to IS NULL OR replaced_id IS NOT NULL);

-- Standards stored before this migration did not record what they replaced.
-- Until now a standard was cut only when it was open-ended and a later one
-- started inside it, so a standard ending exactly where a later-added one of
-- the same item and unit type starts was (almost certainly) cut by it, and
-- was open before: link them, so that deleting the newer one restores the
-- older one here too.
UPDATE fee_standards n SET replaced_id = o.id, replaced_to = NULL
FROM fee_standards o
WHERE o.community = n.community AND o.item = n.item AND o.unit_type = n.unit_type
    AND o.id < n.id AND o.effective_to = n.effective_from;

-- +goose Down
-- Before this migration a deletion erased the row; deleted rows would
-- otherwise count again.
ALTER TABLE fee_standards
    DROP CONSTRAINT fee_standards_replaced_to_needs_replaced,
    DROP COLUMN replaced_to,
    DROP COLUMN replaced_id;
DELETE FROM fee_standards WHERE deleted_at IS NOT NULL;
ALTER TABLE fee_standards
    DROP CONSTRAINT fee_standards_deleted_by_whom,
    DROP COLUMN deleted_at,
    DROP COLUMN deleted_by;
