// Package cases starts case workflows from outside Temporal: the API on a new
// intake, and the worker's recovery of intakes whose start was interrupted.
package cases

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/workflows"
)

// StartComplaint starts the complaint workflow, or attaches to it if a racing
// or earlier call started it, and waits until the recording is written.
func StartComplaint(ctx context.Context, c client.Client, taskQueue string, in workflows.ComplaintInput) (workflows.CaseState, error) {
	opts := client.StartWorkflowOptions{
		ID:        domain.ComplaintWorkflowID(in.Number),
		TaskQueue: taskQueue,
		// A case number is never reused: a finished case is not restarted.
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            workflows.Summary(in.Number, in.Category, in.Department),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SACaseStatus.ValueSet(string(domain.StatusRecorded)),
			workflows.SACaseCategory.ValueSet(in.Category),
			workflows.SACommunity.ValueSet(in.Community),
			workflows.SAChannel.ValueSet(string(in.Channel)),
			workflows.SAPriority.ValueSet(string(in.Priority)),
			workflows.SAEscalationLevel.ValueSet(0),
			workflows.SASlaBreached.ValueSet(false),
		),
	}
	op := c.NewWithStartWorkflowOperation(opts, workflows.ComplaintWorkflow, in)
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName: workflows.UpdateIntake, WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return workflows.CaseState{}, fmt.Errorf("start complaint %s: %w", in.Number, err)
	}
	var st workflows.CaseState
	if err := h.Get(ctx, &st); err != nil {
		return workflows.CaseState{}, fmt.Errorf("await recording of %s: %w", in.Number, err)
	}
	return st, nil
}
