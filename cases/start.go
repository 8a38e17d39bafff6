// Package cases starts case workflows from outside Temporal: the API on a new
// intake, and the worker's recovery of intakes whose start was interrupted.
package cases

import (
	"context"
	"encoding/json"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/workflows"
)

// Start starts the workflow of a case of the given kind, or attaches to it
// if a racing or earlier call started it, and waits until the recording is
// written.
func Start(ctx context.Context, c client.Client, taskQueue string, kind domain.Kind, in workflows.CaseInput) (workflows.CaseState, error) {
	spec, ok := domain.SpecOf(kind)
	if !ok {
		return workflows.CaseState{}, fmt.Errorf("start case %s: unknown kind %q", in.Number, kind)
	}
	return start(ctx, c, taskQueue, spec, in)
}

// StartStored starts a case from the workflow input stored with its intake.
func StartStored(ctx context.Context, c client.Client, taskQueue string, kind domain.Kind, raw []byte) (workflows.CaseState, error) {
	var in workflows.CaseInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return workflows.CaseState{}, fmt.Errorf("decode the stored input of %s: %w", kind, err)
	}
	return Start(ctx, c, taskQueue, kind, in)
}

func start(ctx context.Context, c client.Client, taskQueue string, spec domain.KindSpec, in workflows.CaseInput) (workflows.CaseState, error) {
	opts := client.StartWorkflowOptions{
		ID:        spec.Kind.WorkflowID(in.Number),
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
	op := c.NewWithStartWorkflowOperation(opts, spec.Workflow, in)
	handle, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName: workflows.UpdateIntake, WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return workflows.CaseState{}, fmt.Errorf("start %s %s: %w", spec.Kind, in.Number, err)
	}
	var st workflows.CaseState
	if err := handle.Get(ctx, &st); err != nil {
		return workflows.CaseState{}, fmt.Errorf("await recording of %s: %w", in.Number, err)
	}
	return st, nil
}
