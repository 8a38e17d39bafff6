package worker_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/worker"
)

// names records what is registered under which name.
type names struct {
	workflows, activities map[string]int
}

func (n *names) RegisterWorkflowWithOptions(_ any, o workflow.RegisterOptions) { n.workflows[o.Name]++ }
func (n *names) RegisterActivityWithOptions(_ any, o activity.RegisterOptions) {
	n.activities[o.Name]++
}

// TestRegisterKeepsTheNamesRunningWorkflowsUse checks the names the worker
// registers: running workflows, schedules and the committed histories call
// workflows and activities by these names, so renaming Go code must leave
// them as they are, and each is registered once.
func TestRegisterKeepsTheNamesRunningWorkflowsUse(t *testing.T) {
	got := &names{workflows: map[string]int{}, activities: map[string]int{}}
	worker.Register(got, nil, nil, worker.Settings{})

	for _, tc := range []struct {
		what string
		got  map[string]int
		want []string
	}{
		{"workflows", got.workflows, []string{"CallbackCampaign", "Complaint", "MonthlyComplaintAnalysis",
			"MonthlyStaffEvaluation", "NotificationDelivery", "PersonalDataRetention", "Repair", "TrainingCycle"}},
		{"activities", got.activities, []string{"AnonymiseExpiredData", "ArchiveComplaintReport", "CheckCampaign", "CloseCampaign",
			"CloseTrainingCycle", "DeliverNotifications", "EvaluateStaff", "OpenCampaign", "OpenTrainingCycle",
			"PlanTrainingCycle", "RecordComplaintEvents", "RecordExamResult", "RemindTraining"}},
	} {
		var registered []string
		for name, n := range tc.got {
			registered = append(registered, name)
			if n != 1 {
				t.Errorf("%s %q registered %d times, want once", tc.what, name, n)
			}
		}
		slices.Sort(registered)
		if !slices.Equal(registered, tc.want) {
			t.Errorf("registered %s\n got %q\nwant %q", tc.what, registered, tc.want)
		}
	}

	// Every workflow and activity type in a committed history must be
	// registered under the name the history carries.
	files, err := filepath.Glob(filepath.Join("..", "workflows", "testdata", "histories", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no committed histories (%v)", err)
	}
	for _, f := range files {
		raw, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		hist, err := client.HistoryFromJSON(raw, client.HistoryJSONOptions{})
		raw.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		missing := map[string]bool{}
		for _, ev := range hist.GetEvents() {
			if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil && got.workflows[a.GetWorkflowType().GetName()] == 0 {
				missing["workflow "+a.GetWorkflowType().GetName()] = true
			}
			if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && got.activities[a.GetActivityType().GetName()] == 0 {
				missing["activity "+a.GetActivityType().GetName()] = true
			}
		}
		for what := range missing {
			t.Errorf("%s: %s is not registered", filepath.Base(f), what)
		}
	}
}
