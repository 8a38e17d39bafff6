package store

import (
	"context"
	"fmt"
	"time"
)

// KPICounts are the counts the KPIs of docs/DESIGN.md §8 are computed from, for
// one period [From, To) and a set of communities.
type KPICounts struct {
	RatingsSatisfied, Ratings              int64
	FedBackIn24h, DispatchedIn24h, Windows int64 // complaints whose 24 h window has closed
	Complaints                             int64
	HouseholdsCalledBack, ActiveHouseholds int64
}

// KPICounts counts, in SQL over the read model, what the KPIs need. now
// decides which complaints' 24 h windows have closed. communities is the
// set counted: nil for every community, empty for none (a member of staff
// serving no community).
func (s *Store) KPICounts(ctx context.Context, from, to, now time.Time, communities []string) (KPICounts, error) {
	var k KPICounts
	// Satisfaction: every rating in the period, whatever its source (exit
	// ratings, complaint and repair callbacks and on-site ratings, campaign
	// calls); a rating keeps the community of its case, visit or household.
	err := s.pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE score >= 4), count(*) FROM ratings
		WHERE rated_at >= $1 AND rated_at < $2 AND `+inSet("community", 3), from, to, communities).
		Scan(&k.RatingsSatisfied, &k.Ratings)
	if err != nil {
		return k, fmt.Errorf("count ratings: %w", err)
	}
	err = s.pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE c.recorded_at + interval '24 hours' <= $3
				AND c.first_feedback_at <= c.recorded_at + interval '24 hours'),
			count(*) FILTER (WHERE c.recorded_at + interval '24 hours' <= $3
				AND c.routed_at <= c.recorded_at + interval '24 hours'),
			count(*) FILTER (WHERE c.recorded_at + interval '24 hours' <= $3),
			count(*)
		FROM cases c
		WHERE c.kind = 'complaint' AND c.recorded_at >= $1 AND c.recorded_at < $2 AND `+inSet("c.community", 4),
		from, to, now, communities).Scan(&k.FedBackIn24h, &k.DispatchedIn24h, &k.Windows, &k.Complaints)
	if err != nil {
		return k, fmt.Errorf("count complaints: %w", err)
	}
	// Callback coverage counts households reached by a call from staff:
	// a rating given through the tracking link is not a callback.
	// Grouped rather than count(DISTINCT …), which always sorts: a hash of
	// the month's households is several times faster on a large history.
	err = s.pool.QueryRow(ctx, `
		SELECT count(*) FROM (SELECT household_id FROM ratings
			WHERE source IN (`+caseCallbackSources()+`, 'campaign_call') AND rated_by <> 'resident'
				AND rated_at >= $1 AND rated_at < $2 AND `+inSet("community", 3)+`
			GROUP BY household_id) h WHERE household_id IS NOT NULL`, from, to, communities).
		Scan(&k.HouseholdsCalledBack)
	if err != nil {
		return k, fmt.Errorf("count callbacks: %w", err)
	}
	k.ActiveHouseholds, err = s.ActiveHouseholds(ctx, communities)
	return k, err
}

// ActiveHouseholds counts the households living in a set of communities
// (nil: every community).
func (s *Store) ActiveHouseholds(ctx context.Context, communities []string) (int64, error) {
	var n int64
	// Kept by a trigger (migration 00033): a million households are not
	// counted again for every figure.
	err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(active), 0)::bigint FROM community_households
		WHERE `+inSet("community", 1), communities).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count households: %w", err)
	}
	return n, nil
}

// ComplaintCount counts complaints recorded in [from, to) in a set of
// communities (nil: every community).
func (s *Store) ComplaintCount(ctx context.Context, from, to time.Time, communities []string) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE kind = 'complaint'
		AND recorded_at >= $1 AND recorded_at < $2 AND `+inSet("community", 3), from, to, communities).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count complaints: %w", err)
	}
	return n, nil
}

// inSet is the SQL condition that column is in the set of communities
// passed as parameter n: a NULL array (a nil slice) stands for every
// community, an empty one for none.
func inSet(column string, n int) string {
	return fmt.Sprintf("($%[1]d::text[] IS NULL OR %[2]s = ANY($%[1]d::text[]))", n, column)
}

// One is the set of communities that a single code names: nil (every
// community) for "".
func One(community string) []string {
	if community == "" {
		return nil
	}
	return []string{community}
}
