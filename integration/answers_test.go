package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/mailin"
	"github.com/concierge-pm/concierge/store"
)

// answer is a case answer with what says where its state comes from and
// whether its record could be read.
type answer struct {
	complaint
	Source            string `json:"source"`
	RecordUnavailable bool   `json:"record_unavailable"`
	Notice            string `json:"notice"`
}

// callAt is call against an API server of the test's own.
func callAt(t *testing.T, base, method, path string, body any, out any, headers ...string) int {
	t.Helper()
	code, err := requestAt(base, method, path, "application/json", jsonBody(t, body), out, headers...)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// apiServer starts an API of the test's own on the shared Temporal and
// worker, with the given store and query bound.
func apiServer(t *testing.T, st *store.Store, queryTimeout time.Duration) string {
	t.Helper()
	h := httptest.NewServer(api.New(api.Config{
		Store: st, Temporal: sys.temporal, TaskQueue: taskQueue, Location: sys.loc, Tracking: sys.tracking,
		Logger:          slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		WorkflowTimeout: 10 * time.Second, QueryTimeout: queryTimeout, EmailSecret: []byte(testEmailSecret), Auth: testAuth(),
	}))
	t.Cleanup(h.Close)
	return h.URL
}

// TestCaseAnswerSaysWhereItsStateComesFrom: a closed case is answered from
// the read model and says it is current (live) whether or not a worker is
// up; an open case is answered by its workflow while the worker is up, and
// from the read model with live false when the workflow cannot answer.
// Not parallel: it stops the worker.
func TestCaseAnswerSaysWhereItsStateComesFrom(t *testing.T) {
	open := create(t, "hygiene")
	closed := create(t, "hygiene")
	act(t, closed.Number, "withdraw", nil, http.StatusOK)
	// A bound no busy test machine reaches, so the worker's answer is asked for and awaited.
	patient := apiServer(t, sys.store, time.Minute)

	var a answer
	if code := callAt(t, patient, "GET", "/api/v1/complaints/"+open.Number, nil, &a); code != http.StatusOK ||
		a.Source != "workflow" || !a.Live || a.Status != "routed" {
		t.Fatalf("open case with the worker up: HTTP %d source %q live %t status %s", code, a.Source, a.Live, a.Status)
	}
	check := func(when string) {
		t.Helper()
		var a answer
		if code := call(t, "GET", "/api/v1/complaints/"+closed.Number, nil, &a); code != http.StatusOK ||
			a.Source != "read_model" || !a.Live || a.Status != "withdrawn" || len(a.Timeline) == 0 {
			t.Fatalf("closed case %s: HTTP %d source %q live %t status %s", when, code, a.Source, a.Live, a.Status)
		}
	}
	check("with the worker up")

	sys.stopWorker()
	restarted := false
	defer func() {
		if !restarted {
			_ = sys.startWorker()
		}
	}()
	check("with the worker down")
	// The shared API's default bound: the answer falls back and says so.
	if code := call(t, "GET", "/api/v1/complaints/"+open.Number, nil, &a); code != http.StatusOK ||
		a.Source != "read_model" || a.Live || a.Status != "routed" || len(a.Timeline) != 2 {
		t.Fatalf("open case with the worker down: HTTP %d source %q live %t status %s timeline %d",
			code, a.Source, a.Live, a.Status, len(a.Timeline))
	}
	if err := sys.startWorker(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	act(t, open.Number, "withdraw", nil, http.StatusOK)
}

// limitedStore opens the test database as a role that may read and write
// everything except case_events, the timeline, and what the revokes take
// away ("%s" is the role): an API on it can take every step of an action
// (its checks read other tables; the worker writes the records), and only
// reading the timeline afterwards fails, as it would if PostgreSQL went away
// between the update and the answer.
func limitedStore(t *testing.T, revokes ...string) *store.Store {
	t.Helper()
	ctx := context.Background()
	role := fmt.Sprintf("concierge_it_limited_%d_%d", os.Getpid(), time.Now().UnixNano()%1_000_000)
	ident := pgx.Identifier{role}.Sanitize()
	admin := sys.store.Pool()
	grants := []string{
		"CREATE ROLE " + ident + " LOGIN",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + ident,
		"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO " + ident,
		"REVOKE ALL ON case_events FROM " + ident,
	}
	for _, r := range revokes {
		grants = append(grants, fmt.Sprintf(r, ident))
	}
	for _, q := range grants {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	cfg := admin.Config().ConnConfig
	u := url.URL{Scheme: "postgres", User: url.User(role), Host: fmt.Sprintf("%s:%d", cfg.Host, cfg.Port), Path: "/" + cfg.Database}
	st, err := store.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.Close()
		// The role is the cluster's: drop it, with its grants in this database.
		for _, q := range []string{"DROP OWNED BY " + ident, "DROP ROLE " + ident} {
			if _, err := admin.Exec(context.Background(), q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	return st
}

// TestAppliedActionAnswersEvenWhenItsRecordCannotBeRead: when a create or an
// action has been applied and only reading its record back fails, the
// answer is the 2xx of the change with the state the workflow returned and
// a flag, never a 5xx; and a retry with the same Idempotency-Key gets the
// same answer instead of a 409, even once the action has finished the case.
func TestAppliedActionAnswersEvenWhenItsRecordCannotBeRead(t *testing.T) {
	t.Parallel()
	limited := apiServer(t, limitedStore(t), 0)
	key := fmt.Sprintf("answers-%d", time.Now().UnixNano())

	body := newComplaintBody("hygiene")
	var a answer
	code := callAt(t, limited, "POST", "/api/v1/complaints", body, &a, "Idempotency-Key", key+"-create")
	if code != http.StatusCreated || a.Number == "" || a.Status != "routed" || !a.RecordUnavailable || a.Notice == "" ||
		len(a.Timeline) != 0 || a.Source != "workflow" {
		t.Fatalf("create whose timeline cannot be read: HTTP %d %+v", code, a)
	}
	number := a.Number
	var again answer
	if code := call(t, "POST", "/api/v1/complaints", body, &again, "Idempotency-Key", key+"-create"); code != http.StatusOK ||
		again.Number != number || again.RecordUnavailable || len(again.Timeline) != 2 {
		t.Fatalf("retried create: HTTP %d %+v, want 200 with %s and its timeline", code, again, number)
	}

	act(t, number, "acknowledge", nil, http.StatusOK)
	resolve := map[string]any{"resolution": "楼道已清理"}
	code = callAt(t, limited, "POST", "/api/v1/complaints/"+number+"/resolve", resolve, &a, "Idempotency-Key", key+"-resolve")
	if code != http.StatusOK || a.Status != "resolved" || !a.RecordUnavailable || a.Notice == "" ||
		len(a.AllowedActions) != 1 || a.AllowedActions[0] != "callback" || a.Deadlines["callback"] == nil {
		t.Fatalf("resolve whose timeline cannot be read: HTTP %d %+v", code, a)
	}
	if n := count(t, `SELECT count(*) FROM case_events WHERE number = $1 AND kind = 'resolved'`, number); n != 1 {
		t.Fatalf("%d resolved events recorded, want 1", n)
	}
	// The client retries, as a 5xx would have made it: the same key gets the
	// same outcome; without one the case says it is resolved already.
	if code := call(t, "POST", "/api/v1/complaints/"+number+"/resolve", resolve, &again, "Idempotency-Key", key+"-resolve"); code != http.StatusOK ||
		again.Status != "resolved" || again.RecordUnavailable || again.kinds()[len(again.Timeline)-1] != "resolved" {
		t.Fatalf("retried resolve: HTTP %d %+v, want 200 resolved", code, again)
	}
	act(t, number, "resolve", resolve, http.StatusConflict)
	if n := count(t, `SELECT count(*) FROM case_events WHERE number = $1 AND kind = 'resolved'`, number); n != 1 {
		t.Fatalf("%d resolved events after the retries, want 1", n)
	}

	// The callback that closes the case, retried once the workflow has finished.
	callback := map[string]any{"reached": true, "score": 5}
	if code := call(t, "POST", "/api/v1/complaints/"+number+"/callback", callback, &a, "Idempotency-Key", key+"-callback"); code != http.StatusOK || a.Status != "closed" {
		t.Fatalf("callback: HTTP %d %+v", code, a)
	}
	eventually(t, 20*time.Second, "the workflow to finish", func() bool {
		d, err := sys.temporal.DescribeWorkflowExecution(context.Background(), "complaint/"+number, "")
		return err == nil && d.GetWorkflowExecutionInfo().GetCloseTime() != nil
	})
	if code := call(t, "POST", "/api/v1/complaints/"+number+"/callback", callback, &again, "Idempotency-Key", key+"-callback"); code != http.StatusOK ||
		again.Status != "closed" || again.Source != "workflow" {
		t.Fatalf("callback retried after the case finished: HTTP %d %+v, want 200 closed", code, again)
	}
	var e apiError
	if code := call(t, "POST", "/api/v1/complaints/"+number+"/callback", callback, &e, "Idempotency-Key", key+"-other"); code != http.StatusConflict ||
		e.Error.Code != "invalid_transition" {
		t.Fatalf("a new callback on a finished case: HTTP %d %+v, want 409", code, e)
	}
	if n := count(t, `SELECT count(*) FROM ratings WHERE number = $1`, number); n != 1 {
		t.Fatalf("%d ratings, want 1", n)
	}
}

// TestEmailCaseOpenedButNotFiledSaysSo: when an email has opened a case and
// only marking the email fails, the 5xx names the case and says the same
// request finishes the job; it does, without a second case.
func TestEmailCaseOpenedButNotFiledSaysSo(t *testing.T) {
	t.Parallel()
	limited := apiServer(t, limitedStore(t, "REVOKE INSERT, UPDATE ON inbound_emails FROM %s"), 0)
	opened := regexp.MustCompile(`(complaint|repair) ((TS|BX)\d{8}-\d{4}) was opened`)

	// A supervisor opens an email from the triage queue.
	code, tr := postEmail(t, utf8Mail(fmt.Sprintf("unfiled-%d@mail.example", time.Now().UnixNano()), "visitor@elsewhere.example", "门口", "单元门坏了"))
	if code != http.StatusAccepted || tr.TriageID == nil {
		t.Fatalf("triage: HTTP %d %+v", code, tr)
	}
	path := fmt.Sprintf("/api/v1/intake/emails/%d/open", *tr.TriageID)
	open := map[string]any{"kind": "repair", "community": "A", "unit": "3-102", "category": "door_lock",
		"resident": map[string]any{"name": "来信人", "phone": "13900000019"}}
	var e apiError
	code = callAt(t, limited, "POST", path, open, &e, signedInAs, "chen_jing")
	m := opened.FindStringSubmatch(e.Error.Message)
	if code != http.StatusInternalServerError || e.Error.Code != "incomplete" || m == nil || !strings.Contains(e.Error.Message, "same request again") {
		t.Fatalf("open whose email cannot be marked: HTTP %d %+v", code, e)
	}
	var r answer
	if code := call(t, "POST", path, open, &r, signedInAs, "chen_jing"); code != http.StatusOK || r.Number != m[2] {
		t.Fatalf("the same request again: HTTP %d %+v, want 200 with %s", code, r, m[2])
	}
	if n := count(t, `SELECT count(*) FROM inbound_emails WHERE id = $1 AND status = 'opened' AND case_number = $2`, *tr.TriageID, m[2]); n != 1 {
		t.Fatal("the email is not linked to its case after the retry")
	}

	// The webhook opens a case from a resident's email.
	raw := utf8Mail(fmt.Sprintf("unfiled-%d@mail.example", time.Now().UnixNano()), "resident04@example.com", "噪音", "楼上每晚噪音扰民")
	req, err := http.NewRequestWithContext(t.Context(), "POST", limited+"/api/v1/intake/email", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "message/rfc822")
	req.Header.Set("X-Concierge-Signature", mailin.Sign([]byte(testEmailSecret), raw))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	m = opened.FindStringSubmatch(e.Error.Message)
	if resp.StatusCode != http.StatusInternalServerError || e.Error.Code != "incomplete" || m == nil {
		t.Fatalf("webhook whose email cannot be stored: HTTP %d %+v", resp.StatusCode, e)
	}
	// The gateway retries: the same case, and the email is stored.
	if code, a := postEmail(t, raw); code != http.StatusCreated || a.Number != m[2] {
		t.Fatalf("the gateway's retry: HTTP %d %+v, want %s", code, a, m[2])
	}
	if n := count(t, `SELECT count(*) FROM case_intakes WHERE number = $1`, m[2]); n != 1 {
		t.Fatalf("%d intakes for %s", n, m[2])
	}
}
