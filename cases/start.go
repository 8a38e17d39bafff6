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

// header is what the start options need of either kind's input.
type header struct {
	Number, Category, Community, Department string
	Channel                                 domain.Channel
	Priority                                domain.Priority
}

// StartComplaint starts the complaint workflow, or attaches to it if a racing
// or earlier call started it, and waits until the recording is written.
func StartComplaint(ctx context.Context, c client.Client, taskQueue string, in workflows.ComplaintInput) (workflows.CaseState, error) {
	return start(ctx, c, taskQueue, domain.KindComplaint, workflows.ComplaintWorkflow, in,
		header{in.Number, in.Category, in.Community, in.Department, in.Channel, in.Priority})
}

// StartRepair is StartComplaint for a repair request.
func StartRepair(ctx context.Context, c client.Client, taskQueue string, in workflows.RepairInput) (workflows.CaseState, error) {
	return start(ctx, c, taskQueue, domain.KindRepair, workflows.RepairWorkflow, in,
		header{in.Number, in.Category, in.Community, in.Department, in.Channel, in.Priority})
}

// StartStored starts a case from the workflow input stored with its intake.
func StartStored(ctx context.Context, c client.Client, taskQueue string, kind domain.Kind, raw []byte) (workflows.CaseState, error) {
	if kind == domain.KindRepair {
		var in workflows.RepairInput
		if err := json.Unmarshal(raw, &in); err != nil {
			return workflows.CaseState{}, fmt.Errorf("decode stored repair input: %w", err)
		}
		return StartRepair(ctx, c, taskQueue, in)
	}
	var in workflows.ComplaintInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return workflows.CaseState{}, fmt.Errorf("decode stored complaint input: %w", err)
	}
	return StartComplaint(ctx, c, taskQueue, in)
}

func start(ctx context.Context, c client.Client, taskQueue string, kind domain.Kind, workflow string, in any, h header) (workflows.CaseState, error) {
	opts := client.StartWorkflowOptions{
		ID:        kind.WorkflowID(h.Number),
		TaskQueue: taskQueue,
		// A case number is never reused: a finished case is not restarted.
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            workflows.Summary(h.Number, h.Category, h.Department),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SACaseStatus.ValueSet(string(domain.StatusRecorded)),
			workflows.SACaseCategory.ValueSet(h.Category),
			workflows.SACommunity.ValueSet(h.Community),
			workflows.SAChannel.ValueSet(string(h.Channel)),
			workflows.SAPriority.ValueSet(string(h.Priority)),
			workflows.SAEscalationLevel.ValueSet(0),
			workflows.SASlaBreached.ValueSet(false),
		),
	}
	op := c.NewWithStartWorkflowOperation(opts, workflow, in)
	handle, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName: workflows.UpdateIntake, WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return workflows.CaseState{}, fmt.Errorf("start %s %s: %w", kind, h.Number, err)
	}
	var st workflows.CaseState
	if err := handle.Get(ctx, &st); err != nil {
		return workflows.CaseState{}, fmt.Errorf("await recording of %s: %w", h.Number, err)
	}
	return st, nil
}
