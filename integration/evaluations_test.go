package integration

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/workflows"
)

type evalComponent struct {
	Value       *float64 `json:"value"`
	Numerator   float64  `json:"numerator"`
	Denominator int64    `json:"denominator"`
	Weight      float64  `json:"weight"`
}

type evalWeights struct {
	Ratings   float64 `json:"ratings"`
	Feedback  float64 `json:"feedback"`
	Callbacks float64 `json:"callbacks"`
	Exam      float64 `json:"exam"`
}

type evaluation struct {
	Month       string      `json:"month"`
	Stored      bool        `json:"stored"`
	GeneratedAt *time.Time  `json:"generated_at"`
	Weights     evalWeights `json:"weights"`
	Threshold   float64     `json:"threshold"`
	Items       []struct {
		Staff      string   `json:"staff"`
		Name       string   `json:"name"`
		Score      *float64 `json:"score"`
		Rank       *int     `json:"rank"`
		Flagged    bool     `json:"flagged"`
		NoData     bool     `json:"no_data"`
		Components struct {
			Ratings, Feedback, Callbacks, Exam evalComponent
		} `json:"components"`
	} `json:"items"`
}

type evalSettings struct {
	Weights   evalWeights `json:"weights"`
	Threshold float64     `json:"threshold"`
	UpdatedBy string      `json:"updated_by"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// lines renders the items of the ev_ staff, in the answer's order, as
// "staff score rank [flagged] [no_data] r=value@weight(num/den) f=… c=… e=…".
func (e evaluation) lines() string {
	f := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprint(*v)
	}
	var out []string
	for _, it := range e.Items {
		if !strings.HasPrefix(it.Staff, "ev_") {
			continue
		}
		rank := "-"
		if it.Rank != nil {
			rank = fmt.Sprint(*it.Rank)
		}
		s := fmt.Sprintf("%s %s %s", it.Staff, f(it.Score), rank)
		if it.Flagged {
			s += " flagged"
		}
		if it.NoData {
			s += " no_data"
		}
		c := it.Components
		for _, p := range []struct {
			n string
			c evalComponent
		}{{"r", c.Ratings}, {"f", c.Feedback}, {"c", c.Callbacks}, {"e", c.Exam}} {
			s += fmt.Sprintf(" %s=%s@%g(%g/%d)", p.n, f(p.c.Value), p.c.Weight, p.c.Numerator, p.c.Denominator)
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

// seedEvaluationSeptember loads a small September 2026 for receptionists of
// its own (codes ev_*), in a community of its own, with something just
// outside each component's bounds.
func seedEvaluationSeptember(t *testing.T) {
	t.Helper()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := sys.store.Pool().Exec(t.Context(), q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO staff (code, name, department, role, active) VALUES
		('ev_an', '考评安', 'customer_service', 'receptionist', true),
		('ev_bo', '考评博', 'customer_service', 'receptionist', true),
		('ev_cui', '考评崔', 'customer_service', 'receptionist', true),
		('ev_du', '考评杜', 'customer_service', 'receptionist', true),
		('ev_en', '考评恩', 'customer_service', 'receptionist', true),
		('ev_old', '考评旧', 'customer_service', 'receptionist', false)`)
	// They leave the desk when the test ends: the callback campaign deals its
	// calls to the active receptionists, and its test expects the demo two.
	t.Cleanup(func() {
		if _, err := sys.store.Pool().Exec(context.Background(), `UPDATE staff SET active = false WHERE code LIKE 'ev\_%'`); err != nil {
			t.Errorf("retire the test receptionists: %v", err)
		}
	})
	exec(`INSERT INTO communities (code, name) VALUES ('EVAL', '考评测试小区')`)
	exec(servedLikeA, "EVAL")
	exec(`INSERT INTO buildings (community, code, name) VALUES ('EVAL', '1', '1号楼')`)
	for i := 1; i <= 6; i++ {
		exec(`WITH u AS (INSERT INTO units (community, building, code, floor_area) VALUES ('EVAL', '1', $1, 80) RETURNING id)
			INSERT INTO households (unit_id) SELECT id FROM u`, itoa(int64(100+i)))
	}
	household := func(i int) int64 {
		return int64(count(t, `SELECT h.id FROM households h JOIN units u ON u.id = h.unit_id WHERE u.community = 'EVAL' AND u.code = $1`, itoa(int64(100+i))))
	}

	// Ratings, local times.
	for i, r := range []struct {
		source, by, receptionist string
		score                    int
		at                       string
	}{
		{"visit_exit", "visitor", "ev_an", 5, "2026-09-01 00:00"},
		{"visit_exit", "visitor", "ev_an", 4, "2026-09-08 10:00"},
		{"complaint_callback", "ev_an", "", 5, "2026-09-12 10:00"},
		{"campaign_call", "ev_an", "", 3, "2026-09-30 23:59"},
		{"campaign_call", "ev_an", "", 1, "2026-10-01 00:00"},   // October
		{"repair_onsite", "ev_an", "", 1, "2026-09-15 10:00"},   // not a reception rating
		{"visit_exit", "ev_an", "ev_bo", 3, "2026-09-03 10:00"}, // ev_bo received this visit
		{"visit_exit", "visitor", "ev_bo", 4, "2026-09-04 10:00"},
		{"campaign_call", "ev_en", "", 4, "2026-09-05 10:00"},
		{"repair_callback", "ev_en", "", 4, "2026-09-06 10:00"},
		{"campaign_call", "ev_du", "", 5, "2026-08-31 23:59"},      // August
		{"visit_exit", "visitor", "ev_old", 5, "2026-09-10 10:00"}, // left the desk: not evaluated
	} {
		exec(`INSERT INTO ratings (source, score, rated_by, receptionist, rated_at, idempotency_key)
			VALUES ($1, $2, $3, $4, ($5::timestamp AT TIME ZONE 'Asia/Shanghai'), $6)`,
			r.source, r.score, r.by, r.receptionist, r.at, "eval-it-"+itoa(int64(i)))
	}

	// Complaints ev_an recorded, first feedback so many hours later (-1: never).
	for _, c := range []struct {
		number, kind, recorded string
		feedback               int
	}{
		{"TS20260902-8001", "complaint", "2026-09-02 10:00", 2},
		{"TS20260903-8002", "complaint", "2026-09-03 10:00", 24}, // exactly 24 h: in time
		{"TS20260904-8003", "complaint", "2026-09-04 10:00", 5},
		{"TS20260905-8004", "complaint", "2026-09-05 10:00", -1},
		{"BX20260906-8005", "repair", "2026-09-06 10:00", 30},    // a repair
		{"TS20261001-8006", "complaint", "2026-10-01 00:00", -1}, // October
	} {
		exec(`INSERT INTO case_intakes (number, kind, idempotency_key, request_hash, community, unit_id, household_id,
				resident_name, resident_phone, channel, category, description, priority, created_by, workflow_input)
			SELECT $1, $2, $1, 'h', 'EVAL', u.id, h.id, '测试', '13900000000', 'walk_in', 'hygiene', 'x', 'normal', 'ev_an', '{}'
			FROM units u JOIN households h ON h.unit_id = u.id WHERE u.community = 'EVAL' AND u.code = '101'`, c.number, c.kind)
		exec(`INSERT INTO cases (number, kind, status, category, department, community, channel, priority, recorded_at,
				first_feedback_at, version, unit_id)
			VALUES ($1, $2, 'routed', 'hygiene', 'cleaning', 'EVAL', 'walk_in', 'normal', ($3::timestamp AT TIME ZONE 'Asia/Shanghai'),
				CASE WHEN $4 >= 0 THEN ($3::timestamp AT TIME ZONE 'Asia/Shanghai') + make_interval(hours => $4) END, 1,
				(SELECT unit_id FROM case_intakes WHERE number = $1))`, c.number, c.kind, c.recorded, c.feedback)
	}

	// September's callback tasks.
	exec(`INSERT INTO callback_campaigns (month, target, active_households) VALUES ('2026-09', 0.2, 6) ON CONFLICT (month) DO NOTHING`)
	for i, c := range []struct{ assignee, status string }{
		{"ev_an", "reached"}, {"ev_an", "unreached"}, {"ev_an", "open"}, {"ev_an", "reached"},
		{"ev_bo", "reached"}, {"ev_bo", "open"},
	} {
		exec(`INSERT INTO callback_tasks (month, household_id, assignee, reason, status) VALUES ('2026-09', $1, $2, 'sample', $3)`,
			household(i+1), c.assignee, c.status)
	}

	// Exams: the latest sat before the month's end counts, of any cycle. The
	// cycles are named for a year no other test uses.
	exec(`INSERT INTO training_cycles (id, workflow_id, run_id, session_on, topics, pass_mark, exam_opens, exam_closes, retake_seconds, enrolled)
		VALUES ('2019-Q2', 'eval-it-q2', 'run', '2026-06-01', '[]', 60, '2026-06-01', '2026-06-30', 604800, 1),
			('2019-Q3', 'eval-it-q3', 'run', '2026-09-01', '[]', 60, '2026-09-01', '2026-10-31', 604800, 3)`)
	exec(`INSERT INTO training_enrolments (cycle_id, staff) VALUES ('2019-Q2', 'ev_an'), ('2019-Q3', 'ev_an'), ('2019-Q3', 'ev_cui'), ('2019-Q3', 'ev_en')`)
	for _, a := range []struct {
		cycle, staff string
		attempt      int
		score, at    string
	}{
		{"2019-Q2", "ev_an", 1, "95", "2026-06-15 10:00"},
		{"2019-Q3", "ev_an", 1, "50", "2026-09-10 10:00"},
		{"2019-Q3", "ev_an", 2, "90", "2026-09-20 10:00"}, // the retake: the latest
		{"2019-Q3", "ev_cui", 1, "80", "2026-09-25 10:00"},
		{"2019-Q3", "ev_en", 1, "40", "2026-10-02 10:00"}, // after the month
	} {
		exec(`INSERT INTO training_attempts (cycle_id, staff, attempt, score, passed, method, recorded_by, recorded_at)
			VALUES ($1, $2, $3, $4::numeric, $4::numeric >= 60, 'trainer', 'chen_jing', ($5::timestamp AT TIME ZONE 'Asia/Shanghai'))`,
			a.cycle, a.staff, a.attempt, a.score, a.at)
	}
}

// Not parallel: it changes the evaluation settings, and the schedule's run
// stores whatever settings are in force.
func TestStaffEvaluation(t *testing.T) {
	seedEvaluationSeptember(t)
	defaults := map[string]any{"weights": map[string]any{"ratings": 0.35, "feedback": 0.25, "callbacks": 0.2, "exam": 0.2}, "threshold": 80}
	t.Cleanup(func() { call(t, "PUT", "/api/v1/evaluations/settings", defaults, nil, signedInAs, "ma_lin") })

	var ev evaluation
	if code := call(t, "GET", "/api/v1/evaluations?month=2026-09", nil, &ev); code != http.StatusOK {
		t.Fatalf("evaluation: HTTP %d", code)
	}
	if ev.Month != "2026-09" || ev.Stored || ev.GeneratedAt != nil || ev.Weights != (evalWeights{0.35, 0.25, 0.2, 0.2}) || ev.Threshold != 80 {
		t.Fatalf("evaluation %+v", ev)
	}
	// By hand, default weights 0.35/0.25/0.20/0.20, threshold 80:
	// ev_an: ratings 5+4+5+3 = 17 of 4 → 85; complaints fed back in 24 h 3 of 4 → 75; calls done 3 of 4 → 75;
	//   exam 90 (the retake): 0.35×85 + 0.25×75 + 0.2×75 + 0.2×90 = 81.5.
	// ev_cui: exam 80 only → 80, exactly the threshold: not flagged. ev_en: ratings 4, 4 → 80, the same rank.
	// ev_bo: ratings 3+4 → 70, calls 1 of 2 → 50: (0.35×70 + 0.2×50) / 0.55 = 62.73, flagged.
	// ev_du: only an August rating: no data. ev_old has left: not listed.
	want := strings.Join([]string{
		"ev_an 81.5 1 r=85@0.35(17/4) f=75@0.25(3/4) c=75@0.2(3/4) e=90@0.2(90/1)",
		"ev_cui 80 2 r=-@0(0/0) f=-@0(0/0) c=-@0(0/0) e=80@1(80/1)",
		"ev_en 80 2 r=80@1(8/2) f=-@0(0/0) c=-@0(0/0) e=-@0(0/0)",
		"ev_bo 62.73 4 flagged r=70@0.6364(7/2) f=-@0(0/0) c=50@0.3636(1/2) e=-@0(0/0)",
		"ev_du - - no_data r=-@0(0/0) f=-@0(0/0) c=-@0(0/0) e=-@0(0/0)",
	}, "\n")
	if got := ev.lines(); got != want {
		t.Fatalf("September\n got %s\nwant %s\n(all items: %+v)", got, want, ev.Items)
	}
	if ev.Items[0].Staff != "ev_an" || ev.Items[0].Name != "考评安" {
		t.Fatalf("first item %+v, want ev_an: nobody else has data in September", ev.Items[0])
	}

	// The centre manager (who holds evaluation:settings) weighs ratings
	// more and lowers the threshold.
	var set evalSettings
	newSettings := map[string]any{"weights": map[string]any{"ratings": 0.5, "feedback": 0.1, "callbacks": 0.2, "exam": 0.2}, "threshold": 75}
	if code := call(t, "PUT", "/api/v1/evaluations/settings", newSettings, &set, signedInAs, "ma_lin"); code != http.StatusOK ||
		set.Weights != (evalWeights{0.5, 0.1, 0.2, 0.2}) || set.Threshold != 75 || set.UpdatedBy != "ma_lin" {
		t.Fatalf("put settings: HTTP %d %+v", code, set)
	}
	call(t, "GET", "/api/v1/evaluations?month=2026-09", nil, &ev)
	// ev_an: 0.5×85 + 0.1×75 + 0.2×75 + 0.2×90 = 83; ev_bo: (0.5×70 + 0.2×50) / 0.7 = 64.29, still under 75.
	want = strings.Join([]string{
		"ev_an 83 1 r=85@0.5(17/4) f=75@0.1(3/4) c=75@0.2(3/4) e=90@0.2(90/1)",
		"ev_cui 80 2 r=-@0(0/0) f=-@0(0/0) c=-@0(0/0) e=80@1(80/1)",
		"ev_en 80 2 r=80@1(8/2) f=-@0(0/0) c=-@0(0/0) e=-@0(0/0)",
		"ev_bo 64.29 4 flagged r=70@0.7143(7/2) f=-@0(0/0) c=50@0.2857(1/2) e=-@0(0/0)",
		"ev_du - - no_data r=-@0(0/0) f=-@0(0/0) c=-@0(0/0) e=-@0(0/0)",
	}, "\n")
	if got := ev.lines(); got != want || ev.Weights != (evalWeights{0.5, 0.1, 0.2, 0.2}) || ev.Threshold != 75 {
		t.Fatalf("September with the new settings (%+v, %v)\n got %s\nwant %s", ev.Weights, ev.Threshold, got, want)
	}

	// Bad input: 422 with a clear message, and nothing changes.
	w := func(r, f, c, e any) map[string]any {
		return map[string]any{"ratings": r, "feedback": f, "callbacks": c, "exam": e}
	}
	staff := []string{signedInAs, "ma_lin"}
	for _, tt := range []struct {
		name    string
		body    any
		headers []string
		want    string
	}{
		{"negative weight", map[string]any{"weights": w(0.5, -0.1, 0.3, 0.3), "threshold": 80}, staff, "weights.feedback must not be negative"},
		{"all zero", map[string]any{"weights": w(0, 0, 0, 0), "threshold": 80}, staff, "weights must not all be zero"},
		{"threshold over 100", map[string]any{"weights": w(1, 1, 1, 1), "threshold": 101}, staff, "threshold must be between 0 and 100"},
		{"threshold negative", map[string]any{"weights": w(1, 1, 1, 1), "threshold": -1}, staff, "threshold must be between 0 and 100"},
		{"weight missing", map[string]any{"weights": map[string]any{"ratings": 1, "feedback": 1, "callbacks": 1}, "threshold": 80}, staff, "weights.exam is required"},
		{"threshold missing", map[string]any{"weights": w(1, 1, 1, 1)}, staff, "threshold is required"},
		{"weight as text", map[string]any{"weights": w("1", 1, 1, 1), "threshold": 80}, staff, "weights.ratings must be"},
		{"no member of staff: a service token", map[string]any{"weights": w(1, 1, 1, 1), "threshold": 80}, []string{signedInAs, asService}, "sign-in or token is required"},
	} {
		var e apiError
		if code := call(t, "PUT", "/api/v1/evaluations/settings", tt.body, &e, tt.headers...); code != http.StatusUnprocessableEntity ||
			e.Error.Code != "invalid_input" || !strings.Contains(e.Error.Message, tt.want) {
			t.Errorf("%s: HTTP %d %+v, want 422 saying %q", tt.name, code, e.Error, tt.want)
		}
	}
	if code := call(t, "PUT", "/api/v1/evaluations/settings", map[string]any{"weights": w(1, 1, 1, 1), "threshold": 80}, nil,
		"X-Staff-Code", "chen_jing"); code != http.StatusUnauthorized {
		t.Errorf("settings with X-Staff-Code alone: HTTP %d, want 401", code)
	}
	var after evalSettings
	if code := call(t, "GET", "/api/v1/evaluations/settings", nil, &after); code != http.StatusOK || after.Weights != set.Weights ||
		after.Threshold != set.Threshold || after.UpdatedBy != "ma_lin" || !after.UpdatedAt.Equal(set.UpdatedAt) {
		t.Fatalf("settings after bad input %+v, want unchanged %+v", after, set)
	}
	for _, q := range []string{"?month=2026-13", "?month=2026-9", "?month=september"} {
		var e apiError
		if code := call(t, "GET", "/api/v1/evaluations"+q, nil, &e); code != http.StatusUnprocessableEntity || !strings.Contains(e.Error.Message, "month") {
			t.Errorf("evaluations%s: HTTP %d %+v, want 422", q, code, e)
		}
	}

	// Back to the defaults, then the schedule evaluates and stores last month.
	if code := call(t, "PUT", "/api/v1/evaluations/settings", defaults, nil, staff...); code != http.StatusOK {
		t.Fatalf("restore settings: HTTP %d", code)
	}
	checkEvaluationSchedule(t)
}

// checkEvaluationSchedule triggers the monthly-staff-evaluation schedule as
// a supervisor would and checks that the month before this one is stored,
// and that a second run replaces it.
func checkEvaluationSchedule(t *testing.T) {
	t.Helper()
	before := time.Now()
	var list struct{ Items []schedule }
	call(t, "GET", "/api/v1/schedules", nil, &list)
	var found bool
	for _, s := range list.Items {
		if s.ID != "monthly-staff-evaluation" {
			continue
		}
		found = true
		if next := s.NextRuns[0].In(sys.loc); s.Paused || next.Day() != 1 || next.Hour() != 7 || next.Minute() != 0 || !next.After(before) {
			t.Fatalf("schedule %+v: next run %s, want 07:00 on the 1st of a coming month", s, next)
		}
	}
	if !found {
		t.Fatalf("no monthly-staff-evaluation schedule in %+v", list.Items)
	}

	receptionists := count(t, `SELECT count(*) FROM staff WHERE active AND role = 'receptionist'`)
	// Each run evaluates the month before its own clock's (centre time).
	trigger := func() string {
		t.Helper()
		run := triggerSchedule(t, "monthly-staff-evaluation")
		month := monthBefore(runClock(t, run, workflows.EvaluateStaffActivity))
		if got := runResult[string](t, run); got != month {
			t.Fatalf("the run evaluated %s, want %s", got, month)
		}
		return month
	}
	lastMonth := trigger()
	if n := count(t, `SELECT count(*) FROM staff_evaluations WHERE month = $1`, lastMonth); n != receptionists {
		t.Fatalf("%d stored evaluations of %s, want %d", n, lastMonth, receptionists)
	}
	var ev evaluation
	if code := call(t, "GET", "/api/v1/evaluations?month="+lastMonth, nil, &ev); code != http.StatusOK || !ev.Stored || ev.GeneratedAt == nil ||
		ev.Month != lastMonth || ev.Weights != (evalWeights{0.35, 0.25, 0.2, 0.2}) || ev.Threshold != 80 || len(ev.Items) != receptionists {
		t.Fatalf("stored evaluation: HTTP %d %+v", code, ev)
	}
	// The default month is the month before the request's, which a month's
	// start in Shanghai may fall within: either side's is right then.
	var def evaluation
	asked := time.Now()
	call(t, "GET", "/api/v1/evaluations", nil, &def)
	if want := []string{monthBefore(asked), monthBefore(time.Now())}; !slices.Contains(want, def.Month) ||
		def.Stored != (def.Month == lastMonth) {
		t.Fatalf("default month %s (stored %t), want %v with %s stored", def.Month, def.Stored, want, lastMonth)
	}
	// A second run replaces the month: the same rows, generated anew.
	first := *ev.GeneratedAt
	if again := trigger(); again != lastMonth {
		// The two runs, a second apart, fell on either side of a month's
		// start in Shanghai: the next run has the second's month.
		t.Logf("the second run evaluated %s, not %s: a third replaces it", again, lastMonth)
		lastMonth = again
		if err := sys.store.Pool().QueryRow(context.Background(),
			`SELECT max(generated_at) FROM staff_evaluations WHERE month = $1`, lastMonth).Scan(&first); err != nil {
			t.Fatal(err)
		}
		if again := trigger(); again != lastMonth {
			t.Fatalf("the third run evaluated %s, want %s", again, lastMonth)
		}
	}
	if n := count(t, `SELECT count(*) FROM staff_evaluations WHERE month = $1 AND generated_at > $2`, lastMonth, first); n != receptionists {
		t.Fatalf("%d rows of %s generated anew, want %d", n, lastMonth, receptionists)
	}
	if n := count(t, `SELECT count(*) FROM staff_evaluations WHERE month = $1`, lastMonth); n != receptionists {
		t.Fatalf("%d rows for %s after the second run, want %d", n, lastMonth, receptionists)
	}
}
