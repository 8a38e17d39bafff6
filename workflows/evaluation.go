package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Names of the monthly staff evaluation.
const (
	EvaluationWorkflow    = "MonthlyStaffEvaluation"
	EvaluateStaffActivity = "EvaluateStaff"
)

// MonthlyStaffEvaluation scores the receptionists for the month before the
// one it runs in (每月员工考评) and stores the month. A schedule starts it on
// the 1st; started by hand it evaluates the last complete month again,
// replacing what was stored. It returns the month evaluated.
func MonthlyStaffEvaluation(ctx workflow.Context) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		// A database outage delays the evaluation; it does not lose it.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute},
	})
	var month string
	err := workflow.ExecuteActivity(ctx, EvaluateStaffActivity, workflow.Now(ctx)).Get(ctx, &month)
	return month, err
}
