package integration

import (
	"context"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/workflows"
)

// TestRetentionSchedule runs the nightly retention schedule as a
// supervisor's trigger does: a complaint closed before the retention period
// is anonymised by the run, one closed within it is not, and the run's
// result is the cut-off (its clock less the period) and the counts.
//
// Not parallel: it adds cases, which the tests comparing whole-table
// counts must not see appear.
func TestRetentionSchedule(t *testing.T) {
	before := time.Now()
	s := findSchedule(t, "nightly-data-retention")
	if next := s.NextRuns[0].In(sys.loc); s.Paused || next.Hour() != 2 || next.Minute() != 30 || !next.After(before) ||
		next.Sub(before) > 24*time.Hour {
		t.Fatalf("schedule %+v: next run %s, want 02:30 within a day", s, next)
	}
	ctx := context.Background()
	// Two complaints recorded by hand in the read model, as an old case's
	// rows stand: one closed a day beyond the period, one a day within it.
	// Numbers of a day no other test uses (TS1…).
	now := time.Now()
	old, recent := "TS19990101-0000001", "TS19990101-0000002"
	for number, closed := range map[string]time.Time{
		old:    now.Add(-domain.DefaultRetention - 24*time.Hour),
		recent: now.Add(-domain.DefaultRetention + 24*time.Hour),
	} {
		for _, q := range []string{
			`INSERT INTO case_intakes (number, kind, idempotency_key, request_hash, community, unit_id, household_id,
				resident_name, resident_phone, channel, category, description, priority, workflow_input, created_at, created_by)
			SELECT $1, 'complaint', 'retention-test/' || $1, 'h', u.community, u.id, h.id, '王五', '13712345678',
				'phone', 'noise', '楼上装修太吵', 'normal', '{}', $2::timestamptz - interval '3 days', 'liu_fang'
			FROM units u JOIN households h ON h.unit_id = u.id ORDER BY u.id LIMIT 1`,
			`INSERT INTO cases (number, kind, unit_id, status, category, community, channel, priority, recorded_at, closed_at, version)
			SELECT number, 'complaint', unit_id, 'closed', category, community, channel, priority, created_at, $2, 5
			FROM case_intakes WHERE number = $1`,
			`INSERT INTO ratings (source, number, household_id, score, comment, rated_by, rated_at, idempotency_key, community)
			SELECT 'complaint_callback', number, household_id, 4, '师傅很耐心', 'liu_fang', $2, number || '/retention-test', community
			FROM case_intakes WHERE number = $1`,
		} {
			if _, err := sys.store.Pool().Exec(ctx, q, number, closed); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	run := triggerSchedule(t, "nightly-data-retention")
	at := runClock(t, run, workflows.AnonymiseExpiredActivity)
	got := runResult[domain.RetentionRun](t, run)
	if want := at.Add(-domain.DefaultRetention); got.Off || !got.Cutoff.Equal(want) || got.Cases < 1 {
		t.Fatalf("run %+v, want the cut-off %s and the old case", got, want)
	}
	if n := count(t, `SELECT count(*) FROM case_intakes WHERE number = $1 AND resident_name = $2 AND resident_phone = ''
		AND description = $2 AND anonymised_at IS NOT NULL`, old, store.Anonymised); n != 1 {
		t.Errorf("the case closed before the period is not anonymised")
	}
	if n := count(t, `SELECT count(*) FROM ratings WHERE number = $1 AND comment = $2 AND score = 4`, old, store.Anonymised); n != 1 {
		t.Errorf("the old case's callback comment is not anonymised, or its score changed")
	}
	if n := count(t, `SELECT count(*) FROM case_intakes i JOIN ratings r ON r.number = i.number WHERE i.number = $1
		AND i.resident_name = '王五' AND i.anonymised_at IS NULL AND r.comment = '师傅很耐心'`, recent); n != 1 {
		t.Errorf("the case closed within the period was anonymised")
	}
	if n := count(t, `SELECT count(*) FROM audit_log WHERE actor = $1 AND object_type = 'retention'
		AND (after->>'cases')::int = $2`, store.RetentionActor, got.Cases); n < 1 {
		t.Errorf("the run left no audit row with its counts")
	}
}
