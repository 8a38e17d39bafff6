package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concierge-pm/concierge/domain"
)

// EvaluationSettings are the evaluation's weights and threshold in force,
// with who set them last and when.
type EvaluationSettings struct {
	domain.EvalSettings
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// EvaluationSettings reads the settings in force.
func (s *Store) EvaluationSettings(ctx context.Context) (EvaluationSettings, error) {
	return evaluationSettings(ctx, s.pool, "")
}

func evaluationSettings(ctx context.Context, q querier, lock string) (EvaluationSettings, error) {
	var e EvaluationSettings
	w := &e.Weights
	err := q.QueryRow(ctx, `SELECT weight_ratings, weight_feedback, weight_callbacks, weight_exam, threshold, updated_by, updated_at
		FROM evaluation_settings `+lock).Scan(&w.Ratings, &w.Feedback, &w.Callbacks, &w.Exam, &e.Threshold, &e.UpdatedBy, &e.UpdatedAt)
	if err != nil {
		return e, fmt.Errorf("read evaluation settings: %w", err)
	}
	return e, nil
}

// SetEvaluationSettings replaces the settings; who is the member of staff
// who changed them, recorded with the settings and, with the settings
// before and after, in the audit trail. The caller validates them first;
// the table's checks refuse what slips through.
func (s *Store) SetEvaluationSettings(ctx context.Context, set domain.EvalSettings, who Who) (EvaluationSettings, error) {
	e := EvaluationSettings{EvalSettings: set, UpdatedBy: who.Actor}
	w := set.Weights
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		before, err := evaluationSettings(ctx, tx, "FOR UPDATE")
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `UPDATE evaluation_settings SET weight_ratings = $1, weight_feedback = $2, weight_callbacks = $3,
				weight_exam = $4, threshold = $5, updated_by = $6, updated_at = now()
			RETURNING updated_at`, w.Ratings, w.Feedback, w.Callbacks, w.Exam, set.Threshold, who.Actor).Scan(&e.UpdatedAt); err != nil {
			return fmt.Errorf("update evaluation settings: %w", err)
		}
		return WriteAudit(ctx, tx, who, AuditEntry{Action: "update", ObjectType: "evaluation_settings",
			Before: before, After: e})
	})
	return e, err
}

// EvaluationInputs gathers, for every active receptionist, the counts of
// the four components for [from, to) (a month in the centre's zone, month
// its "YYYY-MM", which callback tasks are filed under). now decides which
// complaints' 24 h windows have closed and whether the month, and with it
// the callback tasks' window, is over. One query: each component is
// grouped by member of staff once, not counted per receptionist.
func (s *Store) EvaluationInputs(ctx context.Context, from, to, now time.Time, month string) ([]domain.EvalInput, error) {
	rows, err := s.pool.Query(ctx, `
		WITH r AS (
			-- Ratings of their work: exit ratings of the visits they
			-- received, and the callbacks and campaign calls they made.
			SELECT CASE WHEN source = 'visit_exit' THEN receptionist ELSE rated_by END AS staff,
				sum(score)::float8 AS total, count(*) AS n
			FROM ratings
			WHERE rated_at >= $1 AND rated_at < $2
				AND source IN ('visit_exit', `+caseCallbackSources()+`, 'campaign_call')
			GROUP BY 1
		), f AS (
			-- Complaints they recorded whose 24 h window has closed.
			SELECT i.created_by AS staff,
				count(*) FILTER (WHERE c.first_feedback_at <= c.recorded_at + interval '24 hours')::float8 AS fed_back,
				count(*) AS n
			FROM cases c JOIN case_intakes i ON i.number = c.number
			WHERE c.kind = 'complaint' AND c.recorded_at >= $1 AND c.recorded_at < $2
				AND c.recorded_at + interval '24 hours' <= $3
			GROUP BY 1
		), cb AS (
			-- A month's calls are due by its end: until then an open task
			-- is not yet a call missed, so the component waits for the
			-- month to be over (as feedback waits for the 24 h window).
			SELECT assignee AS staff, count(*) FILTER (WHERE status <> 'open')::float8 AS done, count(*) AS n
			FROM callback_tasks WHERE month = $4 AND $2 <= $3
			GROUP BY 1
		), e AS (
			-- The latest exam sat before the month's end, of any cycle.
			SELECT DISTINCT ON (staff) staff, score::float8 AS score
			FROM training_attempts
			WHERE recorded_at < $2
			ORDER BY staff, recorded_at DESC, id DESC
		)
		SELECT s.code, s.name,
			coalesce(r.total, 0), coalesce(r.n, 0),
			coalesce(f.fed_back, 0), coalesce(f.n, 0),
			coalesce(cb.done, 0), coalesce(cb.n, 0),
			coalesce(e.score, 0), (e.staff IS NOT NULL)::int::int8
		FROM staff s
			LEFT JOIN r ON r.staff = s.code
			LEFT JOIN f ON f.staff = s.code
			LEFT JOIN cb ON cb.staff = s.code
			LEFT JOIN e ON e.staff = s.code
		WHERE s.active AND s.role = 'receptionist'
		ORDER BY s.code`, from, to, now, month)
	if err != nil {
		return nil, fmt.Errorf("gather evaluation of %s: %w", month, err)
	}
	inputs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.EvalInput, error) {
		var in domain.EvalInput
		err := row.Scan(&in.Staff, &in.Name,
			&in.Ratings.Numerator, &in.Ratings.Denominator,
			&in.Feedback.Numerator, &in.Feedback.Denominator,
			&in.Callbacks.Numerator, &in.Callbacks.Denominator,
			&in.Exam.Numerator, &in.Exam.Denominator)
		return in, err
	})
	if err != nil {
		return nil, fmt.Errorf("gather evaluation of %s: %w", month, err)
	}
	return inputs, nil
}

// SaveEvaluation stores a month's evaluation with the settings it was
// scored with. A re-run for the same month replaces that month's rows in
// one transaction, so a reader sees the old month or the new, never a mix.
// Two runs at once (a supervisor's trigger while the schedule runs) take
// turns: the month's lock keeps the second from inserting beside rows the
// first has just written.
func (s *Store) SaveEvaluation(ctx context.Context, month string, set domain.EvalSettings, results []domain.EvalResult) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('staff_evaluations/' || $1, 0))`, month); err != nil {
			return fmt.Errorf("lock evaluation of %s: %w", month, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM staff_evaluations WHERE month = $1`, month); err != nil {
			return fmt.Errorf("replace evaluation of %s: %w", month, err)
		}
		batch := &pgx.Batch{}
		for _, r := range results {
			batch.Queue(`INSERT INTO staff_evaluations (month, staff, score, rank, flagged, components, weights, threshold)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, month, r.Staff, r.Score, r.Rank, r.Flagged, r.Components, set.Weights, set.Threshold)
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("store evaluation of %s: %w", month, err)
		}
		return nil
	})
}

// StoredEvaluation is a month's evaluation as stored, ordered by rank, then
// staff code, those without a score last.
type StoredEvaluation struct {
	Month       string
	Settings    domain.EvalSettings
	GeneratedAt time.Time
	Items       []domain.EvalResult
}

// StoredEvaluation reads a stored month; ErrNotFound when the month was
// never stored.
func (s *Store) StoredEvaluation(ctx context.Context, month string) (StoredEvaluation, error) {
	ev := StoredEvaluation{Month: month, Items: []domain.EvalResult{}}
	rows, err := s.pool.Query(ctx, `
		SELECT e.staff, s.name, e.score::float8, e.rank, e.flagged, e.components, e.weights, e.threshold::float8, e.generated_at
		FROM staff_evaluations e JOIN staff s ON s.code = e.staff
		WHERE e.month = $1
		ORDER BY e.rank NULLS LAST, e.staff`, month)
	if err != nil {
		return ev, fmt.Errorf("read evaluation of %s: %w", month, err)
	}
	for rows.Next() {
		var r domain.EvalResult
		var rank *int
		if err := rows.Scan(&r.Staff, &r.Name, &r.Score, &rank, &r.Flagged, &r.Components,
			&ev.Settings.Weights, &ev.Settings.Threshold, &ev.GeneratedAt); err != nil {
			rows.Close()
			return ev, fmt.Errorf("read evaluation of %s: %w", month, err)
		}
		r.Rank, r.NoData = rank, r.Score == nil
		ev.Items = append(ev.Items, r)
	}
	if err := rows.Err(); err != nil {
		return ev, fmt.Errorf("read evaluation of %s: %w", month, err)
	}
	if len(ev.Items) == 0 {
		return ev, fmt.Errorf("evaluation of %s: %w", month, ErrNotFound)
	}
	return ev, nil
}
