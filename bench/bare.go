package bench

import (
	"context"
	"time"

	"go.temporal.io/sdk/workflow"
)

// The floors: workflows with no-op activities that Concierge's figures are
// set beside, run by the same worker on the same server in the same run.
const (
	bareWorkflow = "BenchBare"
	bareActivity = "BenchNoop"
	// bareIntake and bareAct are the floors' updates: the intake sent with
	// the start, and one action.
	bareIntake = "intake"
	bareAct    = "act"
)

// BareInput starts a floor workflow.
type BareInput struct {
	// Record runs one no-op local activity at the start, and a no-op
	// activity beside it, as a case records its intake and starts the
	// delivery of the resident's acknowledgement. Without it the workflow
	// only waits for updates.
	Record bool `json:"record"`
}

// Act is the argument of the floor's action update.
type Act struct {
	// Remote runs the update's no-op as a regular activity, which goes
	// through the server's task queue; otherwise as a local activity, in
	// the workflow task, as a case's record does.
	Remote bool `json:"remote"`
	// Deliver starts one more no-op activity beside, which the workflow
	// waits for only before it ends, like a notification delivery.
	Deliver bool `json:"deliver"`
	// Last ends the workflow once this update has run.
	Last bool `json:"last"`
}

// Bare is the floor workflow: a case's shape with the work taken out. The
// intake update waits for the start's record; each action update runs one
// no-op (local or regular activity) and answers.
func Bare(ctx workflow.Context, in BareInput) error {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 5 * time.Second})
	var beside []workflow.Future
	recorded, done := !in.Record, false
	if err := workflow.SetUpdateHandler(ctx, bareIntake, func(ctx workflow.Context) error {
		return workflow.Await(ctx, func() bool { return recorded })
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, bareAct, func(ctx workflow.Context, a Act) error {
		f := workflow.ExecuteLocalActivity(lctx, bareActivity, 0)
		if a.Remote {
			f = workflow.ExecuteActivity(actx, bareActivity, 0)
		}
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
		if a.Deliver {
			beside = append(beside, workflow.ExecuteActivity(actx, bareActivity, 1))
		}
		done = done || a.Last
		return nil
	}); err != nil {
		return err
	}
	if in.Record {
		if err := workflow.ExecuteLocalActivity(lctx, bareActivity, 0).Get(ctx, nil); err != nil {
			return err
		}
		beside = append(beside, workflow.ExecuteActivity(actx, bareActivity, 1))
		recorded = true
	}
	if err := workflow.Await(ctx, func() bool { return done && workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	for _, f := range beside {
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func noop(context.Context, int) error { return nil }
