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
//
// The whole UTC days inside the period are read from kpi_days (migration
// 00034), a row per community and day kept by triggers, so a month costs
// the same however many cases it holds; the rest is counted from the
// cases and ratings themselves (kpiSpans).
func (s *Store) KPICounts(ctx context.Context, from, to, now time.Time, communities []string) (KPICounts, error) {
	var k KPICounts
	sp := kpiSpans(from, to, now)
	// Satisfaction: every rating in the period, whatever its source (exit
	// ratings, complaint and repair callbacks and on-site ratings, campaign
	// calls); a rating keeps the community of its case, visit or household.
	err := s.pool.QueryRow(ctx, `
		SELECT coalesce(sum(satisfied), 0)::bigint, coalesce(sum(n), 0)::bigint FROM (
			SELECT satisfied, ratings AS n FROM kpi_days
			WHERE day >= $1 AND day < $2 AND `+inSetKnown("community", 5)+`
			UNION ALL
			SELECT count(*) FILTER (WHERE score >= 4), count(*) FROM ratings
			WHERE (rated_at >= $3 AND rated_at < $1 OR rated_at >= $2 AND rated_at < $4) AND `+inSet("community", 5)+`) t`,
		sp.days, sp.daysEnd, from, to, communities).Scan(&k.RatingsSatisfied, &k.Ratings)
	if err != nil {
		return k, fmt.Errorf("count ratings: %w", err)
	}
	// Complaints: the days whose every window has closed from kpi_days,
	// the rest (the edges, and the days from a day before now) from the
	// cases, under the rule the counts stand for.
	err = s.pool.QueryRow(ctx, `
		SELECT coalesce(sum(fed), 0)::bigint, coalesce(sum(dispatched), 0)::bigint, coalesce(sum(windows), 0)::bigint,
			coalesce(sum(n), 0)::bigint FROM (
			SELECT fed_back_24h AS fed, dispatched_24h AS dispatched, complaints AS windows, complaints AS n FROM kpi_days
			WHERE day >= $1 AND day < $2 AND `+inSetKnown("community", 6)+`
			UNION ALL
			SELECT count(*) FILTER (WHERE c.recorded_at + interval '24 hours' <= $5
					AND c.first_feedback_at <= c.recorded_at + interval '24 hours'),
				count(*) FILTER (WHERE c.recorded_at + interval '24 hours' <= $5
					AND c.routed_at <= c.recorded_at + interval '24 hours'),
				count(*) FILTER (WHERE c.recorded_at + interval '24 hours' <= $5),
				count(*)
			FROM cases c
			WHERE c.kind = 'complaint' AND (c.recorded_at >= $3 AND c.recorded_at < $1 OR c.recorded_at >= $2 AND c.recorded_at < $4)
				AND `+inSet("c.community", 6)+`) t`,
		sp.days, sp.closedEnd, from, to, now, communities).Scan(&k.FedBackIn24h, &k.DispatchedIn24h, &k.Windows, &k.Complaints)
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

// spans is a KPI period [from, to) split at UTC midnights: [days, daysEnd)
// are the whole UTC days inside it, which kpi_days answers; closedEnd
// (between days and daysEnd) ends those of them whose complaints' 24 h
// windows had all closed at now, so that only the complaints of the last
// day or two are counted one by one. With no whole day inside the period,
// days = daysEnd = closedEnd = from and the cases and ratings answer alone.
type spans struct{ days, closedEnd, daysEnd time.Time }

func kpiSpans(from, to, now time.Time) spans {
	day := func(t time.Time) time.Time {
		t = t.UTC()
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	first, end := day(from), day(to)
	if first.Before(from) {
		first = first.AddDate(0, 0, 1)
	}
	if !first.Before(end) {
		return spans{from, from, from}
	}
	// A complaint recorded before midnight of the day before now's (UTC)
	// was recorded at least 24 hours before now: its window has closed.
	closed := day(now.Add(-24 * time.Hour))
	if closed.After(end) {
		closed = end
	}
	if closed.Before(first) {
		closed = first
	}
	return spans{days: first, closedEnd: closed, daysEnd: end}
}

// inSetKnown is inSet for kpi_days, where a rating with no community
// counts under the empty code: in the whole centre's figures, in no
// named set's.
func inSetKnown(column string, n int) string {
	return fmt.Sprintf("($%[1]d::text[] IS NULL OR %[2]s <> '' AND %[2]s = ANY($%[1]d::text[]))", n, column)
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
