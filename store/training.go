package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concierge-pm/concierge/domain"
)

// CalendarDay is one listed day of the working-day calendar.
type CalendarDay struct {
	Day     string `json:"day"`
	Working bool   `json:"working"`
	Name    string `json:"name"`
}

// Calendar loads the working-day calendar of the given years.
func (s *Store) Calendar(ctx context.Context, years ...int) (domain.Calendar, error) {
	cal := domain.Calendar{Days: map[string]bool{}, Years: map[int]bool{}}
	for _, y := range years {
		days, err := s.CalendarYear(ctx, y)
		if err != nil {
			return cal, err
		}
		for _, d := range days {
			cal.Days[d.Day] = d.Working
			cal.Years[y] = true
		}
	}
	return cal, nil
}

// CalendarYear lists a year's holidays and exchanged working days.
func (s *Store) CalendarYear(ctx context.Context, year int) ([]CalendarDay, error) {
	return calendarYear(ctx, s.pool, year)
}

func calendarYear(ctx context.Context, q rowsQuerier, year int) ([]CalendarDay, error) {
	rows, err := q.Query(ctx, `SELECT to_char(day, 'YYYY-MM-DD'), working, name FROM calendar_days
		WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1) ORDER BY day`, year)
	if err != nil {
		return nil, fmt.Errorf("read the %d calendar: %w", year, err)
	}
	days, err := pgx.CollectRows(rows, pgx.RowToStructByPos[CalendarDay])
	if err != nil {
		return nil, fmt.Errorf("read the %d calendar: %w", year, err)
	}
	return days, nil
}

// SetCalendarYear replaces a year's listed days, and records the year's
// days before and after in the audit trail.
func (s *Store) SetCalendarYear(ctx context.Context, who Who, year int, days []CalendarDay) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		// The lock keeps two replacements of a year from interleaving, so
		// each audit row's "before" is what its change replaced.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('calendar_days'), $1)`, year); err != nil {
			return fmt.Errorf("lock the %d calendar: %w", year, err)
		}
		before, err := calendarYear(ctx, tx, year)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM calendar_days WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1)`, year); err != nil {
			return fmt.Errorf("clear the %d calendar: %w", year, err)
		}
		for _, d := range days {
			if _, err := tx.Exec(ctx, `INSERT INTO calendar_days (day, working, name) VALUES ($1::date, $2, $3)`, d.Day, d.Working, d.Name); err != nil {
				return fmt.Errorf("store calendar day %s: %w", d.Day, err)
			}
		}
		after, err := calendarYear(ctx, tx, year)
		if err != nil {
			return err
		}
		return WriteAudit(ctx, tx, who, AuditEntry{Action: "update", ObjectType: "calendar_year", ObjectKey: fmt.Sprint(year),
			Before: map[string]any{"days": before}, After: map[string]any{"days": after}})
	})
}

// Question is one question of the training question bank.
type Question struct {
	ID       int64    `json:"id"`
	Topic    string   `json:"topic"`
	Question string   `json:"question"`
	Choices  []Choice `json:"choices"`
	Answer   string   `json:"answer,omitempty"`
	Points   int      `json:"points"`
	Active   bool     `json:"active"`
}

// Choice is one answer offered by a question.
type Choice struct {
	Key  string `json:"key"`
	Text string `json:"text"`
}

// Questions lists the question bank, newest last; active ones only when asked.
func (s *Store) Questions(ctx context.Context, activeOnly bool) ([]Question, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, topic, question, choices, answer, points, active FROM training_questions
		WHERE active OR NOT $1 ORDER BY id`, activeOnly)
	if err != nil {
		return nil, fmt.Errorf("list questions: %w", err)
	}
	qs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Question])
	if err != nil {
		return nil, fmt.Errorf("list questions: %w", err)
	}
	return qs, nil
}

// CreateQuestion adds a question to the bank, recorded in the audit trail.
func (s *Store) CreateQuestion(ctx context.Context, who Who, q Question) (Question, error) {
	choices, err := json.Marshal(q.Choices)
	if err != nil {
		return q, fmt.Errorf("encode choices: %w", err)
	}
	q.Active = true
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO training_questions (topic, question, choices, answer, points)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, q.Topic, q.Question, choices, q.Answer, q.Points).Scan(&q.ID); err != nil {
			return fmt.Errorf("create question: %w", err)
		}
		return WriteAudit(ctx, tx, who, AuditEntry{Action: "create", ObjectType: "training_question",
			ObjectKey: fmt.Sprint(q.ID), After: q})
	})
	return q, err
}

// DeactivateQuestion keeps a question out of later exams; exams that used
// it still mark with it. A question deactivated before is left as it is,
// and the audit trail records only an actual change.
func (s *Store) DeactivateQuestion(ctx context.Context, who Who, id int64) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, topic, question, choices, answer, points, active FROM training_questions
			WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return fmt.Errorf("read question %d: %w", id, err)
		}
		before, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Question])
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("read question %d: %w", id, err)
		}
		if !before.Active {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE training_questions SET active = false WHERE id = $1`, id); err != nil {
			return fmt.Errorf("deactivate question %d: %w", id, err)
		}
		after := before
		after.Active = false
		return WriteAudit(ctx, tx, who, AuditEntry{Action: "deactivate", ObjectType: "training_question",
			ObjectKey: fmt.Sprint(id), Before: before, After: after})
	})
}

// CycleSpec is a training cycle as the workflow opens it.
type CycleSpec struct {
	ID           string
	WorkflowID   string
	RunID        string
	SessionOn    time.Time
	PassMark     int
	ExamOpens    time.Time
	ExamCloses   time.Time
	RetakeWindow time.Duration
	// Zone is the centre's time zone, in which notices give times.
	Zone string
}

// OpenTrainingCycle stores a quarter's cycle once: it enrols the active
// receptionists, fixes the exam's questions (the active bank) and queues the
// announcement to each. A repeat (a retried activity, a second run of the
// same quarter) changes nothing and returns the cycle as first stored, with
// its announcement keys only to the run that stored it.
func (s *Store) OpenTrainingCycle(ctx context.Context, spec CycleSpec) (domain.TrainingCycle, error) {
	var cycle domain.TrainingCycle
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		topics, err := json.Marshal(domain.TrainingTopics())
		if err != nil {
			return fmt.Errorf("encode topics: %w", err)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO training_cycles (id, workflow_id, run_id, session_on, topics, pass_mark, exam_opens, exam_closes, retake_seconds, enrolled)
			VALUES ($1, $2, $9, $3::date, $4, $5, $6, $7, $8, 0) ON CONFLICT (id) DO NOTHING`,
			spec.ID, spec.WorkflowID, spec.SessionOn.Format(time.DateOnly), topics, spec.PassMark, spec.ExamOpens, spec.ExamCloses,
			int64(spec.RetakeWindow/time.Second), spec.RunID)
		if err != nil {
			return fmt.Errorf("create training cycle %s: %w", spec.ID, err)
		}
		if tag.RowsAffected() == 1 {
			if err := openCycle(ctx, tx, spec.ID, spec.Zone); err != nil {
				return err
			}
		}
		cycle, err = trainingCycle(ctx, tx, spec.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 || (cycle.WorkflowID == spec.WorkflowID && cycle.RunID == spec.RunID) {
			for _, staff := range cycle.Staff {
				cycle.Notify = append(cycle.Notify, fmt.Sprintf("training/%s/open/%s", spec.ID, staff))
			}
		}
		return nil
	})
	return cycle, err
}

func openCycle(ctx context.Context, tx pgx.Tx, id, zone string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO training_enrolments (cycle_id, staff)
		SELECT $1, code FROM staff WHERE active AND role = 'receptionist'`, id); err != nil {
		return fmt.Errorf("enrol staff in %s: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO training_exam_questions (cycle_id, question_id, position)
		SELECT $1, id, row_number() OVER (ORDER BY topic, id) FROM training_questions WHERE active`, id); err != nil {
		return fmt.Errorf("set the exam of %s: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE training_cycles SET enrolled = (SELECT count(*) FROM training_enrolments WHERE cycle_id = $1)
		WHERE id = $1`, id); err != nil {
		return fmt.Errorf("count enrolments of %s: %w", id, err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO notifications (number, audience, recipient, template, params, idempotency_key)
		SELECT c.id, 'staff', e.staff, 'training_exam_open',
			jsonb_build_object('cycle', c.id, 'session', to_char(c.session_on, 'YYYY-MM-DD'),
				'closes', to_char(c.exam_closes AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI'), 'pass_mark', c.pass_mark::text),
			'training/' || c.id || '/open/' || e.staff
		FROM training_cycles c JOIN training_enrolments e ON e.cycle_id = c.id WHERE c.id = $1
		ON CONFLICT (idempotency_key) DO NOTHING`, id, zone)
	if err != nil {
		return fmt.Errorf("queue the announcement of %s: %w", id, err)
	}
	return nil
}

func trainingCycle(ctx context.Context, q pgx.Tx, id string) (domain.TrainingCycle, error) {
	c := domain.TrainingCycle{ID: id}
	var retake int64
	err := q.QueryRow(ctx, `SELECT workflow_id, run_id, pass_mark, exam_opens, exam_closes, retake_seconds,
			array(SELECT staff FROM training_enrolments WHERE cycle_id = $1 ORDER BY staff),
			array(SELECT question_id FROM training_exam_questions WHERE cycle_id = $1 ORDER BY position)
		FROM training_cycles WHERE id = $1`, id).Scan(&c.WorkflowID, &c.RunID, &c.PassMark, &c.ExamOpens, &c.ExamCloses, &retake, &c.Staff, &c.Questions)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("read training cycle %s: %w", id, err)
	}
	c.RetakeWindow = time.Duration(retake) * time.Second
	return c, nil
}

// ExamQuestions are a cycle's questions with their answers, for marking.
func (s *Store) ExamQuestions(ctx context.Context, cycle string) ([]domain.ExamQuestion, error) {
	rows, err := s.pool.Query(ctx, `SELECT q.id, q.answer, q.points FROM training_exam_questions e
		JOIN training_questions q ON q.id = e.question_id WHERE e.cycle_id = $1 ORDER BY e.position`, cycle)
	if err != nil {
		return nil, fmt.Errorf("read the exam of %s: %w", cycle, err)
	}
	qs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[domain.ExamQuestion])
	if err != nil {
		return nil, fmt.Errorf("read the exam of %s: %w", cycle, err)
	}
	return qs, nil
}

// RecordExamAttempt stores one sitting once; a failed first sitting gets its
// retake due date and a notice queued. A repeat of the same sitting (a
// retried activity) returns the sitting first stored.
func (s *Store) RecordExamAttempt(ctx context.Context, r domain.ExamResult, answers map[string]string, recordedBy string, at time.Time, zone string) (domain.ExamResult, error) {
	var stored domain.ExamResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var ans []byte
		if answers != nil {
			var err error
			if ans, err = json.Marshal(answers); err != nil {
				return fmt.Errorf("encode answers: %w", err)
			}
		}
		var due *time.Time
		if !r.RetakeDue.IsZero() {
			due = &r.RetakeDue
		}
		tag, err := tx.Exec(ctx, `INSERT INTO training_attempts (cycle_id, staff, attempt, score, passed, method, answers, recorded_by, recorded_at, retake_due)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (cycle_id, staff, attempt) DO NOTHING`,
			r.Cycle, r.Staff, r.Attempt, r.Score, r.Passed, r.Method, ans, recordedBy, at, due)
		if err != nil {
			return fmt.Errorf("record attempt %d of %s in %s: %w", r.Attempt, r.Staff, r.Cycle, err)
		}
		var storedDue *time.Time
		stored = domain.ExamResult{Cycle: r.Cycle, Staff: r.Staff, Attempt: r.Attempt}
		if err := tx.QueryRow(ctx, `SELECT a.score::float8, a.passed, a.method, a.retake_due, c.pass_mark FROM training_attempts a
			JOIN training_cycles c ON c.id = a.cycle_id WHERE a.cycle_id = $1 AND a.staff = $2 AND a.attempt = $3`,
			r.Cycle, r.Staff, r.Attempt).Scan(&stored.Score, &stored.Passed, &stored.Method, &storedDue, &stored.PassMark); err != nil {
			return fmt.Errorf("read attempt %d of %s in %s: %w", r.Attempt, r.Staff, r.Cycle, err)
		}
		if storedDue != nil {
			stored.RetakeDue = *storedDue
			key := fmt.Sprintf("training/%s/retake/%s", r.Cycle, r.Staff)
			if tag.RowsAffected() == 1 {
				if _, err := tx.Exec(ctx, `INSERT INTO notifications (number, audience, recipient, template, params, idempotency_key)
					VALUES ($1, 'staff', $2, 'training_retake', jsonb_build_object('cycle', $1::text, 'score', $3::text,
						'pass_mark', $4::text, 'due', to_char($5::timestamptz AT TIME ZONE $7, 'YYYY-MM-DD HH24:MI')), $6)
					ON CONFLICT (idempotency_key) DO NOTHING`,
					r.Cycle, r.Staff, fmt.Sprint(stored.Score), fmt.Sprint(stored.PassMark), stored.RetakeDue, key, zone); err != nil {
					return fmt.Errorf("queue the retake notice: %w", err)
				}
			}
			stored.Notify = []string{key}
		}
		return nil
	})
	return stored, err
}

// RemindTraining queues a reminder to everyone enrolled who has not sat the
// exam, and to everyone whose retake is still due, and returns the keys.
func (s *Store) RemindTraining(ctx context.Context, cycle string, now time.Time, zone string) ([]string, error) {
	var keys []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE training_cycles SET reminded_at = coalesce(reminded_at, now()) WHERE id = $1`, cycle); err != nil {
			return fmt.Errorf("mark the reminder of %s: %w", cycle, err)
		}
		rows, err := tx.Query(ctx, `
			INSERT INTO notifications (number, audience, recipient, template, params, idempotency_key)
			SELECT c.id, 'staff', e.staff, 'training_exam_reminder',
				jsonb_build_object('cycle', c.id, 'closes', to_char(coalesce(a.retake_due, c.exam_closes) AT TIME ZONE $3, 'YYYY-MM-DD HH24:MI')),
				'training/' || c.id || '/remind/' || e.staff
			FROM training_cycles c JOIN training_enrolments e ON e.cycle_id = c.id
			LEFT JOIN training_attempts a ON a.cycle_id = c.id AND a.staff = e.staff AND a.attempt = 1
			WHERE c.id = $1 AND (a.id IS NULL OR (NOT a.passed AND a.retake_due > $2
				AND NOT EXISTS (SELECT 1 FROM training_attempts b WHERE b.cycle_id = c.id AND b.staff = e.staff AND b.attempt = 2)))
			ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
			RETURNING idempotency_key`, cycle, now, zone)
		if err != nil {
			return fmt.Errorf("queue the reminders of %s: %w", cycle, err)
		}
		keys, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("queue the reminders of %s: %w", cycle, err)
		}
		return nil
	})
	return keys, err
}

// CloseTrainingCycle records the cycle's pass counts: first attempts passed
// and passed in the end, over everyone enrolled (an absence counts as not
// passed, so skipping the exam cannot raise the rate).
func (s *Store) CloseTrainingCycle(ctx context.Context, cycle string) (domain.TrainingOutcome, error) {
	o := domain.TrainingOutcome{Cycle: cycle}
	err := s.pool.QueryRow(ctx, `
		WITH counts AS (
			SELECT count(DISTINCT staff) AS sat,
				count(*) FILTER (WHERE attempt = 1 AND passed) AS first_passed,
				count(DISTINCT staff) FILTER (WHERE passed) AS final_passed
			FROM training_attempts WHERE cycle_id = $1)
		UPDATE training_cycles c SET closed_at = coalesce(c.closed_at, now()),
			first_passed = counts.first_passed, final_passed = counts.final_passed
		FROM counts WHERE c.id = $1
		RETURNING c.enrolled, counts.sat, counts.first_passed, counts.final_passed`, cycle).
		Scan(&o.Enrolled, &o.Sat, &o.FirstPassed, &o.FinalPassed)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, ErrNotFound
	}
	if err != nil {
		return o, fmt.Errorf("close training cycle %s: %w", cycle, err)
	}
	return o, nil
}

// CycleSummary is a training cycle as lists show it.
type CycleSummary struct {
	ID          string                 `json:"id"`
	WorkflowID  string                 `json:"-"`
	RunID       string                 `json:"-"`
	SessionOn   string                 `json:"session_on"`
	Topics      []domain.TrainingTopic `json:"topics"`
	PassMark    int                    `json:"pass_mark"`
	ExamOpens   time.Time              `json:"exam_opens"`
	ExamCloses  time.Time              `json:"exam_closes"`
	RemindedAt  *time.Time             `json:"reminded_at"`
	ClosedAt    *time.Time             `json:"closed_at"`
	Enrolled    int                    `json:"enrolled"`
	Sat         int                    `json:"sat"`
	FirstPassed int                    `json:"first_passed"`
	FinalPassed int                    `json:"final_passed"`
}

const cycleSummaryColumns = `c.id, c.workflow_id, c.run_id, to_char(c.session_on, 'YYYY-MM-DD'), c.topics, c.pass_mark, c.exam_opens, c.exam_closes,
	c.reminded_at, c.closed_at, c.enrolled,
	(SELECT count(DISTINCT staff) FROM training_attempts a WHERE a.cycle_id = c.id)::int,
	(SELECT count(*) FROM training_attempts a WHERE a.cycle_id = c.id AND a.attempt = 1 AND a.passed)::int,
	(SELECT count(DISTINCT staff) FROM training_attempts a WHERE a.cycle_id = c.id AND a.passed)::int`

// TrainingCycles lists the cycles, newest first.
func (s *Store) TrainingCycles(ctx context.Context) ([]CycleSummary, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+cycleSummaryColumns+` FROM training_cycles c ORDER BY c.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list training cycles: %w", err)
	}
	cs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[CycleSummary])
	if err != nil {
		return nil, fmt.Errorf("list training cycles: %w", err)
	}
	return cs, nil
}

// Sitter is one enrolled member of staff and their sittings.
type Sitter struct {
	Staff     string     `json:"staff"`
	Name      string     `json:"name"`
	Attempts  []Attempt  `json:"attempts"`
	RetakeDue *time.Time `json:"retake_due"`
}

// Attempt is one sitting as the cycle's page shows it.
type Attempt struct {
	Attempt    int       `json:"attempt"`
	Score      float64   `json:"score"`
	Passed     bool      `json:"passed"`
	Method     string    `json:"method"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

// CycleDetail is a cycle with its sitters and its exam (without answers).
type CycleDetail struct {
	CycleSummary
	Sitters   []Sitter   `json:"staff"`
	Questions []Question `json:"questions"`
}

// TrainingCycle reads one cycle in full.
func (s *Store) TrainingCycle(ctx context.Context, id string) (CycleDetail, error) {
	var d CycleDetail
	rows, err := s.pool.Query(ctx, `SELECT `+cycleSummaryColumns+` FROM training_cycles c WHERE c.id = $1`, id)
	if err != nil {
		return d, fmt.Errorf("read training cycle %s: %w", id, err)
	}
	d.CycleSummary, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[CycleSummary])
	if errors.Is(err, pgx.ErrNoRows) {
		return d, ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("read training cycle %s: %w", id, err)
	}
	rows, err = s.pool.Query(ctx, `SELECT e.staff, st.name,
			coalesce(jsonb_agg(jsonb_build_object('attempt', a.attempt, 'score', a.score::float8, 'passed', a.passed,
				'method', a.method, 'recorded_by', a.recorded_by, 'recorded_at', a.recorded_at) ORDER BY a.attempt)
				FILTER (WHERE a.id IS NOT NULL), '[]'),
			max(a.retake_due) FILTER (WHERE a.attempt = 1)
		FROM training_enrolments e JOIN staff st ON st.code = e.staff
		LEFT JOIN training_attempts a ON a.cycle_id = e.cycle_id AND a.staff = e.staff
		WHERE e.cycle_id = $1 GROUP BY e.staff, st.name ORDER BY e.staff`, id)
	if err != nil {
		return d, fmt.Errorf("read the sitters of %s: %w", id, err)
	}
	if d.Sitters, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Sitter]); err != nil {
		return d, fmt.Errorf("read the sitters of %s: %w", id, err)
	}
	rows, err = s.pool.Query(ctx, `SELECT q.id, q.topic, q.question, q.choices, '', q.points, q.active
		FROM training_exam_questions e JOIN training_questions q ON q.id = e.question_id
		WHERE e.cycle_id = $1 ORDER BY e.position`, id)
	if err != nil {
		return d, fmt.Errorf("read the exam of %s: %w", id, err)
	}
	if d.Questions, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Question]); err != nil {
		return d, fmt.Errorf("read the exam of %s: %w", id, err)
	}
	return d, nil
}

// TrainingCounts are the training KPI's counts.
type TrainingCounts struct {
	Cycles                             []string
	Enrolled, FirstPassed, FinalPassed int64
}

// TrainingCounts counts the pass figures of the cycles whose exam opened in
// [from, to), or, when none did, of the latest cycle before: the result that
// stands in the period.
func (s *Store) TrainingCounts(ctx context.Context, from, to time.Time) (TrainingCounts, error) {
	var k TrainingCounts
	err := s.pool.QueryRow(ctx, `
		WITH chosen AS (
			SELECT id FROM training_cycles WHERE exam_opens >= $1 AND exam_opens < $2
			UNION ALL
			(SELECT id FROM training_cycles WHERE exam_opens < $1
				AND NOT EXISTS (SELECT 1 FROM training_cycles WHERE exam_opens >= $1 AND exam_opens < $2)
				ORDER BY exam_opens DESC LIMIT 1))
		SELECT array(SELECT id FROM chosen ORDER BY id), count(e.staff),
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM training_attempts a WHERE a.cycle_id = e.cycle_id AND a.staff = e.staff AND a.attempt = 1 AND a.passed)),
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM training_attempts a WHERE a.cycle_id = e.cycle_id AND a.staff = e.staff AND a.passed))
		FROM chosen LEFT JOIN training_enrolments e ON e.cycle_id = chosen.id`, from, to).
		Scan(&k.Cycles, &k.Enrolled, &k.FirstPassed, &k.FinalPassed)
	if err != nil {
		return k, fmt.Errorf("count training results: %w", err)
	}
	return k, nil
}
