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

// RatingFilter selects the ratings behind the satisfaction and callback
// coverage figures (docs/DESIGN.md §8), for their drill-down.
type RatingFilter struct {
	// From and To bound the rating time, [From, To).
	From, To time.Time
	// Communities is the set counted: nil for every community, empty for
	// none (as KPICounts).
	Communities []string
	// Dissatisfied keeps the ratings below 4 (those the satisfaction
	// figure does not count as satisfied).
	Dissatisfied bool
	// Calls keeps the calls from staff that callback coverage counts:
	// case callbacks and campaign calls, not the tracking link's ratings.
	Calls bool
	Limit int
}

// RatingRow is one rating of the drill-down; the resident's comment is
// left out.
type RatingRow struct {
	ID        int64     `json:"id"`
	Source    string    `json:"source"`
	Number    *string   `json:"number"`
	VisitID   *int64    `json:"visit_id"`
	Community *string   `json:"community"`
	Unit      *string   `json:"unit"`
	Household *int64    `json:"household_id"`
	Score     int       `json:"score"`
	RatedBy   string    `json:"rated_by"`
	RatedAt   time.Time `json:"rated_at"`
}

// ListRatings returns, newest first, up to f.Limit of the ratings the
// filter selects, and how many it selects in all and the distinct
// households among them (callback coverage counts households).
func (s *Store) ListRatings(ctx context.Context, f RatingFilter) (rows []RatingRow, total, households int64, err error) {
	where := `r.rated_at >= $1 AND r.rated_at < $2 AND ` + inSet("r.community", 3)
	if f.Dissatisfied {
		where += ` AND r.score < 4`
	}
	if f.Calls {
		where += ` AND r.source IN (` + caseCallbackSources() + `, 'campaign_call') AND r.rated_by <> 'resident'`
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT r.household_id) FROM ratings r WHERE `+where,
		f.From, f.To, f.Communities).Scan(&total, &households)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("count ratings: %w", err)
	}
	q, err := s.pool.Query(ctx, `
		SELECT r.id, r.source, r.number, r.visit_id, r.community, u.code, r.household_id, r.score, r.rated_by, r.rated_at
		FROM ratings r
		LEFT JOIN households h ON h.id = r.household_id
		LEFT JOIN units u ON u.id = h.unit_id
		WHERE `+where+` ORDER BY r.rated_at DESC, r.id DESC LIMIT $4`, f.From, f.To, f.Communities, f.Limit)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("list ratings: %w", err)
	}
	rows, err = pgx.CollectRows(q, pgx.RowToStructByPos[RatingRow])
	if err != nil {
		return nil, 0, 0, fmt.Errorf("list ratings: %w", err)
	}
	return rows, total, households, nil
}
