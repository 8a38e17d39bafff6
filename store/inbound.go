package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concierge-pm/concierge/domain"
)

// InboundEmail is one message the email webhook accepted. Sender, subject
// and body are personal data and stay in PostgreSQL.
type InboundEmail struct {
	ID          int64     `json:"id"`
	DedupeKey   string    `json:"-"`
	MessageID   string    `json:"message_id"`
	Sender      string    `json:"sender"`
	SenderName  string    `json:"sender_name"`
	Subject     string    `json:"subject"`
	Body        string    `json:"body"`
	HouseholdID *int64    `json:"household_id"`
	ResidentID  *int64    `json:"-"`
	Status      string    `json:"status"`
	CaseKind    *string   `json:"case_kind"`
	CaseNumber  *string   `json:"case_number"`
	Note        string    `json:"note"`
	HandledBy   string    `json:"handled_by"`
	ReceivedAt  time.Time `json:"received_at"`
	// Community is the matched household's community; empty when the
	// sender matched nobody. It decides who sees the message (scopes).
	Community string `json:"-"`
}

const inboundColumns = `id, dedupe_key, message_id, sender, sender_name, subject, body, household_id, resident_id,
	status, case_kind, case_number, note, handled_by, received_at,
	coalesce((SELECT u.community FROM households h JOIN units u ON u.id = h.unit_id
		WHERE h.id = inbound_emails.household_id), '')`

func scanInbound(r pgx.CollectableRow) (InboundEmail, error) {
	var e InboundEmail
	return e, r.Scan(&e.ID, &e.DedupeKey, &e.MessageID, &e.Sender, &e.SenderName, &e.Subject, &e.Body,
		&e.HouseholdID, &e.ResidentID, &e.Status, &e.CaseKind, &e.CaseNumber, &e.Note, &e.HandledBy, &e.ReceivedAt, &e.Community)
}

func (s *Store) inbound(ctx context.Context, where string, arg any) (InboundEmail, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+inboundColumns+` FROM inbound_emails WHERE `+where, arg)
	if err != nil {
		return InboundEmail{}, fmt.Errorf("read inbound email: %w", err)
	}
	e, err := pgx.CollectExactlyOneRow(rows, scanInbound)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("inbound email: %w", ErrNotFound)
	}
	return e, err
}

// InboundByKey returns the message stored under a dedupe key, or ErrNotFound.
func (s *Store) InboundByKey(ctx context.Context, key string) (InboundEmail, error) {
	return s.inbound(ctx, "dedupe_key = $1", key)
}

// InboundByID returns one message or ErrNotFound.
func (s *Store) InboundByID(ctx context.Context, id int64) (InboundEmail, error) {
	return s.inbound(ctx, "id = $1", id)
}

// SaveInbound stores a message unless one with its dedupe key exists; it
// returns what is stored either way.
func (s *Store) SaveInbound(ctx context.Context, e InboundEmail) (InboundEmail, error) {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO inbound_emails (dedupe_key, message_id, sender, sender_name, subject, body, household_id,
			resident_id, status, case_kind, case_number)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (dedupe_key) DO NOTHING`,
		e.DedupeKey, e.MessageID, e.Sender, e.SenderName, e.Subject, e.Body, e.HouseholdID, e.ResidentID,
		e.Status, e.CaseKind, e.CaseNumber)
	if err != nil {
		return InboundEmail{}, fmt.Errorf("store inbound email: %w", err)
	}
	return s.InboundByKey(ctx, e.DedupeKey)
}

// ListInbound lists messages of one status, oldest first (the triage queue).
// communities, when not nil, keeps the messages matched to a household of
// these communities and those matched to none.
func (s *Store) ListInbound(ctx context.Context, status string, communities []string, limit int) ([]InboundEmail, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+inboundColumns+` FROM inbound_emails
		WHERE status = $1 AND ($3::text[] IS NULL OR household_id IS NULL OR EXISTS (
			SELECT 1 FROM households h JOIN units u ON u.id = h.unit_id
			WHERE h.id = inbound_emails.household_id AND u.community = ANY($3::text[])))
		ORDER BY received_at, id LIMIT $2`, status, limit, communities)
	if err != nil {
		return nil, fmt.Errorf("list inbound email: %w", err)
	}
	return pgx.CollectRows(rows, scanInbound)
}

// ResolveInbound marks a message waiting for triage as opened (with its
// case) or dismissed. ErrConflict if it is no longer waiting, unless it
// already holds the same outcome (a repeated request).
func (s *Store) ResolveInbound(ctx context.Context, id int64, kind *domain.Kind, number *string, note, by string) error {
	status := "dismissed"
	if number != nil {
		status = "opened"
	}
	tag, err := s.pool.Exec(ctx, `
		UPDATE inbound_emails SET status = $2, case_kind = $3, case_number = $4, note = $5, handled_by = $6
		WHERE id = $1 AND status = 'triage'`, id, status, kind, number, note, by)
	if err != nil {
		return fmt.Errorf("resolve inbound email: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	e, err := s.InboundByID(ctx, id)
	if err != nil {
		return err
	}
	if e.Status == status && (number == nil || (e.CaseNumber != nil && *e.CaseNumber == *number)) {
		return nil
	}
	return fmt.Errorf("email %d is already %s: %w", id, e.Status, ErrConflict)
}

// SenderMatch is the household an email sender was matched to.
type SenderMatch struct {
	HouseholdID  int64
	ResidentID   int64
	ResidentName string
	Phone        string
	Community    string
	Unit         string
}

// MatchSender finds the one resident an email came from: by the sender
// address, else by a phone number written in the message. More than one
// household for the address or the numbers is no match: a person decides.
func (s *Store) MatchSender(ctx context.Context, email string, phones []string) (SenderMatch, bool, error) {
	const q = `SELECT DISTINCT ON (h.id) h.id, r.id, r.name, r.phone, u.community, u.code
		FROM residents r JOIN households h ON h.id = r.household_id JOIN units u ON u.id = h.unit_id
		WHERE h.active AND %s ORDER BY h.id, r.id LIMIT 2`
	try := func(cond string, arg any) (SenderMatch, bool, error) {
		rows, err := s.pool.Query(ctx, fmt.Sprintf(q, cond), arg)
		if err != nil {
			return SenderMatch{}, false, fmt.Errorf("match sender: %w", err)
		}
		found, err := pgx.CollectRows(rows, pgx.RowToStructByPos[SenderMatch])
		if err != nil || len(found) != 1 {
			return SenderMatch{}, false, err
		}
		return found[0], true, nil
	}
	if email != "" {
		if m, ok, err := try("lower(r.email) = lower($1) AND r.email <> ''", email); ok || err != nil {
			return m, ok, err
		}
	}
	if len(phones) > 0 {
		return try("r.phone = ANY($1)", phones)
	}
	return SenderMatch{}, false, nil
}
