package workflows_test

import (
	"path/filepath"
	"strings"
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
	var complaints, repairs int
	for _, f := range files {
		switch {
		case strings.HasPrefix(filepath.Base(f), "complaint_"):
			complaints++
		case strings.HasPrefix(filepath.Base(f), "repair_"):
			repairs++
		}
	}
	if complaints < 6 || repairs < 3 {
		t.Fatalf("found %d complaint and %d repair histories, want at least 6 complaints (closed and withdrawn, each on time and breached; unresolved; unreachable) and 3 repairs", complaints, repairs)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(workflows.Complaint, workflow.RegisterOptions{Name: workflows.ComplaintWorkflow})
			r.RegisterWorkflowWithOptions(workflows.Repair, workflow.RegisterOptions{Name: workflows.RepairWorkflow})
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
