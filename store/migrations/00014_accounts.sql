-- +goose Up
-- Identity (docs/DESIGN.md §7.2): staff sign in with an account; sessions
-- and API tokens are kept here, only as hashes of their secrets, so a copy
-- of the database lets nobody act as anyone.

-- Two roles that run the system rather than the desk: admin (accounts,
-- reference data) and auditor (read-only). The staff import does not offer
-- them (refdata), so nobody can grant them to themselves through a file.
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN ('receptionist', 'handler', 'department_head',
    'supervisor', 'centre_manager', 'property_manager', 'admin', 'auditor'));

-- One account per member of staff. password_hash is the argon2id PHC
-- string ($argon2id$v=19$m=…,t=…,p=…$salt$hash): it carries its own
-- parameters, so they can be raised without invalidating old hashes.
CREATE TABLE accounts (
    username       text PRIMARY KEY CHECK (username ~ '^[a-z0-9_.-]{1,64}$'),
    staff_code     text NOT NULL UNIQUE REFERENCES staff(code),
    password_hash  text NOT NULL,
    disabled       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    password_set_at timestamptz NOT NULL DEFAULT now()
);

-- Failed sign-ins by the name that was tried, whether or not an account
-- has it: the slow-down and lock then say nothing about which names exist.
-- A successful sign-in deletes the row.
CREATE TABLE login_failures (
    username      text PRIMARY KEY,
    failures      int NOT NULL DEFAULT 0,
    last_failed_at timestamptz NOT NULL DEFAULT now(),
    locked_until  timestamptz
);

-- Browser sessions. id_hash is SHA-256 of the cookie's value and
-- csrf_hash of the CSRF token; neither secret is stored.
CREATE TABLE sessions (
    id_hash      bytea PRIMARY KEY,
    username     text NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
    csrf_hash    bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_username ON sessions(username);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- API tokens of integrations: bound to a member of staff or to a service
-- role, never both; hash is SHA-256 of the token, shown once when made.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    hash         bytea NOT NULL UNIQUE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    staff_code   text REFERENCES staff(code),
    service_role text CHECK (service_role ~ '^[a-z0-9_]{1,32}$'),
    scopes       text[] NOT NULL DEFAULT '{}',
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    CHECK ((staff_code IS NULL) <> (service_role IS NULL))
);
CREATE INDEX api_tokens_staff ON api_tokens(staff_code);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE login_failures;
DROP TABLE accounts;
DELETE FROM staff WHERE role IN ('admin', 'auditor');
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN ('receptionist', 'handler', 'department_head', 'supervisor', 'centre_manager', 'property_manager'));
