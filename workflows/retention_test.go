package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/workflows"
)

// The retention workflow hands its start time to its activity, which
// works out the cut-off, and returns the activity's counts; a database
// outage is retried until the run is done.
func TestPersonalDataRetention(t *testing.T) {
	start := time.Date(2026, 3, 14, 18, 30, 0, 0, time.UTC) // 02:30 in Shanghai
	for _, failures := range []int{0, 2} {
		t.Run(map[int]string{0: "at once", 2: "after an outage"}[failures], func(t *testing.T) {
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestWorkflowEnvironment()
			env.SetStartTime(start)
			env.RegisterWorkflowWithOptions(workflows.PersonalDataRetention, workflow.RegisterOptions{Name: workflows.RetentionWorkflow})
			var calls []time.Time
			env.RegisterActivityWithOptions(func(_ context.Context, at time.Time) (domain.RetentionRun, error) {
				calls = append(calls, at)
				if len(calls) <= failures {
					return domain.RetentionRun{}, errors.New("connection refused")
				}
				return domain.RetentionRun{Cutoff: at.Add(-domain.DefaultRetention), Cases: 3, Visits: 2}, nil
			}, activity.RegisterOptions{Name: workflows.AnonymiseExpiredActivity})
			env.ExecuteWorkflow(workflows.RetentionWorkflow)
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			var got domain.RetentionRun
			if err := env.GetWorkflowResult(&got); err != nil {
				t.Fatal(err)
			}
			want := domain.RetentionRun{Cutoff: start.Add(-domain.DefaultRetention), Cases: 3, Visits: 2}
			if !got.Cutoff.Equal(want.Cutoff) || got.Cases != 3 || got.Visits != 2 {
				t.Fatalf("result %+v, want %+v", got, want)
			}
			if len(calls) != failures+1 {
				t.Fatalf("%d attempts, want %d", len(calls), failures+1)
			}
			for _, at := range calls {
				if !at.Equal(start) {
					t.Fatalf("an attempt got %s, want the workflow's start %s", at, start)
				}
			}
		})
	}
}
