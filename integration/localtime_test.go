package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// rfc3339String matches a JSON string that is a whole RFC 3339 time.
var rfc3339String = regexp.MustCompile(`"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))"`)

// TestAnswersUseTheCentresTimeZone walks the answers of many endpoints,
// after making sure each has times to show, and fails on any time that is
// not in the centre's zone (+08:00 in Asia/Shanghai).
func TestAnswersUseTheCentresTimeZone(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	checkAnswer := func(what string, status int, raw []byte) {
		t.Helper()
		if status >= 400 {
			t.Errorf("%s: HTTP %d %s", what, status, raw)
			return
		}
		for _, m := range rfc3339String.FindAllSubmatch(raw, -1) {
			seen[what]++
			if !strings.HasSuffix(string(m[1]), "+08:00") {
				t.Errorf("%s: time %s is not in the centre's zone (+08:00)", what, m[1])
			}
		}
	}
	send := func(method, path string, body any, headers ...string) []byte {
		t.Helper()
		var raw json.RawMessage
		code, err := request(method, path, "application/json", jsonBody(t, body), &raw, headers...)
		if err != nil {
			t.Fatal(err)
		}
		checkAnswer(method+" "+path, code, raw)
		return raw
	}

	// Something with times behind every endpoint: a complaint acted on, a
	// visit, an email left for triage, a callback made, an archived month.
	var c struct {
		Number   string `json:"number"`
		TrackURL string `json:"track_url"`
	}
	if err := json.Unmarshal(send("POST", "/api/v1/complaints", newComplaintBody("hygiene")), &c); err != nil || c.Number == "" {
		t.Fatalf("create a complaint: %v", err)
	}
	send("POST", "/api/v1/complaints/"+c.Number+"/acknowledge", nil, signedInAs, "feng_xia")
	var v struct{ ID int64 }
	if err := json.Unmarshal(send("POST", "/api/v1/visits", map[string]any{"community": "A", "unit": "1-101", "purpose": "inquiry"},
		signedInAs, "liu_fang"), &v); err != nil || v.ID == 0 {
		t.Fatalf("record a visit: %v", err)
	}
	send("POST", fmt.Sprintf("/api/v1/visits/%d/exit", v.ID), map[string]any{"score": 5})
	id := fmt.Sprintf("tz-%d@example.com", time.Now().UnixNano())
	if status, a := postEmail(t, utf8Mail(id, "someone@example.org", "咨询", "请问物业办公时间？")); status != http.StatusAccepted || a.TriageID == nil {
		t.Fatalf("email for triage: HTTP %d %+v", status, a)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := sys.store.Pool().Exec(t.Context(), q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// A callback task of a month no other test uses, called without reaching anyone.
	exec(`INSERT INTO callback_campaigns (month, target, active_households) VALUES ('2019-07', 0.2, 36)`)
	var task int64
	if err := sys.store.Pool().QueryRow(t.Context(), `INSERT INTO callback_tasks (month, household_id, assignee, reason)
		VALUES ('2019-07', (SELECT min(id) FROM households), 'liu_fang', 'sample') RETURNING id`).Scan(&task); err != nil {
		t.Fatal(err)
	}
	send("POST", fmt.Sprintf("/api/v1/callbacks/%d/result", task), map[string]any{"reached": false}, signedInAs, "liu_fang")
	exec(`INSERT INTO complaint_reports (month, community, report) VALUES ('2019-08', 'A', '{"month": "2019-08", "community": "A"}')`)

	for _, path := range []string{
		"/api/v1/complaints/" + c.Number,
		"/api/v1/complaints?page_size=20",
		"/api/v1/repairs?page_size=20",
		"/api/v1/handbook/categories",
		"/api/v1/handbook/categories/hygiene",
		fmt.Sprintf("/api/v1/visits/%d", v.ID),
		"/api/v1/visits",
		"/api/v1/notifications?limit=50",
		"/api/v1/intake/emails",
		"/api/v1/callbacks?month=2019-07",
		"/api/v1/callbacks/coverage?month=2019-07",
		"/api/v1/schedules",
		"/api/v1/reports/complaints/archive",
		"/api/v1/reports/complaints/archive/2019-08?community=A",
		"/api/v1/evaluations/settings",
		"/api/v1/evaluations",
		"/api/v1/training/cycles",
		"/api/v1/training/questions",
		"/api/v1/kpis",
		"/api/v1/communities/A/fees",
		"/api/v1/track/" + strings.TrimPrefix(c.TrackURL, "/t/"),
	} {
		send("GET", path, nil)
	}
	// Each of these answers has times of its own; a walk that found none
	// would prove nothing.
	for _, what := range []string{
		"POST /api/v1/complaints", "GET /api/v1/complaints/" + c.Number, "GET /api/v1/handbook/categories",
		"GET /api/v1/intake/emails", "GET /api/v1/callbacks?month=2019-07", "GET /api/v1/notifications?limit=50",
		"GET /api/v1/visits", "GET /api/v1/schedules", "GET /api/v1/reports/complaints/archive",
		"GET /api/v1/evaluations/settings", "GET /api/v1/reports/complaints/archive/2019-08?community=A",
	} {
		if seen[what] == 0 {
			t.Errorf("%s: no times in the answer", what)
		}
	}
}
