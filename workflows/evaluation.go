package workflows

import "go.temporal.io/sdk/workflow"

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
	return lastMonthsJob(ctx, EvaluateStaffActivity)
}
