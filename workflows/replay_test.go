package workflows_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/workflows"
)

// TestReplayCommittedHistories replays histories of real runs (recorded by
// the integration tests, see integration/main_test.go) against the current
// workflow code, so a change that breaks running cases fails here.
func TestReplayCommittedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 6 {
		t.Fatalf("found %d committed histories, want at least 6 (closed and withdrawn, each on time and breached; unresolved; unreachable)", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(workflows.Complaint, workflow.RegisterOptions{Name: workflows.ComplaintWorkflow})
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
