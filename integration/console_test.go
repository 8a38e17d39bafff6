package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/auth"
	"github.com/concierge-pm/concierge/console"
	"github.com/concierge-pm/concierge/workflows"
)

// chromiumPath is Debian's Chromium, which the browser tests drive.
const chromiumPath = "/usr/bin/chromium"

// e2eDir is the browser tests' npm project (console/e2e).
const e2eDir = "../console/e2e"

// browserTools checks what the browser tests need: node, the e2e
// project's node_modules (npm ci) and Chromium. What is missing fails the
// test under CI=true and skips it, loudly, elsewhere.
func browserTools(t *testing.T) string {
	t.Helper()
	var missing []string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node (apt-get install nodejs npm)")
	}
	if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "console/e2e/node_modules (run npm ci in console/e2e)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, chromiumPath+" (apt-get install chromium)")
	}
	if len(missing) == 0 {
		return node
	}
	msg := fmt.Sprintf("the console's browser tests need %v; .ci/run installs them", missing)
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true: " + msg)
	}
	t.Skip("SKIPPING: " + msg + " (set CI=true to make this a failure)")
	return ""
}

// consoleServer is an API of this package's system with the console
// mounted, as concierge serves it.
func consoleServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(api.New(api.Config{
		Store: sys.store, Temporal: sys.temporal, TaskQueue: taskQueue, Location: sys.loc,
		WorkflowTimeout: 10 * time.Second, Tracking: sys.tracking, Auth: testAuth(), Codec: sys.codec,
		Mount: console.Mount(console.Config{Location: sys.loc, TemporalUI: "http://127.0.0.1:8233"}),
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestConsoleInBrowser runs console/e2e/console.test.mjs in Chromium
// against a server of this package's system with the console mounted, as
// concierge serves it: sign-in as receptionist, handler and supervisor and
// their homes; a complaint whose description is a script tag shown as text
// with no dialog; acknowledging and feeding back by keyboard through the
// console with the timeline changing; the language switch; a member whose
// communities exclude the case gets 404. The script prints the time to
// first render of the home, queue and case pages. Screenshots go to a
// temporary directory, or to CONCIERGE_SCREENSHOTS (the README's are made
// with CONCIERGE_SCREENSHOTS=$PWD/docs/screenshots). Not parallel: it adds
// a community and a member of staff.
func TestConsoleInBrowser(t *testing.T) {
	node := browserTools(t)
	ctx := context.Background()

	// The member out of scope: a supervisor of another community only.
	const outsider, other = "console_out_sup", "CONSOLEB"
	sql := func(q string, args ...any) {
		t.Helper()
		if _, err := sys.store.Pool().Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	sql(`INSERT INTO communities (code, name) VALUES ($1, '控制台测试小区') ON CONFLICT DO NOTHING`, other)
	sql(`INSERT INTO staff (code, name, department, role) VALUES ($1, '外区主管', 'customer_service', 'supervisor') ON CONFLICT DO NOTHING`, outsider)
	sql(`INSERT INTO staff_communities (staff_code, community_code) VALUES ($1, $2) ON CONFLICT DO NOTHING`, outsider, other)
	t.Cleanup(func() {
		// As TestCommunityScope's member: inactive, no account, no sessions.
		if _, err := sys.store.Pool().Exec(context.Background(), `
			WITH s AS (DELETE FROM sessions WHERE username IN (SELECT username FROM accounts WHERE staff_code = $1)),
				a AS (DELETE FROM accounts WHERE staff_code = $1),
				c AS (DELETE FROM staff_communities WHERE staff_code = $1)
			UPDATE staff SET active = false WHERE code = $1`, outsider); err != nil {
			t.Errorf("retire %s: %v", outsider, err)
		}
	})
	pw, err := auth.HashPassword(testPassword, cheapHash())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sys.store.CreateMissingAccounts(ctx, pw); err != nil {
		t.Fatal(err)
	}

	// A leak complaint (engineering, li_qiang) whose description is a
	// script tag, recorded through the API in community A.
	body := newComplaintBody("leak")
	body["description"] = "<script>alert(1)</script>"
	var c complaint
	if code := call(t, "POST", "/api/v1/complaints", body, &c); code != http.StatusCreated || c.Status != "routed" {
		t.Fatalf("create: HTTP %d %+v", code, c)
	}

	// A training cycle open now, for a quarter long past that no other
	// test uses, and the right answers of its exam (the trainers' bank).
	const examCycle = "2018-Q1"
	startCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if _, err := sys.temporal.ExecuteWorkflow(startCtx, client.StartWorkflowOptions{ID: "training-cycle-console-" + examCycle, TaskQueue: taskQueue},
		workflows.TrainingWorkflow, workflows.TrainingInput{Quarter: examCycle, SessionNow: true}); err != nil {
		t.Fatalf("start the %s cycle: %v", examCycle, err)
	}
	t.Cleanup(func() {
		// The cycle leaves no trace: the training KPI of the day counts
		// every cycle whose exam opened that day, and another test's
		// expects its own alone.
		ctx := context.Background()
		if err := sys.temporal.TerminateWorkflow(ctx, "training-cycle-console-"+examCycle, "", "console test done"); err != nil {
			t.Errorf("end the %s cycle: %v", examCycle, err)
		}
		for _, q := range []string{`DELETE FROM training_attempts WHERE cycle_id = $1`, `DELETE FROM training_exam_questions WHERE cycle_id = $1`,
			`DELETE FROM training_enrolments WHERE cycle_id = $1`, `DELETE FROM notifications WHERE number = $1`,
			`DELETE FROM training_cycles WHERE id = $1`} {
			if _, err := sys.store.Pool().Exec(ctx, q, examCycle); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	var cy trainingCycle
	eventually(t, 20*time.Second, "training cycle "+examCycle, func() bool {
		return call(t, "GET", "/api/v1/training/cycles/"+examCycle, nil, &cy) == http.StatusOK
	})
	var bank struct {
		Items []struct {
			ID     int64  `json:"id"`
			Answer string `json:"answer"`
		} `json:"items"`
	}
	if code := call(t, "GET", "/api/v1/training/questions?all=true", nil, &bank); code != http.StatusOK {
		t.Fatalf("question bank: HTTP %d", code)
	}
	answers := map[string]string{}
	for _, q := range cy.Questions {
		for _, b := range bank.Items {
			if b.ID == q.ID {
				answers[strconv.FormatInt(q.ID, 10)] = b.Answer
			}
		}
	}
	if len(answers) == 0 || len(answers) != len(cy.Questions) {
		t.Fatalf("answers of %d questions for an exam of %d", len(answers), len(cy.Questions))
	}
	rawAnswers, err := json.Marshal(answers)
	if err != nil {
		t.Fatal(err)
	}

	// A second leak complaint, for the field view on a phone.
	var fieldCase complaint
	if code := call(t, "POST", "/api/v1/complaints", newComplaintBody("leak"), &fieldCase); code != http.StatusCreated || fieldCase.Status != "routed" {
		t.Fatalf("create: HTTP %d %+v", code, fieldCase)
	}

	// A callback task of liu_fang's in a campaign month no other test uses,
	// for demo household A 1-106 (13800130005).
	const callMonth = "2018-05"
	sql(`INSERT INTO callback_campaigns (month, target, active_households) VALUES ($1, 0.2, 36) ON CONFLICT DO NOTHING`, callMonth)
	var task int64
	if err := sys.store.Pool().QueryRow(ctx, `INSERT INTO callback_tasks (month, household_id, assignee, reason)
		SELECT $1, h.id, 'liu_fang', 'sample' FROM households h JOIN residents r ON r.household_id = h.id
		WHERE r.phone = '13800130005' ORDER BY h.id LIMIT 1 RETURNING id`, callMonth).Scan(&task); err != nil {
		t.Fatal(err)
	}

	// An email in triage whose body is a script tag, and the fee editor's
	// community (the outsider's, which has no fee standards).
	code, mail := postEmail(t, utf8Mail(fmt.Sprintf("console-e2e-%d@mail.example", time.Now().UnixNano()), "stranger@elsewhere.example",
		"电梯又坏了", `3号楼电梯又坏了 <script>alert("mail")</script>`))
	if code != http.StatusAccepted || mail.TriageID == nil {
		t.Fatalf("email: HTTP %d %+v", code, mail)
	}
	t.Cleanup(func() {
		if _, err := sys.store.Pool().Exec(context.Background(), `DELETE FROM fee_standards WHERE community = $1`, other); err != nil {
			t.Errorf("remove the fee standards of %s: %v", other, err)
		}
	})

	srv := consoleServer(t)

	shots := os.Getenv("CONCIERGE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	runCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, node, "console.test.mjs")
	cmd.Dir = e2eDir
	cmd.Env = append(os.Environ(), "CONSOLE_URL="+srv.URL, "CONSOLE_PASSWORD="+testPassword,
		"CONSOLE_CASE="+c.Number, "CONSOLE_OUTSIDER="+outsider,
		"CONSOLE_FIELD_CASE="+fieldCase.Number, "CONSOLE_CALL_MONTH="+callMonth, "CONSOLE_CALL_TASK="+strconv.FormatInt(task, 10),
		"CONSOLE_CYCLE="+examCycle, "CONSOLE_EXAM_ANSWERS="+string(rawAnswers), "SCREENSHOT_DIR="+shots,
		"CONSOLE_EMAIL="+strconv.FormatInt(*mail.TriageID, 10), "CONSOLE_FEE_COMMUNITY="+other)
	out, err := cmd.CombinedOutput()
	t.Logf("console.test.mjs:\n%s", out)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		t.Fatalf("the browser tests failed (exit %d); see the steps marked FAIL above", exit.ExitCode())
	case err != nil:
		t.Fatalf("run node console.test.mjs: %v", err)
	}

	// The reception step's complaint, opened from a visit, was handled and
	// called back through the console: closed, by those who did it.
	m := regexp.MustCompile(`lifecycle case: (\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatal("the browser tests did not report the reception step's case")
	}
	life := get(t, string(m[1]))
	if life.Status != "closed" || life.Channel != "phone" {
		t.Errorf("the console's complaint is %s (channel %s), want closed (phone)", life.Status, life.Channel)
	}
	by := map[string]string{}
	for _, e := range life.Timeline {
		by[e.Kind] = e.Actor
	}
	for kind, who := range map[string]string{"recorded": "liu_fang", "acknowledged": "li_qiang", "resolved": "li_qiang", "callback": "liu_fang"} {
		if by[kind] != who {
			t.Errorf("%s by %q, want %s (timeline %v)", kind, by[kind], who, life.kinds())
		}
	}

	// The triaged email opened a complaint through the API, and the fee
	// editor added the standard.
	if n := count(t, `SELECT count(*) FROM inbound_emails WHERE id = $1 AND status = 'opened' AND handled_by = 'liu_fang'`, *mail.TriageID); n != 1 {
		t.Error("the email triaged in the browser is not opened by liu_fang")
	}
	if n := count(t, `SELECT count(*) FROM fee_standards WHERE community = $1 AND item = 'management' AND rate = 2.80 AND deleted_at IS NULL`, other); n != 1 {
		t.Errorf("the fee editor added %d standards to %s, want 1", n, other)
	}

	// The field view's case: accepted, fed back and resolved by li_qiang.
	field := get(t, fieldCase.Number)
	fieldBy := map[string]string{}
	for _, e := range field.Timeline {
		fieldBy[e.Kind] = e.Actor
	}
	if field.Status != "resolved" || fieldBy["acknowledged"] != "li_qiang" || fieldBy["feedback"] != "li_qiang" || fieldBy["resolved"] != "li_qiang" {
		t.Errorf("the field view's case is %s with %v, want resolved by li_qiang", field.Status, fieldBy)
	}

	// The callback task: two attempts (no answer, then reached with 4),
	// recorded through the API by liu_fang.
	var taskNow struct {
		Status, Comment string
		Attempts        int
		Score           *int
	}
	if err := sys.store.Pool().QueryRow(ctx, `SELECT status, comment, attempts, score FROM callback_tasks WHERE id = $1`, task).
		Scan(&taskNow.Status, &taskNow.Comment, &taskNow.Attempts, &taskNow.Score); err != nil {
		t.Fatal(err)
	}
	if taskNow.Status != "reached" || taskNow.Attempts != 2 || taskNow.Score == nil || *taskNow.Score != 4 {
		t.Errorf("callback task after the console: %+v, want reached at the second attempt with 4", taskNow)
	}

	// The exam sat in the browser: liu_fang passed at the first sitting, by
	// answers marked by the API, recorded by the trainer.
	if code := call(t, "GET", "/api/v1/training/cycles/"+examCycle, nil, &cy); code != http.StatusOK {
		t.Fatalf("cycle %s: HTTP %d", examCycle, code)
	}
	sat := false
	for _, st := range cy.Staff {
		if st.Staff == "liu_fang" {
			sat = st.Result == "passed" && len(st.Attempts) == 1 && st.Attempts[0].Method == "answers" && st.Attempts[0].Score == 100
		}
	}
	if !sat {
		t.Errorf("liu_fang's exam in %s: %+v, want passed with 100 by answers", examCycle, cy.Staff)
	}

	// What the browser did went through the API: the case was acknowledged
	// and fed back by li_qiang.
	got := get(t, c.Number)
	if got.Status != "in_progress" {
		t.Errorf("after the console's actions the case is %s, want in_progress", got.Status)
	}
	kinds := got.kinds()
	want := map[string]bool{"acknowledged": false, "feedback": false}
	for _, e := range got.Timeline {
		if _, ok := want[e.Kind]; ok && e.Actor == "li_qiang" {
			want[e.Kind] = true
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("no %s by li_qiang in the timeline %v", k, kinds)
		}
	}
}

// TestConsoleForms: the console's forms without the right token change
// nothing. Signing in needs the sign-in form's token; an action posted
// with another token than the session's is 403 and the case is as it was;
// with it, the action is the API's (a second post of the same form, with
// its Idempotency-Key, acts once).
func TestConsoleForms(t *testing.T) {
	t.Parallel()
	srv := consoleServer(t)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Redirects are followed, as a browser does; the answers' statuses are
	// the final pages'.
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	field := func(page, name string) string {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no field %s in the page", name)
		}
		return m[1]
	}
	page := func(path string) (int, string) {
		t.Helper()
		resp, err := browser.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		if _, err := io.Copy(&b, resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b.String()
	}
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		resp, err := browser.PostForm(srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		if _, err := io.Copy(&b, resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b.String()
	}

	c := create(t, "leak") // engineering, li_qiang
	if _, login := page("/console/login"); field(login, "csrf") == "" {
		t.Fatal("the sign-in form has no token")
	}
	creds := url.Values{"username": {"li_qiang"}, "password": {testPassword}, "next": {"/console/cases/" + c.Number}}
	code, login := post("/console/login", creds)
	if code != http.StatusForbidden {
		t.Fatalf("sign-in without the form's token: HTTP %d, want 403", code)
	}
	// The refusal shows the form again, with a new token.
	creds.Set("csrf", field(login, "csrf"))
	var casePage string
	code, casePage = post("/console/login", creds)
	if code != http.StatusOK || !strings.Contains(casePage, `id="do-acknowledge"`) {
		t.Fatalf("sign-in: HTTP %d, want the case page with its acknowledge form", code)
	}
	token, key := field(casePage, "csrf"), field(casePage, "idempotency_key")
	action := "/console/cases/" + c.Number + "/acknowledge"
	for _, bad := range []url.Values{{}, {"csrf": {"cx_not-the-token"}}, {"csrf": {""}}} {
		bad.Set("idempotency_key", key)
		if code, _ := post(action, bad); code != http.StatusForbidden {
			t.Errorf("acknowledge with csrf %q: HTTP %d, want 403", bad.Get("csrf"), code)
		}
	}
	if got := get(t, c.Number); got.Status != "routed" || len(got.Timeline) != len(c.Timeline) {
		t.Fatalf("refused forms changed the case: %s, %v", got.Status, got.kinds())
	}
	form := url.Values{"csrf": {token}, "idempotency_key": {key}}
	for i := range 2 {
		if code, body := post(action, form); code != http.StatusOK || !strings.Contains(body, `id="case-done"`) {
			t.Fatalf("acknowledge #%d: HTTP %d, want the case page saying it is done", i+1, code)
		}
	}
	got := get(t, c.Number)
	n := 0
	for _, k := range got.kinds() {
		if k == "acknowledged" {
			n++
		}
	}
	if got.Status != "in_progress" || n != 1 {
		t.Errorf("after the form was posted twice: %s with %d acknowledgements, want in_progress with 1", got.Status, n)
	}
	// Signing out ends the session: the console sends the browser to sign in.
	if code, _ := post("/console/logout", url.Values{"csrf": {token}}); code != http.StatusOK {
		t.Errorf("sign out: HTTP %d", code)
	}
	if _, body := page("/console/queue"); !strings.Contains(body, `action="/console/login"`) {
		t.Error("after signing out the queue did not lead to the sign-in page")
	}
}
