package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
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

// RenumberIntake gives the intake numbered old a new number of the same
// kind and day, because Temporal already holds a workflow under old (the
// database was restored behind Temporal's history). The new sequence is
// the next of the day's counter, but not below free, the first sequence
// the caller found unused in Temporal; the counter moves past it, so the
// numbers after it are free too. input encodes the workflow input for the
// new number. The intake and the visit it came from move together; the
// answer is the new number and its stored input.
func (s *Store) RenumberIntake(ctx context.Context, old string, free int64, input func(number string) ([]byte, error)) (string, []byte, error) {
	prefix, day, _, err := domain.SplitCaseNumber(old)
	if err != nil {
		return "", nil, err
	}
	date, err := time.Parse("20060102", day)
	if err != nil {
		return "", nil, fmt.Errorf("day of case number %s: %w", old, err)
	}
	var number string
	var raw []byte
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var seq int64
		if err := tx.QueryRow(ctx, `
			INSERT INTO case_counters (prefix, day, last) VALUES ($1, $2, $3)
			ON CONFLICT (prefix, day) DO UPDATE SET last = greatest(case_counters.last + 1, $3)
			RETURNING last`, prefix, date.Format(time.DateOnly), free).Scan(&seq); err != nil {
			return fmt.Errorf("allocate a new number for %s: %w", old, err)
		}
		number = domain.CaseNumber(prefix, date, seq)
		if raw, err = input(number); err != nil {
			return fmt.Errorf("encode workflow input: %w", err)
		}
		tag, err := tx.Exec(ctx, `UPDATE case_intakes SET number = $2, workflow_input = $3
			WHERE number = $1 AND NOT EXISTS (SELECT 1 FROM cases WHERE cases.number = $1)`, old, number, raw)
		if err != nil {
			return fmt.Errorf("renumber intake %s as %s: %w", old, number, err)
		}
		if tag.RowsAffected() != 1 {
			// Recorded under old after all (or gone): a new number would
			// orphan what was recorded.
			return fmt.Errorf("renumber intake %s: %w", old, ErrConflict)
		}
		if _, err := tx.Exec(ctx, `UPDATE visits SET case_number = $2 WHERE case_number = $1`, old, number); err != nil {
			return fmt.Errorf("move the visit of %s to %s: %w", old, number, err)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return number, raw, nil
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
	// intakeAt orders a search's results (ListCases).
	intakeAt time.Time
}

const caseSelect = `
	SELECT i.number, coalesce(c.status, 'recorded'), i.category, i.community, i.channel, i.priority,
		coalesce(c.department, ''), coalesce(c.assignee, ''), coalesce(c.escalation_level, 0),
		coalesce(c.sla_breached, false), coalesce(c.reopens, 0), coalesce(c.callback_attempts, 0),
		coalesce(c.recorded_at, i.created_at), c.routed_at, c.first_feedback_at, c.resolved_at, c.closed_at,
		c.dispatch_due, c.feedback_due, c.resolution_due, c.callback_due, coalesce(c.version, 0),
		u.code, u.building, i.resident_name, i.resident_phone, i.description, c.number IS NOT NULL, i.kind, i.call_ref,
		i.created_at
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
		&c.Unit, &c.Building, &c.Resident.Name, &c.Resident.Phone, &c.Description, &c.Recorded, &c.Kind, &c.CallRef, &c.intakeAt)
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

// StatusOpen, as CaseFilter.Status, lists the cases in every status that
// is not terminal: the work still to do, whatever its age.
const StatusOpen = "open"

// CaseFilter selects cases for the list; empty fields match everything.
type CaseFilter struct {
	Kind domain.Kind
	// From and To bound the recording time, [From, To); zero for open.
	From, To time.Time
	// Status is one status, or StatusOpen.
	Status     string
	Category   string
	Department string
	Community  string
	// Communities, when not nil, limits the list to these communities
	// (the caller's scope); empty matches nothing.
	Communities []string
	Breached    *bool
	// Query finds cases by the words of their description or the
	// resident's name, their number or its prefix, their unit's code, or
	// the resident's phone number (queryCondition).
	Query string
	// Phone is a resident's phone number, compared by its digits.
	Phone string
	// Building is a building's code (of the case's unit), best with
	// Community: codes repeat across communities.
	Building string
	// Late keeps the cases whose 24 h window has closed (at Now) without
	// the step the KPI counts (docs/DESIGN.md §8): LateDispatch, not routed
	// within 24 h of recording; LateFeedback, no first feedback within 24 h.
	// These are exactly the cases a 24 h rate's denominator holds and its
	// numerator does not, so a figure's drill-down lists what it misses.
	Late string
	// Now is the clock of Late; time.Now when zero.
	Now       time.Time
	PageSize  int
	PageToken string
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
	if q := strings.TrimSpace(f.Query); q != "" {
		return s.searchCases(ctx, f, q, cur)
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where := caseFilters(f, arg)
	if cur != nil {
		where = append(where, fmt.Sprintf("(c.recorded_at, c.number) < (%s, %s)", arg(cur.RecordedAt), arg(cur.Number)))
	}
	q := caseSelect + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY c.recorded_at DESC, c.number DESC LIMIT " + arg(f.PageSize+1)
	items, err := s.listCases(ctx, q, args)
	if err != nil {
		return nil, "", err
	}
	return page(items, f.PageSize, func(c Case) time.Time { return c.RecordedAt })
}

// caseFilters are the conditions of every field of f but the search.
func caseFilters(f CaseFilter, arg func(any) string) []string {
	where := []string{"c.number IS NOT NULL"}
	if f.Kind != "" {
		where = append(where, "c.kind = "+arg(f.Kind))
	}
	if !f.From.IsZero() {
		where = append(where, "c.recorded_at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "c.recorded_at < "+arg(f.To))
	}
	switch f.Status {
	case "":
	case StatusOpen:
		var terminal []string
		for _, st := range domain.AllStatuses {
			if st.Terminal() {
				terminal = append(terminal, string(st))
			}
		}
		where = append(where, "c.status <> ALL("+arg(terminal)+"::text[])")
	default:
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
	if f.Phone != "" {
		where = append(where, "phone_digits(i.resident_phone) = phone_digits("+arg(f.Phone)+")")
	}
	if f.Building != "" {
		// Through the case's unit, not a join: the search's queries have
		// no units in them.
		where = append(where, "EXISTS (SELECT 1 FROM units ub WHERE ub.id = c.unit_id AND ub.building = "+arg(f.Building)+")")
	}
	if col, ok := lateColumn(f.Late); ok {
		now := f.Now
		if now.IsZero() {
			now = time.Now()
		}
		// The negation of the KPI's own condition (store.KPICounts), NULL
		// (never done) included.
		where = append(where, "c.recorded_at + interval '24 hours' <= "+arg(now),
			"NOT coalesce(c."+col+" <= c.recorded_at + interval '24 hours', false)")
	}
	return where
}

// The lateness filters (CaseFilter.Late).
const (
	LateDispatch = "dispatch_24h"
	LateFeedback = "feedback_24h"
)

// lateColumn is the column a lateness filter reads; false for no filter.
func lateColumn(late string) (string, bool) {
	switch late {
	case LateDispatch:
		return "routed_at", true
	case LateFeedback:
		return "first_feedback_at", true
	}
	return "", false
}

// ValidLate reports whether late is a lateness filter (or none).
func ValidLate(late string) bool {
	_, ok := lateColumn(late)
	return ok || late == ""
}

// Searching words (docs/DESIGN.md §11.18). A word in many cases fills a
// page from the newest few thousand; a rarer one is found through the index
// of characters and pairs, over windows of days each sized by how often
// the word turned up in what was read before (nextWindow), so that what is
// read is about what is shown. Neither is left to the planner: it estimates a phrase's pairs as
// independent (天花板渗水 as four rare pairs, where they come together),
// and then reads every case that holds them.
//
// defaultNewestScanned is how many of the newest intakes a word is first
// looked for in, by reading them in order: a few milliseconds' work.
const defaultNewestScanned = 3000

// defaultWholeHistoryMatches is how many matches a word may be expected
// to have in the whole history for the index to be read without a window:
// reading that many cases costs less than the index's days of a window,
// which hold every case of those days.
const defaultWholeHistoryMatches = 500

// nextWindow returns the next window, in days back from the newest
// intake, that the index is searched in; 0 is the whole history. found
// matches were in the last span read (the newest intakes, or the last
// window, last days long, 0 for none yet), too few for a page of want; the
// history spans all. A word that cannot be expected to match more than
// wholeHistory cases in all is read in one go. Otherwise, when found gives
// a rate, it sizes the window at twice the days that should hold want;
// when it is too few to, the next of a week, a month, a year.
func nextWindow(found, want, wholeHistory int, spanned, all time.Duration, last int) int {
	const day = 24 * time.Hour
	days := func(t time.Duration) float64 { return float64(t) / float64(day) }
	spanned = max(spanned, time.Minute)
	// Read in one go only if even a generous count (three more than
	// found, about the most a rate that gave so few would give) stays
	// small: a word taken for rare that is not costs every match's row.
	if (float64(found)+3)/days(spanned)*days(all) <= float64(wholeHistory) {
		return 0
	}
	n := 0
	if found >= 5 {
		n = max(1, last+1, int(math.Ceil(2*float64(want)/(float64(found)/days(spanned)))))
	} else {
		// Too few to size a window by. A window sized by one or two found
		// read half a year's days for a word seen twice by chance.
		for _, step := range []int{7, 31, 366} {
			if step > last {
				n = step
				break
			}
		}
	}
	if n == 0 || time.Duration(n)*day >= all {
		return 0
	}
	return n
}

// searchCases answers a list with a search (queryArms). Its results are
// ordered by when their intake was stored, which the intakes' own indexes
// give, rather than by the read model's recording time (the two differ by
// the moment before the workflow records the case).
func (s *Store) searchCases(ctx context.Context, f CaseFilter, q string, cur *pageCursor) ([]Case, string, error) {
	var words []string
	if wordsSearch(q) {
		var err error
		if words, err = s.searchWords(ctx, f, q, cur); err != nil {
			return nil, "", err
		}
	}
	units, err := s.unitCandidates(ctx, f, q, cur)
	if err != nil {
		return nil, "", err
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where := s.searchFilters(f, cur, arg)
	limit := arg(f.PageSize + 1)
	sets := append([]string{"SELECT unnest(" + arg(words) + "::text[])"}, queryArms(q, f, where, limit, units, arg)...)
	sql := caseSelect + " WHERE i.number IN (" + strings.Join(sets, " UNION ") + ")" +
		" ORDER BY i.created_at DESC, i.number DESC LIMIT " + limit
	items, err := s.listCases(ctx, sql, args)
	if err != nil {
		return nil, "", err
	}
	return page(items, f.PageSize, func(c Case) time.Time { return c.intakeAt })
}

// unitCandidates returns the newest intakes, under the page's cursor, of
// the units whose code is q (in the caller's communities), enough of them
// to hold the page under every filter; nil when that cannot be known so,
// and the units' every case must be read with its case (queryArms).
//
// A unit's code is in every community that has it, a thousand units on a
// large estate; reading each one's cases with their case row to filter
// them took 100 ms on ten million, nearly all of it the case rows. The
// newest intakes alone come from the intakes' index; if the filters leave
// a page of them, that page is the newest of all, since every intake left
// out is older than every one read.
func (s *Store) unitCandidates(ctx context.Context, f CaseFilter, q string, cur *pageCursor) ([]string, error) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	limit := arg(s.unitCandidateFactor * (f.PageSize + 1))
	inner := []string{"i.unit_id = u.id", "i.kind = " + arg(f.Kind)}
	if cur != nil {
		inner = append(inner, fmt.Sprintf("(i.created_at, i.number) < (%s, %s)", arg(cur.RecordedAt), arg(cur.Number)))
	}
	sql := "SELECT x.number FROM units u CROSS JOIN LATERAL (SELECT i.number, i.created_at FROM case_intakes i WHERE " +
		strings.Join(inner, " AND ") + " ORDER BY i.created_at DESC, i.number DESC LIMIT " + limit + ") x" +
		" WHERE " + strings.Join(unitConditions(q, f, arg), " AND ") + " ORDER BY x.created_at DESC, x.number DESC LIMIT " + limit
	var numbers []string
	var kept int
	err := s.interactive(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
		if err == nil {
			numbers, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil || len(numbers) < s.unitCandidateFactor*(f.PageSize+1) {
			return err // every intake of the units is there
		}
		// Some are left out: the read ones must hold a page under the filters.
		args = args[:0]
		where := append(s.searchFilters(f, cur, arg), "i.number = ANY("+arg(numbers)+"::text[])")
		return tx.QueryRow(ctx, "SELECT count(*) FROM case_intakes i JOIN cases c ON c.number = i.number WHERE "+
			strings.Join(where, " AND "), append([]any{pgx.QueryExecModeExec}, args...)...).Scan(&kept)
	})
	if err != nil {
		return nil, fmt.Errorf("search units: %w", err)
	}
	complete := len(numbers) < s.unitCandidateFactor*(f.PageSize+1)
	if s.searchUnits != nil {
		s.searchUnits(complete, kept > f.PageSize)
	}
	if !complete && kept <= f.PageSize {
		return nil, nil
	}
	if numbers == nil {
		numbers = []string{}
	}
	return numbers, nil
}

// unitConditions pick the units whose code is q among the caller's
// communities.
func unitConditions(q string, f CaseFilter, arg func(any) string) []string {
	units := []string{"lower(u.code) = lower(" + arg(q) + ")"}
	if f.Communities != nil {
		units = append(units, "u.community = ANY("+arg(f.Communities)+"::text[])")
	}
	if f.Community != "" {
		units = append(units, "u.community = "+arg(f.Community))
	}
	return units
}

// searchFilters are the conditions of a search's every way of matching:
// the list's filters, the intake's kind (so that the intakes' index by
// kind and time serves) and the page's cursor.
func (s *Store) searchFilters(f CaseFilter, cur *pageCursor, arg func(any) string) []string {
	where := append(caseFilters(f, arg), "i.kind = "+arg(f.Kind))
	if cur != nil {
		where = append(where, fmt.Sprintf("(i.created_at, i.number) < (%s, %s)", arg(cur.RecordedAt), arg(cur.Number)))
	}
	return where
}

// searchWords returns the newest page-and-one cases, under f, whose
// description or resident's name holds q.
func (s *Store) searchWords(ctx context.Context, f CaseFilter, q string, cur *pageCursor) ([]string, error) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	// The newest intakes are read in order (the subquery's LIMIT makes the
	// database read no more, and the page's LIMIT stops it as soon as a
	// common word fills a page); what they spanned comes from the index
	// of intakes by time alone.
	kind := arg(f.Kind)
	inner := []string{"i.kind = " + kind}
	if cur != nil {
		inner = append(inner, fmt.Sprintf("(i.created_at, i.number) < (%s, %s)", arg(cur.RecordedAt), arg(cur.Number)))
	}
	newest := arg(s.newestScanned)
	p := arg("%" + likePattern(q) + "%")
	match := fmt.Sprintf("(i.description ILIKE %[1]s OR i.resident_name ILIKE %[1]s)", p)
	sql := "SELECT s.n, s.top, s.oldest, (SELECT min(created_at) FROM case_intakes WHERE kind = " + kind + ")," +
		" ARRAY(SELECT i.number FROM (SELECT i.number, i.created_at, i.kind, i.description, i.resident_name, i.resident_phone FROM case_intakes i WHERE " +
		strings.Join(inner, " AND ") + " ORDER BY i.created_at DESC, i.number DESC LIMIT " + newest + ") i JOIN cases c ON c.number = i.number WHERE " +
		strings.Join(append(caseFilters(f, arg), match), " AND ") +
		" ORDER BY i.created_at DESC, i.number DESC LIMIT " + arg(f.PageSize+1) + ")" +
		" FROM (SELECT count(*) AS n, max(created_at) AS top, min(created_at) AS oldest FROM (SELECT i.created_at FROM case_intakes i WHERE " +
		strings.Join(inner, " AND ") + " ORDER BY i.created_at DESC, i.number DESC LIMIT " + newest + ") n) s"
	var scanned int
	var top, oldest, first *time.Time
	var numbers []string
	err := s.interactive(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...).Scan(&scanned, &top, &oldest, &first, &numbers)
	})
	if err != nil {
		return nil, fmt.Errorf("search words in the newest: %w", err)
	}
	if len(numbers) > f.PageSize || scanned < s.newestScanned {
		return numbers, nil // a page, or all there is
	}
	// Each window is sized by what the last read found: the newest
	// intakes first, then each window, over more days than the last.
	found, spanned, days := len(numbers), top.Sub(*oldest), 0
	for {
		days = nextWindow(found, f.PageSize+1, s.wholeHistoryMatches, spanned, top.Sub(*first), days)
		args = args[:0]
		where := append(s.searchFilters(f, cur, arg),
			"search_grams(i.description || ' ' || i.resident_name) @> search_query_grams("+arg(q)+")")
		if days > 0 {
			// The day, for the index; the time, for the answer.
			since := top.Add(-time.Duration(days) * 24 * time.Hour)
			where = append(where, "intake_day(i.created_at) >= intake_day("+arg(since)+")", "i.created_at >= "+arg(since))
		}
		p := arg("%" + likePattern(q) + "%")
		where = append(where, fmt.Sprintf("(i.description ILIKE %[1]s OR i.resident_name ILIKE %[1]s)", p))
		sql := "SELECT i.number FROM case_intakes i JOIN cases c ON c.number = i.number WHERE " +
			strings.Join(where, " AND ") + " ORDER BY i.created_at DESC, i.number DESC LIMIT " + arg(f.PageSize+1)
		err := s.interactive(ctx, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
			if err == nil {
				numbers, err = pgx.CollectRows(rows, pgx.RowTo[string])
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("search words in %d days: %w", days, err)
		}
		if s.searchWindow != nil {
			s.searchWindow(q, days, len(numbers) > f.PageSize)
		}
		if len(numbers) > f.PageSize || days == 0 {
			return numbers, nil
		}
		found, spanned = len(numbers), time.Duration(days)*24*time.Hour
	}
}

func (s *Store) listCases(ctx context.Context, sql string, args []any) ([]Case, error) {
	// Planned with this request's values every time (an unnamed
	// statement): how selective a word is decides between walking the
	// newest cases and reading the word's index, and a cached generic plan
	// would make that choice once for every word.
	var items []Case
	err := s.interactive(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
		if err == nil {
			items, err = pgx.CollectRows(rows, scanCase)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	return items, nil
}

// interactive runs a query someone is waiting for without parallel
// workers: starting them costs tens of milliseconds on a busy machine, more
// than such a query takes (a list page, a search), and a plan the planner
// believes large enough for them is the wrong one here anyway.
func (s *Store) interactive(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL max_parallel_workers_per_gather = 0"); err != nil {
			return err
		}
		return fn(tx)
	})
}

// page cuts a page of size from items (one more was asked for, to know
// whether there is a next page) and makes the next page's cursor.
func page(items []Case, size int, at func(Case) time.Time) ([]Case, string, error) {
	if len(items) <= size {
		return items, "", nil
	}
	items = items[:size]
	last := items[size-1]
	raw, err := json.Marshal(pageCursor{RecordedAt: at(last), Number: last.Number})
	if err != nil {
		return nil, "", fmt.Errorf("page token: %w", err)
	}
	return items, base64.RawURLEncoding.EncodeToString(raw), nil
}

// likePattern escapes s for LIKE and ILIKE.
func likePattern(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// queryArms are the queries of a search of the case list, one for each
// way a case can match but words (searchWords), each giving the newest
// limit cases under where; each is answered by an index of migration 00032
// or 00036:
//   - the code of the unit, as written in the reference data: from units,
//     the newest of its intakes (unitCandidates), or when those may not
//     hold a page, each unit's newest cases read in order with their case
//     and merged;
//   - the case number, or its beginning (TS20261128 for a day's cases);
//   - a phone number, when q looks like one, by its digits.
func queryArms(q string, f CaseFilter, where []string, limit string, units []string, arg func(any) string) []string {
	newest := func(cond string) string {
		return "(SELECT i.number FROM case_intakes i JOIN cases c ON c.number = i.number WHERE " +
			strings.Join(append(where, cond), " AND ") + " ORDER BY i.created_at DESC, i.number DESC LIMIT " + limit + ")"
	}
	var arms []string
	if units != nil {
		arms = append(arms, newest("i.number = ANY("+arg(units)+"::text[])"))
	} else {
		arms = append(arms, "(SELECT x.number FROM units u CROSS JOIN LATERAL "+
			"(SELECT i.number, i.created_at FROM case_intakes i JOIN cases c ON c.number = i.number WHERE "+
			strings.Join(append(where, "i.unit_id = u.id"), " AND ")+" ORDER BY i.created_at DESC, i.number DESC LIMIT "+limit+") x"+
			" WHERE "+strings.Join(unitConditions(q, f, arg), " AND ")+" ORDER BY x.created_at DESC, x.number DESC LIMIT "+limit+")")
	}
	if numberRE.MatchString(q) {
		arms = append(arms, newest("i.number LIKE "+arg(likePattern(strings.ToUpper(q))+"%")))
	}
	if phoneQueryRE.MatchString(q) {
		arms = append(arms, newest("phone_digits(i.resident_phone) = phone_digits("+arg(q)+")"))
	}
	return arms
}

// wordsSearch reports whether q is looked for in the words of cases: not
// when it can only be a case number, a phone number or a unit's code
// (Latin letters, digits, dashes, with three digits or more), whose pairs
// of digits are in nearly every case and would make the search slow for
// nothing.
func wordsSearch(q string) bool {
	digits := 0
	for _, r := range q {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return digits < 3 || !codeLikeRE.MatchString(q)
}

var (
	codeLikeRE = regexp.MustCompile(`^[+]?[0-9A-Za-z -]+$`)
	// numberRE matches what can begin a case number (TS20261128-0007).
	numberRE = regexp.MustCompile(`^[A-Za-z]{2}[0-9]{0,8}(-[0-9]*)?$`)
	// phoneQueryRE matches a search that can only be a phone number: seven
	// digits or more, with the separators people type.
	phoneQueryRE = regexp.MustCompile(`^\+?[0-9][0-9 -]{5,30}[0-9]$`)
)
