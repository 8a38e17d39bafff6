package integration

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestStartupErrorsFailTheRun runs this test binary again, with no test
// selected, so that only the start-up in TestMain runs: an unreachable
// PostgreSQL skips the package outside CI and fails it under CI=true, while
// an error of Concierge's own start-up code fails it everywhere (a bug there
// must not pass as a skipped package).
func TestStartupErrorsFailTheRun(t *testing.T) {
	t.Parallel()
	const noPostgres = "TEST_DATABASE_URL=postgres://postgres@127.0.0.1:1/postgres"
	for _, tt := range []struct {
		name string
		env  []string
		code int
		says string
	}{
		{"no PostgreSQL outside CI", []string{noPostgres, "CI="}, 0, "SKIPPING the integration package"},
		{"no PostgreSQL in CI", []string{noPostgres, "CI=true"}, 1, "FAIL: CI=true"},
		{"the store fails to start, outside CI", []string{"CONCIERGE_IT_FAULT=store", "CI="}, 1, "FAIL: integration start-up: open the store: injected fault"},
		{"the schedules fail, outside CI", []string{"CONCIERGE_IT_FAULT=schedules", "CI="}, 1, "FAIL: integration start-up: create the Temporal schedules: injected fault"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.count=1")
			// Later entries win over the inherited ones.
			cmd.Env = append(os.Environ(), append([]string{"CONCIERGE_RECORD_HISTORIES=", "CONCIERGE_IT_FAULT="}, tt.env...)...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatalf("run %s: %v", os.Args[0], err)
			}
			if code != tt.code || !strings.Contains(out.String(), tt.says) {
				t.Fatalf("exit code %d, want %d saying %q; output:\n%s", code, tt.code, tt.says, out.String())
			}
		})
	}
}
