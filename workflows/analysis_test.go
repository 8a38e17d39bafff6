package workflows_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/workflows"
)

// The workflow hands its own start time to the activity, which cuts the
// month; a schedule's run on 2026-12-01 archives November.
func TestMonthlyComplaintAnalysis(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	start := time.Date(2026, 11, 30, 22, 30, 0, 0, time.UTC) // 06:30 on 1 December in Shanghai
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(workflows.MonthlyComplaintAnalysis, workflow.RegisterOptions{Name: workflows.AnalysisWorkflow})
	var got time.Time
	env.RegisterActivityWithOptions(func(_ context.Context, at time.Time) (string, error) {
		got = at
		return "2026-11", nil
	}, activity.RegisterOptions{Name: workflows.ArchiveReportActivity})
	env.ExecuteWorkflow(workflows.AnalysisWorkflow)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var month string
	if err := env.GetWorkflowResult(&month); err != nil || month != "2026-11" {
		t.Fatalf("result %q, %v", month, err)
	}
	if !got.Equal(start) {
		t.Fatalf("activity got %s, want the workflow's start %s", got, start)
	}
}
