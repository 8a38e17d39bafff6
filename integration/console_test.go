package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/auth"
	"github.com/concierge-pm/concierge/console"
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

	// The API with the console mounted, as concierge serves it.
	srv := httptest.NewServer(api.New(api.Config{
		Store: sys.store, Temporal: sys.temporal, TaskQueue: taskQueue, Location: sys.loc,
		WorkflowTimeout: 10 * time.Second, Tracking: sys.tracking, Auth: testAuth(), Codec: sys.codec,
		Mount: console.Mount(console.Config{Location: sys.loc, TemporalUI: "http://127.0.0.1:8233"}),
	}))
	defer srv.Close()

	shots := os.Getenv("CONCIERGE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	runCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, node, "console.test.mjs")
	cmd.Dir = e2eDir
	cmd.Env = append(os.Environ(), "CONSOLE_URL="+srv.URL, "CONSOLE_PASSWORD="+testPassword,
		"CONSOLE_CASE="+c.Number, "CONSOLE_OUTSIDER="+outsider, "SCREENSHOT_DIR="+shots)
	out, err := cmd.CombinedOutput()
	t.Logf("console.test.mjs:\n%s", out)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		t.Fatalf("the browser tests failed (exit %d); see the steps marked FAIL above", exit.ExitCode())
	case err != nil:
		t.Fatalf("run node console.test.mjs: %v", err)
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
