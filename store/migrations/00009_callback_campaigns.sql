-- +goose Up
-- Monthly callback campaigns (回访): the households chosen for a month and
-- the call to each, assigned to a receptionist.
CREATE TABLE callback_campaigns (
    month              text PRIMARY KEY CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
    target             numeric(4,3) NOT NULL CHECK (target > 0 AND target <= 1),
    active_households  integer NOT NULL,
    reminded_at        timestamptz,
    closed_at          timestamptz,
    reached_households integer,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE callback_tasks (
    id              bigserial PRIMARY KEY,
    month           text NOT NULL REFERENCES callback_campaigns(month),
    household_id    bigint NOT NULL REFERENCES households(id),
    assignee        text NOT NULL REFERENCES staff(code),
    reason          text NOT NULL CHECK (reason IN ('owed', 'sample')),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'reached', 'unreached')),
    attempts        integer NOT NULL DEFAULT 0,
    score           integer CHECK (score BETWEEN 1 AND 5),
    comment         text NOT NULL DEFAULT '',
    follow_up_case  text,
    called_at       timestamptz,
    UNIQUE (month, household_id)
);
CREATE INDEX callback_tasks_assignee ON callback_tasks(month, assignee);

-- +goose Down
DROP TABLE callback_tasks;
DROP TABLE callback_campaigns;
