// Package cases starts case workflows from outside Temporal: the API on a new
// intake, and the worker's recovery of intakes whose start was interrupted.
package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
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

// Numbers is what a start needs from the store when the intake's number
// is taken in Temporal: store.Store.RenumberIntake.
type Numbers interface {
	RenumberIntake(ctx context.Context, old string, free int64, input func(number string) ([]byte, error)) (string, []byte, error)
}

// maxRenumbers bounds the renumbering of one start: each round moves the
// day's counter past the numbers Temporal holds, so a second round is
// needed only where the earlier history has a gap.
const maxRenumbers = 5

// StartStored starts a case from the workflow input stored with its intake.
//
// Temporal may already hold a workflow under the intake's number: after
// Concierge's database was restored to a point behind Temporal's history,
// the day's counter gives out numbers again. An open workflow under that
// number answers the start with its own case (its state carries another
// intake's token), a closed one refuses it; either way the intake is given
// the first number Temporal does not hold and started again, and the
// answer's Number is the one the case got.
func StartStored(ctx context.Context, c client.Client, taskQueue string, kind domain.Kind, raw []byte, numbers Numbers) (workflows.CaseState, error) {
	var in workflows.CaseInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return workflows.CaseState{}, fmt.Errorf("decode the stored input of %s: %w", kind, err)
	}
	for round := 0; ; round++ {
		st, err := Start(ctx, c, taskQueue, kind, in)
		var closed *serviceerror.WorkflowExecutionAlreadyStarted
		taken := errors.As(err, &closed) || err == nil && st.Intake != in.Intake
		if !taken {
			return st, err
		}
		if round == maxRenumbers {
			return workflows.CaseState{}, fmt.Errorf("start %s %s: its number is held by another workflow after %d new numbers", kind, in.Number, round)
		}
		free, err := firstFree(ctx, c, kind, in.Number)
		if err != nil {
			return workflows.CaseState{}, err
		}
		old := in.Number
		number, _, err := numbers.RenumberIntake(ctx, old, free, func(number string) ([]byte, error) {
			next := in
			next.Number = number
			return json.Marshal(next)
		})
		if err != nil {
			return workflows.CaseState{}, fmt.Errorf("give the intake of %s a new number: %w", old, err)
		}
		slog.Warn("a case number was already held in Temporal (database restored behind it?): the intake has a new number",
			"kind", kind, "taken", old, "number", number)
		in.Number = number
	}
}

// firstFree finds the first sequence after number's, on the same day, under
// which Temporal holds no workflow of this kind. The numbers a restored
// database gives out again were used one after another, so it doubles its
// step until it finds a free one and then halves back to the first.
func firstFree(ctx context.Context, c client.Client, kind domain.Kind, number string) (int64, error) {
	prefix, day, seq, err := domain.SplitCaseNumber(number)
	if err != nil {
		return 0, err
	}
	held := func(s int64) (bool, error) {
		id := kind.WorkflowID(fmt.Sprintf("%s%s-%04d", prefix, day, s))
		_, err := c.DescribeWorkflowExecution(ctx, id, "")
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			return false, nil
		} else if err != nil {
			return false, fmt.Errorf("look up workflow %s: %w", id, err)
		}
		return true, nil
	}
	// used is held; used+step is the next probe.
	used, step := seq, int64(1)
	for {
		h, err := held(used + step)
		if err != nil {
			return 0, err
		}
		if !h {
			break
		}
		used += step
		step *= 2
	}
	// used is held, used+step is free: narrow to the first free.
	for step > 1 {
		half := step / 2
		h, err := held(used + half)
		if err != nil {
			return 0, err
		}
		if h {
			used += half
			step -= half
		} else {
			step = half
		}
	}
	return used + 1, nil
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
