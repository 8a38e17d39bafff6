-- +goose Up
-- The KPI counts of each community and UTC day, kept exactly by triggers on
-- the read model (docs/DESIGN.md §8): a month's KPIs for the whole centre
-- read a row per community and day instead of every complaint and rating of
-- the month (773 ms at ten million cases; the target is 200 ms). What a
-- row cannot answer is counted from the base tables: the parts of the
-- period's first and last days that the period does not cover, and the
-- complaints whose 24 h window may still be open at the time asked.
--
-- A complaint counts on the day it was recorded: one complaint, and one
-- dispatched (fed back) within 24 h if it was routed (first fed back) no
-- later than 24 hours after it was recorded, which no later change can
-- undo but the trigger follows anyway. A rating counts on the day it was
-- given, in its community ('' for the rare rating with none).
--
-- Writes are held off while the counts are filled in, so none is missed
-- between the back-fill and the triggers.
LOCK TABLE cases, ratings IN SHARE MODE;
CREATE TABLE kpi_days (
    community      text NOT NULL,
    day            timestamptz NOT NULL, -- the start of a UTC day
    complaints     bigint NOT NULL DEFAULT 0,
    dispatched_24h bigint NOT NULL DEFAULT 0,
    fed_back_24h   bigint NOT NULL DEFAULT 0,
    ratings        bigint NOT NULL DEFAULT 0,
    satisfied      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (community, day)
) WITH (fillfactor = 70); -- room for the counters' updates on their own page (HOT)
CREATE INDEX kpi_days_day ON kpi_days(day);

INSERT INTO kpi_days (community, day, complaints, dispatched_24h, fed_back_24h, ratings, satisfied)
SELECT community, day, sum(complaints), sum(dispatched_24h), sum(fed_back_24h), sum(ratings), sum(satisfied) FROM (
    SELECT community, date_trunc('day', recorded_at, 'UTC') AS day, count(*) AS complaints,
        count(*) FILTER (WHERE routed_at <= recorded_at + interval '24 hours') AS dispatched_24h,
        count(*) FILTER (WHERE first_feedback_at <= recorded_at + interval '24 hours') AS fed_back_24h,
        0 AS ratings, 0 AS satisfied
    FROM cases WHERE kind = 'complaint' GROUP BY 1, 2
    UNION ALL
    SELECT coalesce(community, ''), date_trunc('day', rated_at, 'UTC'), 0, 0, 0, count(*), count(*) FILTER (WHERE score >= 4)
    FROM ratings GROUP BY 1, 2
) t GROUP BY 1, 2
ORDER BY 2, 1; -- a day's rows together, as the triggers will add them

-- +goose StatementBegin
CREATE FUNCTION kpi_days_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The row's old contribution out, its new one in.
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.kind = 'complaint' THEN
        UPDATE kpi_days SET complaints = complaints - 1,
            dispatched_24h = dispatched_24h - CASE WHEN OLD.routed_at <= OLD.recorded_at + interval '24 hours' THEN 1 ELSE 0 END,
            fed_back_24h = fed_back_24h - CASE WHEN OLD.first_feedback_at <= OLD.recorded_at + interval '24 hours' THEN 1 ELSE 0 END
        WHERE community = OLD.community AND day = date_trunc('day', OLD.recorded_at, 'UTC');
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.kind = 'complaint' THEN
        INSERT INTO kpi_days AS k (community, day, complaints, dispatched_24h, fed_back_24h)
        VALUES (NEW.community, date_trunc('day', NEW.recorded_at, 'UTC'), 1,
            CASE WHEN NEW.routed_at <= NEW.recorded_at + interval '24 hours' THEN 1 ELSE 0 END,
            CASE WHEN NEW.first_feedback_at <= NEW.recorded_at + interval '24 hours' THEN 1 ELSE 0 END)
        ON CONFLICT (community, day) DO UPDATE SET complaints = k.complaints + 1,
            dispatched_24h = k.dispatched_24h + EXCLUDED.dispatched_24h, fed_back_24h = k.fed_back_24h + EXCLUDED.fed_back_24h;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER kpi_days_cases AFTER INSERT OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION kpi_days_cases();
-- Every event of a case rewrites its row; the counts change only when a
-- complaint is first routed or fed back in time (or, never in practice,
-- its kind, community or time change), so the function runs only then.
CREATE TRIGGER kpi_days_cases_update AFTER UPDATE ON cases FOR EACH ROW
    WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR OLD.community IS DISTINCT FROM NEW.community
        OR OLD.recorded_at IS DISTINCT FROM NEW.recorded_at
        OR coalesce(OLD.routed_at <= OLD.recorded_at + interval '24 hours', false)
            <> coalesce(NEW.routed_at <= NEW.recorded_at + interval '24 hours', false)
        OR coalesce(OLD.first_feedback_at <= OLD.recorded_at + interval '24 hours', false)
            <> coalesce(NEW.first_feedback_at <= NEW.recorded_at + interval '24 hours', false))
    EXECUTE FUNCTION kpi_days_cases();

-- +goose StatementBegin
CREATE FUNCTION kpi_days_ratings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE kpi_days SET ratings = ratings - 1, satisfied = satisfied - CASE WHEN OLD.score >= 4 THEN 1 ELSE 0 END
        WHERE community = coalesce(OLD.community, '') AND day = date_trunc('day', OLD.rated_at, 'UTC');
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO kpi_days AS k (community, day, ratings, satisfied)
        VALUES (coalesce(NEW.community, ''), date_trunc('day', NEW.rated_at, 'UTC'), 1, CASE WHEN NEW.score >= 4 THEN 1 ELSE 0 END)
        ON CONFLICT (community, day) DO UPDATE SET ratings = k.ratings + 1, satisfied = k.satisfied + EXCLUDED.satisfied;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER kpi_days_ratings AFTER INSERT OR DELETE ON ratings
    FOR EACH ROW EXECUTE FUNCTION kpi_days_ratings();
CREATE TRIGGER kpi_days_ratings_update AFTER UPDATE ON ratings FOR EACH ROW
    WHEN (OLD.community IS DISTINCT FROM NEW.community OR OLD.rated_at IS DISTINCT FROM NEW.rated_at
        OR (OLD.score >= 4) <> (NEW.score >= 4))
    EXECUTE FUNCTION kpi_days_ratings();

-- +goose Down
DROP TRIGGER kpi_days_ratings_update ON ratings;
DROP TRIGGER kpi_days_ratings ON ratings;
DROP FUNCTION kpi_days_ratings();
DROP TRIGGER kpi_days_cases_update ON cases;
DROP TRIGGER kpi_days_cases ON cases;
DROP FUNCTION kpi_days_cases();
DROP TABLE kpi_days;
