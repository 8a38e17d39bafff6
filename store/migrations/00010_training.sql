-- +goose Up
-- The working-day calendar: the State Council's public holidays (放假) and
-- the weekend days worked in exchange (调休上班). A day not listed is a
-- working day from Monday to Friday. Supervisors add each new year's
-- calendar through the API when it is published (usually in November).
CREATE TABLE calendar_days (
    day      date PRIMARY KEY,
    working  boolean NOT NULL,
    name     text NOT NULL DEFAULT ''
);
-- 国务院办公厅关于2025年部分节假日安排的通知
INSERT INTO calendar_days (day, working, name)
SELECT d::date, false, n FROM (VALUES
    ('2025-01-01'::date, '2025-01-01'::date, '元旦'),
    ('2025-01-28', '2025-02-04', '春节'),
    ('2025-04-04', '2025-04-06', '清明节'),
    ('2025-05-01', '2025-05-05', '劳动节'),
    ('2025-05-31', '2025-06-02', '端午节'),
    ('2025-10-01', '2025-10-08', '国庆节、中秋节'),
    -- 国务院办公厅关于2026年部分节假日安排的通知
    ('2026-01-01', '2026-01-03', '元旦'),
    ('2026-02-15', '2026-02-23', '春节'),
    ('2026-04-04', '2026-04-06', '清明节'),
    ('2026-05-01', '2026-05-05', '劳动节'),
    ('2026-06-19', '2026-06-21', '端午节'),
    ('2026-09-25', '2026-09-27', '中秋节'),
    ('2026-10-01', '2026-10-07', '国庆节')
) AS h(f, t, n), generate_series(h.f, h.t, interval '1 day') AS d;
INSERT INTO calendar_days (day, working, name) VALUES
    ('2025-01-26', true, '春节调休'), ('2025-02-08', true, '春节调休'),
    ('2025-04-27', true, '劳动节调休'),
    ('2025-09-28', true, '国庆节调休'), ('2025-10-11', true, '国庆节调休'),
    ('2026-01-04', true, '元旦调休'),
    ('2026-02-14', true, '春节调休'), ('2026-02-28', true, '春节调休'),
    ('2026-05-09', true, '劳动节调休'),
    ('2026-09-20', true, '国庆节调休'), ('2026-10-10', true, '国庆节调休');

-- Quarterly training and exam (培训考核). Questions are never edited once
-- an exam uses them, so a cycle's marking cannot change afterwards: a
-- correction is a new question and the old one is deactivated.
CREATE TABLE training_questions (
    id          bigserial PRIMARY KEY,
    topic       text NOT NULL CHECK (topic IN ('property', 'communication', 'emergency')),
    question    text NOT NULL CHECK (question <> ''),
    -- [{"key": "A", "text": "…"}, …]
    choices     jsonb NOT NULL CHECK (jsonb_typeof(choices) = 'array'),
    answer      text NOT NULL,
    points      integer NOT NULL DEFAULT 1 CHECK (points BETWEEN 1 AND 100),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE training_cycles (
    id            text PRIMARY KEY CHECK (id ~ '^[0-9]{4}-Q[1-4]$'),
    -- The workflow run that owns the cycle, so results reach it. The run
    -- matters: a schedule triggered twice in one second starts a second
    -- run under the same workflow ID.
    workflow_id   text NOT NULL,
    run_id        text NOT NULL,
    session_on    date NOT NULL,
    topics        jsonb NOT NULL,
    pass_mark     integer NOT NULL CHECK (pass_mark BETWEEN 1 AND 100),
    exam_opens    timestamptz NOT NULL,
    exam_closes   timestamptz NOT NULL CHECK (exam_closes > exam_opens),
    retake_seconds integer NOT NULL CHECK (retake_seconds > 0),
    reminded_at   timestamptz,
    closed_at     timestamptz,
    enrolled      integer NOT NULL,
    first_passed  integer,
    final_passed  integer,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE training_enrolments (
    cycle_id  text NOT NULL REFERENCES training_cycles(id),
    staff     text NOT NULL REFERENCES staff(code),
    PRIMARY KEY (cycle_id, staff)
);

CREATE TABLE training_exam_questions (
    cycle_id     text NOT NULL REFERENCES training_cycles(id),
    question_id  bigint NOT NULL REFERENCES training_questions(id),
    position     integer NOT NULL,
    PRIMARY KEY (cycle_id, question_id)
);

-- One row per sitting: attempt 1, and attempt 2 for the one retake.
CREATE TABLE training_attempts (
    id           bigserial PRIMARY KEY,
    cycle_id     text NOT NULL,
    staff        text NOT NULL,
    attempt      integer NOT NULL CHECK (attempt IN (1, 2)),
    score        numeric(5,2) NOT NULL CHECK (score BETWEEN 0 AND 100),
    passed       boolean NOT NULL,
    method       text NOT NULL CHECK (method IN ('answers', 'trainer')),
    answers      jsonb,
    recorded_by  text NOT NULL,
    recorded_at  timestamptz NOT NULL,
    -- Set on a failed first attempt: the retake is due by then.
    retake_due   timestamptz,
    FOREIGN KEY (cycle_id, staff) REFERENCES training_enrolments(cycle_id, staff),
    UNIQUE (cycle_id, staff, attempt)
);
CREATE INDEX training_attempts_staff ON training_attempts(staff, recorded_at DESC);

-- +goose Down
DROP TABLE training_attempts;
DROP TABLE training_exam_questions;
DROP TABLE training_enrolments;
DROP TABLE training_cycles;
DROP TABLE training_questions;
DROP TABLE calendar_days;
