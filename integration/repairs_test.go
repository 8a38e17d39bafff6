package integration

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

type repairCase struct {
	complaint
	Kind    string `json:"kind"`
	CallRef string `json:"call_ref"`
}

func newRepairBody(category string) map[string]any {
	b := newComplaintBody(category)
	b["description"] = "测试报修内容"
	return b
}

func createRepair(t *testing.T, body map[string]any) repairCase {
	t.Helper()
	var r repairCase
	var e apiError
	if code := call(t, "POST", "/api/v1/repairs", body, &r); code != http.StatusCreated {
		call(t, "POST", "/api/v1/repairs", body, &e)
		t.Fatalf("create repair: HTTP %d %+v", code, e)
	}
	return r
}

func actRepair(t *testing.T, number, action string, body any, want int, headers ...string) repairCase {
	t.Helper()
	var r repairCase
	var e apiError
	var out any = &r
	if want >= 400 {
		out = &e
	}
	if code := call(t, "POST", "/api/v1/repairs/"+number+"/"+action, body, out, headers...); code != want {
		t.Fatalf("%s %s: HTTP %d, want %d (%+v)", action, number, code, want, e)
	}
	return r
}

func TestBurstPipeByPhoneClosedOnSatisfiedOnSiteRating(t *testing.T) {
	t.Parallel()
	body := newRepairBody("pipe_burst")
	body["channel"] = "phone"
	body["call_ref"] = "CALL-20261128-0042"
	r := createRepair(t, body)
	if !strings.HasPrefix(r.Number, "BX") || r.Kind != "repair" || r.Status != "dispatched" ||
		r.Department != "engineering" || r.Assignee != "li_qiang" || r.Priority != "urgent" || r.CallRef != "CALL-20261128-0042" {
		t.Fatalf("new repair %+v", r)
	}
	// The promise of the category: feedback within 30 minutes, completion within 4 hours.
	if fb := r.Deadlines["first_feedback"]; fb == nil || fb.Sub(r.RecordedAt) != 30*time.Minute {
		t.Fatalf("first_feedback deadline %v, recorded %v", fb, r.RecordedAt)
	}
	if res := r.Deadlines["resolution"]; res == nil || res.Sub(r.RecordedAt) != 4*time.Hour {
		t.Fatalf("resolution deadline %v", res)
	}
	assertKinds(t, r.kinds(), []string{"recorded", "dispatched"})
	r = actRepair(t, r.Number, "arrive", nil, http.StatusOK, signedInAs, "li_qiang")
	if r.Status != "on_site" {
		t.Fatalf("after arrive: %s", r.Status)
	}
	actRepair(t, r.Number, "feedback", map[string]any{"message": "已关闭总阀，正在更换管段"}, http.StatusOK)
	r = actRepair(t, r.Number, "complete", map[string]any{"resolution": "更换破裂水管", "score": 5, "comment": "很及时"}, http.StatusOK)
	if r.Status != "closed" || len(r.AllowedActions) != 0 || r.SLABreached {
		t.Fatalf("after a satisfied on-site rating (unless_rated): %+v", r)
	}
	assertKinds(t, r.kinds(), []string{"recorded", "dispatched", "on_site", "feedback", "completed", "closed"})
	if n := count(t, `SELECT count(*) FROM ratings WHERE number = $1 AND source = 'repair_onsite' AND score = 5 AND community = 'A'`, r.Number); n != 1 {
		t.Fatalf("%d on-site ratings", n)
	}
	if n := count(t, `SELECT count(*) FROM cases c JOIN case_intakes i USING (number)
		WHERE c.number = $1 AND c.kind = 'repair' AND c.status = 'closed' AND c.unit_id = i.unit_id`, r.Number); n != 1 {
		t.Fatal("read model does not hold the closed repair")
	}
	// A finished repair takes no more actions.
	actRepair(t, r.Number, "complete", map[string]any{"resolution": "again"}, http.StatusConflict)
}

func TestGeneralRepairWaitsForCallback(t *testing.T) {
	t.Parallel()
	r := createRepair(t, newRepairBody("general_repair"))
	// No responsible person in the handbook: dispatched to the department, a head assigns it.
	if r.Assignee != "" || r.Department != "engineering" {
		t.Fatalf("new repair %+v", r)
	}
	actRepair(t, r.Number, "dispatch", map[string]any{"assignee": "wu_gang"}, http.StatusUnprocessableEntity) // security, not engineering
	r = actRepair(t, r.Number, "dispatch", map[string]any{"assignee": "wang_lei"}, http.StatusOK, signedInAs, "zhang_wei")
	if r.Assignee != "wang_lei" {
		t.Fatalf("after dispatch: %+v", r)
	}
	r = actRepair(t, r.Number, "complete", map[string]any{"resolution": "更换灯具"}, http.StatusOK, signedInAs, "wang_lei")
	if r.Status != "completed" || r.Deadlines["callback"] == nil || !slices.Contains(r.AllowedActions, "callback") {
		t.Fatalf("policy always: %+v", r)
	}
	r = actRepair(t, r.Number, "callback", map[string]any{"reached": true, "score": 4}, http.StatusOK)
	if r.Status != "closed" {
		t.Fatalf("after callback: %s", r.Status)
	}
	if n := count(t, `SELECT count(*) FROM ratings WHERE number = $1 AND source = 'repair_callback'`, r.Number); n != 1 {
		t.Fatalf("%d callback ratings", n)
	}
	var list struct{ Items []repairCase }
	call(t, "GET", "/api/v1/repairs?status=closed&page_size=200", nil, &list)
	found := false
	for _, it := range list.Items {
		found = found || it.Number == r.Number
		if it.Kind != "repair" {
			t.Errorf("repair list holds a %s: %s", it.Kind, it.Number)
		}
	}
	if !found {
		t.Errorf("%s missing from the repair list", r.Number)
	}
	var complaints struct{ Items []complaint }
	call(t, "GET", "/api/v1/complaints?page_size=200", nil, &complaints)
	for _, it := range complaints.Items {
		if strings.HasPrefix(it.Number, "BX") {
			t.Errorf("complaint list holds repair %s", it.Number)
		}
	}
}

func TestMissedRepairPromiseEscalates(t *testing.T) {
	t.Parallel()
	// 5 s: the reminder at 4 s is sent only while its deadline is ahead, so
	// a timer late by a busy second must not make it pass the deadline.
	fastCategory(t, "fast_repair", map[string]string{"kind": "repair", "feedback_within": "5s", "resolve_within": "1h",
		"urgent_resolve_within": "1h", "callback_policy": "never"})
	r := createRepair(t, newRepairBody("fast_repair"))
	eventually(t, 20*time.Second, "the missed promise to escalate", func() bool {
		var got repairCase
		call(t, "GET", "/api/v1/repairs/"+r.Number, nil, &got)
		return got.SLABreached && got.EscalationLevel == 1
	})
	r = actRepair(t, r.Number, "complete", map[string]any{"resolution": "已修复"}, http.StatusOK)
	if r.Status != "closed" {
		t.Fatalf("policy never: %s", r.Status)
	}
	kinds := strings.Join(r.kinds(), ",")
	if !strings.Contains(kinds, "reminder") || !strings.Contains(kinds, "escalated") {
		t.Fatalf("timeline %s lacks the reminder and the escalation", kinds)
	}
}

func TestRejectedRepairRequests(t *testing.T) {
	t.Parallel()
	r := createRepair(t, newRepairBody("plumbing"))
	tc := complaintForRejections(t)
	var e apiError
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/api/v1/repairs", newRepairBody("noise"), http.StatusUnprocessableEntity},       // a complaint category
		{"POST", "/api/v1/complaints", newRepairBody("plumbing"), http.StatusUnprocessableEntity}, // a repair category
		{"POST", "/api/v1/repairs", withField(newRepairBody("plumbing"), "call_ref", "C-1"), http.StatusUnprocessableEntity},
		{"GET", "/api/v1/repairs/" + tc, nil, http.StatusNotFound},
		{"GET", "/api/v1/complaints/" + r.Number, nil, http.StatusNotFound},
		{"POST", "/api/v1/repairs/" + r.Number + "/resolve", map[string]any{"resolution": "x"}, http.StatusNotFound},
		{"POST", "/api/v1/complaints/" + tc + "/arrive", nil, http.StatusNotFound},
		{"POST", "/api/v1/repairs/" + r.Number + "/complete", map[string]any{}, http.StatusUnprocessableEntity},
		{"POST", "/api/v1/repairs/" + r.Number + "/complete", map[string]any{"resolution": "x", "score": 7}, http.StatusUnprocessableEntity},
		{"POST", "/api/v1/repairs/" + r.Number + "/dispatch", map[string]any{}, http.StatusUnprocessableEntity},
		{"POST", "/api/v1/repairs/" + r.Number + "/callback", map[string]any{"reached": true, "score": 5}, http.StatusConflict},
	} {
		if code := call(t, c.method, c.path, c.body, &e); code != c.want || e.Error.Code == "" {
			t.Errorf("%s %s: HTTP %d %+v, want %d", c.method, c.path, code, e, c.want)
		}
	}
	got := actRepair(t, r.Number, "cancel", map[string]any{"reason": "住户自行修好"}, http.StatusOK)
	// Nothing the rejected requests sent reached the timeline: only the cancel.
	assertKinds(t, got.kinds(), append(r.kinds(), "cancelled"))
	if got.Status != "cancelled" {
		t.Fatalf("after a cancel: %s", got.Status)
	}
}

func complaintForRejections(t *testing.T) string { return create(t, "hygiene").Number }

func withField(b map[string]any, k string, v any) map[string]any {
	b[k] = v
	return b
}
