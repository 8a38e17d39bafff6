package store

import (
	"context"
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
