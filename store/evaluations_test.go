package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/domain"
)

// TestEvaluationInputs builds a small September by hand, with something
// just outside each component's bounds, and checks every count.
func TestEvaluationInputs(t *testing.T) {
	ctx := context.Background()
	st := scratchStore(t)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := st.Pool().Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// An active receptionist without data, and one who has left (not evaluated).
	exec(`INSERT INTO staff (code, name, department, role, active) VALUES
		('ev_new', '新人', 'customer_service', 'receptionist', true),
		('ev_old', '离职', 'customer_service', 'receptionist', false)`)

	// Ratings; times are local.
	for i, r := range []struct {
		source, by, receptionist string
		score                    int
		at                       string
	}{
		{"visit_exit", "visitor", "liu_fang", 5, "2026-09-01 00:00"},  // the first instant counts
		{"visit_exit", "liu_fang", "zhao_min", 4, "2026-09-02 10:00"}, // zhao_min received the visit: hers
		{"complaint_callback", "liu_fang", "", 3, "2026-09-15 10:00"},
		{"repair_callback", "liu_fang", "", 2, "2026-09-20 10:00"},
		{"campaign_call", "liu_fang", "", 4, "2026-09-30 23:59"},
		{"campaign_call", "liu_fang", "", 1, "2026-10-01 00:00"}, // October
		{"campaign_call", "liu_fang", "", 1, "2026-08-31 23:59"}, // August
		{"repair_onsite", "liu_fang", "", 1, "2026-09-10 10:00"}, // the handler's work, not hers
		{"complaint_callback", "resident", "", 1, "2026-09-10 10:00"},
		{"visit_exit", "visitor", "ev_old", 5, "2026-09-10 10:00"},
		{"complaint_callback", "li_qiang", "", 5, "2026-09-10 10:00"}, // a handler: not evaluated
	} {
		exec(`INSERT INTO ratings (source, score, rated_by, receptionist, rated_at, idempotency_key)
			VALUES ($1, $2, $3, $4, ($5::timestamp AT TIME ZONE 'Asia/Shanghai'), $6)`,
			r.source, r.score, r.by, r.receptionist, r.at, "eval-"+string(rune('a'+i)))
	}

	// Complaints recorded by each; feedback so many hours after recording (-1: none).
	for _, c := range []struct {
		number, kind, by, recorded string
		feedback                   int
	}{
		{"TS20260902-7001", "complaint", "liu_fang", "2026-09-02 10:00", 2},
		{"TS20260903-7002", "complaint", "liu_fang", "2026-09-03 10:00", 24}, // exactly 24 h: in time
		{"TS20260904-7003", "complaint", "liu_fang", "2026-09-04 10:00", 25},
		{"TS20260905-7004", "complaint", "liu_fang", "2026-09-05 10:00", -1},
		{"BX20260906-7005", "repair", "liu_fang", "2026-09-06 10:00", 1},     // a repair
		{"TS20260930-7006", "complaint", "liu_fang", "2026-09-30 20:00", -1}, // window still open at now
		{"TS20261001-7007", "complaint", "liu_fang", "2026-10-01 01:00", 1},  // October
		{"TS20260910-7008", "complaint", "zhao_min", "2026-09-10 10:00", 1},
	} {
		exec(`INSERT INTO case_intakes (number, kind, idempotency_key, request_hash, community, unit_id,
				resident_name, resident_phone, channel, category, description, priority, created_by, workflow_input)
			SELECT $1, $2, $1, 'h', 'A', min(id), '测试', '13900000000', 'walk_in', 'hygiene', 'x', 'normal', $3, '{}'
			FROM units WHERE community = 'A'`, c.number, c.kind, c.by)
		exec(`INSERT INTO cases (number, kind, status, category, community, channel, priority, recorded_at, first_feedback_at, version)
			VALUES ($1, $2, 'routed', 'hygiene', 'A', 'walk_in', 'normal', ($3::timestamp AT TIME ZONE 'Asia/Shanghai'),
				CASE WHEN $4 >= 0 THEN ($3::timestamp AT TIME ZONE 'Asia/Shanghai') + make_interval(hours => $4) END, 1)`,
			c.number, c.kind, c.recorded, c.feedback)
	}

	// Callback tasks, one household each.
	exec(`INSERT INTO callback_campaigns (month, target, active_households) VALUES ('2026-09', 0.2, 10), ('2026-10', 0.2, 10)`)
	for i, c := range []struct{ month, assignee, status string }{
		{"2026-09", "liu_fang", "reached"},
		{"2026-09", "liu_fang", "unreached"},
		{"2026-09", "liu_fang", "open"},
		{"2026-09", "zhao_min", "open"},
		{"2026-10", "liu_fang", "reached"}, // October
	} {
		exec(`INSERT INTO callback_tasks (month, household_id, assignee, reason, status)
			VALUES ($1, (SELECT id FROM households ORDER BY id OFFSET $4 LIMIT 1), $2, 'sample', $3)`, c.month, c.assignee, c.status, i)
	}

	// Exams: the latest before the month's end counts, of any cycle.
	exec(`INSERT INTO training_cycles (id, workflow_id, run_id, session_on, topics, pass_mark, exam_opens, exam_closes, retake_seconds, enrolled)
		VALUES ('2026-Q2', 'w2', 'run', '2026-06-01', '[]', 60, '2026-06-01', '2026-06-30', 604800, 2),
			('2026-Q3', 'w3', 'run', '2026-09-01', '[]', 60, '2026-09-01', '2026-10-31', 604800, 2)`)
	exec(`INSERT INTO training_enrolments (cycle_id, staff) VALUES ('2026-Q2', 'liu_fang'), ('2026-Q2', 'zhao_min'), ('2026-Q3', 'liu_fang')`)
	for _, a := range []struct {
		cycle, staff string
		attempt      int
		score        string
		at           string
	}{
		{"2026-Q2", "liu_fang", 1, "55.50", "2026-06-10 10:00"},
		{"2026-Q3", "liu_fang", 1, "50.00", "2026-09-10 10:00"},
		{"2026-Q3", "liu_fang", 2, "95.25", "2026-10-02 10:00"}, // after the month
		{"2026-Q2", "zhao_min", 1, "88.50", "2026-06-10 10:00"},
	} {
		exec(`INSERT INTO training_attempts (cycle_id, staff, attempt, score, passed, method, recorded_by, recorded_at)
			VALUES ($1, $2, $3, $4::numeric, $4::numeric >= 60, 'trainer', 'chen_jing', ($5::timestamp AT TIME ZONE 'Asia/Shanghai'))`,
			a.cycle, a.staff, a.attempt, a.score, a.at)
	}

	from := time.Date(2026, 9, 1, 0, 0, 0, 0, loc)
	to := from.AddDate(0, 1, 0)
	now := time.Date(2026, 10, 1, 12, 0, 0, 0, loc)
	got, err := st.EvaluationInputs(ctx, from, to, now, "2026-09")
	if err != nil {
		t.Fatal(err)
	}
	n := func(num float64, den int64) domain.EvalCount {
		return domain.EvalCount{Numerator: num, Denominator: den}
	}
	// By hand: liu_fang's ratings 5 + 3 + 2 + 4 = 14 of 4; complaints in time 7001 and 7002 of
	// 7001–7004; 2 of 3 calls done; exam 50 (Q3, before the retake in October).
	// zhao_min: the exit rating 4; 7008 in time; 0 of 1 calls; exam 88.5 from Q2.
	want := []domain.EvalInput{
		{Staff: "ev_new", Name: "新人"},
		{Staff: "liu_fang", Name: "刘芳", Ratings: n(14, 4), Feedback: n(2, 4), Callbacks: n(2, 3), Exam: n(50, 1)},
		{Staff: "zhao_min", Name: "赵敏", Ratings: n(4, 1), Feedback: n(1, 1), Callbacks: n(0, 1), Exam: n(88.5, 1)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("inputs\n got %+v\nwant %+v", got, want)
	}
	// A day later the window of 7006 has closed, and it was never fed back.
	got, err = st.EvaluationInputs(ctx, from, to, now.Add(24*time.Hour), "2026-09")
	if err != nil {
		t.Fatal(err)
	}
	if f := got[1].Feedback; f != n(2, 5) {
		t.Fatalf("liu_fang's feedback a day later %+v, want 2 of 5", f)
	}
	// While September runs, an open call may still be made: no callback
	// tasks count yet, so a receptionist with only open calls has no data.
	got, err = st.EvaluationInputs(ctx, from, to, time.Date(2026, 9, 30, 23, 59, 0, 0, loc), "2026-09")
	if err != nil {
		t.Fatal(err)
	}
	if c, z := got[1].Callbacks, got[2].Callbacks; c != n(0, 0) || z != n(0, 0) {
		t.Fatalf("callbacks before the month's end: liu_fang %+v, zhao_min %+v, want none counted", c, z)
	}

	testEvaluationStorage(t, st, want)
}

// testEvaluationStorage stores, replaces and reads back a month, and
// changes the settings.
func testEvaluationStorage(t *testing.T, st *Store, inputs []domain.EvalInput) {
	ctx := context.Background()
	set, err := st.EvaluationSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if set.EvalSettings != domain.DefaultEvalSettings || set.UpdatedBy != "system" {
		t.Fatalf("settings %+v, want the defaults", set)
	}
	if _, err := st.StoredEvaluation(ctx, "2026-09"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a month never stored: %v, want ErrNotFound", err)
	}
	first := domain.Evaluate(inputs, set.Weights, set.Threshold)
	if err := st.SaveEvaluation(ctx, "2026-09", set.EvalSettings, first); err != nil {
		t.Fatal(err)
	}

	changed := domain.EvalSettings{Weights: domain.EvalWeights{Ratings: 1, Exam: 1}, Threshold: 60}
	upd, err := st.SetEvaluationSettings(ctx, changed, Who{Actor: "chen_jing"})
	if err != nil || upd.EvalSettings != changed || upd.UpdatedBy != "chen_jing" {
		t.Fatalf("set settings: %+v, %v", upd, err)
	}
	if got, err := st.EvaluationSettings(ctx); err != nil || got.EvalSettings != changed || !got.UpdatedAt.Equal(upd.UpdatedAt) {
		t.Fatalf("settings after the change %+v, %v", got, err)
	}
	// The table refuses what validation should have caught.
	if _, err := st.SetEvaluationSettings(ctx, domain.EvalSettings{Threshold: 50}, Who{Actor: "chen_jing"}); err == nil {
		t.Fatal("all-zero weights stored")
	}

	// A re-run replaces the month, with the settings it used.
	second := domain.Evaluate(inputs[1:], changed.Weights, changed.Threshold)
	if err := st.SaveEvaluation(ctx, "2026-09", changed, second); err != nil {
		t.Fatal(err)
	}
	got, err := st.StoredEvaluation(ctx, "2026-09")
	if err != nil {
		t.Fatal(err)
	}
	if got.Month != "2026-09" || got.Settings != changed || got.GeneratedAt.IsZero() {
		t.Fatalf("stored month %s, settings %+v, generated %s", got.Month, got.Settings, got.GeneratedAt)
	}
	if !reflect.DeepEqual(got.Items, second) {
		t.Fatalf("stored items\n got %+v\nwant %+v", got.Items, second)
	}
	// By hand with weights 1:1 on ratings and exam: liu_fang (70 + 50) / 2 = 60, at the threshold;
	// zhao_min (80 + 88.5) / 2 = 84.25.
	if len(got.Items) != 2 || *got.Items[0].Score != 84.25 || *got.Items[1].Score != 60 || got.Items[1].Flagged {
		t.Fatalf("stored items %+v", got.Items)
	}
	// Runs at once take turns: each replaces the month whole.
	errs := make(chan error, 6)
	for range 6 {
		go func() { errs <- st.SaveEvaluation(ctx, "2026-07", changed, second) }()
	}
	for range 6 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent save: %v", err)
		}
	}
	if jul, err := st.StoredEvaluation(ctx, "2026-07"); err != nil || len(jul.Items) != len(second) {
		t.Fatalf("July after concurrent saves: %+v, %v", jul, err)
	}
	// The first run with the no-data receptionist stores and reads back too.
	if err := st.SaveEvaluation(ctx, "2026-08", set.EvalSettings, first); err != nil {
		t.Fatal(err)
	}
	aug, err := st.StoredEvaluation(ctx, "2026-08")
	if err != nil || !reflect.DeepEqual(aug.Items, first) || aug.Settings != domain.DefaultEvalSettings {
		t.Fatalf("stored August %+v, %v; want %+v", aug, err, first)
	}
	if last := aug.Items[len(aug.Items)-1]; last.Staff != "ev_new" || !last.NoData || last.Rank != nil || last.Score != nil {
		t.Fatalf("no-data receptionist %+v", last)
	}
}
