-- +goose Up
-- The audit trail: who changed what, when, from where, with the record
-- before and after. A row is written in the same transaction as the change
-- it describes, so a change that rolls back leaves no row and no change is
-- committed without one (changes outside PostgreSQL, such as a schedule
-- paused in Temporal, and reads that must be accounted for, such as a
-- revealed phone number, are written on their own with their outcome).
--
-- The trail is append-only: the trigger below refuses UPDATE, DELETE and
-- TRUNCATE for every role, the owner included, so that not even the
-- application can rewrite history through a bug or an injected statement.
-- Only dropping the table (a migration, by a database administrator)
-- removes rows.
--
-- actor is deliberately not a foreign key to staff: the trail must outlive
-- the records of the people in it. No resident's personal data goes into
-- it (a reveal names the case or visit, never the number), so the
-- retention anonymisation has nothing to rewrite here.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor       text NOT NULL CHECK (actor <> ''),
    client_ip   text NOT NULL DEFAULT '',
    user_agent  text NOT NULL DEFAULT '',
    action      text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
    object_type text NOT NULL CHECK (object_type ~ '^[a-z][a-z0-9_]{0,63}$'),
    object_key  text NOT NULL DEFAULT '',
    outcome     text NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'failed')),
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_object ON audit_log (object_type, object_key, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
