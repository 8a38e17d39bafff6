package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Visit is one line of the reception log (接待登记). Name and phone are
// personal data and live only here, never in Temporal.
type Visit struct {
	ID           int64      `json:"id"`
	Community    string     `json:"community"`
	Unit         string     `json:"unit,omitempty"`
	HouseholdID  *int64     `json:"household_id,omitempty"`
	VisitorName  string     `json:"visitor_name"`
	VisitorPhone string     `json:"visitor_phone"`
	Purpose      string     `json:"purpose"`
	Channel      string     `json:"channel"`
	CallRef      string     `json:"call_ref"`
	Receptionist string     `json:"receptionist"`
	Notes        string     `json:"notes"`
	CaseKind     *string    `json:"case_kind"`
	CaseNumber   *string    `json:"case_number"`
	ArrivedAt    time.Time  `json:"arrived_at"`
	ExitedAt     *time.Time `json:"exited_at"`
	ExitScore    *int       `json:"exit_score"`
	ExitComment  string     `json:"exit_comment"`
}

// NewVisit is what the receptionist records on arrival.
type NewVisit struct {
	IdempotencyKey string // optional
	Community      string
	Unit           string // optional; VisitorName is required without it
	VisitorName    string
	VisitorPhone   string
	Purpose        string
	Channel        string
	CallRef        string
	Receptionist   string
	Notes          string
}

const visitSelect = `SELECT v.id, v.community, coalesce(u.code, ''), v.household_id, v.visitor_name, v.visitor_phone,
	v.purpose, v.channel, v.call_ref, v.receptionist, v.notes, v.case_kind, v.case_number, v.arrived_at,
	v.exited_at, v.exit_score, v.exit_comment
	FROM visits v LEFT JOIN units u ON u.id = v.unit_id`

func scanVisit(r pgx.CollectableRow) (Visit, error) {
	var v Visit
	return v, r.Scan(&v.ID, &v.Community, &v.Unit, &v.HouseholdID, &v.VisitorName, &v.VisitorPhone, &v.Purpose,
		&v.Channel, &v.CallRef, &v.Receptionist, &v.Notes, &v.CaseKind, &v.CaseNumber, &v.ArrivedAt,
		&v.ExitedAt, &v.ExitScore, &v.ExitComment)
}

// CreateVisit records a visit. A unit links it to the unit's active
// household; ErrNotFound for an unknown community or unit. With an
// idempotency key, a repeated request returns the visit already stored
// (created false).
func (s *Store) CreateVisit(ctx context.Context, nv NewVisit) (v Visit, created bool, err error) {
	var id int64
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if err := s.communityExists(ctx, tx, nv.Community); err != nil {
			return err
		}
		var unitID, householdID *int64
		if nv.Unit != "" {
			err := tx.QueryRow(ctx, `SELECT u.id,
					(SELECT h.id FROM households h WHERE h.unit_id = u.id AND h.active ORDER BY h.id LIMIT 1)
				FROM units u WHERE u.community = $1 AND u.code = $2`, nv.Community, nv.Unit).Scan(&unitID, &householdID)
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("unit %q in community %q: %w", nv.Unit, nv.Community, ErrNotFound)
			} else if err != nil {
				return fmt.Errorf("look up unit: %w", err)
			}
		}
		var key *string
		if nv.IdempotencyKey != "" {
			key = &nv.IdempotencyKey
		}
		err := tx.QueryRow(ctx, `
			INSERT INTO visits (idempotency_key, community, unit_id, household_id, visitor_name, visitor_phone,
				purpose, channel, call_ref, receptionist, notes)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
			key, nv.Community, unitID, householdID, nv.VisitorName, nv.VisitorPhone, nv.Purpose, nv.Channel,
			nv.CallRef, nv.Receptionist, nv.Notes).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return tx.QueryRow(ctx, `SELECT id FROM visits WHERE idempotency_key = $1`, key).Scan(&id)
		} else if err != nil {
			return fmt.Errorf("store visit: %w", err)
		}
		created = true
		return nil
	})
	if err != nil {
		return Visit{}, false, err
	}
	v, err = s.VisitByID(ctx, id)
	return v, created, err
}

// VisitByID returns one visit or ErrNotFound.
func (s *Store) VisitByID(ctx context.Context, id int64) (Visit, error) {
	rows, err := s.pool.Query(ctx, visitSelect+` WHERE v.id = $1`, id)
	if err != nil {
		return Visit{}, fmt.Errorf("read visit: %w", err)
	}
	v, err := pgx.CollectExactlyOneRow(rows, scanVisit)
	if errors.Is(err, pgx.ErrNoRows) {
		return Visit{}, fmt.Errorf("visit %d: %w", id, ErrNotFound)
	}
	return v, err
}

// ExitVisit records the visitor's exit rating and counts it as a
// satisfaction rating, in one transaction. Repeating the same rating is
// accepted (replayed false); a different one is ErrConflict, because a rating
// once given is part of the KPI and is not overwritten.
func (s *Store) ExitVisit(ctx context.Context, id int64, score int, comment string, at time.Time) (v Visit, recorded bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var prevScore *int
		var prevComment, receptionist, community string
		var householdID *int64
		err := tx.QueryRow(ctx, `SELECT exit_score, exit_comment, receptionist, household_id, community FROM visits WHERE id = $1 FOR UPDATE`, id).
			Scan(&prevScore, &prevComment, &receptionist, &householdID, &community)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("visit %d: %w", id, ErrNotFound)
		} else if err != nil {
			return fmt.Errorf("read visit: %w", err)
		}
		if prevScore != nil {
			if *prevScore == score && prevComment == comment {
				return nil
			}
			return fmt.Errorf("visit %d already has exit rating %d: %w", id, *prevScore, ErrConflict)
		}
		if _, err := tx.Exec(ctx, `UPDATE visits SET exited_at = $2, exit_score = $3, exit_comment = $4 WHERE id = $1`,
			id, at, score, comment); err != nil {
			return fmt.Errorf("record exit: %w", err)
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO ratings (source, household_id, score, comment, rated_by, rated_at, idempotency_key, visit_id, receptionist, community)
			VALUES ('visit_exit', $1, $2, $3, 'visitor', $4, $5, $6, $7, $8)`,
			householdID, score, comment, at, fmt.Sprintf("visit/%d/exit", id), id, receptionist, community); err != nil {
			return fmt.Errorf("record exit rating: %w", err)
		}
		recorded = true
		return nil
	})
	if err != nil {
		return Visit{}, false, err
	}
	v, err = s.VisitByID(ctx, id)
	return v, recorded, err
}

// VisitFilter selects visits that arrived in [From, To).
type VisitFilter struct {
	From, To  time.Time
	Community string
	// Communities, when not nil, limits the log to these communities (the
	// caller's scope); empty matches nothing.
	Communities  []string
	Receptionist string
	Limit        int
}

// ListVisits returns the reception log newest first.
func (s *Store) ListVisits(ctx context.Context, f VisitFilter) ([]Visit, error) {
	rows, err := s.pool.Query(ctx, visitSelect+`
		WHERE v.arrived_at >= $1 AND v.arrived_at < $2
			AND ($3 = '' OR v.community = $3) AND ($4 = '' OR v.receptionist = $4)
			AND ($6::text[] IS NULL OR v.community = ANY($6::text[]))
		ORDER BY v.arrived_at DESC, v.id DESC LIMIT $5`, f.From, f.To, f.Community, f.Receptionist, f.Limit, f.Communities)
	if err != nil {
		return nil, fmt.Errorf("list visits: %w", err)
	}
	return pgx.CollectRows(rows, scanVisit)
}
