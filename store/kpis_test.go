package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// directKPICounts is how KPICounts counted before migration 00034, straight
// from the cases and ratings: the oracle the day counts must always agree
// with.
func directKPICounts(ctx context.Context, t *testing.T, s *Store, from, to, now time.Time, communities []string) KPICounts {
	t.Helper()
	var k KPICounts
	err := s.pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE score >= 4), count(*) FROM ratings
		WHERE rated_at >= $1 AND rated_at < $2 AND `+inSet("community", 3), from, to, communities).
		Scan(&k.RatingsSatisfied, &k.Ratings)
	if err != nil {
		t.Fatal(err)
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
		t.Fatal(err)
	}
	err = s.pool.QueryRow(ctx, `
		SELECT count(DISTINCT household_id) FROM ratings
		WHERE source IN (`+caseCallbackSources()+`, 'campaign_call') AND rated_by <> 'resident'
			AND rated_at >= $1 AND rated_at < $2 AND `+inSet("community", 3), from, to, communities).
		Scan(&k.HouseholdsCalledBack)
	if err != nil {
		t.Fatal(err)
	}
	if k.ActiveHouseholds, err = s.ActiveHouseholds(ctx, communities); err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKPICountsFollowEveryChange writes complaints, repairs and ratings of
// every source around the edges of days (in Asia/Shanghai and in UTC) and
// of 24 h windows, changes them every way the read model can change, and
// after each step compares KPICounts with the direct count for periods
// with partial days at both ends, periods containing now, periods whose
// windows have not yet closed, and every kind of community set.
func TestKPICountsFollowEveryChange(t *testing.T) {
	ctx := context.Background()
	st := scratchStore(t)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	exec := func(what, sql string, args ...any) {
		t.Helper()
		if _, err := st.Pool().Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// A second and a third community, with a household each.
	for _, c := range []string{"KB", "KC"} {
		exec("community "+c, `WITH c AS (INSERT INTO communities (code, name) VALUES ($1, $1) RETURNING code),
			b AS (INSERT INTO buildings (community, code, name) SELECT code, '1', '1号楼' FROM c RETURNING community),
			u AS (INSERT INTO units (community, building, code, floor_area) SELECT community, '1', '1-101', 80 FROM b RETURNING id)
			INSERT INTO households (unit_id) SELECT id FROM u`, c)
	}
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// A fixed clock: now is a morning in Shanghai, the night before in UTC.
	now := time.Date(2026, 3, 10, 7, 30, 0, 0, sh)
	start := time.Date(2026, 1, 28, 0, 0, 0, 0, sh)
	rng := rand.New(rand.NewPCG(13, 34))
	communities := []string{"A", "KB", "KC"}
	// Times on the edges that matter: local and UTC midnights, exactly 24
	// hours before now, and a microsecond either side.
	edges := []time.Time{
		time.Date(2026, 2, 1, 0, 0, 0, 0, sh), time.Date(2026, 3, 1, 0, 0, 0, 0, sh),
		time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC),
		now.Add(-24 * time.Hour), now.Add(-48 * time.Hour), time.Date(2026, 3, 10, 0, 0, 0, 0, sh),
	}
	moment := func() time.Time {
		if rng.IntN(4) == 0 {
			e := edges[rng.IntN(len(edges))]
			return e.Add(time.Duration(rng.IntN(3)-1) * time.Microsecond)
		}
		// Over six weeks up to a little after now.
		return start.Add(time.Duration(rng.Int64N(int64(42 * 24 * time.Hour)))).Truncate(time.Microsecond)
	}
	// A delay after recording: in time, exactly 24 hours, just over, late,
	// or none yet.
	after := func(at time.Time) any {
		switch rng.IntN(6) {
		case 0:
			return nil
		case 1:
			return at.Add(24 * time.Hour)
		case 2:
			return at.Add(24*time.Hour + time.Microsecond)
		case 3:
			return at.Add(time.Duration(25+rng.IntN(48)) * time.Hour)
		default:
			return at.Add(time.Duration(rng.Int64N(int64(24 * time.Hour)))).Truncate(time.Microsecond)
		}
	}
	var units = map[string]int64{}
	var households = map[string]int64{}
	for _, c := range communities {
		var u, h int64
		if err := st.Pool().QueryRow(ctx, `SELECT u.id, h.id FROM units u JOIN households h ON h.unit_id = u.id
			WHERE u.community = $1 ORDER BY h.id LIMIT 1`, c).Scan(&u, &h); err != nil {
			t.Fatal(err)
		}
		units[c], households[c] = u, h
	}
	n := 0
	addCase := func(kind string) {
		n++
		c := communities[rng.IntN(len(communities))]
		at := moment()
		number := fmt.Sprintf("TK%06d", n)
		exec("intake", `INSERT INTO case_intakes (number, kind, idempotency_key, request_hash, community, unit_id, household_id,
				resident_name, resident_phone, channel, category, description, priority, workflow_input, created_at, created_by)
			VALUES ($1, $2, $1, 'h', $3, $4, $5, '', '', 'phone', 'noise', '', 'normal', '{}', $6, 'liu_fang')`,
			number, kind, c, units[c], households[c], at)
		exec("case", `INSERT INTO cases (number, kind, unit_id, status, category, community, channel, priority,
				recorded_at, routed_at, first_feedback_at, version)
			VALUES ($1, $2, $3, 'recorded', 'noise', $4, 'phone', 'normal', $5, $6, $7, 1)`,
			number, kind, units[c], c, at, after(at), after(at))
	}
	sources := []struct{ source, by string }{
		{"complaint_callback", "liu_fang"}, {"repair_callback", "zhao_min"}, {"repair_onsite", "resident"},
		{"visit_exit", "resident"}, {"campaign_call", "liu_fang"}, {"complaint_callback", "resident"},
	}
	r := 0
	addRating := func() {
		r++
		s := sources[rng.IntN(len(sources))]
		c := communities[rng.IntN(len(communities))]
		var community any = c
		if rng.IntN(20) == 0 {
			community = nil // left for the fill trigger, which finds none
		}
		var household any = households[c]
		if community == nil || rng.IntN(10) == 0 {
			household = nil
		}
		exec("rating", `INSERT INTO ratings (source, household_id, score, rated_by, rated_at, idempotency_key, community)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			s.source, household, 1+rng.IntN(5), s.by, moment(), fmt.Sprintf("tk/%d", r), community)
	}
	// The changes pick their rows by a hash of the row's key, not by
	// random(), so that every run changes the same rows.
	steps := []struct {
		name string
		do   func()
	}{
		{"complaints, repairs and ratings", func() {
			for range 300 {
				addCase("complaint")
			}
			for range 40 {
				addCase("repair")
			}
			for range 300 {
				addRating()
			}
		}},
		{"routed", func() {
			exec("route", `UPDATE cases SET routed_at = recorded_at + (((hashtext(number || 'route1') & 1023) / 1024.0) * interval '30 hours'), status = 'routed', version = version + 1
				WHERE routed_at IS NULL AND ((hashtext(number || 'route2') & 1023) / 1024.0) < 0.7`)
		}},
		{"fed back", func() {
			exec("feedback", `UPDATE cases SET first_feedback_at = recorded_at + (((hashtext(number || 'feedback1') & 1023) / 1024.0) * interval '30 hours'), version = version + 1
				WHERE first_feedback_at IS NULL AND ((hashtext(number || 'feedback2') & 1023) / 1024.0) < 0.7`)
		}},
		{"events that change no count", func() {
			exec("ack", `UPDATE cases SET status = 'in_progress', assignee = 'x', version = version + 1 WHERE ((hashtext(number || 'ack1') & 1023) / 1024.0) < 0.5`)
		}},
		{"reopened", func() {
			exec("reopen", `UPDATE cases SET status = 'in_progress', reopens = reopens + 1, resolved_at = NULL, version = version + 1
				WHERE ((hashtext(number || 'reopen1') & 1023) / 1024.0) < 0.3`)
		}},
		{"routed again, later", func() {
			exec("reroute", `UPDATE cases SET routed_at = routed_at + interval '20 hours' WHERE ((hashtext(number || 'reroute1') & 1023) / 1024.0) < 0.3`)
		}},
		{"a complaint moved to another community", func() {
			exec("community", `UPDATE cases SET community = CASE community WHEN 'A' THEN 'KB' ELSE 'A' END WHERE ((hashtext(number || 'community1') & 1023) / 1024.0) < 0.1`)
		}},
		{"a case's kind and recording time", func() {
			exec("kind", `UPDATE cases SET kind = CASE kind WHEN 'complaint' THEN 'repair' ELSE 'complaint' END WHERE ((hashtext(number || 'kind1') & 1023) / 1024.0) < 0.05`)
			exec("recorded", `UPDATE cases SET recorded_at = recorded_at + interval '9 hours' WHERE ((hashtext(number || 'recorded1') & 1023) / 1024.0) < 0.05`)
		}},
		{"a case deleted", func() {
			exec("delete", `DELETE FROM cases WHERE number IN (SELECT number FROM cases ORDER BY number LIMIT 5)`)
		}},
		{"more ratings", func() {
			for range 100 {
				addRating()
			}
		}},
		{"a rating's score, time and community", func() {
			exec("score", `UPDATE ratings SET score = 6 - score WHERE ((hashtext(idempotency_key || 'score1') & 1023) / 1024.0) < 0.2`)
			exec("rated_at", `UPDATE ratings SET rated_at = rated_at - interval '13 hours' WHERE ((hashtext(idempotency_key || 'rated_at1') & 1023) / 1024.0) < 0.1`)
			exec("rating community", `UPDATE ratings SET community = CASE WHEN community IS NULL THEN 'KC' WHEN ((hashtext(idempotency_key || 'rating community1') & 1023) / 1024.0) < 0.5 THEN NULL ELSE 'A' END
				WHERE ((hashtext(idempotency_key || 'rating community2') & 1023) / 1024.0) < 0.1`)
			exec("comment", `UPDATE ratings SET comment = 'x' WHERE ((hashtext(idempotency_key || 'comment1') & 1023) / 1024.0) < 0.5`)
		}},
		{"ratings deleted", func() {
			exec("delete rating", `DELETE FROM ratings WHERE ((hashtext(idempotency_key || 'delete rating1') & 1023) / 1024.0) < 0.1`)
		}},
		{"new complaints after the changes", func() {
			for range 60 {
				addCase("complaint")
			}
		}},
	}
	type period struct {
		name     string
		from, to time.Time
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, sh) }
	periods := []period{
		{"February in Shanghai", day(2026, 2, 1), day(2026, 3, 1)},
		{"this month so far (contains now)", day(2026, 3, 1), day(2026, 3, 11)},
		{"the last three days (windows open)", day(2026, 3, 8), day(2026, 3, 11)},
		{"today", day(2026, 3, 10), day(2026, 3, 11)},
		{"yesterday", day(2026, 3, 9), day(2026, 3, 10)},
		{"UTC days", time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)},
		{"odd edges", time.Date(2026, 2, 5, 13, 17, 0, 0, time.UTC), time.Date(2026, 3, 9, 5, 0, 0, 1000, time.UTC)},
		{"an hour", time.Date(2026, 2, 5, 13, 0, 0, 0, time.UTC), time.Date(2026, 2, 5, 14, 0, 0, 0, time.UTC)},
		{"everything", day(2026, 1, 1), day(2026, 4, 1)},
		{"empty", day(2026, 2, 1), day(2026, 2, 1)},
	}
	nows := []time.Time{now, now.Add(-24 * time.Hour), now.Add(30 * 24 * time.Hour), day(2026, 2, 14)}
	// {""}: a rating with no community is counted under the empty code,
	// which no set may name.
	sets := [][]string{nil, {"A"}, {"KB", "KC"}, {}, {"none"}, {""}}
	for _, step := range steps {
		step.do()
		checked := 0
		for _, p := range periods {
			for _, at := range nows {
				for _, set := range sets {
					want := directKPICounts(ctx, t, st, p.from, p.to, at, set)
					got, err := st.KPICounts(ctx, p.from, p.to, at, set)
					if err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Errorf("%s: %s, now %s, communities %#v:\n got %+v\nwant %+v", step.name, p.name, at.Format(time.RFC3339), set, got, want)
					}
					checked += int(want.Complaints + want.Ratings)
				}
			}
		}
		if checked == 0 {
			t.Fatalf("%s: nothing counted", step.name)
		}
	}
	// The back-fill of migration 00034 gives the same counts as the
	// triggers did.
	var differ int
	err = st.Pool().QueryRow(ctx, `WITH kept AS (SELECT community, day, complaints, dispatched_24h, fed_back_24h, ratings, satisfied
			FROM kpi_days WHERE complaints <> 0 OR dispatched_24h <> 0 OR fed_back_24h <> 0 OR ratings <> 0 OR satisfied <> 0),
		counted AS (SELECT community, day, sum(complaints) AS complaints, sum(dispatched_24h) AS dispatched_24h, sum(fed_back_24h) AS fed_back_24h,
				sum(ratings) AS ratings, sum(satisfied) AS satisfied FROM (
			SELECT community, date_trunc('day', recorded_at, 'UTC') AS day, count(*) AS complaints,
				count(*) FILTER (WHERE routed_at <= recorded_at + interval '24 hours') AS dispatched_24h,
				count(*) FILTER (WHERE first_feedback_at <= recorded_at + interval '24 hours') AS fed_back_24h, 0 AS ratings, 0 AS satisfied
			FROM cases WHERE kind = 'complaint' GROUP BY 1, 2
			UNION ALL
			SELECT coalesce(community, ''), date_trunc('day', rated_at, 'UTC'), 0, 0, 0, count(*), count(*) FILTER (WHERE score >= 4)
			FROM ratings GROUP BY 1, 2) t GROUP BY 1, 2)
		SELECT count(*) FROM ((TABLE kept EXCEPT TABLE counted) UNION ALL (TABLE counted EXCEPT TABLE kept)) d`).Scan(&differ)
	if err != nil {
		t.Fatal(err)
	}
	if differ != 0 {
		t.Errorf("%d day counts differ from a count of the cases and ratings", differ)
	}
}

// TestKPISpans checks the split of a period at UTC midnights.
func TestKPISpans(t *testing.T) {
	utc := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		name          string
		from, to, now time.Time
		want          spans
	}{
		{"closed long ago", utc(1, 16), utc(5, 16), utc(20, 0), spans{utc(2, 0), utc(5, 0), utc(5, 0)}},
		{"now inside", utc(1, 16), utc(9, 16), utc(6, 12), spans{utc(2, 0), utc(5, 0), utc(9, 0)}},
		{"now at a midnight", utc(1, 0), utc(9, 0), utc(6, 0), spans{utc(1, 0), utc(5, 0), utc(9, 0)}},
		{"nothing closed", utc(1, 16), utc(9, 16), utc(2, 12), spans{utc(2, 0), utc(2, 0), utc(9, 0)}},
		{"no whole day", utc(1, 1), utc(2, 0), utc(20, 0), spans{utc(1, 1), utc(1, 1), utc(1, 1)}},
		{"within a day", utc(1, 1), utc(1, 5), utc(20, 0), spans{utc(1, 1), utc(1, 1), utc(1, 1)}},
		{"one whole day", utc(1, 0), utc(2, 0), utc(20, 0), spans{utc(1, 0), utc(2, 0), utc(2, 0)}},
	} {
		if got := kpiSpans(c.from, c.to, c.now); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}
