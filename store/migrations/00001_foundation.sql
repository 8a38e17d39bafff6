-- +goose Up
-- Reference data: written by the API and the demo loader.
CREATE TABLE communities (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    name        text NOT NULL,
    name_en     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE buildings (
    community   text NOT NULL REFERENCES communities(code),
    code        text NOT NULL,
    name        text NOT NULL,
    PRIMARY KEY (community, code)
);

CREATE TABLE units (
    id          bigserial PRIMARY KEY,
    community   text NOT NULL,
    building    text NOT NULL,
    code        text NOT NULL,
    unit_type   text NOT NULL DEFAULT 'residential',
    floor_area  numeric(10,2) NOT NULL CHECK (floor_area > 0),
    UNIQUE (community, code),
    FOREIGN KEY (community, building) REFERENCES buildings(community, code)
);

CREATE TABLE households (
    id          bigserial PRIMARY KEY,
    unit_id     bigint NOT NULL REFERENCES units(id),
    active      boolean NOT NULL DEFAULT true,
    language    text NOT NULL DEFAULT 'zh' CHECK (language IN ('zh', 'en')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX households_unit ON households(unit_id);

CREATE TABLE residents (
    id            bigserial PRIMARY KEY,
    household_id  bigint NOT NULL REFERENCES households(id),
    name          text NOT NULL,
    phone         text NOT NULL DEFAULT '',
    email         text NOT NULL DEFAULT ''
);
CREATE INDEX residents_household ON residents(household_id);
CREATE INDEX residents_phone ON residents(phone) WHERE phone <> '';

CREATE TABLE departments (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,32}$'),
    name        text NOT NULL,
    name_en     text NOT NULL DEFAULT ''
);

CREATE TABLE staff (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,32}$'),
    name        text NOT NULL,
    department  text NOT NULL REFERENCES departments(code),
    role        text NOT NULL CHECK (role IN ('receptionist', 'handler', 'department_head', 'supervisor', 'centre_manager', 'property_manager')),
    active      boolean NOT NULL DEFAULT true
);

-- The complaint handbook (投诉处理手册): category → department, responsible
-- person and time limits. Cases copy the limits when they are recorded.
CREATE TABLE handbook_categories (
    code                  text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,32}$'),
    kind                  text NOT NULL DEFAULT 'complaint' CHECK (kind IN ('complaint', 'repair')),
    name                  text NOT NULL,
    name_en               text NOT NULL DEFAULT '',
    department            text REFERENCES departments(code),
    responsible           text REFERENCES staff(code),
    priority              text NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'urgent')),
    dispatch_within       interval NOT NULL DEFAULT '24 hours',
    feedback_within       interval NOT NULL DEFAULT '24 hours',
    resolve_within        interval NOT NULL DEFAULT '72 hours',
    urgent_resolve_within interval NOT NULL DEFAULT '24 hours',
    callback_within       interval NOT NULL DEFAULT '48 hours',
    escalate_every        interval NOT NULL DEFAULT '24 hours',
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- Case numbers: one counter per prefix and local day.
CREATE TABLE case_counters (
    prefix  text NOT NULL,
    day     date NOT NULL,
    last    integer NOT NULL,
    PRIMARY KEY (prefix, day)
);

-- What the front desk took down. Written once by the API before the workflow
-- starts; the personal data here never enters Temporal.
CREATE TABLE complaint_intakes (
    number           text PRIMARY KEY,
    idempotency_key  text NOT NULL UNIQUE,
    request_hash     text NOT NULL,
    community        text NOT NULL REFERENCES communities(code),
    unit_id          bigint NOT NULL REFERENCES units(id),
    household_id     bigint REFERENCES households(id),
    resident_id      bigint REFERENCES residents(id),
    resident_name    text NOT NULL,
    resident_phone   text NOT NULL,
    channel          text NOT NULL,
    category         text NOT NULL REFERENCES handbook_categories(code),
    description      text NOT NULL,
    priority         text NOT NULL,
    created_by       text NOT NULL DEFAULT '',
    -- The workflow's start input (codes and limits, no personal data), so a
    -- case whose start was cut short by a crash can be started again.
    workflow_input   jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- The read model of each case, written only by the workflow's activities.
CREATE TABLE complaints (
    number             text PRIMARY KEY REFERENCES complaint_intakes(number),
    status             text NOT NULL,
    category           text NOT NULL,
    community          text NOT NULL,
    channel            text NOT NULL,
    priority           text NOT NULL,
    department         text NOT NULL DEFAULT '',
    assignee           text NOT NULL DEFAULT '',
    escalation_level   integer NOT NULL DEFAULT 0,
    sla_breached       boolean NOT NULL DEFAULT false,
    reopens            integer NOT NULL DEFAULT 0,
    callback_attempts  integer NOT NULL DEFAULT 0,
    recorded_at        timestamptz NOT NULL,
    routed_at          timestamptz,
    first_feedback_at  timestamptz,
    resolved_at        timestamptz,
    closed_at          timestamptz,
    dispatch_due       timestamptz,
    feedback_due       timestamptz,
    resolution_due     timestamptz,
    callback_due       timestamptz,
    version            integer NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX complaints_recent ON complaints(recorded_at DESC, number DESC);
CREATE INDEX complaints_status ON complaints(status, recorded_at DESC);
CREATE INDEX complaints_category ON complaints(category, recorded_at DESC);
CREATE INDEX complaints_department ON complaints(department, recorded_at DESC);
CREATE INDEX complaints_community ON complaints(community, recorded_at DESC);
CREATE INDEX complaints_breached ON complaints(recorded_at DESC) WHERE sla_breached;

CREATE TABLE complaint_events (
    id               bigserial PRIMARY KEY,
    number           text NOT NULL REFERENCES complaint_intakes(number),
    seq              integer NOT NULL,
    at               timestamptz NOT NULL,
    kind             text NOT NULL,
    actor            text NOT NULL,
    message          text NOT NULL,
    idempotency_key  text NOT NULL UNIQUE
);
CREATE INDEX complaint_events_case ON complaint_events(number, seq);

-- Satisfaction ratings from every source (callbacks now; exit ratings and
-- campaign calls later), for the satisfaction KPI.
CREATE TABLE ratings (
    id               bigserial PRIMARY KEY,
    source           text NOT NULL CHECK (source IN ('complaint_callback', 'visit_exit', 'campaign_call')),
    number           text,
    household_id     bigint REFERENCES households(id),
    score            integer NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment          text NOT NULL DEFAULT '',
    rated_by         text NOT NULL DEFAULT '',
    rated_at         timestamptz NOT NULL,
    idempotency_key  text NOT NULL UNIQUE
);
CREATE INDEX ratings_rated_at ON ratings(rated_at);

-- The notifications outbox: delivery adapters pick rows up later.
CREATE TABLE notifications (
    id               bigserial PRIMARY KEY,
    number           text NOT NULL,
    audience         text NOT NULL CHECK (audience IN ('resident', 'staff')),
    recipient        text NOT NULL DEFAULT '',
    template         text NOT NULL,
    params           jsonb NOT NULL DEFAULT '{}',
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    idempotency_key  text NOT NULL UNIQUE
);
CREATE INDEX notifications_pending ON notifications(created_at) WHERE status = 'pending';
CREATE INDEX notifications_case ON notifications(number);

-- +goose Down
DROP TABLE notifications;
DROP TABLE ratings;
DROP TABLE complaint_events;
DROP TABLE complaints;
DROP TABLE complaint_intakes;
DROP TABLE case_counters;
DROP TABLE handbook_categories;
DROP TABLE staff;
DROP TABLE departments;
DROP TABLE residents;
DROP TABLE households;
DROP TABLE units;
DROP TABLE buildings;
DROP TABLE communities;
