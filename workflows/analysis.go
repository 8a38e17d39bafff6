package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Names of the monthly complaint analysis.
const (
	AnalysisWorkflow      = "MonthlyComplaintAnalysis"
	ArchiveReportActivity = "ArchiveComplaintReport"
)

// MonthlyComplaintAnalysis archives the complaint analysis of the month
// before the one it runs in, for the quality meeting. A schedule starts it
// on the 1st; started by hand it archives the last complete month. It
// returns the month archived.
func MonthlyComplaintAnalysis(ctx workflow.Context) (string, error) {
	return lastMonthsJob(ctx, ArchiveReportActivity)
}

// lastMonthsJob runs the one activity of a monthly job with the workflow's
// start time, from which the activity cuts the month before in the centre's
// time zone, so every retry works on the same month.
func lastMonthsJob(ctx workflow.Context, activity string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		// A database outage delays the job; it does not lose it.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute},
	})
	var month string
	err := workflow.ExecuteActivity(ctx, activity, workflow.Now(ctx)).Get(ctx, &month)
	return month, err
}

// Schedule is one recurring job of the service standard.
type Schedule struct {
	ID          string
	Description string
	Workflow    string
	// When, in the service centre's time zone; in the listed months only,
	// or every month when there are none; every day when DayOfMonth is 0.
	DayOfMonth, Hour, Minute int
	Months                   []int
}

// Schedules are the recurring jobs the worker keeps in Temporal.
func Schedules() []Schedule {
	return []Schedule{{
		ID:          "monthly-callback-campaign",
		Description: "每月回访（≥20% 住户）/ monthly callbacks to at least 20 % of households",
		Workflow:    CampaignWorkflow, DayOfMonth: 1, Hour: 8, Minute: 0,
	}, {
		ID:          "monthly-complaint-analysis",
		Description: "每月投诉分析（上月）/ monthly complaint analysis of the month before",
		Workflow:    AnalysisWorkflow, DayOfMonth: 1, Hour: 6, Minute: 30,
	}, {
		ID:          "monthly-staff-evaluation",
		Description: "每月员工考评（上月）/ monthly staff evaluation of the month before",
		Workflow:    EvaluationWorkflow, DayOfMonth: 1, Hour: 7, Minute: 0,
	}, {
		// The cycle itself waits for the quarter's first working day: a
		// calendar spec cannot follow the holiday calendar.
		ID:          "quarterly-training-cycle",
		Description: "季度培训考核（季度首个工作日）/ quarterly training and exam, from the quarter's first working day",
		Workflow:    TrainingWorkflow, DayOfMonth: 1, Hour: 0, Minute: 5, Months: []int{1, 4, 7, 10},
	}, {
		// At night, when the desk is quiet: the batches lock few rows
		// at a time, but there is no reason to share the hours of work.
		ID:          "nightly-data-retention",
		Description: "每日个人信息到期匿名化 / nightly anonymisation of residents' personal data past its retention",
		Workflow:    RetentionWorkflow, DayOfMonth: 0, Hour: 2, Minute: 30,
	}}
}
