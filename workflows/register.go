package workflows

import "go.temporal.io/sdk/workflow"

// WorkflowRegistry is anything workflows are registered with: a worker, a
// replayer or the SDK's test environment.
type WorkflowRegistry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register registers every workflow under its registered name: the case
// workflows of the registry of kinds, and the others. The worker
// and the replay test both call it, so a workflow added here runs and is
// replayed, and one left out is neither. The names are what running
// workflows, schedules and the committed histories carry: never change one
// (docs/DESIGN.md §11.11).
func Register(r WorkflowRegistry) {
	registerCases(r)
	for _, w := range []struct {
		name string
		fn   any
	}{
		{DeliveryWorkflow, NotificationDelivery},
		{AnalysisWorkflow, MonthlyComplaintAnalysis},
		{CampaignWorkflow, CallbackCampaign},
		{TrainingWorkflow, TrainingCycle},
		{EvaluationWorkflow, MonthlyStaffEvaluation},
		{RetentionWorkflow, PersonalDataRetention},
	} {
		r.RegisterWorkflowWithOptions(w.fn, workflow.RegisterOptions{Name: w.name})
	}
}
