package workflows_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/workflows"
)

// TestNotificationDelivery: the keys reach the delivery activity, a
// temporary failure is retried, and giving up after the last attempt fails
// the workflow (the activity has marked the message failed by then).
func TestNotificationDelivery(t *testing.T) {
	keys := []string{"TS20261202-0001/link/0123456789abcdef"}
	for _, tt := range []struct {
		name     string
		failures int // attempts that fail before one succeeds
		wantErr  bool
	}{
		{"first attempt", 0, false},
		{"after temporary failures", 3, false},
		{"never", workflows.DeliveryAttempts, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestWorkflowEnvironment()
			env.RegisterWorkflowWithOptions(workflows.NotificationDelivery, workflow.RegisterOptions{Name: workflows.DeliveryWorkflow})
			attempts := 0
			env.RegisterActivityWithOptions(func(_ context.Context, got []string) error {
				attempts++
				if !slices.Equal(got, keys) {
					t.Errorf("delivered %v, want %v", got, keys)
				}
				if attempts <= tt.failures {
					return errors.New("SMTP 451: try again later")
				}
				return nil
			}, activity.RegisterOptions{Name: workflows.DeliverActivity})
			env.ExecuteWorkflow(workflows.DeliveryWorkflow, keys)
			if !env.IsWorkflowCompleted() {
				t.Fatal("workflow did not complete")
			}
			if err := env.GetWorkflowError(); (err != nil) != tt.wantErr {
				t.Fatalf("workflow error %v, want an error: %t", err, tt.wantErr)
			}
			if want := min(tt.failures+1, workflows.DeliveryAttempts); attempts != want {
				t.Fatalf("%d attempts, want %d", attempts, want)
			}
		})
	}
}
