package integration

import (
	"encoding/json"
	"net/http"
	"testing"
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
		number, recorded string
		routed, feedback int
		kind             string
	}{
		{"TS20261005-9001", "2026-10-05 10:00", 1, 2, "complaint"},   // both within 24 h
		{"TS20261010-9001", "2026-10-10 10:00", 30, 20, "complaint"}, // dispatched late, fed back in time
		{"TS20261020-9001", "2026-10-20 10:00", 1, -1, "complaint"},  // never fed back
		{"TS20261031-9001", "2026-10-31 23:00", 2, 25, "complaint"},  // fed back late; still October locally
		{"TS20261101-9001", "2026-11-01 00:30", 1, 1, "complaint"},   // November
		{"BX20261015-9001", "2026-10-15 09:00", 1, 1, "repair"},      // a repair, not a complaint
		{"TS20260905-9001", "2026-09-05 10:00", 1, 1, "complaint"},   // September: the baseline month
		{"TS20260906-9001", "2026-09-06 10:00", 1, 1, "complaint"},
		{"TS20260907-9001", "2026-09-07 10:00", 1, 1, "complaint"},
		{"TS20260908-9001", "2026-09-08 10:00", 1, 1, "complaint"},
		{"TS20260909-9001", "2026-09-09 10:00", 1, 1, "complaint"},
	}
	for i, c := range complaints {
		unit := 101 + i%10
		exec(`INSERT INTO case_intakes (number, kind, idempotency_key, request_hash, community, unit_id, household_id,
				resident_name, resident_phone, channel, category, description, priority, workflow_input)
			SELECT $1, $2, $1, 'h', 'KPI', u.id, h.id, '测试', '13900000000', 'walk_in', 'hygiene', 'x', 'normal', '{}'
			FROM units u JOIN households h ON h.unit_id = u.id WHERE u.community = 'KPI' AND u.code = $3`, c.number, c.kind, itoa(int64(unit)))
		exec(`INSERT INTO cases (number, kind, status, category, community, channel, priority, recorded_at, routed_at, first_feedback_at, version)
			VALUES ($1, $2, 'routed', 'hygiene', 'KPI', 'walk_in', 'normal', ($3::timestamp AT TIME ZONE 'Asia/Shanghai'),
				($3::timestamp AT TIME ZONE 'Asia/Shanghai') + make_interval(hours => $4),
				CASE WHEN $5 >= 0 THEN ($3::timestamp AT TIME ZONE 'Asia/Shanghai') + make_interval(hours => $5) END, 1)`,
			c.number, c.kind, c.recorded, c.routed, c.feedback)
	}
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
	for _, name := range []string{"satisfaction_rate", "feedback_24h_rate", "dispatch_24h_rate", "callback_coverage", "complaint_rate", "training_pass_rate"} {
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
	if tp := got["training_pass_rate"]; tp.Value != nil || tp.Denominator != 0 {
		t.Errorf("training_pass_rate %+v, want no value before any exam", tp)
	}
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
