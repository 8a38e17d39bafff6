package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concierge-pm/concierge/domain"
)

// CaseRating is a callback rating as recorded.
type CaseRating struct {
	Score   int
	Comment string
	RatedAt time.Time
}

// LastRatingBy returns the latest callback rating a rater (a staff code, or
// "resident" for the tracking link) gave a case, or ErrNotFound.
func (s *Store) LastRatingBy(ctx context.Context, number, ratedBy string) (CaseRating, error) {
	var r CaseRating
	err := s.pool.QueryRow(ctx, `
		SELECT score, comment, rated_at FROM ratings
		WHERE number = $1 AND rated_by = $2 AND source IN (`+caseCallbackSources()+`)
		ORDER BY rated_at DESC, id DESC LIMIT 1`, number, ratedBy).Scan(&r.Score, &r.Comment, &r.RatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("rating of %s by %s: %w", number, ratedBy, ErrNotFound)
	} else if err != nil {
		return r, fmt.Errorf("read the rating of %s: %w", number, err)
	}
	return r, nil
}

// caseCallbackSources is the SQL list of the rating sources of callbacks on
// cases, one per kind of the registry (writeRecord stores <kind>_callback).
// The kinds are names from the code, never input, so they are written into
// the query as literals: the planner then matches the partial indexes of
// migration 00006.
func caseCallbackSources() string {
	kinds := domain.Kinds()
	quoted := make([]string, len(kinds))
	for i, k := range kinds {
		quoted[i] = "'" + k.CallbackSource() + "'"
	}
	return strings.Join(quoted, ", ")
}

// KeepCaseText stores a resident's own words about a case (a rating or
// callback comment) and returns the id a workflow carries instead of the
// text (docs/DESIGN.md §11.1). The same text for the same case is kept once
// and gets the same id, so a retried request makes the same update.
func (s *Store) KeepCaseText(ctx context.Context, number, body string) (int64, error) {
	digest := sha256.Sum256([]byte(body))
	var id int64
	err := s.pool.QueryRow(ctx, `
		INSERT INTO case_texts (number, body, digest) VALUES ($1, $2, $3)
		ON CONFLICT (number, digest) DO UPDATE SET number = EXCLUDED.number
		RETURNING id`, number, body, digest[:]).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("keep a text of %s: %w", number, err)
	}
	return id, nil
}

// CaseText reads a text KeepCaseText stored for the case, or ErrNotFound.
func (s *Store) CaseText(ctx context.Context, number string, id int64) (string, error) {
	return caseText(ctx, s.pool, number, id)
}

type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func caseText(ctx context.Context, q queryRower, number string, id int64) (string, error) {
	var body string
	err := q.QueryRow(ctx, `SELECT body FROM case_texts WHERE id = $1 AND number = $2`, id, number).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("text %d of %s: %w", id, number, ErrNotFound)
	} else if err != nil {
		return "", fmt.Errorf("read text %d of %s: %w", id, number, err)
	}
	return body, nil
}
