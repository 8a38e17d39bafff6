-- +goose Up
-- Inbound email (邮件受理): every message the webhook accepted, whether it
-- opened a case or waits for a supervisor's triage. The dedupe key (the
-- Message-Id, else a hash of the raw message) makes the webhook idempotent.
CREATE TABLE inbound_emails (
    id            bigserial PRIMARY KEY,
    dedupe_key    text NOT NULL UNIQUE,
    message_id    text NOT NULL DEFAULT '',
    sender        text NOT NULL,
    sender_name   text NOT NULL DEFAULT '',
    subject       text NOT NULL DEFAULT '',
    body          text NOT NULL DEFAULT '',
    household_id  bigint REFERENCES households(id),
    resident_id   bigint REFERENCES residents(id),
    status        text NOT NULL CHECK (status IN ('opened', 'triage', 'dismissed')),
    case_kind     text CHECK (case_kind IN ('complaint', 'repair')),
    case_number   text,
    note          text NOT NULL DEFAULT '',
    handled_by    text NOT NULL DEFAULT '',
    received_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'opened') = (case_number IS NOT NULL))
);
CREATE INDEX inbound_emails_triage ON inbound_emails(received_at) WHERE status = 'triage';
CREATE INDEX residents_email ON residents(lower(email)) WHERE email <> '';

-- Secrets the service generates for itself on first use (the signing key of
-- resident tracking links), shared by every API process through the database.
CREATE TABLE app_secrets (
    name        text PRIMARY KEY,
    value       bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE app_secrets;
DROP INDEX residents_email;
DROP TABLE inbound_emails;
