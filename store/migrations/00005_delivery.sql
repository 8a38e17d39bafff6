-- +goose Up
-- Delivery of the outbox: where each message went, when, and why it failed.
-- 'skipped' means no delivery channel was configured (a development set-up).
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'skipped'));
ALTER TABLE notifications ADD COLUMN channel text NOT NULL DEFAULT '' CHECK (channel IN ('', 'email', 'sms'));
ALTER TABLE notifications ADD COLUMN address text NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN last_error text NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN sent_at timestamptz;
ALTER TABLE notifications ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX notifications_failed ON notifications(updated_at DESC) WHERE status = 'failed';

-- Staff are notified of assignments, reminders and escalations.
ALTER TABLE staff ADD COLUMN email text NOT NULL DEFAULT '';
ALTER TABLE staff ADD COLUMN phone text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE staff DROP COLUMN phone;
ALTER TABLE staff DROP COLUMN email;
DROP INDEX notifications_failed;
ALTER TABLE notifications DROP COLUMN updated_at;
ALTER TABLE notifications DROP COLUMN sent_at;
ALTER TABLE notifications DROP COLUMN last_error;
ALTER TABLE notifications DROP COLUMN address;
ALTER TABLE notifications DROP COLUMN channel;
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check CHECK (status IN ('pending', 'sent', 'failed'));
