package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/internal/testdb"
)

// readmeBase is the address the README's examples use; the test runs them
// against its own instance and rewrites it.
const readmeBase = "http://127.0.0.1:8080"

// readmeMetrics is where the README's examples read /metrics (the default
// CONCIERGE_METRICS_ADDR), rewritten like readmeBase.
const readmeMetrics = "http://127.0.0.1:9090/metrics"

// readmeEmailSecret is the secret the README exports before starting
// Concierge for email intake.
const readmeEmailSecret = "change-me"

// readmeDemoPassword is the demo accounts' password the README exports
// before starting Concierge and signing in.
const readmeDemoPassword = "concierge-demo"

// TestREADMEExamples starts a fresh `concierge dev` (a new database, a new
// data directory) and runs every runnable ```sh block of the README in
// order, in one bash session, as a newcomer would paste them. A command
// fails the test when it exits non-zero, when one of its HTTP requests fails
// and the README shows no error, or when its answer differs from the one the
// README shows after "# →".
func TestREADMEExamples(t *testing.T) {
	md, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	steps, err := readmeSteps(md)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) < 40 {
		t.Fatalf("only %d example commands found in the README", len(steps))
	}
	for _, tool := range []string{"bash", "curl", "jq", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			// The README's examples use them; .ci/run installs any missing.
			t.Fatalf("the README's examples need %s: %v", tool, err)
		}
	}
	base, metrics := startDev(t)
	checkMetricsApart(t, base, metrics)

	work := t.TempDir()
	home := t.TempDir()
	// Every curl writes its HTTP status to stderr, so the test knows the
	// status of each request without changing what the README shows.
	if err := os.WriteFile(filepath.Join(home, ".curlrc"), []byte("write-out = \"%{stderr}\\n@@http %{http_code}\\n\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sh := newShell(t, work, append(os.Environ(), "HOME="+home, "CURL_HOME="+home, "CONCIERGE_EMAIL_SECRET="+readmeEmailSecret))
	for _, st := range steps {
		cmd := strings.ReplaceAll(strings.ReplaceAll(st.Command, readmeMetrics, metrics), readmeBase, base)
		out, errOut, code := sh.run(t, cmd)
		statuses := httpStatuses(errOut)
		if waitRE.MatchString(st.Command) && len(statuses) > 1 {
			// A loop that waits for something: only its last request counts.
			statuses = statuses[len(statuses)-1:]
		}
		exp := parseExpectation(strings.ReplaceAll(st.Expect, readmeBase, base))
		var problems []string
		if code != 0 {
			problems = append(problems, fmt.Sprintf("exit status %d", code))
		}
		problems = append(problems, exp.check(out, statuses)...)
		if len(problems) > 0 {
			t.Errorf("README line %d:\n%s\n%s\nanswer: %s\nstderr: %s", st.Line, st.Command, strings.Join(problems, "\n"), clip(out), clip(stripStatuses(errOut)))
		}
	}
}

// startDev runs `concierge dev` in this process on free ports with a fresh
// database and data directory, and returns the base URL of its API and the
// URL of its metrics.
func startDev(t *testing.T) (string, string) {
	t.Helper()
	dbURL := testdb.New(t, "concierge_readme")

	gin.SetMode(gin.ReleaseMode)
	t.Setenv("CONCIERGE_EMAIL_SECRET", readmeEmailSecret)
	t.Setenv("CONCIERGE_DEMO_PASSWORD", readmeDemoPassword)
	pr, pw := io.Pipe()
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() {
		done <- runDev(runCtx, []string{
			"--database-url", dbURL, "--data-dir", t.TempDir(),
			"--http-addr", "127.0.0.1:0", "--temporal-port", "0", "--ui-port", "0", "--metrics-addr", "127.0.0.1:0",
		}, pw, logger)
		pw.Close()
	}()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("concierge dev stopped with %v", err)
		}
	})
	apiRE := regexp.MustCompile(`API:\s+(http://\S+)/api/v1`)
	metricsRE := regexp.MustCompile(`Metrics:\s+(http://\S+)`)
	lines := bufio.NewScanner(pr)
	found := make(chan [2]string, 1)
	go func() {
		var urls [2]string
		for lines.Scan() {
			if m := apiRE.FindStringSubmatch(lines.Text()); m != nil {
				urls[0] = m[1]
			}
			if m := metricsRE.FindStringSubmatch(lines.Text()); m != nil {
				urls[1] = m[1]
			}
			if strings.HasPrefix(lines.Text(), "Press Ctrl-C") {
				found <- urls
			}
		}
	}()
	select {
	case urls := <-found:
		if urls[0] == "" || urls[1] == "" {
			t.Fatalf("concierge dev did not say where its API and metrics are: %q", urls)
		}
		return urls[0], urls[1]
	case err := <-done:
		t.Fatalf("concierge dev did not start: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("concierge dev did not say it was running within 2 minutes")
	}
	return "", ""
}

// checkMetricsApart: `concierge dev` serves /metrics where it says it does
// (README "Using the API"), and not on the API's port.
func checkMetricsApart(t *testing.T, base, metrics string) {
	t.Helper()
	for _, tt := range []struct {
		url    string
		status int
		has    string
	}{
		{metrics, http.StatusOK, "go_goroutines"},
		{base + "/metrics", http.StatusNotFound, `"not_found"`},
	} {
		resp, err := http.Get(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.has) {
			t.Errorf("GET %s: HTTP %d %.200s; want %d with %s", tt.url, resp.StatusCode, body, tt.status, tt.has)
		}
	}
}

// shell is one bash process that runs the README's commands one after the
// other, so that variables set by one are there for the next.
type shell struct {
	proc   *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	errOut *bufio.Reader
	n      int
}

func newShell(t *testing.T, dir string, env []string) *shell {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc")
	cmd.Dir, cmd.Env = dir, env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	return &shell{proc: cmd, stdin: stdin, out: bufio.NewReader(stdout), errOut: bufio.NewReader(stderr)}
}

// run runs one command and returns its standard output, its standard error
// and its exit status. A marker line after each stream ends the command's
// output.
func (s *shell) run(t *testing.T, command string) (string, string, int) {
	t.Helper()
	s.n++
	marker := fmt.Sprintf("@@end-of-step-%d", s.n)
	script := fmt.Sprintf("%s\n__rc=$?\nprintf '\\n%s %%d\\n' \"$__rc\"\nprintf '\\n%s\\n' >&2\n", command, marker, marker)
	if _, err := io.WriteString(s.stdin, script); err != nil {
		t.Fatalf("write to bash: %v", err)
	}
	type result struct {
		out, errOut string
		code        int
		err         error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		var rest string
		if r.out, rest, r.err = readUntil(s.out, marker); r.err == nil {
			r.code, _ = strconv.Atoi(strings.TrimSpace(rest))
			r.errOut, _, r.err = readUntil(s.errOut, marker)
		}
		done <- r
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("bash stopped: %v\n%s", r.err, r.out)
		}
		return r.out, r.errOut, r.code
	case <-time.After(stepTimeout):
		_ = s.proc.Process.Kill()
		t.Fatalf("the command did not finish within %s:\n%s", stepTimeout, command)
		return "", "", 0
	}
}

// stepTimeout bounds one README command; the slowest wait for a workflow
// to write something, and a loop that never ends fails here.
const stepTimeout = 90 * time.Second

func readUntil(r *bufio.Reader, marker string) (string, string, error) {
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if strings.HasPrefix(line, marker) {
			return strings.TrimSuffix(b.String(), "\n"), strings.TrimPrefix(strings.TrimSpace(line), marker), nil
		}
		b.WriteString(line)
		if err != nil {
			return b.String(), "", err
		}
	}
}

var waitRE = regexp.MustCompile(`\b(until|while)\b`)

var statusLineRE = regexp.MustCompile(`(?m)^@@http (\d{3})$`)

func httpStatuses(stderr string) []int {
	var out []int
	for _, m := range statusLineRE.FindAllStringSubmatch(stderr, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

func stripStatuses(stderr string) string {
	return strings.TrimSpace(statusLineRE.ReplaceAllString(stderr, ""))
}

func clip(s string) string {
	if len(s) > 1500 {
		return s[:1500] + "…"
	}
	return s
}
