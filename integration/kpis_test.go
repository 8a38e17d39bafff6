package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/xuri/excelize/v2"
)

type kpi struct {
	Numerator   int64    `json:"numerator"`
	Denominator int64    `json:"denominator"`
	Value       *float64 `json:"value"`
	Target      *float64 `json:"target"`
	Met         *bool    `json:"met"`
}

// TestKPIsAgainstHandCount loads a small October into a community of its own
// and checks every figure against a count by hand.
func TestKPIsAgainstHandCount(t *testing.T) {
	t.Parallel()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := sys.store.Pool().Exec(t.Context(), q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO communities (code, name) VALUES ('KPI', '指标测试小区')`)
	exec(servedLikeA, "KPI")
	exec(`INSERT INTO buildings (community, code, name) VALUES ('KPI', '1', '1号楼')`)
	// Ten households living there, one moved out.
	for i := 1; i <= 11; i++ {
		exec(`WITH u AS (INSERT INTO units (community, building, code, floor_area) VALUES ('KPI', '1', $1, 80) RETURNING id)
			INSERT INTO households (unit_id, active) SELECT id, $2 FROM u`, itoa(int64(100+i)), i <= 10)
	}
	household := func(unit int) int64 {
		return int64(count(t, `SELECT h.id FROM households h JOIN units u ON u.id = h.unit_id WHERE u.community = 'KPI' AND u.code = $1`, itoa(int64(unit))))
	}
	// Complaints, times in Asia/Shanghai: recorded, then routed and first feedback so many hours later (-1: never).
	complaints := []struct {
		number, recorded           string
		routed, feedback, resolved int // hours after recording; -1: never
		kind                       string
		unit                       int
		category, department       string
	}{
		{"TS20261005-9001", "2026-10-05 10:00", 1, 2, 10, "complaint", 101, "hygiene", "cleaning"},  // both within 24 h
		{"TS20261010-9001", "2026-10-10 10:00", 30, 20, 30, "complaint", 102, "noise", "security"},  // dispatched late, fed back in time
		{"TS20261020-9001", "2026-10-20 10:00", 1, -1, -1, "complaint", 101, "hygiene", "cleaning"}, // never fed back; 101 again
		{"TS20261031-9001", "2026-10-31 23:00", 2, 25, 50, "complaint", 103, "hygiene", "cleaning"}, // fed back late; still October locally
		{"TS20261101-9001", "2026-11-01 00:30", 1, 1, 2, "complaint", 105, "hygiene", "cleaning"},   // November
		{"BX20261015-9001", "2026-10-15 09:00", 1, 1, 2, "repair", 106, "plumbing", "engineering"},  // a repair, not a complaint
		{"TS20260905-9001", "2026-09-05 10:00", 1, 1, 2, "complaint", 107, "hygiene", "cleaning"},   // September: the baseline month
		{"TS20260906-9001", "2026-09-06 10:00", 1, 1, 2, "complaint", 108, "hygiene", "cleaning"},
		{"TS20260907-9001", "2026-09-07 10:00", 1, 1, 2, "complaint", 109, "hygiene", "cleaning"},
		{"TS20260908-9001", "2026-09-08 10:00", 1, 1, 2, "complaint", 110, "hygiene", "cleaning"},
		{"TS20260909-9001", "2026-09-09 10:00", 1, 1, 2, "complaint", 104, "hygiene", "cleaning"},
	}
	for _, c := range complaints {
		unit := c.unit
		exec(`INSERT INTO case_intakes (number, kind, idempotency_key, request_hash, community, unit_id, household_id,
				resident_name, resident_phone, channel, category, description, priority, workflow_input)
			SELECT $1, $2, $1, 'h', 'KPI', u.id, h.id, '测试', '13900000000', 'walk_in', $4, 'x', 'normal', '{}'
			FROM units u JOIN households h ON h.unit_id = u.id WHERE u.community = 'KPI' AND u.code = $3`, c.number, c.kind, itoa(int64(unit)), c.category)
		exec(`INSERT INTO cases (number, kind, status, category, department, community, channel, priority, recorded_at, routed_at,
				first_feedback_at, resolved_at, version, unit_id)
			VALUES ($1, $2, 'routed', $6, $7, 'KPI', 'walk_in', 'normal', ($3::timestamp AT TIME ZONE 'Asia/Shanghai'),
				($3::timestamp AT TIME ZONE 'Asia/Shanghai') + make_interval(hours => $4),
				CASE WHEN $5 >= 0 THEN ($3::timestamp AT TIME ZONE 'Asia/Shanghai') + make_interval(hours => $5) END,
				CASE WHEN $8 >= 0 THEN ($3::timestamp AT TIME ZONE 'Asia/Shanghai') + make_interval(hours => $8) END, 1,
				(SELECT unit_id FROM case_intakes WHERE number = $1))`,
			c.number, c.kind, c.recorded, c.routed, c.feedback, c.category, c.department, c.resolved)
	}
	exec(`INSERT INTO training_cycles (id, workflow_id, run_id, session_on, topics, pass_mark, exam_opens, exam_closes, retake_seconds, enrolled)
		VALUES ('2018-Q4', 'kpi-it', 'run', '2026-10-09', '[]', 80, '2026-10-09 09:00+08', '2026-10-23 09:00+08', 604800, 4)`)
	exec(`INSERT INTO training_enrolments (cycle_id, staff) VALUES ('2018-Q4', 'liu_fang'), ('2018-Q4', 'zhao_min'), ('2018-Q4', 'li_qiang'), ('2018-Q4', 'wang_lei')`)
	exec(`INSERT INTO training_attempts (cycle_id, staff, attempt, score, passed, method, recorded_by, recorded_at) VALUES
		('2018-Q4', 'liu_fang', 1, 95, true, 'trainer', 'chen_jing', '2026-10-10 10:00+08'),
		('2018-Q4', 'zhao_min', 1, 80, true, 'trainer', 'chen_jing', '2026-10-10 10:00+08'),
		('2018-Q4', 'li_qiang', 1, 70, false, 'trainer', 'chen_jing', '2026-10-10 10:00+08'),
		('2018-Q4', 'li_qiang', 2, 88, true, 'trainer', 'chen_jing', '2026-10-15 10:00+08')`)
	exec(`INSERT INTO visits (community, visitor_name, purpose, channel, receptionist) VALUES ('KPI', '访客', 'inquiry', 'walk_in', 'liu_fang')`)
	visit := count(t, `SELECT max(id) FROM visits WHERE community = 'KPI'`)
	ratings := []struct {
		source, number string
		household      int64
		visit          int
		score          int
		by, at         string
	}{
		{"complaint_callback", "TS20261005-9001", household(101), 0, 5, "front_desk", "2026-10-07 10:00"},
		{"complaint_callback", "TS20261010-9001", household(102), 0, 2, "front_desk", "2026-10-12 10:00"},
		{"visit_exit", "", 0, visit, 4, "visitor", "2026-10-12 11:00"},
		{"campaign_call", "", household(103), 0, 3, "zhao_min", "2026-10-15 10:00"},
		{"campaign_call", "", household(101), 0, 5, "zhao_min", "2026-10-16 10:00"},                       // 101 again: one household
		{"complaint_callback", "TS20261020-9001", household(104), 0, 4, "resident", "2026-10-25 10:00"},   // link, not a call
		{"complaint_callback", "TS20261101-9001", household(105), 0, 1, "front_desk", "2026-11-02 10:00"}, // November
		{"complaint_callback", "TS20260905-9001", household(107), 0, 5, "front_desk", "2026-09-10 10:00"}, // September
	}
	for i, r := range ratings {
		exec(`INSERT INTO ratings (source, number, household_id, visit_id, score, rated_by, rated_at, idempotency_key)
			VALUES ($1, nullif($2, ''), nullif($3, 0), nullif($4, 0), $5, $6, ($7::timestamp AT TIME ZONE 'Asia/Shanghai'), $8)`,
			r.source, r.number, r.household, r.visit, r.score, r.by, r.at, "kpi-test-"+itoa(int64(i)))
	}

	var raw map[string]json.RawMessage
	if code := call(t, "GET", "/api/v1/kpis?from=2026-10-01&to=2026-10-31&community=KPI&baseline=2026-09", nil, &raw); code != http.StatusOK {
		t.Fatalf("kpis: HTTP %d", code)
	}
	got := map[string]kpi{}
	for _, name := range []string{"satisfaction_rate", "feedback_24h_rate", "dispatch_24h_rate", "callback_coverage", "complaint_rate", "training_pass_rate", "training_first_pass_rate"} {
		var k kpi
		if err := json.Unmarshal(raw[name], &k); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got[name] = k
	}
	// By hand: ratings 5, 2, 4, 3, 5, 4 → 4 of 6 satisfied; 4 October complaints, all windows closed,
	// fed back in 24 h: 9001 of 10-05 and 10-10 → 2; dispatched in 24 h: 10-05, 10-20, 10-31 → 3;
	// households reached by a call: 101, 102, 103 of 10; 4 complaints × 100 / 10 households / 1 month = 40,
	// against September's 50 less 30 % = 35.
	want := map[string]struct {
		num, den int64
		value    float64
		target   float64
		met      bool
	}{
		"satisfaction_rate": {4, 6, 0.6667, 0.85, false},
		"feedback_24h_rate": {2, 4, 0.5, 0.95, false},
		"dispatch_24h_rate": {3, 4, 0.75, 1, false},
		"callback_coverage": {3, 10, 0.3, 0.2, true},
		"complaint_rate":    {4, 10, 40, 35, false},
	}
	for name, w := range want {
		k := got[name]
		if k.Numerator != w.num || k.Denominator != w.den || k.Value == nil || *k.Value != w.value ||
			k.Target == nil || *k.Target != w.target || k.Met == nil || *k.Met != w.met {
			t.Errorf("%s = %+v (value %v, target %v, met %v), want %+v", name, k, deref(k.Value), deref(k.Target), k.Met, w)
		}
	}
	// The October exam (a cycle of its own, named for a year no other test
	// uses): 4 enrolled; a and b pass at once, c passes the retake, d is
	// absent. Staff serve every community, so the filter does not apply.
	for name, w := range map[string]struct {
		num, den int64
		value    float64
	}{"training_pass_rate": {3, 4, 0.75}, "training_first_pass_rate": {2, 4, 0.5}} {
		if k := got[name]; k.Numerator != w.num || k.Denominator != w.den || k.Value == nil || *k.Value != w.value || *k.Target != 0.9 || *k.Met {
			t.Errorf("%s = %+v (value %v), want %d/%d", name, k, deref(k.Value), w.num, w.den)
		}
	}
	checkReport(t)

	var e apiError
	for q, want := range map[string]int{
		"?community=NOPE":                http.StatusNotFound,
		"?community=%27x":                http.StatusUnprocessableEntity,
		"?from=2026-10-32":               http.StatusUnprocessableEntity,
		"?from=2026-10-10&to=2026-10-01": http.StatusUnprocessableEntity,
		"?from=2020-01-01&to=2026-01-01": http.StatusUnprocessableEntity,
		"?baseline=2026-13":              http.StatusUnprocessableEntity,
	} {
		if code := call(t, "GET", "/api/v1/kpis"+q, nil, &e); code != want {
			t.Errorf("kpis%s: HTTP %d, want %d", q, code, want)
		}
	}
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// checkReport checks October's complaint analysis of the same data by hand.
func checkReport(t *testing.T) {
	t.Helper()
	type count struct {
		Key, Name string
		Count     int64
	}
	type repeat struct {
		Key     string
		Count   int64
		Numbers []string
	}
	var r struct {
		Month        string
		Complaints   int64
		ByCategory   []count  `json:"by_category"`
		ByDepartment []count  `json:"by_department"`
		ByBuilding   []count  `json:"by_building"`
		RepeatUnits  []repeat `json:"repeat_units"`
		RepeatSpots  []repeat `json:"repeat_spots"`
		Median       *float64 `json:"resolution_median_hours"`
		P90          *float64 `json:"resolution_p90_hours"`
		Resolved     int64
		Dispatch     kpi      `json:"dispatch_24h_rate"`
		Feedback     kpi      `json:"feedback_24h_rate"`
		Rate         kpi      `json:"complaint_rate"`
		Change       *float64 `json:"change_vs_baseline"`
		Satisfaction []struct {
			Month              string
			Satisfied, Ratings int64
		} `json:"satisfaction_trend"`
		TopProblems []struct {
			Category string
			Count    int64
			Examples []string
		} `json:"top_problems"`
	}
	if code := call(t, "GET", "/api/v1/reports/complaints?month=2026-10&community=KPI&baseline=2026-09", nil, &r); code != http.StatusOK {
		t.Fatalf("report: HTTP %d", code)
	}
	got := fmt.Sprintf("%s %d | cat %v | dept %v | bldg %v | units %v | spots %v | resolved %d median %v p90 %v | dispatch %d/%d feedback %d/%d | rate %v change %v | trend %v | top %v",
		r.Month, r.Complaints, r.ByCategory, r.ByDepartment, r.ByBuilding, r.RepeatUnits, r.RepeatSpots, r.Resolved, deref(r.Median), deref(r.P90),
		r.Dispatch.Numerator, r.Dispatch.Denominator, r.Feedback.Numerator, r.Feedback.Denominator, deref(r.Rate.Value), deref(r.Change), r.Satisfaction, r.TopProblems)
	// By hand: October has 4 complaints: hygiene on 10-05 (unit 101), 10-20 (101 again) and 10-31 (103),
	// noise on 10-10 (102); all in building 1. Resolved after 10, 30 and 50 hours: median 30, and
	// p90 = 30 + 0.8 × (50 − 30) = 46. Rate 4 × 100 / 10 = 40 against September's 50: −20 %.
	// Ratings: September one of one satisfied, October four of six.
	want := "2026-10 4 | cat [{hygiene 公共卫生 3} {noise 噪音扰民 1}] | dept [{cleaning 保洁部 3} {security 安保部 1}] | bldg [{KPI/1 1号楼 4}] | " +
		"units [{KPI/101 2 [TS20261005-9001 TS20261020-9001]}] | spots [{KPI/1/hygiene 3 [TS20261005-9001 TS20261020-9001 TS20261031-9001]}] | " +
		"resolved 3 median 30 p90 46 | dispatch 3/4 feedback 2/4 | rate 40 change -0.2 | trend [{2026-09 1 1} {2026-10 4 6}] | " +
		"top [{hygiene 3 [TS20261031-9001 TS20261020-9001 TS20261005-9001]} {noise 1 [TS20261010-9001]}]"
	if got != want {
		t.Errorf("report\n got %s\nwant %s", got, want)
	}
	// The workbook has the same figures.
	resp, err := staffClient().Get(sys.http.URL + "/api/v1/reports/complaints?month=2026-10&community=KPI&baseline=2026-09&format=xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	f, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatalf("report workbook: %v", err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("概况 Summary", "B3"); v != "4" {
		t.Errorf("workbook complaints %q, want 4", v)
	}
	if v, _ := f.GetCellValue("类别 Categories", "C2"); v != "3" {
		t.Errorf("workbook hygiene count %q, want 3", v)
	}
}
