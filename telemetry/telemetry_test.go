package telemetry

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
)

// TestWorkflowLogs: a record logged with an activity's context names the
// workflow and the activity; one logged outside an activity does not.
func TestWorkflowLogs(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(WorkflowLogs(slog.NewTextHandler(&buf, nil))).With("component", "test")
	deliver := func(ctx context.Context) error {
		logger.WarnContext(ctx, "notification failed", "template", "routed")
		return nil
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(deliver, activity.RegisterOptions{Name: "Deliver"})
	if _, err := env.ExecuteActivity("Deliver"); err != nil {
		t.Fatal(err)
	}
	logger.InfoContext(context.Background(), "outside")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log lines %q, want 2", lines)
	}
	for _, want := range []string{"workflow_id=default-test-workflow-id", "activity=Deliver", "component=test", "template=routed"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("in an activity: %q lacks %s", lines[0], want)
		}
	}
	if strings.Contains(lines[1], "workflow_id") {
		t.Errorf("outside an activity: %q names a workflow", lines[1])
	}
}
