package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Who is the person and place a change comes from, as the audit trail
// records it: the acting member of staff (or service), the client's IP
// address and its user agent. The API builds it in one place (api's who),
// so that the identity behind it can change without touching the store.
type Who struct {
	Actor     string
	IP        string
	UserAgent string
}

// maxUserAgent bounds the stored user agent: it is the client's to choose.
const maxUserAgent = 256

// Outcomes of an audited act. A change inside PostgreSQL is recorded only
// when it commits, so its outcome is always OutcomeOK; an act outside it
// (a schedule paused in Temporal) is recorded as OutcomeRequested before
// it is attempted and again with OutcomeOK or OutcomeFailed after, so a
// crash in between leaves the request in the trail.
const (
	OutcomeOK        = "ok"
	OutcomeFailed    = "failed"
	OutcomeRequested = "requested"
)

// AuditEntry is what was done to which object. Before and After are the
// object's record as JSON (nil: there was none, or it is not recorded, as
// for a read). They never hold a resident's personal data.
type AuditEntry struct {
	Action     string
	ObjectType string
	ObjectKey  string
	Outcome    string // OutcomeOK when empty
	Before     any
	After      any
}

// AuditRecord is one row of the audit trail.
type AuditRecord struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"`
	ClientIP   string          `json:"client_ip"`
	UserAgent  string          `json:"user_agent"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectKey  string          `json:"object_key"`
	Outcome    string          `json:"outcome"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
}

// WriteAudit appends an entry to the audit trail inside tx, the transaction
// that makes the change: the row commits with the change or not at all.
// Store functions that change audited data call it; so can code elsewhere
// in the store that changes accounts or tokens.
func WriteAudit(ctx context.Context, tx pgx.Tx, who Who, e AuditEntry) error {
	if who.Actor == "" {
		return fmt.Errorf("audit %s %s: no actor", e.Action, e.ObjectType)
	}
	outcome := e.Outcome
	if outcome == "" {
		outcome = OutcomeOK
	}
	before, err := auditJSON(e.Before)
	if err != nil {
		return fmt.Errorf("audit %s %s: before: %w", e.Action, e.ObjectType, err)
	}
	after, err := auditJSON(e.After)
	if err != nil {
		return fmt.Errorf("audit %s %s: after: %w", e.Action, e.ObjectType, err)
	}
	ua := who.UserAgent
	if len(ua) > maxUserAgent {
		ua = strings.ToValidUTF8(ua[:maxUserAgent], "")
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO audit_log (actor, client_ip, user_agent, action, object_type, object_key, outcome, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		who.Actor, who.IP, ua, e.Action, e.ObjectType, e.ObjectKey, outcome, before, after); err != nil {
		return fmt.Errorf("write audit row %s %s: %w", e.Action, e.ObjectType, err)
	}
	return nil
}

// auditJSON encodes v for a jsonb column; nil stays SQL NULL.
func auditJSON(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		if len(raw) == 0 {
			return nil, nil
		}
		return raw, nil
	}
	return json.Marshal(v)
}

// RecordAudit appends an entry on its own, for what is not a change in
// PostgreSQL: a change made elsewhere (Temporal schedules), with its
// outcome, or an act that must be accounted for (an export, a phone number
// revealed). A caller that must not act unaudited writes the entry first
// and acts only if that worked.
func (s *Store) RecordAudit(ctx context.Context, who Who, e AuditEntry) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return WriteAudit(ctx, tx, who, e) })
}

// AuditFilter selects audit rows; empty fields match everything.
type AuditFilter struct {
	Actor      string
	Action     string
	ObjectType string
	ObjectKey  string
	// From and To bound the time, [From, To); zero for open.
	From, To time.Time
	// Before is the keyset cursor: only rows with a smaller id (0: none).
	Before int64
	Limit  int
}

// AuditLog lists audit rows newest first. It returns one page and the id to
// pass as Before for the next (0 when this page is the last).
func (s *Store) AuditLog(ctx context.Context, f AuditFilter) ([]AuditRecord, int64, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where = append(where, "true")
	for _, c := range []struct{ col, v string }{
		{"actor", f.Actor}, {"action", f.Action}, {"object_type", f.ObjectType}, {"object_key", f.ObjectKey},
	} {
		if c.v != "" {
			where = append(where, c.col+" = "+arg(c.v))
		}
	}
	if !f.From.IsZero() {
		where = append(where, "at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "at < "+arg(f.To))
	}
	if f.Before > 0 {
		where = append(where, "id < "+arg(f.Before))
	}
	q := `SELECT id, at, actor, client_ip, user_agent, action, object_type, object_key, outcome, before, after
		FROM audit_log WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id DESC LIMIT ` + arg(f.Limit+1)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit log: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditRecord, error) {
		var a AuditRecord
		var before, after []byte
		err := r.Scan(&a.ID, &a.At, &a.Actor, &a.ClientIP, &a.UserAgent, &a.Action, &a.ObjectType, &a.ObjectKey,
			&a.Outcome, &before, &after)
		a.Before, a.After = nullJSON(before), nullJSON(after)
		return a, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list audit log: %w", err)
	}
	var next int64
	if len(items) > f.Limit {
		items = items[:f.Limit]
		next = items[f.Limit-1].ID
	}
	return items, next, nil
}

// nullJSON keeps SQL NULL as JSON null in the answer.
func nullJSON(b []byte) json.RawMessage {
	if b == nil {
		return json.RawMessage("null")
	}
	return b
}
