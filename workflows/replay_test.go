package workflows_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
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
	kinds := map[string]int{}
	for _, f := range files {
		kind, _, _ := strings.Cut(filepath.Base(f), "_")
		kinds[kind]++
	}
	// At least: complaints closed and withdrawn, each on time and breached,
	// unresolved and unreachable; three repairs; and runs of each scheduled
	// workflow: the campaign's so far, asleep until mid-month and until the
	// month's end; the training cycle's closed, as a duplicate, and asleep
	// until its session.
	want := map[string]int{"complaint": 6, "repair": 3, "callbackcampaign": 2, "monthlycomplaintanalysis": 1,
		"monthlystaffevaluation": 1, "trainingcycle": 3, "personaldataretention": 1}
	for kind, n := range want {
		if kinds[kind] < n {
			t.Errorf("found %d %s histories, want at least %d", kinds[kind], kind, n)
		}
	}
	// The first long sleep of the scheduled workflows is in these: a run
	// triggered late sleeps for no time, and Temporal records no timer for
	// it, so a step moved before the sleep would still replay the others.
	for _, name := range []string{"callbackcampaign_asleep_midmonth.json", "trainingcycle_asleep.json"} {
		if _, err := os.Stat(filepath.Join("testdata", "histories", name)); err != nil {
			t.Errorf("history %s: %v", name, err)
		}
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			// The worker's own list (workflows.Register), so a workflow the
			// worker runs cannot be left out of the replay.
			workflows.Register(r)
			raw, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			hist, err := client.HistoryFromJSON(raw, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatalf("read %s: %v", f, err)
			}
			// The replay runs under the original workflow ID: the training
			// cycle compares it with the one that owns the quarter.
			started := hist.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
			exec := workflow.Execution{ID: started.GetWorkflowId(), RunID: started.GetOriginalExecutionRunId()}
			if err := r.ReplayWorkflowHistoryWithOptions(nil, hist, worker.ReplayWorkflowHistoryOptions{OriginalExecution: exec}); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
