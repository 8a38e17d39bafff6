-- +goose Up
-- Residents' own words about a case (a rating comment given through the
-- tracking link, a callback or on-site comment taken down by staff) are
-- kept here and never sent to Temporal: the workflow carries the row's id
-- (docs/DESIGN.md §11.1). A text is stored once per case, so a retried
-- request gets the same id and stays the same workflow update.
CREATE TABLE case_texts (
    id         bigserial PRIMARY KEY,
    number     text NOT NULL,
    body       text NOT NULL,
    digest     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (number, digest)
);

-- +goose Down
DROP TABLE case_texts;
