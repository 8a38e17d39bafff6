// Package worker registers the workflows and activities with a Temporal
// worker and makes sure the namespace has what they need.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/concierge-pm/concierge/activities"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/workflows"
)

// DefaultTaskQueue is the task queue of all Concierge workflows.
const DefaultTaskQueue = "concierge"

// DefaultWorkflowCache is how many workflows a worker keeps in memory
// between their tasks (the SDK's sticky cache, CONCIERGE_WORKFLOW_CACHE). It
// keeps 10,000 open cases within the 300 MB the worker is sized for: a
// cached case costs about 55 KiB (`concierge bench`), and the SDK's own
// default of 10,000 took 700 MB. A case let go is replayed from its
// history at its next task, a few milliseconds.
const DefaultWorkflowCache = 2000

// Settings are the centre's adjustable figures of the service standard.
// Zero values take the defaults of package domain.
type Settings struct {
	// Location is the centre's time zone, in which reports cut months and
	// the training cycle finds the quarter's first working day.
	Location *time.Location
	// PassMark of the training exam, out of 100 (80).
	PassMark int
	// ExamWindow and RetakeWindow of the training cycle (14 and 7 days).
	ExamWindow, RetakeWindow time.Duration
	// CallbackTarget is the monthly share of households to call back (0.20).
	CallbackTarget float64
	// Retention is how long residents' personal data is kept after a case
	// closes. Unlike the figures above, zero is not the default but off:
	// a worker set up without it (a test, the benchmark) anonymises nothing.
	Retention time.Duration
}

// New builds a worker on the task queue with every workflow and activity.
// n delivers notifications; nil, or one without senders, marks them skipped.
func New(c client.Client, taskQueue string, st *store.Store, n *activities.Notifier, set Settings) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{})
	Register(w, st, n, set)
	return w
}

// Register adds every workflow (workflows.Register) and every activity, each
// under the name the workflows call it by, to any registry: a worker, a
// replayer or the test environment.
func Register(r interface {
	workflows.WorkflowRegistry
	RegisterActivityWithOptions(any, activity.RegisterOptions)
}, st *store.Store, n *activities.Notifier, set Settings) {
	workflows.Register(r)
	loc := set.Location
	caseActivities := &activities.Cases{Store: st}
	r.RegisterActivityWithOptions(caseActivities.RecordCaseEvents, activity.RegisterOptions{Name: workflows.RecordActivity})
	notifier := activities.Notifier{}
	if n != nil {
		notifier = *n
	}
	notifier.Store, notifier.MaxAttempts = st, workflows.DeliveryAttempts
	if notifier.Logger == nil {
		notifier.Logger = slog.Default()
	}
	r.RegisterActivityWithOptions(notifier.DeliverNotifications, activity.RegisterOptions{Name: workflows.DeliverActivity})
	campaigns := &activities.Campaigns{Store: st, Location: loc, Target: set.CallbackTarget}
	r.RegisterActivityWithOptions(campaigns.OpenCampaign, activity.RegisterOptions{Name: workflows.OpenCampaignActivity})
	r.RegisterActivityWithOptions(campaigns.CheckCampaign, activity.RegisterOptions{Name: workflows.CheckCampaignActivity})
	r.RegisterActivityWithOptions(campaigns.CloseCampaign, activity.RegisterOptions{Name: workflows.CloseCampaignActivity})
	reports := &activities.Reports{Store: st, Location: loc}
	r.RegisterActivityWithOptions(reports.ArchiveComplaintReport, activity.RegisterOptions{Name: workflows.ArchiveReportActivity})
	training := &activities.Training{Store: st, Location: loc, PassMark: set.PassMark, ExamWindow: set.ExamWindow, RetakeWindow: set.RetakeWindow}
	r.RegisterActivityWithOptions(training.PlanTrainingCycle, activity.RegisterOptions{Name: workflows.PlanTrainingActivity})
	r.RegisterActivityWithOptions(training.OpenTrainingCycle, activity.RegisterOptions{Name: workflows.OpenTrainingActivity})
	r.RegisterActivityWithOptions(training.RecordExamResult, activity.RegisterOptions{Name: workflows.RecordExamActivity})
	r.RegisterActivityWithOptions(training.RemindTraining, activity.RegisterOptions{Name: workflows.RemindTrainingActivity})
	r.RegisterActivityWithOptions(training.CloseTrainingCycle, activity.RegisterOptions{Name: workflows.CloseTrainingActivity})
	evaluations := &activities.Evaluations{Store: st, Location: loc}
	r.RegisterActivityWithOptions(evaluations.EvaluateStaff, activity.RegisterOptions{Name: workflows.EvaluateStaffActivity})
	retention := &activities.Retention{Store: st, Retention: set.Retention}
	r.RegisterActivityWithOptions(retention.AnonymiseExpired, activity.RegisterOptions{Name: workflows.AnonymiseExpiredActivity})
}

// EnsureSearchAttributes registers the custom search attributes the case
// workflows upsert, tolerating those that already exist.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ops := c.OperatorService()
	existing, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enums.IndexedValueType{}
	for name, typ := range workflows.SearchAttributes() {
		if _, ok := existing.GetCustomAttributes()[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add search attributes: %w", err)
	}
	slog.Info("registered search attributes", "count", len(missing))
	return nil
}
