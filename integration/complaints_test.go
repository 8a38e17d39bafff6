package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/concierge-pm/concierge/domain"
)

func TestComplaintLifecycleThroughHTTP(t *testing.T) {
	t.Parallel()
	c := create(t, "leak")
	if c.Status != "routed" || c.Department != "engineering" || c.Assignee != "li_qiang" || c.Priority != "urgent" {
		t.Fatalf("new leak complaint: %+v", c)
	}
	if !domain.ValidCaseNumber(c.Number) || !strings.HasPrefix(c.Number, "TS") {
		t.Fatalf("case number %q", c.Number)
	}
	if got := c.Deadlines["resolution"].Sub(c.RecordedAt); got != 24*time.Hour {
		t.Fatalf("urgent resolution window %s, want 24h", got)
	}
	assertKinds(t, c.kinds(), []string{"recorded", "routed"})

	act(t, c.Number, "acknowledge", nil, http.StatusOK)
	c = act(t, c.Number, "feedback", map[string]any{"message": "维修师傅下午两点上门"}, http.StatusOK)
	if c.Status != "in_progress" || !slices.Contains(c.AllowedActions, "resolve") {
		t.Fatalf("after feedback: %+v", c)
	}
	c = act(t, c.Number, "resolve", map[string]any{"resolution": "更换破裂水管"}, http.StatusOK)
	if c.Status != "resolved" || c.Deadlines["callback"] == nil || !slices.Equal(c.AllowedActions, []string{"callback"}) {
		t.Fatalf("after resolve: %+v", c)
	}
	c = act(t, c.Number, "callback", map[string]any{"reached": true, "score": 5, "comment": "很满意"}, http.StatusOK)
	if c.Status != "closed" || len(c.AllowedActions) != 0 {
		t.Fatalf("after callback: %+v", c)
	}
	c = get(t, c.Number)
	assertKinds(t, c.kinds(), []string{"recorded", "routed", "acknowledged", "feedback", "resolved", "callback", "closed"})

	if n := count(t, `SELECT count(*) FROM notifications WHERE number = $1 AND audience = 'resident'`, c.Number); n != 4 {
		t.Errorf("resident notifications %d, want 4 (recorded, feedback, resolved, callback request)", n)
	}
	// The acknowledgement explains the process with the case's own limits (urgent: 24 h to resolve).
	if n := count(t, `SELECT count(*) FROM notifications WHERE number = $1 AND template = 'complaint_recorded'
		AND params->>'feedback_within' = '24h' AND params->>'resolve_within' = '24h' AND params->>'callback_within' = '48h'`, c.Number); n != 1 {
		t.Errorf("acknowledgement without the process limits")
	}
	if n := count(t, `SELECT count(*) FROM ratings WHERE number = $1 AND score = 5 AND source = 'complaint_callback'`, c.Number); n != 1 {
		t.Errorf("ratings %d, want 1", n)
	}
	if n := count(t, `SELECT count(*) FROM cases WHERE number = $1 AND status = 'closed' AND closed_at IS NOT NULL`, c.Number); n != 1 {
		t.Errorf("read model not closed")
	}
}

func TestComplaintAwaitingTriageIsRoutedBySupervisor(t *testing.T) {
	t.Parallel()
	c := create(t, "other")
	if c.Status != "awaiting_triage" || c.Department != "" {
		t.Fatalf("uncategorised complaint: %+v", c)
	}
	act(t, c.Number, "route", map[string]any{"department": "cleaning", "assignee": "li_qiang"}, http.StatusUnprocessableEntity)
	var c2 complaint
	code := call(t, "POST", "/api/v1/complaints/"+c.Number+"/route", map[string]any{"department": "cleaning", "assignee": "feng_xia"}, &c2,
		signedInAs, "chen_jing")
	if code != http.StatusOK || c2.Status != "routed" || c2.Assignee != "feng_xia" {
		t.Fatalf("route: HTTP %d %+v", code, c2)
	}
	if last := c2.Timeline[len(c2.Timeline)-1]; last.Kind != "routed" || last.Actor != "chen_jing" {
		t.Fatalf("routing event %+v", last)
	}
	c2 = act(t, c.Number, "withdraw", map[string]any{"reason": "住户已自行解决"}, http.StatusOK)
	if c2.Status != "withdrawn" {
		t.Fatalf("withdraw: %+v", c2)
	}
}

func TestRacingDuplicateCreatesGiveOneComplaint(t *testing.T) {
	t.Parallel()
	body := newComplaintBody("noise")
	key := fmt.Sprintf("race-%d", time.Now().UnixNano())
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	codes := make([]int, n)
	numbers := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Not call: it would call t.Fatal off the test's goroutine.
			var c complaint
			codes[i], errs[i] = request("POST", "/api/v1/complaints", "application/json", bytes.NewReader(raw), &c, "Idempotency-Key", key)
			numbers[i] = c.Number
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	created := 0
	for i := range n {
		switch codes[i] {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			t.Fatalf("request %d: HTTP %d", i, codes[i])
		}
		if numbers[i] != numbers[0] || numbers[i] == "" {
			t.Fatalf("different numbers for one key: %v", numbers)
		}
	}
	if created != 1 {
		t.Fatalf("%d requests answered 201, want exactly 1 (codes %v)", created, codes)
	}
	if got := count(t, `SELECT count(*) FROM case_intakes WHERE idempotency_key = $1`, key); got != 1 {
		t.Fatalf("%d intakes for one key", got)
	}
	if got := count(t, `SELECT count(*) FROM case_events WHERE number = $1`, numbers[0]); got != 2 {
		t.Fatalf("%d timeline events, want 2 (recorded, routed)", got)
	}
	// A later replay answers 200 with the same case; the same key with another body is refused.
	var again complaint
	if code := call(t, "POST", "/api/v1/complaints", body, &again, "Idempotency-Key", key); code != http.StatusOK || again.Number != numbers[0] {
		t.Fatalf("replay: HTTP %d number %s", code, again.Number)
	}
	other := newComplaintBody("noise")
	var e apiError
	if code := call(t, "POST", "/api/v1/complaints", other, &e, "Idempotency-Key", key); code != http.StatusUnprocessableEntity || e.Error.Code != "idempotency_key_reused" {
		t.Fatalf("reused key: HTTP %d %+v", code, e)
	}
}

// snapshotCounts counts every row a complaint action could write.
func snapshotCounts(t *testing.T) [5]int {
	return [5]int{
		count(t, `SELECT count(*) FROM case_intakes`),
		count(t, `SELECT count(*) FROM case_events`),
		count(t, `SELECT count(*) FROM notifications`),
		count(t, `SELECT count(*) FROM ratings`),
		count(t, `SELECT coalesce(sum(version), 0) FROM cases`),
	}
}

// Not parallel: it compares whole-table counts before and after.
func TestRejectedRequestsWriteNothing(t *testing.T) {
	c := create(t, "hygiene")
	before := snapshotCounts(t)
	bad := []struct {
		name   string
		method string
		path   string
		body   any
		want   int
		code   string
	}{
		{"resolve before acknowledge", "POST", "/complaints/" + c.Number + "/resolve", map[string]any{"resolution": "x"}, 409, "invalid_transition"},
		{"callback before resolve", "POST", "/complaints/" + c.Number + "/callback", map[string]any{"reached": true, "score": 5}, 409, "invalid_transition"},
		{"empty feedback", "POST", "/complaints/" + c.Number + "/feedback", map[string]any{"message": "   "}, 422, "invalid_input"},
		{"feedback missing", "POST", "/complaints/" + c.Number + "/feedback", nil, 422, "invalid_input"},
		{"route unknown department", "POST", "/complaints/" + c.Number + "/route", map[string]any{"department": "kitchen"}, 422, "invalid_input"},
		{"callback score out of range", "POST", "/complaints/" + c.Number + "/callback", map[string]any{"reached": true, "score": 6}, 422, "invalid_input"},
		{"callback without reached", "POST", "/complaints/" + c.Number + "/callback", map[string]any{"score": 5}, 422, "invalid_input"},
		{"malformed json", "POST", "/complaints/" + c.Number + "/feedback", `{"message":`, 422, "invalid_input"},
		{"unknown action", "POST", "/complaints/" + c.Number + "/escalate", nil, 404, "not_found"},
		{"unknown case", "POST", "/complaints/TS20200101-9999/acknowledge", nil, 404, "not_found"},
		{"garbage case number", "GET", "/complaints/DROP%20TABLE", nil, 404, "not_found"},
		{"unknown staff header", "POST", "/complaints/" + c.Number + "/acknowledge", nil, 401, "unauthenticated"},
		{"create unknown unit", "POST", "/complaints", map[string]any{"community": "A", "unit": "9-999", "resident": map[string]any{"name": "x", "phone": "13900000000"}, "channel": "phone", "category": "noise", "description": "x"}, 422, "invalid_input"},
		{"create unknown category", "POST", "/complaints", map[string]any{"community": "A", "unit": "1-101", "resident": map[string]any{"name": "x", "phone": "13900000000"}, "channel": "phone", "category": "ghosts", "description": "x"}, 422, "invalid_input"},
		{"create bad channel", "POST", "/complaints", map[string]any{"community": "A", "unit": "1-101", "resident": map[string]any{"name": "x", "phone": "13900000000"}, "channel": "fax", "category": "noise", "description": "x"}, 422, "invalid_input"},
		{"create bad phone", "POST", "/complaints", map[string]any{"community": "A", "unit": "1-101", "resident": map[string]any{"name": "x", "phone": "call me"}, "channel": "phone", "category": "noise", "description": "x"}, 422, "invalid_input"},
		{"create missing resident", "POST", "/complaints", map[string]any{"community": "A", "unit": "1-101", "channel": "phone", "category": "noise", "description": "x"}, 422, "invalid_input"},
		{"create NUL in description", "POST", "/complaints", map[string]any{"community": "A", "unit": "1-101", "resident": map[string]any{"name": "x", "phone": "13900000000"}, "channel": "phone", "category": "noise", "description": "a\u0000b"}, 422, "invalid_input"},
		{"create NUL in unit", "POST", "/complaints", map[string]any{"community": "A", "unit": "1-101\u0000", "resident": map[string]any{"name": "x", "phone": "13900000000"}, "channel": "phone", "category": "noise", "description": "x"}, 422, "invalid_input"},
		{"feedback with control character", "POST", "/complaints/" + c.Number + "/feedback", map[string]any{"message": "ok\u0007"}, 422, "invalid_input"},
		{"list with NUL in filter", "GET", "/complaints?community=A%00", nil, 422, "invalid_input"},
		{"create bad priority", "POST", "/complaints", map[string]any{"community": "A", "unit": "1-101", "resident": map[string]any{"name": "x", "phone": "13900000000"}, "channel": "phone", "category": "noise", "description": "x", "priority": "asap"}, 422, "invalid_input"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var e apiError
			headers := []string{}
			if tt.name == "unknown staff header" {
				headers = []string{"X-Staff-Code", "nobody"}
			}
			code := call(t, tt.method, "/api/v1"+tt.path, tt.body, &e, headers...)
			if code != tt.want || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Fatalf("HTTP %d %+v, want %d %s with a message", code, e, tt.want, tt.code)
			}
		})
	}
	if after := snapshotCounts(t); after != before {
		t.Fatalf("rejected requests wrote rows: before %v after %v", before, after)
	}
	// The case still works after all that.
	if c2 := act(t, c.Number, "acknowledge", nil, http.StatusOK); c2.Status != "in_progress" {
		t.Fatalf("acknowledge after rejections: %+v", c2)
	}
}

// TestWorkerRestartMidCase stops the worker while a case's deadlines pass,
// starts a new one, and checks that the missed deadlines are acted on and
// the case finishes with a complete timeline.
func TestWorkerRestartMidCase(t *testing.T) {
	fastCategory(t, "it_restart", map[string]string{
		"dispatch_within": "2s", "feedback_within": "2s", "resolve_within": "1h", "urgent_resolve_within": "1h",
		"callback_within": "1h", "escalate_every": "1h",
	})
	c := create(t, "it_restart")
	if got := c.Deadlines["first_feedback"].Sub(c.RecordedAt); got != 2*time.Second {
		t.Fatalf("case did not take the handbook's limit in force: feedback window %s", got)
	}
	sys.stopWorker()
	restarted := false
	defer func() {
		if !restarted {
			_ = sys.startWorker()
		}
	}()
	time.Sleep(3 * time.Second) // the 2 s feedback deadline passes with no worker
	var e apiError
	// An update needs a worker; without one the API answers 503 after its timeout.
	if code := call(t, "POST", "/api/v1/complaints/"+c.Number+"/acknowledge", nil, &e); code != http.StatusServiceUnavailable || e.Error.Code != "unavailable" {
		t.Fatalf("acknowledge without a worker: HTTP %d %+v, want 503 unavailable", code, e)
	}
	if err := sys.startWorker(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	eventually(t, 30*time.Second, "the missed feedback deadline to be escalated", func() bool {
		got := get(t, c.Number)
		return got.SLABreached && slices.Contains(got.kinds(), "escalated")
	})
	got := get(t, c.Number)
	if got.Status == "routed" {
		act(t, c.Number, "acknowledge", nil, http.StatusOK)
	}
	act(t, c.Number, "feedback", map[string]any{"message": "已安排"}, http.StatusOK)
	act(t, c.Number, "resolve", map[string]any{"resolution": "已修复"}, http.StatusOK)
	got = act(t, c.Number, "callback", map[string]any{"reached": true, "score": 4}, http.StatusOK)
	if got.Status != "closed" || !got.SLABreached || got.EscalationLevel < 1 {
		t.Fatalf("after restart: %+v", got)
	}
	got = get(t, c.Number)
	// Every event once, in sequence: nothing lost, nothing doubled.
	if n := count(t, `SELECT count(DISTINCT seq) FROM case_events WHERE number = $1`, c.Number); n != len(got.Timeline) {
		t.Fatalf("timeline has %d entries but %d distinct sequence numbers", len(got.Timeline), n)
	}
	if n := count(t, `SELECT max(seq) FROM case_events WHERE number = $1`, c.Number); n != len(got.Timeline) {
		t.Fatalf("timeline has gaps: max seq %d for %d events", n, len(got.Timeline))
	}
	for _, k := range []string{"recorded", "routed", "escalated", "acknowledged", "feedback", "resolved", "callback", "closed"} {
		if !slices.Contains(got.kinds(), k) {
			t.Errorf("timeline lacks %s: %v", k, got.kinds())
		}
	}
	// The reminder is due at 1.6 s, most likely while the worker is down:
	// a reminder whose deadline had passed when the worker came back is not
	// sent, so any reminder there is came before the 2 s deadline.
	for _, e := range got.Timeline {
		if e.Kind == "reminder" && !e.At.Before(got.RecordedAt.Add(2*time.Second)) {
			t.Errorf("a reminder at +%s, after its deadline at +2s: %v", e.At.Sub(got.RecordedAt), got.kinds())
		}
	}
}

func TestSearchAttributesFindEscalatedCases(t *testing.T) {
	t.Parallel()
	fastCategory(t, "it_breach", map[string]string{
		"dispatch_within": "1s", "feedback_within": "1s", "resolve_within": "1h", "urgent_resolve_within": "1h",
		"callback_within": "1h", "escalate_every": "1h",
	})
	c := create(t, "it_breach")
	eventually(t, 20*time.Second, "SLA breach", func() bool { return get(t, c.Number).SLABreached })
	query := fmt.Sprintf("CaseCategory = 'it_breach' AND SlaBreached = true AND EscalationLevel >= 1 AND Community = 'A' AND WorkflowId = 'complaint/%s'", c.Number)
	eventually(t, 20*time.Second, "visibility to list the breached case", func() bool {
		resp, err := sys.temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		return err == nil && len(resp.GetExecutions()) == 1
	})
	resp, err := sys.temporal.DescribeWorkflowExecution(context.Background(), "complaint/"+c.Number, "")
	if err != nil {
		t.Fatal(err)
	}
	var summary *commonpb.Payload
	if stored := resp.GetExecutionConfig().GetUserMetadata().GetSummary(); stored != nil {
		decoded, err := sys.codec.Decode([]*commonpb.Payload{stored})
		if err != nil {
			t.Fatal(err)
		}
		summary = decoded[0]
	}
	if summary == nil || !strings.Contains(string(summary.GetData()), c.Number) || strings.Contains(string(summary.GetData()), "测试住户") {
		t.Fatalf("static summary %q should name the case and no resident", summary.GetData())
	}
	act(t, c.Number, "withdraw", nil, http.StatusOK)
}

func TestListComplaintsFiltersAndPages(t *testing.T) {
	t.Parallel()
	fastCategory(t, "it_list", map[string]string{})
	var made []string
	for range 5 {
		made = append(made, create(t, "it_list").Number)
	}
	act(t, made[0], "acknowledge", nil, http.StatusOK)

	var seen []string
	token := ""
	pages := 0
	for {
		var page struct {
			Items []complaint `json:"items"`
			Next  string      `json:"next_page_token"`
		}
		path := "/api/v1/complaints?category=it_list&page_size=2"
		if token != "" {
			path += "&page_token=" + token
		}
		if code := call(t, "GET", path, nil, &page); code != http.StatusOK {
			t.Fatalf("list: HTTP %d", code)
		}
		pages++
		for _, it := range page.Items {
			seen = append(seen, it.Number)
		}
		if page.Next == "" {
			break
		}
		token = page.Next
	}
	slices.Sort(seen)
	want := slices.Clone(made)
	slices.Sort(want)
	if !slices.Equal(seen, want) || pages != 3 {
		t.Fatalf("pages %d listed %v, want %v in 3 pages", pages, seen, want)
	}
	var page struct {
		Items []complaint `json:"items"`
	}
	call(t, "GET", "/api/v1/complaints?category=it_list&status=in_progress", nil, &page)
	if len(page.Items) != 1 || page.Items[0].Number != made[0] {
		t.Fatalf("status filter: %+v", page.Items)
	}
	// status=open: the oldest case, still open, on a page of one, though
	// four newer ones are closed.
	for _, n := range made[1:] {
		act(t, n, "withdraw", nil, http.StatusOK)
	}
	call(t, "GET", "/api/v1/complaints?category=it_list&status=open&page_size=1", nil, &page)
	if len(page.Items) != 1 || page.Items[0].Number != made[0] {
		t.Fatalf("status=open: %+v, want only %s", page.Items, made[0])
	}
	call(t, "GET", "/api/v1/complaints?q="+made[2], nil, &page)
	if len(page.Items) != 1 || page.Items[0].Number != made[2] {
		t.Fatalf("q filter: %+v", page.Items)
	}
	var e apiError
	if code := call(t, "GET", "/api/v1/complaints?page_token=garbage!", nil, &e); code != 422 {
		t.Fatalf("bad token: HTTP %d", code)
	}
	if code := call(t, "GET", "/api/v1/complaints?status=lost", nil, &e); code != 422 {
		t.Fatalf("bad status: HTTP %d", code)
	}
	act(t, made[0], "withdraw", nil, http.StatusOK)
	call(t, "GET", "/api/v1/complaints?category=it_list&status=open", nil, &page)
	if len(page.Items) != 0 {
		t.Fatalf("status=open after every case closed: %+v", page.Items)
	}
}

func TestReopenedTwiceThenClosedUnresolvedThroughHTTP(t *testing.T) {
	t.Parallel()
	c := create(t, "elevator")
	for round := 1; round <= 3; round++ {
		act(t, c.Number, "acknowledge", nil, http.StatusOK)
		act(t, c.Number, "resolve", map[string]any{"resolution": fmt.Sprintf("第 %d 次维修", round)}, http.StatusOK)
		c = act(t, c.Number, "callback", map[string]any{"reached": true, "score": 2, "comment": "电梯仍然异响"}, http.StatusOK)
		if round < 3 && (c.Status != "reopened" || c.Reopens != round) {
			t.Fatalf("round %d: %+v", round, c)
		}
	}
	if c.Status != "closed_unresolved" || c.EscalationLevel != domain.TopLevel {
		t.Fatalf("after the reopen limit: %+v", c)
	}
	if n := count(t, `SELECT count(*) FROM ratings WHERE number = $1 AND score = 2`, c.Number); n != 3 {
		t.Fatalf("ratings %d, want 3", n)
	}
	if n := count(t, `SELECT count(*) FROM notifications WHERE number = $1 AND template = 'complaint_reopened' AND audience = 'resident'`, c.Number); n != 2 {
		t.Fatalf("reopen notices %d, want 2", n)
	}
}

func TestUnreachableResidentThroughHTTP(t *testing.T) {
	t.Parallel()
	c := create(t, "parking")
	act(t, c.Number, "acknowledge", nil, http.StatusOK)
	act(t, c.Number, "resolve", map[string]any{"resolution": "已清理占用车位的车辆"}, http.StatusOK)
	for range 3 {
		c = act(t, c.Number, "callback", map[string]any{"reached": false}, http.StatusOK)
	}
	if c.Status != "closed_unreachable" {
		t.Fatalf("after three unreached callbacks: %+v", c)
	}
	act(t, c.Number, "callback", map[string]any{"reached": true, "score": 5}, http.StatusConflict)
}
