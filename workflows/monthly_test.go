package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/workflows"
)

// The monthly jobs hand their own start time to their activity, which cuts
// the month: a schedule's run on 1 December works on November. A database
// outage is retried with growing pauses until the job is done, every
// attempt on the same month: it is delayed, not lost.
func TestMonthlyJobs(t *testing.T) {
	jobs := []struct {
		workflow, activity string
		fn                 func(workflow.Context) (string, error)
		start              time.Time
	}{
		{workflows.AnalysisWorkflow, workflows.ArchiveReportActivity, workflows.MonthlyComplaintAnalysis,
			time.Date(2026, 11, 30, 22, 30, 0, 0, time.UTC)}, // 06:30 on 1 December in Shanghai
		{workflows.EvaluationWorkflow, workflows.EvaluateStaffActivity, workflows.MonthlyStaffEvaluation,
			time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)}, // 07:00
	}
	for _, job := range jobs {
		for _, failures := range []int{0, 3} {
			t.Run(job.workflow+"/"+map[int]string{0: "at once", 3: "after an outage"}[failures], func(t *testing.T) {
				var suite testsuite.WorkflowTestSuite
				env := suite.NewTestWorkflowEnvironment()
				env.SetStartTime(job.start)
				env.RegisterWorkflowWithOptions(job.fn, workflow.RegisterOptions{Name: job.workflow})
				var calls []time.Time
				env.RegisterActivityWithOptions(func(_ context.Context, at time.Time) (string, error) {
					calls = append(calls, at)
					if len(calls) <= failures {
						return "", errors.New("connection refused")
					}
					return "2026-11", nil
				}, activity.RegisterOptions{Name: job.activity})
				env.ExecuteWorkflow(job.workflow)
				if err := env.GetWorkflowError(); err != nil {
					t.Fatal(err)
				}
				var month string
				if err := env.GetWorkflowResult(&month); err != nil || month != "2026-11" {
					t.Fatalf("result %q, %v", month, err)
				}
				if len(calls) != failures+1 {
					t.Fatalf("%d attempts, want %d", len(calls), failures+1)
				}
				for _, at := range calls {
					if !at.Equal(job.start) {
						t.Fatalf("an attempt got %s, want the workflow's start %s", at, job.start)
					}
				}
				// Waits of 10 s, 20 s and 40 s before the three retries.
				if elapsed := env.Now().Sub(job.start); failures > 0 && elapsed < 70*time.Second {
					t.Fatalf("retried after %s in all, want at least 70 s of back-off", elapsed)
				}
			})
		}
	}
}
