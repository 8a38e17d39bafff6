package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concierge-pm/concierge/domain"
)

// ErrIdempotencyMismatch means an Idempotency-Key was reused for a different
// request body.
var ErrIdempotencyMismatch = errors.New("idempotency key already used for a different request")

// Intake is what the front desk took down for a new case.
type Intake struct {
	Kind           domain.Kind
	IdempotencyKey string
	RequestHash    string
	Community      string
	UnitID         int64
	HouseholdID    *int64
	ResidentName   string
	ResidentPhone  string
	Channel        domain.Channel
	Category       string
	Description    string
	Priority       domain.Priority
	CallRef        string // the phone system's reference of a phone intake
	CreatedBy      string
	// VisitID links the case to the reception-log visit that raised it.
	VisitID *int64
	// WorkflowInput builds the workflow's start input once the case number
	// is known; it is stored with the intake.
	WorkflowInput func(number string) ([]byte, error)
}

// CreateIntake stores an intake under a new case number, or returns the
// number already stored under the same idempotency key (created false). It
// returns the workflow input stored with the intake, which a replay must use:
// the handbook may have changed since the first request.
// Two racing requests with one key serialise on the key's unique index; the
// loser's transaction rolls back, so it also gives back its case number and
// the day's numbering has no gaps.
func (s *Store) CreateIntake(ctx context.Context, in Intake, day time.Time) (number string, input []byte, created bool, err error) {
	prefix := in.Kind.Prefix()
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var seq int64
		if err := tx.QueryRow(ctx, `
			INSERT INTO case_counters (prefix, day, last) VALUES ($1, $2, 1)
			ON CONFLICT (prefix, day) DO UPDATE SET last = case_counters.last + 1
			RETURNING last`, prefix, day.Format(time.DateOnly)).Scan(&seq); err != nil {
			return fmt.Errorf("allocate case number: %w", err)
		}
		number = domain.CaseNumber(prefix, day, seq)
		var residentID *int64
		if in.HouseholdID != nil && in.ResidentPhone != "" {
			err := tx.QueryRow(ctx, `SELECT id FROM residents WHERE household_id = $1 AND phone = $2 ORDER BY id LIMIT 1`,
				*in.HouseholdID, in.ResidentPhone).Scan(&residentID)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("match resident: %w", err)
			}
		}
		input, err = in.WorkflowInput(number)
		if err != nil {
			return fmt.Errorf("encode workflow input: %w", err)
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO case_intakes (number, kind, idempotency_key, request_hash, community, unit_id, household_id,
				resident_id, resident_name, resident_phone, channel, category, description, priority, call_ref, created_by, workflow_input)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
			ON CONFLICT (idempotency_key) DO NOTHING`,
			number, in.Kind, in.IdempotencyKey, in.RequestHash, in.Community, in.UnitID, in.HouseholdID, residentID,
			in.ResidentName, in.ResidentPhone, in.Channel, in.Category, in.Description, in.Priority, in.CallRef, in.CreatedBy, input)
		if err != nil {
			return fmt.Errorf("store intake: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return errReplay
		}
		created = true
		if in.VisitID != nil {
			return linkVisit(ctx, tx, *in.VisitID, string(in.Kind), number)
		}
		return nil
	})
	if errors.Is(err, errReplay) {
		var hash string
		err = s.pool.QueryRow(ctx, `SELECT number, request_hash, workflow_input FROM case_intakes WHERE idempotency_key = $1`,
			in.IdempotencyKey).Scan(&number, &hash, &input)
		if err != nil {
			return "", nil, false, fmt.Errorf("look up replayed intake: %w", err)
		}
		if hash != in.RequestHash {
			return "", nil, false, ErrIdempotencyMismatch
		}
		return number, input, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	return number, input, created, nil
}

// UnstartedIntake is the stored start of a case whose workflow never
// recorded it.
type UnstartedIntake struct {
	Kind  domain.Kind
	Input []byte
}

// UnstartedIntakes returns the stored workflow inputs of intakes older than
// the given age whose workflow never recorded the case: the API stopped
// between storing the intake and starting the workflow.
func (s *Store) UnstartedIntakes(ctx context.Context, olderThan time.Duration, limit int) ([]UnstartedIntake, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT i.kind, i.workflow_input FROM case_intakes i
		WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.number = i.number)
			AND i.created_at < now() - make_interval(secs => $1)
		ORDER BY i.created_at LIMIT $2`, olderThan.Seconds(), limit)
	if err != nil {
		return nil, fmt.Errorf("find unstarted intakes: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[UnstartedIntake])
}

// linkVisit records that a visit raised a case. A visit raises at most one
// case: linking it twice is ErrConflict and rolls the new case back.
func linkVisit(ctx context.Context, tx pgx.Tx, visit int64, kind, number string) error {
	var linked *string
	err := tx.QueryRow(ctx, `SELECT case_number FROM visits WHERE id = $1 FOR UPDATE`, visit).Scan(&linked)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("visit %d: %w", visit, ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("read visit: %w", err)
	}
	if linked != nil {
		return fmt.Errorf("visit %d already raised case %s: %w", visit, *linked, ErrConflict)
	}
	if _, err := tx.Exec(ctx, `UPDATE visits SET case_kind = $2, case_number = $3 WHERE id = $1`, visit, kind, number); err != nil {
		return fmt.Errorf("link visit: %w", err)
	}
	return nil
}

// errReplay rolls back an intake transaction whose key was already used.
var errReplay = errors.New("replay")

// RecordCaseEvents writes timeline events, each with the snapshot after it,
// its notifications and rating, in one transaction. Every row carries a key
// made of the case number and the event's sequence, so a retried activity
// writes nothing twice; the snapshot only moves forward in version, so
// records that arrive out of order never roll the read model back.
func (s *Store) RecordCaseEvents(ctx context.Context, recs []domain.CaseRecord) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		for _, rec := range recs {
			if err := recordCaseEvent(ctx, tx, rec); err != nil {
				return err
			}
		}
		return nil
	})
}

func recordCaseEvent(ctx context.Context, tx pgx.Tx, rec domain.CaseRecord) error {
	sn, ev := rec.Snapshot, rec.Event
	key := fmt.Sprintf("%s/%d", sn.Number, ev.Seq)
	d := sn.Deadlines
	tag, err := tx.Exec(ctx, `
		INSERT INTO cases (number, kind, unit_id, status, category, community, channel, priority, department, assignee,
			escalation_level, sla_breached, reopens, callback_attempts, recorded_at, routed_at, first_feedback_at,
			resolved_at, closed_at, dispatch_due, feedback_due, resolution_due, callback_due, version, updated_at)
		SELECT $1, i.kind, i.unit_id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, now()
		FROM case_intakes i WHERE i.number = $1
		ON CONFLICT (number) DO UPDATE SET status = EXCLUDED.status, department = EXCLUDED.department,
			assignee = EXCLUDED.assignee, escalation_level = EXCLUDED.escalation_level,
			sla_breached = EXCLUDED.sla_breached, reopens = EXCLUDED.reopens,
			callback_attempts = EXCLUDED.callback_attempts, routed_at = EXCLUDED.routed_at,
			first_feedback_at = EXCLUDED.first_feedback_at, resolved_at = EXCLUDED.resolved_at,
			closed_at = EXCLUDED.closed_at, dispatch_due = EXCLUDED.dispatch_due,
			feedback_due = EXCLUDED.feedback_due, resolution_due = EXCLUDED.resolution_due,
			callback_due = EXCLUDED.callback_due, version = EXCLUDED.version, updated_at = now()
		WHERE cases.version < EXCLUDED.version`,
		sn.Number, sn.Status, sn.Category, sn.Community, sn.Channel, sn.Priority, sn.Department, sn.Assignee,
		sn.EscalationLevel, sn.SLABreached, sn.Reopens, sn.CallbackAttempts, sn.RecordedAt, sn.RoutedAt,
		sn.FirstFeedbackAt, sn.ResolvedAt, sn.ClosedAt, d.Dispatch, d.FirstFeedback, d.Resolution, d.Callback, sn.Version)
	if err != nil {
		return fmt.Errorf("write snapshot of %s: %w", sn.Number, err)
	}
	if tag.RowsAffected() == 0 {
		var known bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM case_intakes WHERE number = $1)`, sn.Number).Scan(&known); err != nil {
			return fmt.Errorf("look up intake %s: %w", sn.Number, err)
		}
		if !known {
			return fmt.Errorf("case %s: intake %w", sn.Number, ErrNotFound)
		}
	}
	var comment string
	if r := rec.Rating; r != nil {
		comment = r.Comment
		if r.CommentID != 0 {
			// The workflow carried a reference to the resident's words;
			// the read model has the words, as it had when they travelled.
			if comment, err = caseText(ctx, tx, sn.Number, r.CommentID); err != nil {
				return fmt.Errorf("rating %s: %w", key, err)
			}
			if ev.Kind == domain.EventCallback {
				// A callback's timeline message ends with its comment.
				ev.Message += comment
			}
		}
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO case_events (number, seq, at, kind, actor, message, idempotency_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING`,
		sn.Number, ev.Seq, ev.At, ev.Kind, ev.Actor, ev.Message, key); err != nil {
		return fmt.Errorf("write event %s: %w", key, err)
	}
	for i, n := range rec.Notifications {
		params, err := json.Marshal(n.Params)
		if err != nil {
			return fmt.Errorf("encode notification params: %w", err)
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO notifications (number, audience, recipient, template, params, idempotency_key)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING`,
			sn.Number, n.Audience, n.Recipient, n.Template, params, domain.NotificationKey(sn.Number, ev.Seq, i)); err != nil {
			return fmt.Errorf("queue notification %s/%d: %w", key, i, err)
		}
	}
	if r := rec.Rating; r != nil {
		// A repair's completion carries the on-site rating (现场评价); every
		// other rating is given on a callback.
		if _, err := tx.Exec(ctx, `
			INSERT INTO ratings (source, number, household_id, score, comment, rated_by, rated_at, idempotency_key, community)
			SELECT CASE WHEN $7 = 'completed' THEN 'repair_onsite' ELSE kind || '_callback' END,
				$1, household_id, $2, $3, $4, $5, $6, community
			FROM case_intakes WHERE number = $1
			ON CONFLICT (idempotency_key) DO NOTHING`,
			sn.Number, r.Score, comment, ev.Actor, ev.At, key, ev.Kind); err != nil {
			return fmt.Errorf("write rating %s: %w", key, err)
		}
	}
	return nil
}

// Resident is the person who raised the case, as taken down at intake.
type Resident struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Case is one complaint or repair as the read model holds it.
type Case struct {
	domain.CaseSnapshot
	Kind        domain.Kind `json:"kind"`
	CallRef     string      `json:"call_ref"`
	Unit        string      `json:"unit"`
	Building    string      `json:"building"`
	Resident    Resident    `json:"resident"`
	Description string      `json:"description"`
	// Recorded is false while the intake exists but the workflow has not
	// written the case yet.
	Recorded bool `json:"-"`
}

const caseSelect = `
	SELECT i.number, coalesce(c.status, 'recorded'), i.category, i.community, i.channel, i.priority,
		coalesce(c.department, ''), coalesce(c.assignee, ''), coalesce(c.escalation_level, 0),
		coalesce(c.sla_breached, false), coalesce(c.reopens, 0), coalesce(c.callback_attempts, 0),
		coalesce(c.recorded_at, i.created_at), c.routed_at, c.first_feedback_at, c.resolved_at, c.closed_at,
		c.dispatch_due, c.feedback_due, c.resolution_due, c.callback_due, coalesce(c.version, 0),
		u.code, u.building, i.resident_name, i.resident_phone, i.description, c.number IS NOT NULL, i.kind, i.call_ref
	FROM case_intakes i
	JOIN units u ON u.id = i.unit_id
	LEFT JOIN cases c ON c.number = i.number`

func scanCase(r pgx.CollectableRow) (Case, error) {
	var c Case
	d := &c.Deadlines
	err := r.Scan(&c.Number, &c.Status, &c.Category, &c.Community, &c.Channel, &c.Priority,
		&c.Department, &c.Assignee, &c.EscalationLevel, &c.SLABreached, &c.Reopens, &c.CallbackAttempts,
		&c.RecordedAt, &c.RoutedAt, &c.FirstFeedbackAt, &c.ResolvedAt, &c.ClosedAt,
		&d.Dispatch, &d.FirstFeedback, &d.Resolution, &d.Callback, &c.Version,
		&c.Unit, &c.Building, &c.Resident.Name, &c.Resident.Phone, &c.Description, &c.Recorded, &c.Kind, &c.CallRef)
	return c, err
}

// CaseByNumber returns one case or ErrNotFound.
func (s *Store) CaseByNumber(ctx context.Context, number string) (Case, error) {
	rows, err := s.pool.Query(ctx, caseSelect+` WHERE i.number = $1`, number)
	if err != nil {
		return Case{}, fmt.Errorf("look up case: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCase)
	if errors.Is(err, pgx.ErrNoRows) {
		return Case{}, fmt.Errorf("case %s: %w", number, ErrNotFound)
	}
	return c, err
}

// Timeline returns a case's events in order.
func (s *Store) Timeline(ctx context.Context, number string) ([]domain.TimelineEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, at, kind, actor, message FROM case_events
		WHERE number = $1 ORDER BY seq`, number)
	if err != nil {
		return nil, fmt.Errorf("load timeline: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[domain.TimelineEvent])
}

// CaseFilter selects cases for the list; empty fields match everything.
type CaseFilter struct {
	Kind domain.Kind
	// From and To bound the recording time, [From, To); zero for open.
	From, To   time.Time
	Status     string
	Category   string
	Department string
	Community  string
	// Communities, when not nil, limits the list to these communities
	// (the caller's scope); empty matches nothing.
	Communities []string
	Breached    *bool
	Query       string
	PageSize    int
	PageToken   string
}

// ErrBadPageToken is returned for a page token this server did not issue.
var ErrBadPageToken = errors.New("invalid page_token")

type pageCursor struct {
	RecordedAt time.Time `json:"t"`
	Number     string    `json:"n"`
}

// ListCases pages through cases newest first with a keyset cursor, so a
// page costs the same however deep the client reads.
func (s *Store) ListCases(ctx context.Context, f CaseFilter) ([]Case, string, error) {
	var cur *pageCursor
	if f.PageToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(f.PageToken)
		if err != nil {
			return nil, "", ErrBadPageToken
		}
		cur = &pageCursor{}
		if err := json.Unmarshal(raw, cur); err != nil || cur.Number == "" {
			return nil, "", ErrBadPageToken
		}
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where = append(where, "c.number IS NOT NULL")
	if f.Kind != "" {
		where = append(where, "c.kind = "+arg(f.Kind))
	}
	if !f.From.IsZero() {
		where = append(where, "c.recorded_at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "c.recorded_at < "+arg(f.To))
	}
	if f.Status != "" {
		where = append(where, "c.status = "+arg(f.Status))
	}
	if f.Category != "" {
		where = append(where, "c.category = "+arg(f.Category))
	}
	if f.Department != "" {
		where = append(where, "c.department = "+arg(f.Department))
	}
	if f.Community != "" {
		where = append(where, "c.community = "+arg(f.Community))
	}
	if f.Communities != nil {
		where = append(where, "c.community = ANY("+arg(f.Communities)+"::text[])")
	}
	if f.Breached != nil {
		where = append(where, "c.sla_breached = "+arg(*f.Breached))
	}
	if f.Query != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Query) + "%"
		p := arg(like)
		where = append(where, fmt.Sprintf("(i.number ILIKE %s OR i.description ILIKE %s OR u.code ILIKE %s)", p, p, p))
	}
	if cur != nil {
		where = append(where, fmt.Sprintf("(c.recorded_at, c.number) < (%s, %s)", arg(cur.RecordedAt), arg(cur.Number)))
	}
	size := f.PageSize
	q := caseSelect + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY c.recorded_at DESC, c.number DESC LIMIT " + arg(size+1)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list cases: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanCase)
	if err != nil {
		return nil, "", fmt.Errorf("list cases: %w", err)
	}
	next := ""
	if len(items) > size {
		items = items[:size]
		last := items[size-1]
		raw, _ := json.Marshal(pageCursor{RecordedAt: last.RecordedAt, Number: last.Number})
		next = base64.RawURLEncoding.EncodeToString(raw)
	}
	return items, next, nil
}
