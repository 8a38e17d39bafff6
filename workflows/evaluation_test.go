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

// The workflow hands its own start time to the activity, which cuts the
// month; a schedule's run on 2026-12-01 evaluates November.
func TestMonthlyStaffEvaluation(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	start := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC) // 07:00 on 1 December in Shanghai
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(workflows.MonthlyStaffEvaluation, workflow.RegisterOptions{Name: workflows.EvaluationWorkflow})
	var got time.Time
	env.RegisterActivityWithOptions(func(_ context.Context, at time.Time) (string, error) {
		got = at
		return "2026-11", nil
	}, activity.RegisterOptions{Name: workflows.EvaluateStaffActivity})
	env.ExecuteWorkflow(workflows.EvaluationWorkflow)
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

// A database outage is retried, with growing pauses, until the evaluation
// is stored: the month is delayed, not lost.
func TestMonthlyStaffEvaluationRetries(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	start := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(workflows.MonthlyStaffEvaluation, workflow.RegisterOptions{Name: workflows.EvaluationWorkflow})
	var calls []time.Time
	env.RegisterActivityWithOptions(func(_ context.Context, at time.Time) (string, error) {
		calls = append(calls, at)
		if len(calls) < 4 {
			return "", errors.New("connection refused")
		}
		return "2026-11", nil
	}, activity.RegisterOptions{Name: workflows.EvaluateStaffActivity})
	env.ExecuteWorkflow(workflows.EvaluationWorkflow)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var month string
	if err := env.GetWorkflowResult(&month); err != nil || month != "2026-11" {
		t.Fatalf("result %q, %v", month, err)
	}
	if len(calls) != 4 {
		t.Fatalf("%d attempts, want 4", len(calls))
	}
	// Every attempt cuts the same month: the workflow's start, not the retry's time.
	for _, at := range calls {
		if !at.Equal(start) {
			t.Fatalf("an attempt got %s, want %s", at, start)
		}
	}
	// Waits of 10 s, 20 s and 40 s before the three retries.
	if elapsed := env.Now().Sub(start); elapsed < 70*time.Second {
		t.Fatalf("retried after %s in all, want at least 70 s of back-off", elapsed)
	}
}
