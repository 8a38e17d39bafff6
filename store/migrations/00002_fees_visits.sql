-- +goose Up
-- Fee standards (收费标准): one row per item, unit type and period in force.
-- Amounts are numeric, never float; the API speaks decimal strings.
ALTER TABLE units ADD COLUMN parking_spaces integer NOT NULL DEFAULT 0 CHECK (parking_spaces BETWEEN 0 AND 50);

CREATE TABLE fee_standards (
    id              bigserial PRIMARY KEY,
    community       text NOT NULL REFERENCES communities(code),
    item            text NOT NULL CHECK (item ~ '^[a-z0-9_]{1,32}$'),
    name            text NOT NULL,
    name_en         text NOT NULL DEFAULT '',
    basis           text NOT NULL CHECK (basis IN ('area', 'household', 'parking_space')),
    unit_type       text NOT NULL DEFAULT '' CHECK (unit_type IN ('', 'residential', 'commercial', 'office')),
    rate            numeric(12,4) NOT NULL CHECK (rate >= 0),
    effective_from  date NOT NULL,
    effective_to    date CHECK (effective_to > effective_from),
    position        integer NOT NULL DEFAULT 100,
    created_by      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fee_standards_lookup ON fee_standards(community, item, unit_type, effective_from);

-- The reception log (接待登记): every visitor and caller, in person or by
-- phone, with the exit rating when they leave.
CREATE TABLE visits (
    id               bigserial PRIMARY KEY,
    idempotency_key  text UNIQUE,
    community        text NOT NULL REFERENCES communities(code),
    unit_id          bigint REFERENCES units(id),
    household_id     bigint REFERENCES households(id),
    visitor_name     text NOT NULL DEFAULT '',
    visitor_phone    text NOT NULL DEFAULT '',
    purpose          text NOT NULL CHECK (purpose IN ('inquiry', 'repair', 'complaint', 'other')),
    channel          text NOT NULL CHECK (channel IN ('walk_in', 'phone', 'email', 'portal')),
    call_ref         text NOT NULL DEFAULT '',
    receptionist     text NOT NULL REFERENCES staff(code),
    notes            text NOT NULL DEFAULT '',
    case_kind        text CHECK (case_kind IN ('complaint', 'repair')),
    case_number      text,
    arrived_at       timestamptz NOT NULL DEFAULT now(),
    exited_at        timestamptz,
    exit_score       integer CHECK (exit_score BETWEEN 1 AND 5),
    exit_comment     text NOT NULL DEFAULT '',
    CHECK (unit_id IS NOT NULL OR visitor_name <> ''),
    CHECK ((case_kind IS NULL) = (case_number IS NULL))
);
CREATE INDEX visits_arrived ON visits(arrived_at DESC, id DESC);
CREATE INDEX visits_case ON visits(case_number) WHERE case_number IS NOT NULL;

ALTER TABLE ratings ADD COLUMN visit_id bigint REFERENCES visits(id);
ALTER TABLE ratings ADD COLUMN receptionist text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE ratings DROP COLUMN receptionist;
ALTER TABLE ratings DROP COLUMN visit_id;
DROP TABLE visits;
DROP TABLE fee_standards;
ALTER TABLE units DROP COLUMN parking_spaces;
